//! Settlements, kept in packs: the settlements one import makes for one
//! workspace and UTC day share a row of `settlement_packs`, with one line of
//! text per hour (the format is in migration 9).
//!
//! A metering feed settles every workspace each hour, so a row per
//! settlement made an import write about as many settlement rows as usage
//! records; a pack is written once per workspace and day. The packs of a
//! workspace, found by day through `(workspace_id, day_start)`, answer every
//! question settling and listing ask: the newest settled hour (the highest
//! bit of the newest day's masks), what was settled of an hour before, and
//! the settlements in order.

use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use billing_app::model::{SettledHour, Settlement};
use billing_app::store::{SettlementsTx, StoreError, StoreResult};
use billing_domain::ids::{AccountId, InstanceId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;
use crate::usage::{Params, ROWS_PER_STATEMENT, padded, statements, while_running};

pub(crate) const MICROS_PER_HOUR: i64 = 3_600_000_000;
pub(crate) const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// Packs one read of a settlement list takes at least, unless the workspace
/// has fewer; it then takes the rest of the last day they reach.
const PACKS_PER_READ: i64 = 16;

#[async_trait]
impl SettlementsTx for SqlTx {
    /// Totals settled per asked workspace-hour.
    ///
    /// Usage mostly arrives for hours after everything settled so far, so
    /// each workspace's newest settled hour is looked up first (one seek per
    /// workspace, answering only where it is not before the workspace's
    /// earliest asked hour), and only the packs of workspace-days holding
    /// hours at or before it are read (one seek per workspace-day).
    async fn settled_hours(&mut self, hours: &[(&str, DateTime<Utc>)]) -> StoreResult<Vec<Option<SettledHour>>> {
        let mut earliest: BTreeMap<&str, i64> = BTreeMap::new();
        for (workspace, hour) in hours {
            let hour = micros(*hour);
            earliest.entry(workspace).and_modify(|e| *e = hour.min(*e)).or_insert(hour);
        }
        let earliest: Vec<(&str, i64)> = earliest.into_iter().collect();
        let newest = self.newest_settled_hours(&earliest).await?;
        // Each workspace-day once: a repeat in the VALUES list would read
        // its packs twice and count them twice.
        let days: BTreeSet<(&str, i64)> = hours
            .iter()
            .filter(|(workspace, hour)| newest.get(*workspace).is_some_and(|newest| micros(*hour) <= *newest))
            .map(|(workspace, hour)| (*workspace, Day::of(micros(*hour)).start))
            .collect();
        let days: Vec<(&str, i64)> = days.into_iter().collect();
        let mut rows = Vec::new();
        for piece in statements(&days) {
            let sql = format!(
                "WITH asked(workspace_id, day_start) AS (VALUES {}) \
                 SELECT p.workspace_id, p.day_start, p.lines FROM asked JOIN settlement_packs p \
                 ON p.workspace_id = asked.workspace_id AND p.day_start = asked.day_start",
                Params::new(self.backend).rows(piece.len(), 2)
            );
            let mut query = sqlx::query(&sql);
            for (workspace, day) in piece {
                query = query.bind(*workspace).bind(*day);
            }
            rows.extend(query.fetch_all(self.db().await?).await.map_err(map_err)?);
        }
        let mut found: HashMap<(String, i64), SettledHour> = HashMap::new();
        for row in &rows {
            let workspace = row.text("workspace_id")?;
            let lines = row.text("lines")?;
            for line in Line::parse_all(row.int("day_start")?, &lines)? {
                let total = found
                    .entry((workspace.clone(), line.hour))
                    .or_insert(SettledHour { usage: CuHours::ZERO, covered: CuHours::ZERO });
                let add = |sum: CuHours, milli| {
                    sum.checked_add(CuHours::from_milli(milli)).ok_or_else(|| corrupt_lines(&lines))
                };
                total.usage = add(total.usage, line.usage)?;
                total.covered = add(total.covered, line.covered)?;
            }
        }
        let mut key = (String::new(), 0);
        Ok(hours
            .iter()
            .map(|(workspace, hour)| {
                key.0.clear();
                key.0.push_str(workspace);
                key.1 = micros(*hour);
                found.get(&key).copied()
            })
            .collect())
    }

    /// Writes the settlements in packs, one per id stem (see
    /// [`Settlement::id_in_day`]); a settlement whose id has no stem is a
    /// pack of its own. A stem's settlements must share workspace, account,
    /// currency, settling instant and UTC day, each hour once.
    ///
    /// The rows of each statement are made, and checked, while the statement
    /// before runs, so a pack refused here may follow packs already sent;
    /// the refusal fails the transaction all the same.
    async fn insert_settlements(&mut self, settlements: &[Settlement]) -> StoreResult<()> {
        // Hashed with foldhash: one lookup per settlement, on ids.
        let mut packs: HashMap<&str, Vec<&Settlement>, foldhash::fast::RandomState> = HashMap::default();
        for s in settlements {
            packs.entry(split_id(&s.id).0).or_default().push(s);
        }
        // In index order, so that each statement's rows land near each other.
        let mut packs: Vec<_> = packs
            .into_iter()
            .map(|(id, lines)| {
                let first = lines[0];
                ((first.workspace_id.as_str(), Day::of(micros(first.hour_start)).start, id), lines)
            })
            .collect();
        packs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let pieces = statements(&packs);
        let rows_of = |i: usize| -> StoreResult<Vec<PackRow<'_>>> {
            pieces.get(i).map_or(Ok(Vec::new()), |piece| {
                piece.iter().map(|((_, _, id), lines)| PackRow::new(id, lines)).collect()
            })
        };
        let mut rows = rows_of(0)?;
        for i in 0..pieces.len() {
            let sql = format!(
                "INSERT INTO settlement_packs (id, workspace_id, account_id, day_start, hours_mask, currency, \
                 settled_at, own_id, lines) VALUES {}",
                Params::new(self.backend).rows(rows.len(), 9)
            );
            let mut query = sqlx::query(&sql);
            for pack in &rows {
                query = query
                    .bind(pack.id)
                    .bind(pack.first.workspace_id.as_str())
                    .bind(pack.first.account_id.as_str())
                    .bind(pack.day.start)
                    .bind(pack.day.mask)
                    .bind(pack.first.charge.currency().code())
                    .bind(micros(pack.first.settled_at))
                    .bind(i64::from(pack.own_id))
                    .bind(&pack.lines);
            }
            let (done, next) = while_running(query.execute(self.db().await?), || rows_of(i + 1)).await;
            done.map_err(map_err)?;
            rows = next?;
        }
        Ok(())
    }

    /// A workspace's settlements oldest first — by hour, then when settled,
    /// then id — `limit` of them after the settlement `starting_after`;
    /// `None` when that is not one of the workspace's.
    ///
    /// Packs are read a few whole days at a time from the cursor's day on,
    /// through the `(workspace_id, day_start)` index.
    async fn settlements(
        &mut self,
        workspace_id: &WorkspaceId,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<Settlement>>> {
        // Past every settlement when there is no cursor.
        let (after, mut next_day) = match starting_after {
            None => ((i64::MIN, i64::MIN, String::new()), i64::MIN),
            Some(id) => {
                // The pack is the id's stem, or the id itself for a
                // settlement made before stems.
                let rows = sqlx::query("SELECT * FROM settlement_packs WHERE id IN ($1, $2) AND workspace_id = $3")
                    .bind(split_id(id).0)
                    .bind(id)
                    .bind(workspace_id.as_str())
                    .fetch_all(self.db().await?)
                    .await
                    .map_err(map_err)?;
                let mut found = None;
                for row in &rows {
                    if let Some(s) = pack_settlements(row)?.into_iter().find(|s| s.id == id) {
                        found = Some((s, row.int("day_start")?));
                    }
                }
                let Some((cursor, day)) = found else { return Ok(None) };
                ((micros(cursor.hour_start), micros(cursor.settled_at), cursor.id), day)
            }
        };
        let after = (after.0, after.1, after.2.as_str());
        let wanted = usize::try_from(limit).unwrap_or(0);
        let mut out = Vec::with_capacity(wanted.min(ROWS_PER_STATEMENT));
        while out.len() < wanted {
            // Whole days: every pack up to the last day of the next few.
            let rows = sqlx::query(
                "SELECT * FROM settlement_packs WHERE workspace_id = $1 AND day_start >= $2 AND day_start <= \
                 (SELECT MAX(day_start) FROM (SELECT day_start FROM settlement_packs \
                 WHERE workspace_id = $1 AND day_start >= $2 ORDER BY day_start LIMIT $3) AS first_days)",
            )
            .bind(workspace_id.as_str())
            .bind(next_day)
            .bind(PACKS_PER_READ)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
            if rows.is_empty() {
                break;
            }
            let mut read = Vec::new();
            for row in &rows {
                next_day = next_day.max(row.int("day_start")? + MICROS_PER_DAY);
                read.extend(pack_settlements(row)?);
            }
            read.retain(|s| (micros(s.hour_start), micros(s.settled_at), s.id.as_str()) > after);
            read.sort_by(|a, b| (a.hour_start, a.settled_at, &a.id).cmp(&(b.hour_start, b.settled_at, &b.id)));
            let room = wanted - out.len();
            out.extend(read.into_iter().take(room));
        }
        Ok(Some(out))
    }
}

impl SqlTx {
    /// The newest settled hour of each workspace of `earliest` whose newest
    /// settled hour is not before the hour paired with it, in microseconds:
    /// the highest hour marked by the packs of its newest day.
    async fn newest_settled_hours(&mut self, earliest: &[(&str, i64)]) -> StoreResult<HashMap<String, i64>> {
        let mut days: HashMap<String, Day> = HashMap::new();
        for chunk in earliest.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            // The newest day is one seek at the end of the workspace's run
            // of the index. Of that day, only packs marking the earliest
            // hour or a later one answer (a mask at least that hour's bit);
            // they hold the highest marked hour, which is all that is kept.
            // A padding repeat of a workspace only ORs its masks again.
            let sql = format!(
                "WITH asked(id, day_start, from_mask) AS (VALUES {}) SELECT p.workspace_id, p.day_start, \
                 p.hours_mask FROM asked JOIN settlement_packs p ON p.workspace_id = asked.id AND p.day_start = \
                 (SELECT MAX(day_start) FROM settlement_packs WHERE settlement_packs.workspace_id = asked.id) \
                 WHERE p.day_start > asked.day_start OR (p.day_start = asked.day_start AND \
                 p.hours_mask >= asked.from_mask)",
                Params::new(self.backend).rows(list.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (workspace, hour) in list {
                let day = Day::of(hour);
                query = query.bind(workspace).bind(day.start).bind(day.mask);
            }
            for row in query.fetch_all(self.db().await?).await.map_err(map_err)? {
                let pack = Day { start: row.int("day_start")?, mask: row.int("hours_mask")? };
                days.entry(row.text("workspace_id")?).or_insert(Day { start: pack.start, mask: 0 }).mask |= pack.mask;
            }
        }
        Ok(days.into_iter().filter_map(|(workspace, day)| Some((workspace, day.hours().last()?))).collect())
    }
}

/// The pack an id names and, for an id made by [`Settlement::id_in_day`],
/// its hour of the day; an id without a valid hour suffix names a pack of
/// its own.
fn split_id(id: &str) -> (&str, Option<i64>) {
    if let Some((stem, hour)) = id.rsplit_once('.')
        && hour.len() == 2
        && let Ok(hour) = hour.parse::<i64>()
        && (0..24).contains(&hour)
    {
        return (stem, Some(hour));
    }
    (id, None)
}

/// A pack about to be written.
struct PackRow<'s> {
    id: &'s str,
    /// Its first settlement, whose workspace, account, currency and
    /// settling instant every line shares.
    first: &'s Settlement,
    day: Day,
    own_id: bool,
    lines: String,
}

impl<'s> PackRow<'s> {
    fn new(id: &'s str, settlements: &[&'s Settlement]) -> StoreResult<PackRow<'s>> {
        let first = settlements[0];
        let mut pack = PackRow {
            id,
            first,
            day: Day { start: Day::of(micros(first.hour_start)).start, mask: 0 },
            own_id: split_id(&first.id).1.is_none(),
            lines: String::with_capacity(settlements.len() * 40),
        };
        let stray = |s: &Settlement, why: &str| StoreError::Database(format!("settlement {} {why}", s.id));
        let mut digits = itoa::Buffer::new();
        if pack.own_id && settlements.len() > 1 {
            return Err(stray(first, "shares its id"));
        }
        for s in settlements {
            let hour = Day::of(micros(s.hour_start));
            let shares = (&s.workspace_id, &s.account_id, s.charge.currency(), s.settled_at)
                == (&first.workspace_id, &first.account_id, first.charge.currency(), first.settled_at);
            if !shares || hour.start != pack.day.start {
                return Err(stray(s, "differs from the settlements sharing its id's stem"));
            }
            let hour_of_day = hour.mask.trailing_zeros();
            if !pack.own_id && split_id(&s.id).1 != Some(i64::from(hour_of_day)) {
                return Err(stray(s, "does not end in its hour of the day"));
            }
            if pack.day.mask & hour.mask != 0 {
                return Err(stray(s, "settles an hour its stem already settles"));
            }
            pack.day.mask |= hour.mask;
            if !pack.lines.is_empty() {
                pack.lines.push(';');
            }
            let fields = [
                i64::from(hour_of_day),
                i64::from(s.adjustment),
                s.usage.milli(),
                s.covered.milli(),
                s.pay_as_you_go.milli(),
                s.bill_milli_major,
                s.charge.minor(),
            ];
            for field in fields {
                pack.lines.push_str(digits.format(field));
                pack.lines.push(' ');
            }
            write_draws(&mut pack.lines, &s.draws);
        }
        Ok(pack)
    }
}

