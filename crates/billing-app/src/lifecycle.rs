//! What happens with time: unpaid orders are cancelled, quotas renew
//! themselves 9 days before they end, and quotas and plans expire.

use billing_domain::catalog::Commodity;
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::catalog::region_of;
use crate::error::AppResult;
use crate::ids::new_id;
use crate::ledger::{self, Movement};
use crate::model::{InstanceRecord, InstanceState, QueueStatus};
use crate::periods::{plan_period, quota_periods};
use crate::purchase::{TenderInput, cancel_in};
use crate::service::{Billing, Caller, audit};
use crate::store::StoreTx;

/// How long an unpaid quota order waits for payment.
pub const QUOTA_ORDER_PAYMENT_WINDOW: Duration = Duration::days(7);
/// How long an unpaid resource plan order waits for payment.
pub const PLAN_ORDER_PAYMENT_WINDOW: Duration = Duration::hours(1);
/// How long before the end a quota renews itself.
pub const AUTO_RENEW_LEAD: Duration = Duration::days(9);

/// What one pass of [`Billing::run_due`] did.
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
}

impl Billing {
    /// Does everything that has fallen due by now. Each item runs in its own
    /// transaction, so one failure does not hold up the rest; running it
    /// twice, or in two processes at once, does each thing once.
    pub async fn run_due(&self) -> AppResult<DueWork> {
        let mut work = DueWork { orders_cancelled: self.cancel_stale_orders().await?, ..DueWork::default() };
        let active = self.read().await?.instances_in_state(InstanceState::Active).await?;
        for instance in active {
            let mut tx = self.begin().await?;
            tx.lock_account(&instance.account_id).await?;
            let Some(fresh) = tx.instance(&instance.id).await?.filter(|i| i.state == InstanceState::Active) else {
                continue;
            };
            match self.advance(&mut *tx, &fresh).await? {
                Advance::Renewed(order_id) => {
                    tx.commit().await?;
                    self.charge_renewal(&order_id, &mut work).await;
                    continue;
                }
                Advance::Expired => work.expired += 1,
                Advance::Nothing => {}
                Advance::RenewalFailed(detail) => {
                    // Whatever the failed renewal wrote is rolled back; only
                    // the record of the failure is kept.
                    drop(tx);
                    tx = self.begin().await?;
                    audit(&mut *tx, &Caller::System, "renewal.failed", &fresh.id, detail, self.now()).await?;
                    work.renewals_failed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(work)
    }

    /// Takes an automatic renewal's card payment through the channel. A
    /// decline leaves the renewal order unpaid (the customer can pay it
    /// another way until it is cancelled); a channel that does not answer
    /// leaves it to the charge worker.
    async fn charge_renewal(&self, order_id: &str, work: &mut DueWork) {
        match self.settle_order_payment(order_id).await {
            Ok(crate::charges::Settled::Declined) => work.renewals_failed += 1,
            Ok(crate::charges::Settled::Paid) => work.renewed += 1,
            Err(e) => {
                tracing::warn!(order = %order_id, error = %e, "renewal payment not settled yet; the worker retries");
                work.renewed += 1;
            }
        }
    }

    async fn cancel_stale_orders(&self) -> AppResult<usize> {
        let now = self.now();
        let candidates = self.read().await?.unpaid_orders_before(now - PLAN_ORDER_PAYMENT_WINDOW).await?;
        let mut cancelled = 0;
        for order in candidates {
            let mut tx = self.begin().await?;
            let Some(instance) = tx.instance(&order.instance_id).await? else {
                continue;
            };
            let window = match instance.commodity {
                Commodity::SparkReserved => QUOTA_ORDER_PAYMENT_WINDOW,
                Commodity::SparkResourcePlan => PLAN_ORDER_PAYMENT_WINDOW,
            };
            let still_unpaid = tx.order(&order.id).await?.filter(|o| o.status == OrderStatus::Unpaid);
            if let Some(order) = still_unpaid.filter(|o| o.created_at + window <= now) {
                cancel_in(&mut *tx, &Caller::System, order, now).await?;
                tx.commit().await?;
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }

    async fn advance(&self, tx: &mut (dyn StoreTx + '_), instance: &InstanceRecord) -> AppResult<Advance> {
        let now = self.now();
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
        let renewal_due = instance.auto_renew && last.start <= now && now >= last.end - AUTO_RENEW_LEAD;
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
        let left = plan.capacity.map_or(0, |c| c.milli()) - plan.used.milli();
        if left != 0 {
            let mut movement = Movement::new(new_id("mov"), "plan.capacity_expired", &plan.id, now);
            movement.transfer_capacity(&ledger::plan_remaining(&plan.id), "capacity:expired", left);
            tx.insert_movement(&movement).await?;
        }
        audit(tx, &Caller::System, "plan.expired", &plan.id, json!({"unused_milli_cu_hours": left}), now).await
    }
}

enum Advance {
    Nothing,
    /// A renewal order was placed (paid, or charged to a card once the
    /// transaction commits).
    Renewed(String),
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
    audit(tx, &Caller::System, "quota.expired", &quota.id, json!({"workspace_id": quota.workspace_id}), now).await
}
