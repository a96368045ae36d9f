//! Integrity checks an operator can run at any time: the ledger balances and
//! agrees with the balances it explains, and the audit chain is intact.

use std::collections::BTreeMap;

use billing_domain::catalog::Commodity;

use crate::audit::ChainVerifier;
use crate::core::Caller;
use crate::error::AppResult;
use crate::ledger::{CAPACITY_UNIT, balances, customer_balance, plan_remaining};
use crate::model::InstanceState;
use crate::operations::Operations;

/// Events read per page when verifying the audit chain.
const AUDIT_PAGE: i64 = 1000;

/// What the ledger check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerReport {
    /// Movements checked.
    pub movements: usize,
    /// Entries checked.
    pub entries: usize,
    /// Every problem found, one sentence each; empty when all is well.
    pub problems: Vec<String>,
}

impl LedgerReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What the audit verification found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Events verified.
    pub events: u64,
    /// The first problem found, if any.
    pub problem: Option<String>,
}

impl Operations {
    /// Checks that every movement balances per unit, that every account's
    /// balance equals the sum of its ledger entries, and that every plan's
    /// remaining capacity equals its ledger account (operators only).
    pub async fn ledger_check(&self, caller: &Caller) -> AppResult<LedgerReport> {
        caller.require_operator()?;
        let mut tx = self.core.read().await?;
        let entries = tx.ledger_entries().await?;
        let mut report = LedgerReport { entries: entries.len(), ..LedgerReport::default() };
        let mut per_movement: BTreeMap<(&str, &str), i128> = BTreeMap::new();
        for e in &entries {
            *per_movement.entry((e.movement_id.as_str(), e.unit.as_str())).or_default() += i128::from(e.amount);
        }
        report.movements = per_movement.keys().map(|(m, _)| *m).collect::<std::collections::BTreeSet<_>>().len();
        for ((movement, unit), sum) in &per_movement {
            if *sum != 0 {
                report.problems.push(format!("movement {movement} does not balance: off by {sum} {unit}"));
            }
        }
        let sums = balances(&entries);
        let sum_of = |account: &str, unit: &str| sums.get(&(account.to_owned(), unit.to_owned())).copied().unwrap_or(0);
        for account in tx.accounts().await? {
            let ledger = sum_of(&customer_balance(&account.id), account.currency.code());
            if ledger != i128::from(account.balance.minor()) {
                report.problems.push(format!(
                    "account {} has balance {} but its ledger entries sum to {ledger} minor units",
                    account.id, account.balance
                ));
            }
            for plan in tx.instances(&account.id).await? {
                if plan.commodity != Commodity::SparkResourcePlan || plan.state == InstanceState::PendingPayment {
                    continue;
                }
                let expected = match plan.state {
                    InstanceState::Active => plan.capacity.map_or(0, |c| c.milli()) - plan.used.milli(),
                    _ => 0,
                };
                let ledger = sum_of(&plan_remaining(&plan.id), CAPACITY_UNIT);
                if ledger != i128::from(expected) {
                    report.problems.push(format!(
                        "plan {} should have {expected} milli-CU-hours left but its ledger says {ledger}",
                        plan.id
                    ));
                }
            }
        }
        Ok(report)
    }

    /// Audit events after `after_seq`, oldest first, at most `limit` (1 to
    /// 1000; operators only).
    pub async fn audit_events(
        &self,
        caller: &Caller,
        after_seq: i64,
        limit: i64,
    ) -> AppResult<Vec<crate::model::AuditEvent>> {
        caller.require_operator()?;
        if !(1..=1000).contains(&limit) || after_seq < 0 {
            return Err(crate::error::AppError::invalid("limit", "must be between 1 and 1000, after at least 0"));
        }
        Ok(self.core.read().await?.audit_events(after_seq, limit).await?)
    }

    /// The newest audit events, newest first, at most `limit` (operators
    /// only).
    pub async fn recent_audit_events(&self, caller: &Caller, limit: i64) -> AppResult<Vec<crate::model::AuditEvent>> {
        caller.require_operator()?;
        let limit = limit.clamp(1, 1000);
        let mut tx = self.core.read().await?;
        let (head, _) = tx.audit_head().await?;
        let mut events = tx.audit_events((head - limit).max(0), limit).await?;
        events.reverse();
        Ok(events)
    }

    /// Walks the audit chain from the first event to the head and reports the
    /// first event that does not verify (operators only).
    pub async fn audit_verify(&self, caller: &Caller) -> AppResult<AuditReport> {
        caller.require_operator()?;
        let mut tx = self.core.read().await?;
        let (head_seq, head_hash) = tx.audit_head().await?;
        let mut verifier = ChainVerifier::new();
        let mut after = 0;
        let mut last_hash = String::new();
        loop {
            let page = tx.audit_events(after, AUDIT_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for event in &page {
                if let Err(broken) = verifier.check(event) {
                    let problem = format!("event {}: {}", broken.seq, broken.problem);
                    return Ok(AuditReport { events: verifier.checked, problem: Some(problem) });
                }
                last_hash = event.hash.clone();
            }
        }
        let problem = (after != head_seq || last_hash != head_hash).then(|| {
            format!("the chain ends at event {after}, but the head says {head_seq}: events were removed from the end")
        });
        Ok(AuditReport { events: verifier.checked, problem })
    }
}