/// One line of a pack, as read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line<'t> {
    /// Start of the hour, in microseconds.
    pub(crate) hour: i64,
    adjustment: bool,
    pub(crate) usage: i64,
    pub(crate) covered: i64,
    pub(crate) pay_as_you_go: i64,
    bill_milli_major: i64,
    pub(crate) charge_minor: i64,
    pub(crate) draws: &'t str,
}

impl<'t> Line<'t> {
    /// Every line of the `lines` of a pack of the day starting at
    /// `day_start`.
    pub(crate) fn parse_all(day_start: i64, text: &'t str) -> StoreResult<Vec<Line<'t>>> {
        text.split(';').map(|line| Line::parse(day_start, line).ok_or_else(|| corrupt_lines(text))).collect()
    }

    fn parse(day_start: i64, line: &'t str) -> Option<Line<'t>> {
        let mut fields = line.splitn(8, ' ');
        let mut int = || fields.next()?.parse::<i64>().ok();
        let hour_of_day = int().filter(|h| (0..24).contains(h))?;
        let adjustment = match int()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let (usage, covered, pay_as_you_go, bill_milli_major, charge_minor) = (int()?, int()?, int()?, int()?, int()?);
        let draws = fields.next()?;
        Some(Line {
            hour: day_start + hour_of_day * MICROS_PER_HOUR,
            adjustment,
            usage,
            covered,
            pay_as_you_go,
            bill_milli_major,
            charge_minor,
            draws,
        })
    }
}

pub(crate) fn corrupt_lines(text: &str) -> StoreError {
    StoreError::Corrupt(format!("settlement_packs.lines: {text:?} is not a list of settlement lines"))
}

/// The settlements of a pack row, in the order of its lines.
fn pack_settlements(row: &AnyRow) -> StoreResult<Vec<Settlement>> {
    let id = row.text("id")?;
    let own_id = row.flag("own_id")?;
    let currency = row.currency("currency")?;
    let (workspace_id, account_id): (WorkspaceId, AccountId) = (row.id("workspace_id")?, row.id("account_id")?);
    let settled_at = row.instant("settled_at")?;
    let text = row.text("lines")?;
    let lines = Line::parse_all(row.int("day_start")?, &text)?;
    if own_id && lines.len() != 1 {
        return Err(corrupt_lines(&text));
    }
    lines
        .into_iter()
        .map(|line| {
            let hour_start = DateTime::from_timestamp_micros(line.hour).ok_or_else(|| corrupt_lines(&text))?;
            Ok(Settlement {
                id: if own_id { id.clone() } else { Settlement::id_in_day(&id, hour_start) },
                workspace_id: workspace_id.clone(),
                account_id: account_id.clone(),
                hour_start,
                adjustment: line.adjustment,
                usage: CuHours::from_milli(line.usage),
                covered: CuHours::from_milli(line.covered),
                draws: parse_draws(line.draws)?,
                pay_as_you_go: CuHours::from_milli(line.pay_as_you_go),
                bill_milli_major: line.bill_milli_major,
                charge: Money::from_minor(currency, line.charge_minor),
                settled_at,
            })
        })
        .collect()
}

/// A UTC day of one workspace's settlements and which of its hours they
/// settle (bit n: the hour starting n hours into the day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Day {
    start: i64,
    mask: i64,
}

impl Day {
    /// The day holding the hour starting at `hour` (microseconds), with only
    /// that hour marked.
    fn of(hour: i64) -> Day {
        let start = hour - hour.rem_euclid(MICROS_PER_DAY);
        Day { start, mask: 1 << ((hour - start) / MICROS_PER_HOUR) }
    }

