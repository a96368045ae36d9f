//! The app's views of the resources that events carry: orders, instances as
//! a purchase leaves them, refunds, unsubscriptions and deleted workspaces.
//!
//! A view is the shape an event's `data` has, built here from the records in
//! the use case's own transaction, so that every front end (the HTTP API, the
//! command line, tests, benchmarks) writes the same events. The HTTP API
//! builds its DTOs from these views, and tests hold the two equal; amounts
//! are decimal strings with the currency's decimals, instants RFC 3339.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{InstanceRecord, OrderRecord, TenderRecord, Tombstone};
use crate::unsubscription::UnsubscriptionResult;
use crate::unsubscription::records::Refund;

/// An instant as RFC 3339 in UTC.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

/// One cash part of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderView {
    /// `balance`, `card`, `paypal` or `bank_transfer`.
    pub method: String,
    /// The card, PayPal or bank account to charge; none for the balance.
    #[serde(default)]
    pub payment_method_id: Option<String>,
    /// How much, in the account's currency, e.g. `"100.00"`.
    pub amount: String,
}

impl From<&TenderRecord> for TenderView {
    fn from(t: &TenderRecord) -> Self {
        TenderView {
            method: t.method.as_str().to_owned(),
            payment_method_id: t.payment_method_id.as_ref().map(ToString::to_string),
            amount: t.amount.to_string(),
        }
    }
}

/// One purchase of an instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Id.
    pub id: String,
    /// The instance bought or renewed.
    pub instance_id: String,
    /// Buyer.
    pub account_id: String,
    /// `new` or `renewal`.
    pub kind: String,
    /// `unpaid`, `paid`, `cancelled` or `refunded`.
    pub status: String,
    /// Months bought.
    pub months: u32,
    /// Currency of every amount.
    pub currency: String,
    /// Catalog price.
    pub list_price: String,
    /// Discount taken off.
    pub discount: String,
    /// Coupons applied.
    pub coupon: String,
    /// Vouchers applied.
    pub voucher: String,
    /// Cash to pay: list price less discount, coupons and vouchers, never below zero.
    pub cash_due: String,
    /// Vouchers and coupons applied.
    pub benefit_ids: Vec<String>,
    /// How the cash was paid (empty until paid).
    pub tenders: Vec<TenderView>,
    /// When it was placed.
    pub created_at: String,
    /// When it was paid.
    pub paid_at: Option<String>,
    /// For a new order: when the instance was activated.
    pub activated_at: Option<String>,
    /// While unpaid: why its last payment did not go through (the payment
    /// channel's reason), to pay it again another way.
    pub payment_failure: Option<String>,
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> Self {
        let c = &o.charges;
        OrderView {
            id: o.id.to_string(),
            instance_id: o.instance_id.to_string(),
            account_id: o.account_id.to_string(),
            kind: o.kind.as_str().to_owned(),
            status: o.status.as_str().to_owned(),
            months: o.months,
            currency: o.currency().code().to_owned(),
            list_price: c.list_price.to_string(),
            discount: c.discount.to_string(),
            coupon: c.coupon.to_string(),
            voucher: c.voucher.to_string(),
            // The charges were checked when the order was placed; a failure
            // here would be a corrupt row, shown rather than hidden.
            cash_due: c.cash_due().map_or_else(|e| e.to_string(), |m| m.to_string()),
            benefit_ids: o.benefit_ids.iter().map(ToString::to_string).collect(),
            tenders: o.tenders.iter().map(TenderView::from).collect(),
            created_at: instant(o.created_at),
            paid_at: o.paid_at.map(instant),
            payment_failure: o.payment_failure.clone(),
            activated_at: o.start.map(instant),
        }
    }
}

/// A prepaid instance as a purchase leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchasedInstanceView {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Region.
    pub region_id: String,
    /// `spark_reserved` or `spark_resource_plan`.
    pub commodity: String,
    /// Quotas: the workspace.
    pub workspace_id: Option<String>,
    /// Quotas: CUs reserved.
    pub quota_cu: Option<u32>,
    /// Plans: CU-hours in the pack.
    pub capacity_cu_hours: Option<String>,
    /// `pending_payment`, `active`, `expired`, `unsubscribed`, `cancelled`,
    /// `switched_to_pay_as_you_go` or `activation_failed`.
    pub state: String,
    /// Renews itself before it ends.
    pub auto_renew: bool,
    /// When it was bought.
    pub created_at: String,
}

