//! Usage import and hourly settlement: records are stored once by their id,
//! then every workspace-hour they touch is settled — quota first, then
//! resource plans, then pay-as-you-go — and charged in the same transaction.
//!
//! A batch costs a fixed handful of statements whatever its size: the facts
//! of the workspaces it touches, the hours settled before, the settlements,
//! the balances, the plans' usage and the ledger are each read or written in
//! bulk, and the settling in between is plain computation, worked out on a
//! blocking thread while the records are written.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use billing_domain::catalog::{Commodity, Region};
use billing_domain::ids::{AccountId, InstanceId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::order::OrderStatus;
use billing_domain::usage::{CuHours, HourFacts, PlanBalance, PlanDraw, PlanPool, settle_more_of_hour};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::json;

use crate::catalog::region_of;
use crate::core::Core;
use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::ids::new_id;
use crate::ledger::{self, Movement, REVENUE_USAGE, customer_balance};
pub use crate::model::usage::{InstanceWithOrders, UsageFacts, UsageWorkspace};
use crate::model::{InstanceRecord, InstanceState, OrderRecord, QuotaChange, SettledHour, Settlement, UsageRecord};
use crate::periods::{covered_periods, plan_period, quota_periods};
use crate::store::StoreTx;
use crate::usage_stream::UsageRejection;

/// Usage: import from files, batches and the stream, hourly settlement,
/// and the bills it makes.
#[derive(Clone)]
pub struct Metering {
    pub(crate) core: Core,
}

/// Most records one import call takes (one transaction); larger files are
/// imported in batches. Settling touches one page of the settlement index
/// per workspace whatever the batch's size, so large batches write fewer
/// pages per record.
pub const MAX_USAGE_BATCH: usize = 50_000;
/// Longest record id accepted.
pub const MAX_RECORD_ID_LEN: usize = 128;
/// Most CU-hours one record may carry (a sanity bound, not a quota).
pub const MAX_CU_HOURS_PER_RECORD: i64 = 1_000_000;

/// What one import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Records stored.
    pub imported: usize,
    /// Records skipped because the same record was imported before.
    pub duplicates: usize,
    /// Workspace-hours settled for the first time.
    pub settled_hours: usize,
    /// Workspace-hours settled again because late records arrived.
    pub adjustments: usize,
    /// Pay-as-you-go charges per account.
    pub charged: BTreeMap<AccountId, Money>,
}

/// Maps keyed by what a batch's records carry (ids from the caller, looked
/// up once or more per record): hashed with foldhash, several times faster
/// than the standard library's SipHash on short keys, and still seeded at
/// random per process.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// The start of the UTC hour `at` lies in.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// Checks one record's fields; the error names the record's position.
pub(crate) fn check_record(index: usize, r: &UsageRecord, now: DateTime<Utc>) -> AppResult<()> {
    let field = |f: &str| format!("records[{index}].{f}");
    if r.record_id.is_empty() || r.record_id.len() > MAX_RECORD_ID_LEN {
        return Err(AppError::invalid(field("record_id"), format!("must be 1 to {MAX_RECORD_ID_LEN} characters")));
    }
    if r.hour_start.timestamp().rem_euclid(3600) != 0 || r.hour_start.timestamp_subsec_nanos() != 0 {
        return Err(AppError::invalid(field("hour_start"), "must be the start of a clock hour"));
    }
    if r.hour_start > now {
        return Err(AppError::invalid(field("hour_start"), "lies in the future"));
    }
    if r.cu_hours.milli() < 0 || r.cu_hours.milli() > MAX_CU_HOURS_PER_RECORD * 1000 {
        return Err(AppError::invalid(field("cu_hours"), format!("must be between 0 and {MAX_CU_HOURS_PER_RECORD}")));
    }
    Ok(())
}

/// The batch without its exact repeats, in order, and how many were
/// dropped; nothing is copied. A repeated id with other content is an
/// error.
fn dedupe(records: &[UsageRecord]) -> AppResult<(Vec<&UsageRecord>, usize)> {
    let mut seen: FastMap<&str, &UsageRecord> = FastMap::with_capacity_and_hasher(records.len(), Default::default());
    let mut unique = Vec::with_capacity(records.len());
    for r in records {
        match seen.entry(r.record_id.as_str()) {
            Entry::Occupied(first) if *first.get() == r => {}
            Entry::Occupied(_) => return Err(AppError::DuplicateUsageRecord { record_id: r.record_id.clone() }),
            Entry::Vacant(slot) => {
                slot.insert(r);
                unique.push(r);
            }
        }
    }
    let repeats = records.len() - unique.len();
    Ok((unique, repeats))
}

