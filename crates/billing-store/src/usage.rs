//! Usage records, the settlements of workspace-hours, and the bulk reads and
//! writes that make an import batch cost a fixed number of statements
//! whatever its size.
//!
//! Multi-row statements are cut into a few fixed shapes (whole statements of
//! [`ROWS_PER_STATEMENT`] rows, then powers of two; IN lists padded to a
//! power of two), so every statement stays in the driver's prepared-statement
//! cache instead of being parsed again for each odd size.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use billing_app::metering::{UsageFacts, UsageWorkspace};
use billing_app::model::{InstanceRecord, OrderRecord, SettledHour, Settlement, UsageRecord};
use billing_app::store::{StoreError, StoreResult};
use billing_domain::catalog::Commodity;
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

/// Most rows one multi-row statement writes and most values one IN list
/// holds: 12 columns × 512 rows = 6,144 parameters, inside SQLite's 32,766
/// and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 512;

/// Parameter markers, numbered in the order they are written.
///
/// SQLite finds the number of a named parameter such as `$7` by walking the
/// list of all of them, so binding n of them costs n²/2 steps — at a few
/// thousand parameters that is most of an insert's time. Its anonymous `?`
/// binds in constant time and, written in order, means the same. PostgreSQL
/// takes only `$n`.
pub(crate) struct Params {
    backend: Backend,
    count: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Params {
        Params { backend, count: 0 }
    }

    /// The next marker.
    pub(crate) fn one(&mut self) -> String {
        self.count += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.count),
        }
    }

    /// `n` markers separated by commas.
    pub(crate) fn list(&mut self, n: usize) -> String {
        let mut sql = String::with_capacity(n * 6);
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            self.count += 1;
            match self.backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", self.count);
                }
            }
        }
        sql
    }

    /// `rows` parenthesised rows of `columns` markers, for a VALUES list.
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        let mut sql = String::with_capacity(rows * (columns * 6 + 3));
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&self.list(columns));
            sql.push(')');
        }
        sql
    }
}

/// Consecutive pieces of `items`: whole statements first, then the powers of
/// two the remainder is made of.
pub(crate) fn statements<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = if rest.len() >= ROWS_PER_STATEMENT { ROWS_PER_STATEMENT } else { 1 << rest.len().ilog2() };
        let (piece, tail) = rest.split_at(size);
        out.push(piece);
        rest = tail;
    }
    out
}