    /// The marked hours, oldest first, in microseconds.
    fn hours(self) -> impl DoubleEndedIterator<Item = i64> {
        (0..24).filter(move |bit| self.mask >> bit & 1 == 1).map(move |bit| self.start + bit * MICROS_PER_HOUR)
    }
}

/// Appends the draws of a line: `plan_id:milli_cu_hours` pairs in plan id
/// order, separated by commas.
fn write_draws(out: &mut String, draws: &[(InstanceId, CuHours)]) {
    let mut sorted: Vec<&(InstanceId, CuHours)> = draws.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut digits = itoa::Buffer::new();
    for (i, (plan, cu)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(plan);
        out.push(':');
        out.push_str(digits.format(cu.milli()));
    }
}

/// Reads the draws of a line back.
pub(crate) fn parse_draws(text: &str) -> StoreResult<Vec<(InstanceId, CuHours)>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|pair| {
            let (plan, milli) = pair.rsplit_once(':').ok_or_else(|| corrupt_draws(text))?;
            let milli: i64 = milli.parse().map_err(|_| corrupt_draws(text))?;
            if plan.is_empty() || plan.contains([' ', ';']) {
                return Err(corrupt_draws(text));
            }
            Ok((InstanceId::trusted(plan), CuHours::from_milli(milli)))
        })
        .collect()
}