/// The workspaces a batch touches with their quota periods, and the plan
/// pools of their accounts, loaded in bulk for a batch (and again, for its
/// new records alone, when some of its records were known).
#[derive(Default)]
struct BatchFacts {
    /// Position in `workspaces` by workspace id.
    index: FastMap<String, usize>,
    workspaces: Vec<WorkspaceFacts>,
    regions: Vec<Region>,
    /// Active plans by (account, region), until a pool is made of them.
    plans: HashMap<(AccountId, String), Vec<InstanceWithOrders>>,
    pools: Vec<Pool>,
    /// Position in `pools` by (account, region).
    pool_index: HashMap<(AccountId, String), usize>,
    /// The id stem the batch's settlements share, by workspace position and
    /// UTC day (days since the epoch).
    stems: HashMap<(usize, i64), String>,
}

const SECONDS_PER_DAY: i64 = 86_400;

struct WorkspaceFacts {
    id: WorkspaceId,
    account_id: AccountId,
    /// Position in `regions`.
    region: usize,
    /// `(quota CUs, [start, end))` of every paid quota period.
    quota_periods: Vec<(u32, DateTime<Utc>, DateTime<Utc>)>,
    /// Position in `pools`, once made.
    pool: Option<usize>,
    /// The start of the hour the workspace was created in.
    created_hour: DateTime<Utc>,
}

/// An account's plans in one region: their balances in drawing order, and
/// the records the balances' `plan_id`s index.
struct Pool {
    pool: PlanPool,
    plans: Vec<InstanceRecord>,
}

/// Where a batch of usage records came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageSource {
    /// A JSON request to the API.
    Api,
    /// A CSV file, uploaded or imported from the command line.
    File,
    /// Messages of the usage stream.
    Stream,
}

impl UsageSource {
    /// The source's label value.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageSource::Api => "api",
            UsageSource::File => "file",
            UsageSource::Stream => "stream",
        }
    }
}

impl Metering {
    /// Imports a batch of usage records and settles the hours they touch,
    /// all in one transaction (operators and the platform only). A bad or
    /// conflicting record refuses the whole batch.
    pub async fn import_usage(&self, caller: &Caller, records: &[UsageRecord]) -> AppResult<ImportOutcome> {
        self.import_usage_from(caller, records, UsageSource::Api).await
    }

    /// [`crate::metering::Metering::import_usage`] of records that came from `source`, which
    /// the usage record counters are labelled with.
    pub async fn import_usage_from(
        &self,
        caller: &Caller,
        records: &[UsageRecord],
        source: UsageSource,
    ) -> AppResult<ImportOutcome> {
        use crate::telemetry::USAGE_RECORDS;
        // A caller who may not import has no records refused: none counts.
        caller.require_operator()?;
        let result = self.import_usage_rejecting(caller, records, &[]).await;
        let from = ("source", source.as_str());
        match &result {
            Ok(outcome) => {
                self.core.meter.count(USAGE_RECORDS, &[from, ("outcome", "settled")], outcome.imported as u64);
                self.core.meter.count(USAGE_RECORDS, &[from, ("outcome", "duplicate")], outcome.duplicates as u64);
            }
            // A refused batch refuses every record in it.
            Err(_) => self.core.meter.count(USAGE_RECORDS, &[from, ("outcome", "rejected")], records.len() as u64),
        }
        result
    }

