//! What happens with time: unpaid orders are cancelled, quotas renew
//! themselves 9 days before they end, and quotas and plans expire.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use billing_domain::calendar::shift;
use billing_domain::catalog::Commodity;
use billing_domain::ids::{InstanceId, OrderId};
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::catalog::region_of;
use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::ids::new_id;
use crate::ledger::{self, Movement};
use crate::model::{InstanceRecord, InstanceState, QueueStatus};
use crate::periods::{plan_period, quota_periods};
use crate::purchase::Purchases;
use crate::purchase::{TenderInput, cancel_in};
use crate::store::StoreTx;

/// How long an unpaid quota order waits for payment.
pub const QUOTA_ORDER_PAYMENT_WINDOW: Duration = Duration::days(7);
/// How long an unpaid resource plan order waits for payment.
pub const PLAN_ORDER_PAYMENT_WINDOW: Duration = Duration::hours(1);
/// How long before the end a quota renews itself.
pub const AUTO_RENEW_LEAD: Duration = Duration::days(9);

/// What one pass of [`crate::purchase::Purchases::run_due`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DueWork {
    /// Unpaid orders cancelled.
    pub orders_cancelled: usize,
    /// Quotas renewed automatically.
    pub renewed: usize,
    /// Automatic renewals that could not be paid.
    pub renewals_failed: usize,
    /// Quotas and plans that expired.
    pub expired: usize,
    /// Items (orders or instances) whose work failed with an error; each was
    /// logged and audited, and the others went on.
    pub failed: usize,
}

/// The failures of due work seen by this process: a count for the metrics,
/// and the last error audited for each item, so that an item failing every
/// pass in the same way is audited once rather than every few seconds.
#[derive(Debug, Default)]
pub(crate) struct DueFailures {
    total: AtomicU64,
    audited: Mutex<HashMap<String, String>>,
}

impl Purchases {
    /// Does everything that has fallen due by now. Each item runs in its own
    /// transaction, so one failure does not hold up the rest: it is logged,
    /// counted and audited, and the next item goes on. Running it twice, or
    /// in two processes at once, does each thing once.
    pub async fn run_due(&self) -> AppResult<DueWork> {
        let mut work = DueWork::default();
        let now = self.core.now();
        let candidates = self.core.read().await?.unpaid_orders_before(shift(now, -PLAN_ORDER_PAYMENT_WINDOW)?).await?;
        for order in candidates {
            match self.cancel_if_stale(&order.id, &order.instance_id, now).await {
                Ok(cancelled) => work.orders_cancelled += usize::from(cancelled),
                Err(e) => self.record_due_failure(&mut work, "order", &order.id, &e).await,
            }
        }
        let active = self.core.read().await?.instances_in_state(InstanceState::Active).await?;
        for instance in active {
            let advance = match self.advance_one(&instance).await {
                Ok(advance) => advance,
                Err(e) => {
                    self.record_due_failure(&mut work, "instance", &instance.id, &e).await;
                    continue;
                }
            };
            self.forget_due_failure(&instance.id);
            match advance {
                Advance::Renewed(order_id) => self.charge_renewal(&order_id, &mut work).await,
                Advance::Expired => work.expired += 1,
                Advance::RenewalFailed(_) => work.renewals_failed += 1,
                Advance::Nothing => {}
            }
        }
        Ok(work)
    }

    /// Takes an automatic renewal's card payment through the channel. A
    /// decline leaves the renewal order unpaid (the customer can pay it
    /// another way until it is cancelled); a channel that does not answer
    /// leaves it to the charge worker.
    async fn charge_renewal(&self, order_id: &OrderId, work: &mut DueWork) {
        match self.settle_order_payment(order_id).await {
            Ok(crate::charges::Settled::Declined) => work.renewals_failed += 1,
            Ok(crate::charges::Settled::Paid) => work.renewed += 1,
            Err(e) => {
                tracing::warn!(order = %order_id, error = %e, "renewal payment not settled yet; the worker retries");
                work.renewed += 1;
            }
        }
    }