impl From<&InstanceRecord> for PurchasedInstanceView {
    fn from(r: &InstanceRecord) -> Self {
        PurchasedInstanceView {
            id: r.id.to_string(),
            account_id: r.account_id.to_string(),
            region_id: r.region_id.clone(),
            commodity: r.commodity.code().to_owned(),
            workspace_id: r.workspace_id.as_ref().map(ToString::to_string),
            quota_cu: r.quota_cu,
            capacity_cu_hours: r.capacity.map(|c| c.to_string()),
            state: r.state.as_str().to_owned(),
            auto_renew: r.auto_renew,
            created_at: instant(r.created_at),
        }
    }
}

/// What deleting a quota's workspace removes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDeletionView {
    /// Workspace id.
    pub id: String,
    /// Its name, to be typed to confirm.
    pub name: String,
    /// Jobs deleted.
    pub jobs: i64,
    /// Data objects deleted.
    pub data_objects: i64,
    /// Queues deleted.
    pub queues: i64,
}

impl From<&Tombstone> for WorkspaceDeletionView {
    fn from(t: &Tombstone) -> Self {
        WorkspaceDeletionView {
            id: t.workspace_id.to_string(),
            name: t.name.clone(),
            jobs: t.jobs,
            data_objects: t.data_objects,
            queues: t.queues,
        }
    }
}

/// A refund to one destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    /// Id.
    pub id: String,
    /// Its unsubscription.
    pub unsubscription_id: String,
    /// The order refunded.
    pub order_id: String,
    /// How the part was paid.
    pub from: String,
    /// Where it goes.
    pub to: String,
    /// How much.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why it goes there.
    pub rule: String,
    /// The failed refund this one replaces.
    pub rerouted_from: Option<String>,
    /// The channel's reason for a failure.
    pub failure: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When its status last changed.
    pub updated_at: String,
    /// Latest expected arrival.
    pub expected_by: String,
}

impl From<&Refund> for RefundView {
    fn from(r: &Refund) -> Self {
        RefundView {
            id: r.id.to_string(),
            unsubscription_id: r.unsubscription_id.to_string(),
            order_id: r.order_id.to_string(),
            from: r.from.as_str().to_owned(),
            to: r.destination.as_str().to_owned(),
            amount: r.amount.to_string(),
            currency: r.amount.currency().code().to_owned(),
            status: r.status.as_str().to_owned(),
            rule: r.rule.clone(),
            rerouted_from: r.rerouted_from.as_ref().map(ToString::to_string),
            failure: r.failure.clone(),
            created_at: instant(r.created_at),
            updated_at: instant(r.updated_at),
            expected_by: instant(r.expected_by),
        }
    }
}

/// A confirmed unsubscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscriptionView {
    /// Id.
    pub id: String,
    /// `unsubscribe`, `downgrade`, `switch_to_pay_as_you_go` or
    /// `activation_failed` (a paid quota its region had no room for).
    pub action: String,
    /// For a downgrade or a switch: the CUs the quota keeps from the next
    /// clock hour on (0 after a switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_cu_after: Option<u32>,
    /// The instance given back.
    pub instance_id: String,
    /// The renewal order, for a renewal-only unsubscription.
    pub order_id: Option<String>,
    /// The quote executed.
    pub quote_id: String,
    /// Total refunded.
    pub refund: String,
    /// Currency.
    pub currency: String,
    /// Whether every refunded order came back whole.
    pub full_refund: bool,
    /// When.
    pub created_at: String,
    /// True when this repeats an earlier request with the same key.
    pub replayed: bool,
    /// The deleted workspace, for a quota.
    pub workspace_deleted: Option<WorkspaceDeletionView>,
    /// The refunds.
    pub refunds: Vec<RefundView>,
}

impl From<&UnsubscriptionResult> for UnsubscriptionView {
    fn from(r: &UnsubscriptionResult) -> Self {
        let u = &r.unsubscription;
        UnsubscriptionView {
            id: u.id.to_string(),
            action: u.action.as_str().to_owned(),
            quota_cu_after: u.quota_cu_after,
            instance_id: u.instance_id.to_string(),
            order_id: u.order_id.as_ref().map(ToString::to_string),
            quote_id: u.quote_id.to_string(),
            refund: u.refund.to_string(),
            currency: u.refund.currency().code().to_owned(),
            full_refund: u.full_refund,
            created_at: instant(u.created_at),
            replayed: r.replayed,
            workspace_deleted: r.tombstone.as_ref().map(WorkspaceDeletionView::from),
            refunds: r.refunds.iter().map(RefundView::from).collect(),
        }
    }
}

/// An order and the instance it bought or extended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseView {
    /// The order.
    pub order: OrderView,
    /// The instance.
    pub instance: PurchasedInstanceView,
}

impl From<&crate::purchase::Purchase> for PurchaseView {
    fn from(p: &crate::purchase::Purchase) -> Self {
        PurchaseView { order: OrderView::from(&p.order), instance: PurchasedInstanceView::from(&p.instance) }
    }
}