fn corrupt_draws(text: &str) -> StoreError {
    StoreError::Corrupt(format!("draws: {text:?} is not a list of plan:milli pairs"))
}

#[cfg(test)]
mod tests {
    use billing_domain::usage::CuHours;

    use billing_app::model::Settlement;
    use billing_domain::ids::{AccountId, InstanceId, WorkspaceId};
    use billing_domain::money::{Currency, Money};
    use chrono::{DateTime, Duration};

    use super::{Day, Line, MICROS_PER_DAY, MICROS_PER_HOUR, PackRow, parse_draws, split_id, write_draws};

    fn settled(stem: &str, hour: i64) -> Settlement {
        let hour_start = DateTime::from_timestamp(20_000 * 86_400, 0).unwrap() + Duration::hours(hour);
        Settlement {
            id: Settlement::id_in_day(stem, hour_start),
            workspace_id: WorkspaceId::trusted("ws_a"),
            account_id: AccountId::trusted("acc_a"),
            hour_start,
            adjustment: false,
            usage: CuHours::from_milli(1500),
            covered: CuHours::ZERO,
            draws: vec![(InstanceId::trusted("ins_p"), CuHours::from_milli(500))],
            pay_as_you_go: CuHours::from_milli(1000),
            bill_milli_major: 200,
            charge: Money::from_minor(Currency::Usd, 20),
            settled_at: DateTime::from_timestamp(20_002 * 86_400, 0).unwrap(),
        }
    }