    /// Failures of due work counted by this process since it started.
    pub fn due_failures_total(&self) -> u64 {
        self.due_failures.total.load(Ordering::Relaxed)
    }

    /// Advances one instance in a transaction of its own.
    async fn advance_one(&self, instance: &InstanceRecord) -> AppResult<Advance> {
        let mut tx = self.core.begin().await?;
        tx.lock_account(&instance.account_id).await?;
        let Some(fresh) = tx.instance(&instance.id).await?.filter(|i| i.state == InstanceState::Active) else {
            return Ok(Advance::Nothing);
        };
        let advance = self.advance(&mut *tx, &fresh).await?;
        if let Advance::RenewalFailed(detail) = &advance {
            // Whatever the failed renewal wrote is rolled back; only the
            // record of the failure is kept.
            drop(tx);
            tx = self.core.begin().await?;
            audit(&mut *tx, &Caller::System, "renewal.failed", &fresh.id, detail.clone(), self.core.now()).await?;
        }
        tx.commit().await?;
        Ok(advance)
    }

    /// Logs, counts and audits (in a transaction of its own, once per item
    /// and error in this process) an item of due work that failed.
    async fn record_due_failure(&self, work: &mut DueWork, kind: &str, id: &str, error: &AppError) {
        work.failed += 1;
        self.due_failures.total.fetch_add(1, Ordering::Relaxed);
        self.core.meter.count(crate::telemetry::DUE_WORK_FAILURES, &[], 1);
        tracing::error!(kind, id, code = error.code(), error = %error, "due work failed for one item; going on with the others");
        let text = format!("{}: {error}", error.code());
        let fresh = {
            let mut audited = self.due_failures.audited.lock().unwrap_or_else(PoisonError::into_inner);
            audited.insert(id.to_owned(), text.clone()).is_none_or(|before| before != text)
        };
        if !fresh {
            return;
        }
        let detail = json!({"kind": kind, "error": text});
        let recorded = async {
            let mut tx = self.core.begin().await?;
            audit(&mut *tx, &Caller::System, "due_work.failed", id, detail, self.core.now()).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        };
        if let Err(e) = recorded.await {
            tracing::error!(id, error = %e, "the failure of due work could not be audited");
            self.due_failures.audited.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        }
    }

    /// Forgets an item's audited failure once it went through, so that a
    /// later failure is audited again.
    fn forget_due_failure(&self, id: &str) {
        let mut audited = self.due_failures.audited.lock().unwrap_or_else(PoisonError::into_inner);
        if !audited.is_empty() {
            audited.remove(id);
        }
    }