/// `chunk` padded to a power of two by repeating its last value (a repeat
/// changes nothing in an IN list).
fn padded<T: Copy>(chunk: &[T]) -> Vec<T> {
    let mut out = chunk.to_vec();
    if let Some(last) = chunk.last() {
        out.resize(chunk.len().max(8).next_power_of_two(), *last);
    }
    out
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the values of [`SqlTx::usage_insert_sql`].
fn bind_usage<'q>(mut query: Query<'q>, piece: &'q [UsageRecord]) -> Query<'q> {
    for r in piece {
        query = query.bind(&r.record_id).bind(&r.workspace_id).bind(micros(r.hour_start)).bind(r.cu_hours.milli());
    }
    query
}

fn usage_record(row: &AnyRow) -> StoreResult<UsageRecord> {
    Ok(UsageRecord {
        record_id: row.text("record_id")?,
        workspace_id: row.text("workspace_id")?,
        hour_start: row.instant("hour_start")?,
        cu_hours: CuHours::from_milli(row.int("cu_milli")?),
    })
}

impl SqlTx {
    /// Inserts the new records with multi-row statements; for ids already
    /// stored, returns the stored record so the caller can tell an
    /// idempotent repeat from a conflicting one.
    ///
    /// A feed almost always sends new records, so they are first inserted
    /// blind under a savepoint; only when some row was already there is that
    /// undone and each record looked up.
    pub(crate) async fn insert_usage_rows(&mut self, records: &[UsageRecord]) -> StoreResult<Vec<Option<UsageRecord>>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.execute("SAVEPOINT usage_insert").await?;
        if self.insert_usage_blind(records).await? {
            self.execute("RELEASE SAVEPOINT usage_insert").await?;
            return Ok(vec![None; records.len()]);
        }
        self.execute("ROLLBACK TO SAVEPOINT usage_insert").await?;
        self.execute("RELEASE SAVEPOINT usage_insert").await?;
        let mut inserted = HashSet::with_capacity(records.len());
        for piece in statements(records) {
            let sql = self.usage_insert_sql(piece.len(), true, true);
            for row in bind_usage(sqlx::query(&sql), piece).fetch_all(&mut *self.tx).await.map_err(map_err)? {
                inserted.insert(row.text("record_id")?);
            }
        }
        let known: Vec<&str> =
            records.iter().map(|r| r.record_id.as_str()).filter(|id| !inserted.contains(*id)).collect();
        let mut stored = HashMap::with_capacity(known.len());
        for row in self.rows_in("SELECT * FROM usage_records WHERE", "record_id", &known).await? {
            let record = usage_record(&row)?;
            stored.insert(record.record_id.clone(), record);
        }
        records
            .iter()
            .map(|r| match inserted.contains(&r.record_id) {
                true => Ok(None),
                false => stored.get(&r.record_id).cloned().map(Some).ok_or_else(|| {
                    StoreError::Database(format!("usage record {} neither inserted nor found", r.record_id))
                }),
            })
            .collect()
    }

    /// Inserts every record, answering whether all of them were new; when
    /// not, what was written must be rolled back.
    ///
    /// SQLite skips a known id at no cost and counts what it wrote.
    /// PostgreSQL's skipping (`ON CONFLICT`) probes the key before each row
    /// on top of the insert's own check, so there a plain INSERT is sent and
    /// a known id is told by the unique violation that stops it.
    async fn insert_usage_blind(&mut self, records: &[UsageRecord]) -> StoreResult<bool> {
        let skip_known = self.backend == Backend::Sqlite;
        let mut written = 0;
        for piece in statements(records) {
            let sql = self.usage_insert_sql(piece.len(), skip_known, false);
            match bind_usage(sqlx::query(&sql), piece).execute(&mut *self.tx).await.map_err(map_err) {
                Ok(done) => written += done.rows_affected(),
                Err(StoreError::Unique(_)) if !skip_known => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(written == records.len() as u64)
    }

    /// A multi-row INSERT of `rows` records; when `skip_known`, one that
    /// skips ids already stored, answering the ids it inserted when
    /// `returning`.
    fn usage_insert_sql(&self, rows: usize, skip_known: bool, returning: bool) -> String {
        let mut sql = String::from("INSERT INTO usage_records (record_id, workspace_id, hour_start, cu_milli) VALUES ");
        sql.push_str(&Params::new(self.backend).rows(rows, 4));
        if skip_known {
            sql.push_str(" ON CONFLICT (record_id) DO NOTHING");
        }
        if returning {
            sql.push_str(" RETURNING record_id");
        }
        sql
    }

    async fn execute(&mut self, sql: &str) -> StoreResult<()> {
        sqlx::query(sql).execute(&mut *self.tx).await.map_err(map_err)?;
        Ok(())
    }

    /// Rows of `{head} {column} IN (values)`, over chunks of `values`.
    pub(crate) async fn rows_in(&mut self, head: &str, column: &str, values: &[&str]) -> StoreResult<Vec<AnyRow>> {
        let mut rows = Vec::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            let sql = format!("{head} {column} IN ({})", Params::new(self.backend).list(list.len()));
            let mut query = sqlx::query(&sql);
            for value in list {
                query = query.bind(value);
            }
            rows.extend(query.fetch_all(&mut *self.tx).await.map_err(map_err)?);
        }
        Ok(rows)
    }

    /// The workspaces, then (their accounts held) every quota and active
    /// plan of their accounts in one query (the quotas kept are those bound
    /// to the workspaces), then the orders of all of them in another.
    pub(crate) async fn usage_fact_rows(&mut self, workspace_ids: &[&str]) -> StoreResult<UsageFacts> {
        let head = "SELECT id, account_id, region_id FROM workspaces WHERE";
        let workspaces = self.rows_in(head, "id", workspace_ids).await?;
        let workspaces = workspaces.iter().map(workspace).collect::<StoreResult<Vec<_>>>()?;
        let accounts: BTreeSet<&str> = workspaces.iter().map(|w| w.account_id.as_str()).collect();
        let accounts: Vec<&str> = accounts.into_iter().collect();
        self.lock_accounts(&accounts).await?;
        let head = "SELECT * FROM instances WHERE (commodity = 'spark_reserved' \
                    OR (commodity = 'spark_resource_plan' AND state = 'active')) AND";
        let instances = self.rows_in(head, "account_id", &accounts).await?;
        let bound: HashSet<&str> = workspace_ids.iter().copied().collect();
        let (mut quotas, mut plans) = (Vec::new(), Vec::new());
        for row in &instances {
            let i = crate::instances::instance(row)?;
            match i.commodity {
                Commodity::SparkResourcePlan => plans.push(i),
                Commodity::SparkReserved if i.workspace_id.as_deref().is_some_and(|w| bound.contains(w)) => {
                    quotas.push(i);
                }
                Commodity::SparkReserved => {}
            }
        }
        quotas.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        plans.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let ids: Vec<&str> = quotas.iter().chain(&plans).map(|i| i.id.as_str()).collect();
        let orders = self.rows_in("SELECT * FROM orders WHERE", "instance_id", &ids).await?;
        // Without tenders and benefits, which settling does not read.
        let mut orders = orders.iter().map(crate::instances::order).collect::<StoreResult<Vec<_>>>()?;
        orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut orders_of: HashMap<String, Vec<OrderRecord>> = HashMap::new();
        for o in orders {
            orders_of.entry(o.instance_id.clone()).or_default().push(o);
        }
        let mut with_orders = |i: InstanceRecord| {
            let orders = orders_of.remove(&i.id).unwrap_or_default();
            (i, orders)
        };
        let quotas = quotas.into_iter().map(&mut with_orders).collect();
        let plans = plans.into_iter().map(&mut with_orders).collect();
        Ok(UsageFacts { workspaces, quotas, plans })
    }

    /// Settling reads the accounts' plans and balances and then writes them,
    /// so on PostgreSQL it holds the accounts first, as every read-then-write
    /// use case does, taking them in id order so that two imports cannot
    /// deadlock (SQLite's write lock already keeps writers apart).
    async fn lock_accounts(&mut self, sorted_ids: &[&str]) -> StoreResult<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        for chunk in sorted_ids.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            let markers = Params::new(self.backend).list(list.len());
            let sql = format!("SELECT id FROM accounts WHERE id IN ({markers}) ORDER BY id FOR UPDATE");
            let mut query = sqlx::query(&sql);
            for id in list {
                query = query.bind(id);
            }
            query.fetch_all(&mut *self.tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    /// Totals settled per asked workspace-hour.
    ///
    /// Usage mostly arrives for hours after everything settled so far, so
    /// each workspace's newest settled hour is read first (one seek per
    /// workspace in `settlement_days`), and only hours at or before it are
    /// looked up, grouped by whichever of hour or workspace has fewer
    /// distinct values, one indexed query per group and chunk.
    pub(crate) async fn settled_hour_rows(
        &mut self,
        hours: &[(&str, DateTime<Utc>)],
    ) -> StoreResult<Vec<Option<SettledHour>>> {
        let workspaces: Vec<&str> = hours.iter().map(|(w, _)| *w).collect::<BTreeSet<_>>().into_iter().collect();
        let newest = self.newest_settled_hours(&workspaces).await?;
        let mut by_hour: HashMap<i64, Vec<&str>> = HashMap::new();
        let mut by_workspace: HashMap<&str, Vec<i64>> = HashMap::new();
        for (workspace, hour) in hours {
            if newest.get(*workspace).is_none_or(|newest| micros(*hour) > *newest) {
                continue;
            }
            by_hour.entry(micros(*hour)).or_default().push(workspace);
            by_workspace.entry(workspace).or_default().push(micros(*hour));
        }
        let mut found: HashMap<(String, i64), SettledHour> = HashMap::new();
        let select = "SELECT workspace_id, hour_start, CAST(SUM(usage_milli) AS BIGINT) AS usage_milli, \
                      CAST(SUM(covered_milli) AS BIGINT) AS covered_milli FROM settlements";
        let group = "GROUP BY workspace_id, hour_start";
        let mut rows = Vec::new();
        if by_hour.len() <= by_workspace.len() {
            for (hour, workspaces) in &by_hour {
                for chunk in workspaces.chunks(ROWS_PER_STATEMENT) {
                    let mut p = Params::new(self.backend);
                    let (list, hour_marker) = (padded(chunk), p.one());
                    let sql = format!(
                        "{select} WHERE hour_start = {hour_marker} AND workspace_id IN ({}) {group}",
                        p.list(list.len())
                    );
                    let mut query = sqlx::query(&sql).bind(*hour);
                    for w in list {
                        query = query.bind(w);
                    }
                    rows.extend(query.fetch_all(&mut *self.tx).await.map_err(map_err)?);
                }
            }
        } else {
            for (workspace, starts) in &by_workspace {
                for chunk in starts.chunks(ROWS_PER_STATEMENT) {
                    let mut p = Params::new(self.backend);
                    let (list, ws_marker) = (padded(chunk), p.one());
                    let sql = format!(
                        "{select} WHERE workspace_id = {ws_marker} AND hour_start IN ({}) {group}",
                        p.list(list.len())
                    );
                    let mut query = sqlx::query(&sql).bind(*workspace);
                    for h in list {
                        query = query.bind(h);
                    }
                    rows.extend(query.fetch_all(&mut *self.tx).await.map_err(map_err)?);
                }
            }
        }
        for row in &rows {
            let usage = CuHours::from_milli(row.int("usage_milli")?);
            let covered = CuHours::from_milli(row.int("covered_milli")?);
            found.insert((row.text("workspace_id")?, row.int("hour_start")?), SettledHour { usage, covered });
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

    /// The newest settled hour of each of `workspace_ids` that has one, in
    /// microseconds: the highest hour of its newest settled day.
    async fn newest_settled_hours(&mut self, workspace_ids: &[&str]) -> StoreResult<HashMap<String, i64>> {
        let mut newest = HashMap::with_capacity(workspace_ids.len());
        for chunk in workspace_ids.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            // The newest day is one seek at the end of the workspace's run
            // of the primary key.
            let sql = format!(
                "WITH asked(id) AS (VALUES {}) SELECT d.workspace_id, d.day_start, d.hours_mask \
                 FROM asked JOIN settlement_days d ON d.workspace_id = asked.id AND d.day_start = \
                 (SELECT MAX(day_start) FROM settlement_days WHERE settlement_days.workspace_id = asked.id)",
                Params::new(self.backend).rows(list.len(), 1)
            );
            let mut query = sqlx::query(&sql);
            for id in list {
                query = query.bind(id);
            }
            for row in query.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                if let Some(hour) = SettledDay::read(&row)?.hours().last() {
                    newest.insert(row.text("workspace_id")?, hour);
                }
            }
        }
        Ok(newest)
    }

    /// Inserts in the order of the `(hour_start, workspace_id)` index, so
    /// that a batch of the newest hours is appended at its end, then marks
    /// the new hours in each workspace's `settlement_days`.
    pub(crate) async fn insert_settlement_rows(&mut self, settlements: &[Settlement]) -> StoreResult<()> {
        let mut settlements: Vec<&Settlement> = settlements.iter().collect();
        settlements.sort_by(|a, b| (a.hour_start, &a.workspace_id).cmp(&(b.hour_start, &b.workspace_id)));
        for piece in statements(&settlements) {
            let sql = format!(
                "INSERT INTO settlements (id, workspace_id, account_id, hour_start, adjustment, usage_milli, \
                 covered_milli, payg_milli, bill_milli_major, currency, charge_minor, settled_at, draws) VALUES {}",
                Params::new(self.backend).rows(piece.len(), 13)
            );
            let mut query = sqlx::query(&sql);
            for s in piece {
                query = query
                    .bind(&s.id)
                    .bind(&s.workspace_id)
                    .bind(&s.account_id)
                    .bind(micros(s.hour_start))
                    .bind(i64::from(s.adjustment))
                    .bind(s.usage.milli())
                    .bind(s.covered.milli())
                    .bind(s.pay_as_you_go.milli())
                    .bind(s.bill_milli_major)
                    .bind(s.charge.currency().code())
                    .bind(s.charge.minor())
                    .bind(micros(s.settled_at))
                    .bind(draws_text(&s.draws));
            }
            query.execute(&mut *self.tx).await.map_err(map_err)?;
        }
        self.mark_settled_days(&settlements).await
    }

    /// Adds the hours of `settlements` to their workspaces' days, so that
    /// every settlement's hour is marked (an adjustment's already was).
    async fn mark_settled_days(&mut self, settlements: &[&Settlement]) -> StoreResult<()> {
        let mut days: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        for s in settlements {
            let day = SettledDay::of(micros(s.hour_start));
            *days.entry((s.workspace_id.as_str(), day.start)).or_default() |= day.mask;
        }
        let days: Vec<(&str, i64, i64)> = days.into_iter().map(|((w, start), mask)| (w, start, mask)).collect();
        for piece in statements(&days) {
            let sql = format!(
                "INSERT INTO settlement_days (workspace_id, day_start, hours_mask) VALUES {} \
                 ON CONFLICT (workspace_id, day_start) DO UPDATE \
                 SET hours_mask = settlement_days.hours_mask | excluded.hours_mask",
                Params::new(self.backend).rows(piece.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (workspace, start, mask) in piece {
                query = query.bind(*workspace).bind(*start).bind(*mask);
            }
            query.execute(&mut *self.tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    pub(crate) async fn charge_usage_rows(&mut self, charges: &[(&str, Money)]) -> StoreResult<()> {
        for piece in statements(charges) {
            let sql = format!(
                "UPDATE accounts SET balance_minor = accounts.balance_minor - v.column2 FROM (VALUES {}) AS v \
                 WHERE accounts.id = v.column1 AND accounts.currency = v.column3",
                Params::new(self.backend).rows(piece.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (account, charge) in piece {
                query = query.bind(*account).bind(charge.minor()).bind(charge.currency().code());
            }
            let done = query.execute(&mut *self.tx).await.map_err(map_err)?;
            if done.rows_affected() != piece.len() as u64 {
                return Err(StoreError::Database(format!(
                    "{} of {} charged accounts are missing or settle in another currency",
                    piece.len() as u64 - done.rows_affected(),
                    piece.len()
                )));
            }
        }
        Ok(())
    }

    pub(crate) async fn set_plans_used_rows(&mut self, used: &[(&str, CuHours)]) -> StoreResult<()> {
        for piece in statements(used) {
            let sql = format!(
                "UPDATE instances SET used_milli = v.column2 FROM (VALUES {}) AS v WHERE instances.id = v.column1",
                Params::new(self.backend).rows(piece.len(), 2)
            );
            let mut query = sqlx::query(&sql);
            for (plan, cu) in piece {
                query = query.bind(*plan).bind(cu.milli());
            }
            query.execute(&mut *self.tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    /// A workspace's settlements oldest first, `limit` of them after the
    /// settlement `starting_after`; `None` when that is not one of the
    /// workspace's.
    ///
    /// The workspace's settled days, read in order from the cursor's day,
    /// name the hours to fetch; each hour is then a seek in the
    /// `(hour_start, workspace_id)` index. Every listed hour has at least one
    /// settlement, so no more hours are fetched than rows are still wanted,
    /// plus the cursor's own.
    pub(crate) async fn settlement_rows(
        &mut self,
        workspace_id: &str,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<Settlement>>> {
        // Past every settlement when there is no cursor.
        let (after, mut next_day) = match starting_after {
            None => ((i64::MIN, i64::MIN, ""), i64::MIN),
            Some(id) => {
                let row =
                    sqlx::query("SELECT hour_start, settled_at FROM settlements WHERE id = $1 AND workspace_id = $2")
                        .bind(id)
                        .bind(workspace_id)
                        .fetch_optional(&mut *self.tx)
                        .await
                        .map_err(map_err)?;
                let Some(row) = row else { return Ok(None) };
                let hour = row.int("hour_start")?;
                ((hour, row.int("settled_at")?, id), SettledDay::of(hour).start)
            }
        };
        let wanted = usize::try_from(limit).unwrap_or(0);
        let mut out = Vec::with_capacity(wanted.min(ROWS_PER_STATEMENT));
        while out.len() < wanted {
            let days = sqlx::query(
                "SELECT day_start, hours_mask FROM settlement_days WHERE workspace_id = $1 AND day_start >= $2 \
                 ORDER BY day_start LIMIT 8",
            )
            .bind(workspace_id)
            .bind(next_day)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
            let Some(last) = days.last() else { break };
            next_day = last.int("day_start")? + MICROS_PER_DAY;
            let mut hours = Vec::new();
            for day in &days {
                hours.extend(SettledDay::read(day)?.hours().filter(|h| *h >= after.0));
            }
            hours.truncate(wanted - out.len() + 1);
            if hours.is_empty() {
                continue;
            }
            let list = padded(&hours);
            let mut p = Params::new(self.backend);
            let workspace_marker = p.one();
            let markers = p.list(list.len());
            let cursor = p.list(3);
            let sql = format!(
                "SELECT * FROM settlements WHERE workspace_id = {workspace_marker} AND hour_start IN ({markers}) \
                 AND (hour_start, settled_at, id) > ({cursor}) ORDER BY hour_start, settled_at, id"
            );
            let mut query = sqlx::query(&sql).bind(workspace_id);
            for hour in list {
                query = query.bind(hour);
            }
            query = query.bind(after.0).bind(after.1).bind(after.2);
            let rows = query.fetch_all(&mut *self.tx).await.map_err(map_err)?;
            for row in rows.iter().take(wanted - out.len()) {
                out.push(settlement(row)?);
            }
        }
        Ok(Some(out))
    }
}

/// A settlement row.
fn settlement(row: &AnyRow) -> StoreResult<Settlement> {
    let currency = row.currency("currency")?;
    Ok(Settlement {
        id: row.text("id")?,
        workspace_id: row.text("workspace_id")?,
        account_id: row.text("account_id")?,
        hour_start: row.instant("hour_start")?,
        adjustment: row.flag("adjustment")?,
        usage: CuHours::from_milli(row.int("usage_milli")?),
        covered: CuHours::from_milli(row.int("covered_milli")?),
        draws: parse_draws(&row.text("draws")?)?,
        pay_as_you_go: CuHours::from_milli(row.int("payg_milli")?),
        bill_milli_major: row.int("bill_milli_major")?,
        charge: Money::from_minor(currency, row.int("charge_minor")?),
        settled_at: row.instant("settled_at")?,
    })
}

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// A row of `settlement_days`: a UTC day of one workspace and which of its
/// hours have been settled (bit n: the hour starting n hours into the day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SettledDay {
    start: i64,
    mask: i64,
}

impl SettledDay {
    /// A row of `settlement_days`.
    fn read(row: &AnyRow) -> StoreResult<SettledDay> {
        Ok(SettledDay { start: row.int("day_start")?, mask: row.int("hours_mask")? })
    }

    /// The day holding the hour starting at `hour` (microseconds), with only
    /// that hour marked.
    fn of(hour: i64) -> SettledDay {
        let start = hour - hour.rem_euclid(MICROS_PER_DAY);
        SettledDay { start, mask: 1 << ((hour - start) / MICROS_PER_HOUR) }
    }

    /// The marked hours, oldest first, in microseconds.
    fn hours(self) -> impl DoubleEndedIterator<Item = i64> {
        (0..24).filter(move |bit| self.mask >> bit & 1 == 1).map(move |bit| self.start + bit * MICROS_PER_HOUR)
    }
}

// Row readers for the bulk facts; instances and orders are read by
// `crate::instances`.

fn workspace(row: &AnyRow) -> StoreResult<UsageWorkspace> {
    Ok(UsageWorkspace { id: row.text("id")?, account_id: row.text("account_id")?, region_id: row.text("region_id")? })
}

/// The `draws` column: `plan_id:milli_cu_hours` pairs in plan id order,
/// separated by commas.
fn draws_text(draws: &[(String, CuHours)]) -> String {
    let mut sorted: Vec<&(String, CuHours)> = draws.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(draws.len() * 48);
    for (i, (plan, cu)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{plan}:{}", cu.milli());
    }
    out
}

/// Reads the `draws` column back.
fn parse_draws(text: &str) -> StoreResult<Vec<(String, CuHours)>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|pair| {
            let (plan, milli) = pair.rsplit_once(':').ok_or_else(|| corrupt_draws(text))?;
            let milli: i64 = milli.parse().map_err(|_| corrupt_draws(text))?;
            if plan.is_empty() {
                return Err(corrupt_draws(text));
            }
            Ok((plan.to_owned(), CuHours::from_milli(milli)))
        })
        .collect()
}

fn corrupt_draws(text: &str) -> StoreError {
    StoreError::Corrupt(format!("draws: {text:?} is not a list of plan:milli pairs"))
}

#[cfg(test)]
mod tests {
    use billing_domain::usage::CuHours;

    use super::{MICROS_PER_DAY, MICROS_PER_HOUR, SettledDay, draws_text, parse_draws};

    #[test]
    fn an_hour_is_marked_in_its_own_day_before_and_after_the_epoch() {
        for day in [-3, 0, 20_000] {
            for hour in [0, 1, 13, 23] {
                let at = day * MICROS_PER_DAY + hour * MICROS_PER_HOUR;
                let marked = SettledDay::of(at);
                assert_eq!((marked.start, marked.mask), (day * MICROS_PER_DAY, 1 << hour));
                assert_eq!(marked.hours().collect::<Vec<_>>(), vec![at]);
            }
        }
        let both = SettledDay { start: 0, mask: (1 << 2) | (1 << 23) };
        assert_eq!(both.hours().collect::<Vec<_>>(), vec![2 * MICROS_PER_HOUR, 23 * MICROS_PER_HOUR]);
    }

    #[test]
    fn draws_are_written_in_plan_order_and_read_back_or_refused_as_corrupt() {
        let drawn = [("ins_b".to_owned(), CuHours::from_milli(50_000)), ("ins_a".to_owned(), CuHours::from_whole(100))];
        assert_eq!(draws_text(&drawn), "ins_a:100000,ins_b:50000");
        assert_eq!(draws_text(&[]), "");
        assert_eq!(parse_draws("").unwrap(), vec![]);
        let read = parse_draws("ins_a:100000,ins_b:50000").unwrap();
        assert_eq!(
            read.iter().map(|(p, c)| (p.as_str(), c.milli())).collect::<Vec<_>>(),
            [("ins_a", 100_000), ("ins_b", 50_000)]
        );
        for bad in ["ins_a", "ins_a:x", ":5", "ins_a:1,"] {
            assert!(parse_draws(bad).is_err(), "{bad:?}");
        }
    }
}