    #[test]
    fn a_pack_holds_one_workspace_day_of_one_import_each_hour_once() {
        let (a, b) = (settled("set_x", 3), settled("set_x", 17));
        let pack = PackRow::new("set_x", &[&a, &b]).unwrap();
        assert_eq!(
            (pack.day.start, pack.day.mask, pack.own_id),
            (20_000 * MICROS_PER_DAY, (1 << 3) | (1 << 17), false)
        );
        assert_eq!(pack.lines, "3 0 1500 0 1000 200 20 ins_p:500;17 0 1500 0 1000 200 20 ins_p:500");
        let mut other_workspace = settled("set_x", 4);
        other_workspace.workspace_id = WorkspaceId::trusted("ws_b");
        let mut other_import = settled("set_x", 4);
        other_import.settled_at += Duration::minutes(1);
        let mut wrong_hour = settled("set_x", 4);
        wrong_hour.id = "set_x.05".into();
        let next_day = settled("set_x", 24);
        for stray in [&other_workspace, &other_import, &wrong_hour, &next_day, &a] {
            assert!(PackRow::new("set_x", &[&a, stray]).is_err(), "{stray:?}");
        }
        let mut legacy = settled("set_x", 4);
        legacy.id = "set_old".into();
        assert!(PackRow::new("set_old", &[&legacy]).unwrap().own_id);
        assert!(PackRow::new("set_old", &[&legacy, &legacy]).is_err());
    }