    /// Cancels one unpaid order whose payment window has passed, in a
    /// transaction of its own; `false` if it was paid or is not yet due.
    async fn cancel_if_stale(
        &self,
        order_id: &OrderId,
        instance_id: &InstanceId,
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        let mut tx = self.core.begin().await?;
        let Some(instance) = tx.instance(instance_id).await? else {
            return Ok(false);
        };
        let window = match instance.commodity {
            Commodity::SparkReserved => QUOTA_ORDER_PAYMENT_WINDOW,
            Commodity::SparkResourcePlan => PLAN_ORDER_PAYMENT_WINDOW,
        };
        let Some(order) = tx.order(order_id).await?.filter(|o| o.status == OrderStatus::Unpaid) else {
            return Ok(false);
        };
        if shift(order.created_at, window)? > now {
            return Ok(false);
        }
        cancel_in(&mut *tx, &Caller::System, order, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn advance(&self, tx: &mut (dyn StoreTx + '_), instance: &InstanceRecord) -> AppResult<Advance> {
        let now = self.core.now();
        let region = region_of(tx, &instance.region_id).await?;
        let orders = tx.orders(&instance.id).await?;
        if instance.commodity == Commodity::SparkResourcePlan {
            let expired = plan_period(region.zone, &orders)?.is_some_and(|p| p.end <= now);
            if expired {
                self.expire_plan(tx, instance, now).await?;
                return Ok(Advance::Expired);
            }
            return Ok(Advance::Nothing);
        }
        let periods = quota_periods(region.zone, &orders)?;
        let Some((last_index, last)) = periods.last().copied() else {
            return Ok(Advance::Nothing);
        };
        if last.end <= now {
            expire_quota(tx, instance, now).await?;
            return Ok(Advance::Expired);
        }
        let renewal_due = instance.auto_renew && last.start <= now && now >= shift(last.end, -AUTO_RENEW_LEAD)?;
        if !renewal_due || orders.iter().any(|o| o.status == OrderStatus::Unpaid) {
            return Ok(Advance::Nothing);
        }
        self.auto_renew(tx, instance, orders[last_index].months).await
    }

    /// Renews for as many months as the last period, paying from the balance
    /// if it covers the price, else from the first valid card.
    async fn auto_renew(
        &self,
        tx: &mut (dyn StoreTx + '_),
        instance: &InstanceRecord,
        months: u32,
    ) -> AppResult<Advance> {
        let Some(account) = tx.account(&instance.account_id).await? else {
            return Ok(Advance::Nothing);
        };
        let region = region_of(tx, &instance.region_id).await?;
        let cu = i64::from(instance.quota_cu.unwrap_or(0));
        let price = region.cu_month_price.checked_mul(cu)?.checked_mul(i64::from(months))?;
        let card =
            tx.payment_methods(&account.id).await?.into_iter().find(|m| m.valid && m.kind == PaymentMethodKind::Card);
        let tender = if account.balance.minor() >= price.minor() {
            Some(TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount: price })
        } else {
            card.map(|c| TenderInput { method: PaymentMethodKind::Card, payment_method_id: Some(c.id), amount: price })
        };
        let failure = match tender {
            Some(t) => match self.renew_in(tx, &Caller::System, &instance.id, months, &[], Some(&[t])).await {
                Ok(purchase) => return Ok(Advance::Renewed(purchase.order.id)),
                Err(e) => format!("{}: {e}", e.code()),
            },
            None => "no balance or valid card to pay with".to_owned(),
        };
        Ok(Advance::RenewalFailed(json!({"price": price.to_string(), "reason": failure})))
    }

    async fn expire_plan(
        &self,
        tx: &mut (dyn StoreTx + '_),
        plan: &InstanceRecord,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        if !tx.set_instance_state(&plan.id, InstanceState::Active, InstanceState::Expired).await? {
            return Ok(());
        }
        let left = crate::unsubscription::confirm::plan_left(plan)?;
        if left != 0 {
            let mut movement = Movement::new(new_id("mov"), "plan.capacity_expired", &plan.id, now);
            movement.transfer_capacity(&ledger::plan_remaining(&plan.id), "capacity:expired", left);
            tx.insert_movement(&movement).await?;
        }
        audit(tx, &Caller::System, "plan.expired", &plan.id, json!({"unused_milli_cu_hours": left}), now).await?;
        crate::events::emit_expired(tx, plan, now).await
    }
}

enum Advance {
    Nothing,
    /// A renewal order was placed (paid, or charged to a card once the
    /// transaction commits).
    Renewed(OrderId),
    /// The renewal could not be paid; the transaction must be rolled back.
    RenewalFailed(serde_json::Value),
    Expired,
}

/// Ends a quota whose last period is over: its subscription queue stops; the
/// workspace stays.
async fn expire_quota(tx: &mut (dyn StoreTx + '_), quota: &InstanceRecord, now: DateTime<Utc>) -> AppResult<()> {
    if !tx.set_instance_state(&quota.id, InstanceState::Active, InstanceState::Expired).await? {
        return Ok(());
    }
    if let Some(workspace_id) = &quota.workspace_id {
        tx.set_subscription_queue(workspace_id, QueueStatus::Stopped).await?;
    }
    audit(tx, &Caller::System, "quota.expired", &quota.id, json!({"workspace_id": quota.workspace_id}), now).await?;
    crate::events::emit_expired(tx, quota, now).await
}
