//! A paid quota the region has no room for: the region's reserved-CU
//! capacity is checked in the transaction that pays the order, and a quota
//! that would exceed it is refunded in full instead of activated.

use billing_domain::catalog::Commodity;
use billing_domain::change::ActionKind;
use billing_domain::destination::{Destination, route};
use billing_domain::ids::UnsubscriptionId;
use billing_domain::order::Tender;
use billing_domain::policy::Policy;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::catalog::region_of;
use crate::core::{Caller, audit};
use crate::documents::issue::{Credited, audit_ref, issue_activation_credit_note};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::ledger::{Movement, REVENUE_PROMOTIONAL};
use crate::model::{Account, BenefitStatus, InstanceRecord, InstanceState, OrderRecord};
use crate::purchase::Purchases;
use crate::store::StoreTx;
use crate::unsubscription::records::{RefundCause, StoredQuote, Unsubscription};

/// The reason an activation failed, as the instance and its events give it.
pub const CAPACITY_EXHAUSTED: &str = "CAPACITY_EXHAUSTED";

/// Whether the quota `instance` fits in its region's reserved-CU capacity
/// beside the quotas in force there. The region is held until the
/// transaction ends, so that two activations are counted one after the
/// other, in every replica.
pub(crate) async fn region_has_room(tx: &mut (dyn StoreTx + '_), instance: &InstanceRecord) -> AppResult<bool> {
    let (Commodity::SparkReserved, Some(cu)) = (instance.commodity, instance.quota_cu) else {
        return Ok(true);
    };
    let region = region_of(tx, &instance.region_id).await?;
    let Some(capacity) = region.reserved_cu_capacity else {
        return Ok(true);
    };
    tx.lock_region(&region.id).await?;
    let reserved = tx.reserved_cu_in_region(&region.id).await?;
    let wanted = reserved.checked_add(i64::from(cu)).ok_or_else(|| AppError::internal("reserved CUs out of range"))?;
    Ok(wanted <= i64::from(capacity))
}

impl Purchases {
    /// Refunds the order that just paid for `instance` in full, to where
    /// its cash came from, gives its vouchers and coupons back unused and
    /// marks the instance `activation_failed`; in the paying transaction.
    /// Never counted as a full refund toward the yearly limit.
    pub(crate) async fn refund_failed_activation(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        account: &Account,
        instance: &mut InstanceRecord,
        order: &mut OrderRecord,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        if !tx.set_instance_state(&instance.id, InstanceState::PendingPayment, InstanceState::ActivationFailed).await? {
            return Err(AppError::state("the instance is no longer awaiting payment"));
        }
        instance.state = InstanceState::ActivationFailed;
        if tx.refund_order(&order.id).await?.is_none() {
            return Err(AppError::internal(format!("order {} was not paid when its activation failed", order.id)));
        }
        order.status = billing_domain::order::OrderStatus::Refunded;
        let mut movement = Movement::new(new_id("mov"), "activation.benefits_restored", &order.id, now);
        for id in &order.benefit_ids {
            tx.set_benefit_status(id, BenefitStatus::Used, BenefitStatus::Active, None).await?;
        }
        movement.transfer(REVENUE_PROMOTIONAL, "promotion:coupon", order.charges.coupon);
        movement.transfer(REVENUE_PROMOTIONAL, "promotion:voucher", order.charges.voucher);
        tx.insert_movement(&movement).await?;
        let refund = order.charges.cash_due()?;
        let zone = region_of(tx, &instance.region_id).await?.zone;
        // Paid this instant with instruments that were just charged: every
        // part goes back the way it came, whatever the policy's age limits.
        let policy = Policy::default();
        let destinations: Vec<Destination> = order
            .tenders
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.amount.is_zero())
            .map(|(tender_index, t)| {
                let tender = Tender { method: t.method, amount: t.amount, instrument_valid: true };
                let (to, rule) = route(&tender, now, now, &policy);
                Destination {
                    order_index: 0,
                    order_id: order.id.clone(),
                    tender_index,
                    from: t.method,
                    to,
                    amount: t.amount,
                    rule,
                }
            })
            .collect();
        let id: UnsubscriptionId = mint();
        let body = json!({
            "action": RefundCause::ActivationFailed.as_str(), "reason": CAPACITY_EXHAUSTED,
            "order_id": order.id, "refund": refund.to_string(),
        });
        // The refund set is recorded as every other is, with the quote the
        // service computed for it.
        let quote = StoredQuote {
            id: mint(),
            account_id: instance.account_id.clone(),
            instance_id: instance.id.clone(),
            order_id: Some(order.id.clone()),
            created_at: now,
            expires_at: now,
            policy_version: 0,
            digest: String::new(),
            eligible: true,
            reason: None,
            refund,
            body: body.to_string(),
            action: ActionKind::Unsubscribe,
            new_quota_cu: None,
        };
        let unsubscription = Unsubscription {
            id,
            account_id: instance.account_id.clone(),
            instance_id: instance.id.clone(),
            order_id: Some(order.id.clone()),
            quote_id: quote.id.clone(),
            commodity: instance.commodity,
            refund,
            full_refund: false,
            created_at: now,
            action: RefundCause::ActivationFailed,
            quota_cu_after: None,
        };
        tx.insert_unsubscription(&unsubscription, &quote).await?;
        let refunds = crate::unsubscription::confirm::create_refunds(
            &self.core,
            tx,
            &unsubscription,
            &destinations,
            std::slice::from_ref(order),
            zone,
            now,
        )
        .await?;
        let credited =
            Credited { account, instance: &*instance, unsubscription: &unsubscription, refunds: &refunds, zone };
        let note = issue_activation_credit_note(tx, &credited, order, refund, now).await?;
        self.core.count_on_commit(tx, crate::telemetry::DOCUMENTS_ISSUED, &[("kind", "credit_note")], 1);
        crate::events::emit(tx, crate::events::EventType::InstanceActivationFailed, &*instance, now).await?;
        crate::events::emit_each(tx, crate::events::EventType::RefundCreated, &refunds, now).await?;
        let detail = json!({
            "order_id": order.id, "reason": CAPACITY_EXHAUSTED, "quota_cu": instance.quota_cu,
            "refund": refund.to_string(), "refunds": refunds.len(), "unsubscription_id": unsubscription.id,
            "document": audit_ref(&note),
        });
        audit(tx, caller, "instance.activation_failed", &instance.id, detail, now).await
    }
}