    #[test]
    fn an_hour_is_marked_in_its_own_day_before_and_after_the_epoch() {
        for day in [-3, 0, 20_000] {
            for hour in [0, 1, 13, 23] {
                let at = day * MICROS_PER_DAY + hour * MICROS_PER_HOUR;
                let marked = Day::of(at);
                assert_eq!((marked.start, marked.mask), (day * MICROS_PER_DAY, 1 << hour));
                assert_eq!(marked.hours().collect::<Vec<_>>(), vec![at]);
            }
        }
        let both = Day { start: 0, mask: (1 << 2) | (1 << 23) };
        assert_eq!(both.hours().collect::<Vec<_>>(), vec![2 * MICROS_PER_HOUR, 23 * MICROS_PER_HOUR]);
    }

    #[test]
    fn draws_are_written_in_plan_order_and_read_back_or_refused_as_corrupt() {
        let drawn = [
            (InstanceId::trusted("ins_b"), CuHours::from_milli(50_000)),
            (InstanceId::trusted("ins_a"), CuHours::from_whole(100)),
        ];
        let mut text = String::new();
        write_draws(&mut text, &drawn);
        assert_eq!(text, "ins_a:100000,ins_b:50000");
        let mut none = String::new();
        write_draws(&mut none, &[]);
        assert_eq!(none, "");
        assert_eq!(parse_draws("").unwrap(), vec![]);
        let read = parse_draws("ins_a:100000,ins_b:50000").unwrap();
        assert_eq!(
            read.iter().map(|(p, c)| (p.as_str(), c.milli())).collect::<Vec<_>>(),
            [("ins_a", 100_000), ("ins_b", 50_000)]
        );
        for bad in ["ins_a", "ins_a:x", ":5", "ins_a:1,", "ins a:5"] {
            assert!(parse_draws(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lines_read_back_with_their_hours_or_are_refused_as_corrupt() {
        let day = 20_000 * MICROS_PER_DAY;
        let lines = Line::parse_all(day, "7 0 1500 1000 500 100 10 ins_a:500;23 1 -5 0 -5 -1 0 ").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            Line {
                hour: day + 7 * MICROS_PER_HOUR,
                adjustment: false,
                usage: 1500,
                covered: 1000,
                pay_as_you_go: 500,
                bill_milli_major: 100,
                charge_minor: 10,
                draws: "ins_a:500",
            }
        );
        assert_eq!(
            (lines[1].hour, lines[1].adjustment, lines[1].usage, lines[1].draws),
            (day + 23 * MICROS_PER_HOUR, true, -5, "")
        );
        for bad in ["", "24 0 1 1 0 0 0 ", "7 2 1 1 0 0 0 ", "7 0 1 1 0 0 0", "7 0 1 x 0 0 0 ", "7 0 1 1 0 0 0 ;"] {
            assert!(Line::parse_all(day, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_id_names_its_pack_and_hour_only_when_it_ends_in_an_hour_of_the_day() {
        assert_eq!(split_id("set_0192ab.07"), ("set_0192ab", Some(7)));
        assert_eq!(split_id("set_0192ab.23"), ("set_0192ab", Some(23)));
        for own in ["set_0192ab", "set_0192ab.24", "set_0192ab.7", "set_0192ab.x7", "set_0192ab.007"] {
            assert_eq!(split_id(own), (own, None));
        }
    }
}
