//! Usage import and hourly settlement: records are stored once by their id,
//! then every workspace-hour they touch is settled — quota first, then
//! resource plans, then pay-as-you-go — and charged in the same transaction.

use std::collections::{BTreeMap, HashMap};

use billing_domain::catalog::{Commodity, Region};
use billing_domain::money::Money;
use billing_domain::usage::{CuHours, HourFacts, PlanBalance, PlanDraw, PlanPool, settle_more_of_hour};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::catalog::region_of;
use crate::error::{AppError, AppResult};
use crate::ids::new_id;
use crate::ledger::{self, Movement, REVENUE_USAGE, customer_balance};
use crate::model::{InstanceRecord, InstanceState, Settlement, UsageRecord};
use crate::periods::{plan_period, quota_periods};
use crate::service::{Billing, Caller, audit};
use crate::store::StoreTx;

/// Most records one import call takes; larger files are imported in batches.
pub const MAX_USAGE_BATCH: usize = 10_000;
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
    pub charged: BTreeMap<String, Money>,
}

/// Checks one record's fields; the error names the record's position.
fn check_record(index: usize, r: &UsageRecord, now: DateTime<Utc>) -> AppResult<()> {
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

/// Drops exact repeats within the batch; a repeated id with other content is
/// an error.
fn dedupe(records: &[UsageRecord]) -> AppResult<(Vec<UsageRecord>, usize)> {
    let mut seen: HashMap<&str, &UsageRecord> = HashMap::with_capacity(records.len());
    let mut unique = Vec::with_capacity(records.len());
    for r in records {
        match seen.get(r.record_id.as_str()) {
            Some(first) if *first == r => {}
            Some(_) => {
                return Err(AppError::DuplicateUsageRecord { record_id: r.record_id.clone() });
            }
            None => {
                seen.insert(&r.record_id, r);
                unique.push(r.clone());
            }
        }
    }
    let repeats = records.len() - unique.len();
    Ok((unique, repeats))
}

/// The quota coverage and plans of the workspaces a batch touches, loaded
/// once per batch.
#[derive(Default)]
struct SettlementContext {
    workspaces: HashMap<String, WorkspaceFacts>,
    pools: HashMap<(String, String), (PlanPool, Vec<InstanceRecord>)>,
}

struct WorkspaceFacts {
    account_id: String,
    region: Region,
    /// `(quota CUs, [start, end))` of every paid quota period.
    quota_periods: Vec<(u32, DateTime<Utc>, DateTime<Utc>)>,
}

impl Billing {
    /// Imports a batch of usage records and settles the hours they touch,
    /// all in one transaction (operators and the platform only). A bad or
    /// conflicting record refuses the whole batch.
    pub async fn import_usage(&self, caller: &Caller, records: &[UsageRecord]) -> AppResult<ImportOutcome> {
        caller.require_operator()?;
        if records.len() > MAX_USAGE_BATCH {
            return Err(AppError::invalid("records", format!("at most {MAX_USAGE_BATCH} records per batch")));
        }
        let now = self.now();
        for (i, r) in records.iter().enumerate() {
            check_record(i, r, now)?;
        }
        let (unique, repeats) = dedupe(records)?;
        let mut tx = self.begin().await?;
        let mut ctx = SettlementContext::default();
        for r in &unique {
            ctx.workspace(&mut *tx, &r.workspace_id).await?;
        }
        // Plans and balances of these accounts are read, then written: hold
        // the accounts, in a fixed order so two imports cannot deadlock.
        let accounts: std::collections::BTreeSet<String> =
            ctx.workspaces.values().map(|w| w.account_id.clone()).collect();
        for account_id in &accounts {
            tx.lock_account(account_id).await?;
        }
        let stored = tx.insert_usage(&unique).await?;
        let mut fresh = Vec::with_capacity(unique.len());
        let mut outcome = ImportOutcome { duplicates: repeats, ..ImportOutcome::default() };
        for (record, previous) in unique.into_iter().zip(stored) {
            match previous {
                None => fresh.push(record),
                Some(prev) if prev == record => outcome.duplicates += 1,
                Some(_) => {
                    return Err(AppError::DuplicateUsageRecord { record_id: record.record_id });
                }
            }
        }
        outcome.imported = fresh.len();
        self.settle(&mut *tx, &mut ctx, &fresh, &mut outcome, now).await?;
        let detail = json!({"imported": outcome.imported, "duplicates": outcome.duplicates,
            "settled_hours": outcome.settled_hours, "adjustments": outcome.adjustments});
        audit(&mut *tx, caller, "usage.imported", "usage", detail, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn settle(
        &self,
        tx: &mut (dyn StoreTx + '_),
        ctx: &mut SettlementContext,
        records: &[UsageRecord],
        outcome: &mut ImportOutcome,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut hours: BTreeMap<(DateTime<Utc>, String), CuHours> = BTreeMap::new();
        for r in records {
            let sum = hours.entry((r.hour_start, r.workspace_id.clone())).or_default();
            *sum = CuHours::from_milli(sum.milli() + r.cu_hours.milli());
        }
        let mut draws = Vec::new();
        let batch = new_id("batch");
        let mut charge_movement = Movement::new(new_id("mov"), "usage.charge", &batch, now);
        let mut capacity_movement = Movement::new(new_id("mov"), "plan.capacity_drawn", &batch, now);
        for ((hour_start, workspace_id), usage) in hours {
            let settlement = ctx.settle_one(tx, &workspace_id, hour_start, usage, &mut draws, now).await?;
            if settlement.adjustment {
                outcome.adjustments += 1;
            } else {
                outcome.settled_hours += 1;
            }
            for (plan_id, drawn) in &settlement.draws {
                capacity_movement.transfer_capacity(
                    &ledger::plan_remaining(plan_id),
                    "capacity:consumed",
                    drawn.milli(),
                );
            }
            if !settlement.charge.is_zero() {
                let account = &settlement.account_id;
                charge_movement.transfer(&customer_balance(account), REVENUE_USAGE, settlement.charge);
                let total = outcome.charged.entry(account.clone()).or_insert(Money::zero(settlement.charge.currency()));
                *total = total.checked_add(settlement.charge)?;
            }
            tx.insert_settlement(&settlement).await?;
        }
        for (account_id, charged) in &outcome.charged {
            tx.add_to_balance(account_id, charged.checked_neg()?).await?;
        }
        ctx.write_plan_usage(tx).await?;
        for movement in [charge_movement, capacity_movement] {
            if !movement.entries.is_empty() {
                tx.insert_movement(&movement).await?;
            }
        }
        Ok(())
    }
}

impl SettlementContext {
    async fn workspace(&mut self, tx: &mut (dyn StoreTx + '_), id: &str) -> AppResult<&WorkspaceFacts> {
        if !self.workspaces.contains_key(id) {
            let workspace = tx.workspace(id).await?.ok_or_else(|| AppError::not_found("workspace", id))?;
            let region = region_of(tx, &workspace.region_id).await?;
            let mut quota_periods = Vec::new();
            for quota in tx.instances(&workspace.account_id).await? {
                let (Commodity::SparkReserved, Some(cu)) = (quota.commodity, quota.quota_cu) else {
                    continue;
                };
                if quota.workspace_id.as_deref() != Some(id) {
                    continue;
                }
                for (_, p) in quota_periods_of(tx, &region, &quota).await? {
                    quota_periods.push((cu, p.start, p.end));
                }
            }
            let facts = WorkspaceFacts { account_id: workspace.account_id, region, quota_periods };
            self.workspaces.insert(id.to_owned(), facts);
        }
        self.workspaces.get(id).ok_or_else(|| AppError::internal("workspace cache"))
    }

    async fn settle_one(
        &mut self,
        tx: &mut (dyn StoreTx + '_),
        workspace_id: &str,
        hour_start: DateTime<Utc>,
        usage: CuHours,
        draws: &mut Vec<PlanDraw>,
        now: DateTime<Utc>,
    ) -> AppResult<Settlement> {
        let facts = self.workspace(tx, workspace_id).await?;
        let quota_cu =
            facts.quota_periods.iter().find(|(_, s, e)| *s <= hour_start && hour_start < *e).map_or(0, |q| q.0);
        let (account_id, region) = (facts.account_id.clone(), facts.region.clone());
        let prior = tx.settled_hour(workspace_id, hour_start).await?;
        let already_covered = prior.map_or(CuHours::ZERO, |p| p.covered);
        let (pool, plans) = self.pool(tx, &account_id, &region).await?;
        let hour = HourFacts { hour_start, usage, quota_cu, price: region.cu_hour_price };
        let result =
            settle_more_of_hour(&hour, already_covered, pool, draws).map_err(|e| AppError::invalid("cu_hours", e))?;
        let draws = draws.iter().map(|d| (plans[d.plan_id as usize].id.clone(), d.cu_hours)).collect();
        Ok(Settlement {
            id: new_id("set"),
            workspace_id: workspace_id.to_owned(),
            account_id,
            hour_start,
            adjustment: prior.is_some(),
            usage,
            covered: result.covered,
            draws,
            pay_as_you_go: result.pay_as_you_go,
            bill_milli_major: result.bill.milli_major(),
            charge: result.charge,
            settled_at: now,
        })
    }

    async fn pool(
        &mut self,
        tx: &mut (dyn StoreTx + '_),
        account_id: &str,
        region: &Region,
    ) -> AppResult<(&mut PlanPool, &Vec<InstanceRecord>)> {
        let key = (account_id.to_owned(), region.id.clone());
        if !self.pools.contains_key(&key) {
            let plans = tx.plans_in_region(account_id, &region.id).await?;
            let mut balances = Vec::with_capacity(plans.len());
            for (index, plan) in plans.iter().enumerate() {
                let orders = tx.orders(&plan.id).await?;
                let (Some(period), Some(capacity)) = (plan_period(region.zone, &orders)?, plan.capacity) else {
                    continue;
                };
                balances.push(PlanBalance {
                    plan_id: index as u64,
                    purchased_at: plan.created_at,
                    valid_from: period.start,
                    expires_at: period.end,
                    remaining: CuHours::from_milli(capacity.milli() - plan.used.milli()),
                    released: plan.state != InstanceState::Active,
                });
            }
            self.pools.insert(key.clone(), (PlanPool::new(balances), plans));
        }
        let (pool, plans) = self.pools.get_mut(&key).ok_or_else(|| AppError::internal("plan cache"))?;
        Ok((pool, &*plans))
    }

    /// Writes back the used CU-hours of every plan drawn from.
    async fn write_plan_usage(&self, tx: &mut (dyn StoreTx + '_)) -> AppResult<()> {
        for (pool, plans) in self.pools.values() {
            for balance in pool.plans() {
                let plan = &plans[balance.plan_id as usize];
                let capacity = plan.capacity.map_or(0, |c| c.milli());
                let used = CuHours::from_milli(capacity - balance.remaining.milli());
                if used != plan.used {
                    tx.set_plan_used(&plan.id, used).await?;
                }
            }
        }
        Ok(())
    }
}

async fn quota_periods_of(
    tx: &mut (dyn StoreTx + '_),
    region: &Region,
    quota: &InstanceRecord,
) -> AppResult<Vec<(usize, billing_domain::calendar::BillingPeriod)>> {
    let orders = tx.orders(&quota.id).await?;
    quota_periods(region.zone, &orders)
}