    /// [`crate::metering::Metering::import_usage`], also keeping `rejections` (stream messages
    /// refused one by one) in the same transaction.
    pub async fn import_usage_rejecting(
        &self,
        caller: &Caller,
        records: &[UsageRecord],
        rejections: &[UsageRejection],
    ) -> AppResult<ImportOutcome> {
        caller.require_operator()?;
        if records.len() > MAX_USAGE_BATCH {
            return Err(AppError::invalid("records", format!("at most {MAX_USAGE_BATCH} records per batch")));
        }
        let now = self.core.now();
        for (i, r) in records.iter().enumerate() {
            check_record(i, r, now)?;
        }
        let (unique, repeats) = dedupe(records)?;
        let mut tx = self.core.begin().await?;
        // A feed almost always sends records that are new. So the hours are
        // settled as if all were, on a thread of their own while the records
        // are stored; only when some turn out to be known is that dropped
        // and the new records settled alone.
        // What goes wrong in that guess (reading what known records' hours
        // settled before, say) counts only if every record was new.
        let mut facts = BatchFacts::load(&mut *tx, &unique).await?;
        facts.check_hours(records)?;
        let settling = facts.hours_and_priors(&mut *tx, &unique).await.map(|(hours, priors)| {
            tokio::task::spawn_blocking(move || {
                let settled = facts.settle_hours(hours, priors, now);
                (facts, settled)
            })
        });
        let stored = tx.insert_usage(&unique).await;
        let guess = match settling {
            Ok(settling) => settling.await.map_err(|e| AppError::internal(format!("settling stopped: {e}"))),
            Err(e) => Err(e),
        };
        let mut fresh = Vec::with_capacity(unique.len());
        let mut outcome = ImportOutcome { duplicates: repeats, ..ImportOutcome::default() };
        for (record, previous) in unique.iter().zip(stored?) {
            match previous {
                None => fresh.push(*record),
                Some(prev) if prev == **record => outcome.duplicates += 1,
                Some(_) => {
                    return Err(AppError::DuplicateUsageRecord { record_id: record.record_id.clone() });
                }
            }
        }
        outcome.imported = fresh.len();
        let (facts, settled) = match fresh.len() == unique.len() {
            true => {
                let (facts, settled) = guess?;
                (facts, settled?)
            }
            false => {
                let mut facts = BatchFacts::load(&mut *tx, &fresh).await?;
                let (hours, priors) = facts.hours_and_priors(&mut *tx, &fresh).await?;
                let settled = facts.settle_hours(hours, priors, now)?;
                (facts, settled)
            }
        };
        self.write_settled(&mut *tx, &facts, settled, &mut outcome, now).await?;
        if !rejections.is_empty() {
            tx.insert_usage_rejections(rejections).await?;
        }
        let detail = json!({"imported": outcome.imported, "duplicates": outcome.duplicates,
            "settled_hours": outcome.settled_hours, "adjustments": outcome.adjustments});
        audit(&mut *tx, caller, "usage.imported", "usage", detail, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Writes the settlements, the charges, the plans' usage and the ledger,
    /// each in bulk.
    async fn write_settled(
        &self,
        tx: &mut (dyn StoreTx + '_),
        facts: &BatchFacts,
        settled: Settled,
        outcome: &mut ImportOutcome,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let Settled { settlements, settled_hours, adjustments, charged } = settled;
        outcome.settled_hours = settled_hours;
        outcome.adjustments = adjustments;
        outcome.charged = charged;
        tx.insert_settlements(&settlements).await?;
        let charges: Vec<(&str, Money)> = outcome.charged.iter().map(|(a, m)| (a.as_str(), *m)).collect();
        tx.charge_usage(&charges).await?;
        let drawn = facts.write_plan_usage(tx).await?;
        let batch = new_id("batch");
        let mut charge_movement = Movement::new(new_id("mov"), "usage.charge", &batch, now);
        for (account, charged) in &outcome.charged {
            charge_movement.transfer(&customer_balance(account), REVENUE_USAGE, *charged);
        }
        let mut capacity_movement = Movement::new(new_id("mov"), "plan.capacity_drawn", &batch, now);
        for (plan_id, milli) in drawn {
            capacity_movement.transfer_capacity(&ledger::plan_remaining(&plan_id), "capacity:consumed", milli);
        }
        for movement in [charge_movement, capacity_movement] {
            if !movement.entries.is_empty() {
                tx.insert_movement(&movement).await?;
            }
        }
        Ok(())
    }
}

/// What settling a batch's hours came to, before any of it is written.
struct Settled {
    settlements: Vec<Settlement>,
    settled_hours: usize,
    adjustments: usize,
    /// Pay-as-you-go charges per account.
    charged: BTreeMap<AccountId, Money>,
}

/// The usage of one workspace-hour of a batch.
struct HourUsage {
    /// Position of the workspace in [`BatchFacts::workspaces`].
    ws: usize,
    hour_start: DateTime<Utc>,
    usage: CuHours,
}

impl BatchFacts {
    /// Reads the facts of every workspace of `records` in bulk, then works
    /// out each one's quota periods, in record order, so that the first bad
    /// record is the one reported.
    async fn load(tx: &mut (dyn StoreTx + '_), records: &[&UsageRecord]) -> AppResult<BatchFacts> {
        let mut ids: Vec<&str> = Vec::new();
        let mut seen: FastSet<&str> = FastSet::default();
        for r in records {
            if seen.insert(&r.workspace_id) {
                ids.push(&r.workspace_id);
            }
        }
        let UsageFacts { workspaces, quotas, plans } = tx.usage_facts(&ids).await?;
        let changes = if quotas.is_empty() {
            Vec::new()
        } else {
            let quota_ids: Vec<&InstanceId> = quotas.iter().map(|(q, _)| &q.id).collect();
            tx.quota_changes(&quota_ids).await?
        };
        let mut workspaces: HashMap<WorkspaceId, UsageWorkspace> =
            workspaces.into_iter().map(|w| (w.id.clone(), w)).collect();
        let mut quotas_of: HashMap<WorkspaceId, Vec<InstanceWithOrders>> = HashMap::new();
        for quota in quotas {
            if let Some(workspace_id) = quota.0.workspace_id.clone() {
                quotas_of.entry(workspace_id).or_default().push(quota);
            }
        }
        let mut facts = BatchFacts::default();
        for plan in plans {
            let key = (plan.0.account_id.clone(), plan.0.region_id.clone());
            facts.plans.entry(key).or_default().push(plan);
        }
        for id in ids {
            let workspace = workspaces.remove(id).ok_or_else(|| AppError::not_found("workspace", id))?;
            let region = facts.region(tx, &workspace.region_id).await?;
            let zone = facts.regions[region].zone;
            let mut periods = Vec::new();
            for (quota, orders) in quotas_of.remove(id).unwrap_or_default() {
                // The quotas the workspace's own account holds for it, as
                // when they were read from the account's instances.
                let (Commodity::SparkReserved, Some(cu)) = (quota.commodity, quota.quota_cu) else { continue };
                if quota.account_id != workspace.account_id {
                    continue;
                }
                // A quota switched to pay-as-you-go still covers the hours
                // before the switch with the orders it refunded.
                let orders = if quota.state == InstanceState::Switched {
                    orders
                        .into_iter()
                        .map(|o| match o.status {
                            OrderStatus::Refunded => OrderRecord { status: OrderStatus::Paid, ..o },
                            _ => o,
                        })
                        .collect()
                } else {
                    orders
                };
                let own: Vec<&QuotaChange> = changes.iter().filter(|c| c.instance_id == quota.id).collect();
                let chain = quota_periods(zone, &orders)?.into_iter().map(|(_, p)| p);
                periods.extend(covered_periods(cu, &own, chain));
            }
            facts.index.insert(id.to_owned(), facts.workspaces.len());
            let account_id = workspace.account_id;
            let id = workspace.id;
            let created_hour = hour_of(workspace.created_at);
            let quota_periods = periods;
            facts.workspaces.push(WorkspaceFacts { id, account_id, region, quota_periods, pool: None, created_hour });
        }
        Ok(facts)
    }

    /// Refuses the first record (by its position in the batch) of an hour
    /// before the one its workspace was created in.
    fn check_hours(&self, records: &[UsageRecord]) -> AppResult<()> {
        for (index, r) in records.iter().enumerate() {
            let Some(&ws) = self.index.get(&r.workspace_id) else { continue };
            let created_hour = self.workspaces[ws].created_hour;
            if r.hour_start < created_hour {
                let message = format!(
                    "lies before the hour workspace {} was created in ({})",
                    r.workspace_id,
                    created_hour.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                return Err(AppError::invalid(format!("records[{index}].hour_start"), message));
            }
        }
        Ok(())
    }

    /// The usage of every workspace-hour of `records`, in the order hours
    /// are settled (and plans drawn): by hour, then workspace id; and what
    /// was settled of each before.
    async fn hours_and_priors(
        &self,
        tx: &mut (dyn StoreTx + '_),
        records: &[&UsageRecord],
    ) -> AppResult<(Vec<HourUsage>, Vec<Option<SettledHour>>)> {
        let hours = self.usage_per_hour(records)?;
        let keys: Vec<(&str, DateTime<Utc>)> =
            hours.iter().map(|h| (self.workspaces[h.ws].id.as_str(), h.hour_start)).collect();
        let priors = tx.settled_hours(&keys).await?;
        if priors.len() != hours.len() {
            return Err(AppError::internal("settled hours answered for other hours than asked"));
        }
        Ok((hours, priors))
    }

    /// Sums `records` per workspace-hour, sorting positions rather than ids:
    /// each workspace's rank among the batch's ids stands in for its id.
    fn usage_per_hour(&self, records: &[&UsageRecord]) -> AppResult<Vec<HourUsage>> {
        let mut by_id: Vec<usize> = (0..self.workspaces.len()).collect();
        by_id.sort_unstable_by(|a, b| self.workspaces[*a].id.cmp(&self.workspaces[*b].id));
        let mut rank = vec![0; by_id.len()];
        for (r, ws) in by_id.iter().enumerate() {
            rank[*ws] = r;
        }
        let mut keyed = Vec::with_capacity(records.len());
        for r in records {
            let ws = *self.index.get(&r.workspace_id).ok_or_else(|| AppError::internal("workspace not loaded"))?;
            keyed.push((r.hour_start, rank[ws], r.cu_hours.milli()));
        }
        keyed.sort_unstable_by_key(|(hour, rank, _)| (*hour, *rank));
        let mut hours: Vec<HourUsage> = Vec::new();
        for (hour_start, rank, milli) in keyed {
            let ws = by_id[rank];
            match hours.last_mut() {
                Some(h) if (h.hour_start, h.ws) == (hour_start, ws) => {
                    h.usage = h.usage.checked_add(CuHours::from_milli(milli)).ok_or_else(|| {
                        AppError::invalid(
                            "cu_hours",
                            "the usage of one workspace and hour adds up past the largest quantity",
                        )
                    })?;
                }
                _ => hours.push(HourUsage { ws, hour_start, usage: CuHours::from_milli(milli) }),
            }
        }
        Ok(hours)
    }

    /// Settles every workspace-hour in order, drawing on the plans held
    /// here; nothing is written.
    fn settle_hours(
        &mut self,
        hours: Vec<HourUsage>,
        priors: Vec<Option<SettledHour>>,
        now: DateTime<Utc>,
    ) -> AppResult<Settled> {
        let mut settled = Settled {
            settlements: Vec::with_capacity(hours.len()),
            settled_hours: 0,
            adjustments: 0,
            charged: BTreeMap::new(),
        };
        let mut draws = Vec::new();
        for (hour, prior) in hours.into_iter().zip(priors) {
            let settlement = self.settle(&hour, prior, &mut draws, now)?;
            if settlement.adjustment {
                settled.adjustments += 1;
            } else {
                settled.settled_hours += 1;
            }
            if !settlement.charge.is_zero() {
                let zero = Money::zero(settlement.charge.currency());
                let total = settled.charged.entry(settlement.account_id.clone()).or_insert(zero);
                *total = total.checked_add(settlement.charge)?;
            }
            settled.settlements.push(settlement);
        }
        Ok(settled)
    }

    /// Position of region `id` in `regions`, read on first use.
    async fn region(&mut self, tx: &mut (dyn StoreTx + '_), id: &str) -> AppResult<usize> {
        if let Some(found) = self.regions.iter().position(|r| r.id == id) {
            return Ok(found);
        }
        self.regions.push(region_of(tx, id).await?);
        Ok(self.regions.len() - 1)
    }

    /// Settles one workspace-hour against the quota in force, then the
    /// account's plans in the region, then pay-as-you-go.
    fn settle(
        &mut self,
        hour: &HourUsage,
        prior: Option<SettledHour>,
        draws: &mut Vec<PlanDraw>,
        now: DateTime<Utc>,
    ) -> AppResult<Settlement> {
        let ws = hour.ws;
        let pool = self.pool_of(ws)?;
        let day = hour.hour_start.timestamp().div_euclid(SECONDS_PER_DAY);
        let stem = self.stems.entry((ws, day)).or_insert_with(|| new_id("set"));
        let facts = &self.workspaces[ws];
        let region = &self.regions[facts.region];
        let start = hour.hour_start;
        let quota_cu = facts.quota_periods.iter().find(|(_, s, e)| *s <= start && start < *e).map_or(0, |q| q.0);
        let already_covered = prior.map_or(CuHours::ZERO, |p| p.covered);
        let Pool { pool, plans } = &mut self.pools[pool];
        let facts_of_hour = HourFacts { hour_start: start, usage: hour.usage, quota_cu, price: region.cu_hour_price };
        let result = settle_more_of_hour(&facts_of_hour, already_covered, pool, draws)
            .map_err(|e| AppError::invalid("cu_hours", e))?;
        Ok(Settlement {
            id: Settlement::id_in_day(stem, start),
            workspace_id: facts.id.clone(),
            account_id: facts.account_id.clone(),
            hour_start: start,
            adjustment: prior.is_some(),
            usage: hour.usage,
            covered: result.covered,
            draws: draws.iter().map(|d| (plans[d.plan_id as usize].id.clone(), d.cu_hours)).collect(),
            pay_as_you_go: result.pay_as_you_go,
            bill_milli_major: result.bill.milli_major(),
            charge: result.charge,
            settled_at: now,
        })
    }

    /// Position in `pools` of the plans the workspace's account holds in its
    /// region, made on first use.
    fn pool_of(&mut self, ws: usize) -> AppResult<usize> {
        if let Some(pool) = self.workspaces[ws].pool {
            return Ok(pool);
        }
        let facts = &self.workspaces[ws];
        let region = &self.regions[facts.region];
        let key = (facts.account_id.clone(), region.id.clone());
        let pool = match self.pool_index.get(&key) {
            Some(pool) => *pool,
            None => {
                let plans = self.plans.remove(&key).unwrap_or_default();
                self.pools.push(make_pool(region, plans)?);
                self.pool_index.insert(key, self.pools.len() - 1);
                self.pools.len() - 1
            }
        };
        self.workspaces[ws].pool = Some(pool);
        Ok(pool)
    }

    /// Writes back the used CU-hours of every plan drawn from, and returns
    /// what the batch drew from each, in milli-CU-hours.
    async fn write_plan_usage(&self, tx: &mut (dyn StoreTx + '_)) -> AppResult<Vec<(String, i64)>> {
        let mut used = Vec::new();
        let mut drawn = Vec::new();
        for Pool { pool, plans } in &self.pools {
            for balance in pool.plans() {
                let plan = &plans[balance.plan_id as usize];
                let capacity = plan.capacity.unwrap_or(CuHours::ZERO);
                let now_used = capacity.checked_sub(balance.remaining).ok_or_else(|| overflow(&plan.id))?;
                if now_used != plan.used {
                    used.push((plan.id.as_str(), now_used));
                    drawn.push((
                        plan.id.to_string(),
                        now_used.checked_sub(plan.used).ok_or_else(|| overflow(&plan.id))?.milli(),
                    ));
                }
            }
        }
        tx.set_plans_used(&used).await?;
        Ok(drawn)
    }
}

/// A plan's stored capacity and use that do not subtract.
fn overflow(plan_id: &str) -> AppError {
    AppError::internal(format!("plan {plan_id}: capacity and use overflow"))
}

/// The balances of an account's plans in one region, in drawing order.
fn make_pool(region: &Region, plans: Vec<InstanceWithOrders>) -> AppResult<Pool> {
    let mut balances = Vec::with_capacity(plans.len());
    let mut records = Vec::with_capacity(plans.len());
    for (index, (plan, orders)) in plans.into_iter().enumerate() {
        if let (Some(period), Some(capacity)) = (plan_period(region.zone, &orders)?, plan.capacity) {
            balances.push(PlanBalance {
                plan_id: index as u64,
                purchased_at: plan.created_at,
                valid_from: period.start,
                expires_at: period.end,
                remaining: capacity.checked_sub(plan.used).ok_or_else(|| overflow(&plan.id))?,
                released: plan.state != InstanceState::Active,
            });
        }
        records.push(plan);
    }
    Ok(Pool { pool: PlanPool::new(balances), plans: records })
}
