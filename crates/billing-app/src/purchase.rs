//! Buying: subscription quotas, resource plans and renewals; paying and
//! cancelling orders. Vouchers and coupons are applied when an order is
//! placed; cash tenders when it is paid.

use billing_domain::catalog::{CatalogError, Commodity, Region, check_months, quota_list_price};
use billing_domain::ids::{AccountId, BenefitId, InstanceId, OrderId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::order::{OrderCharges, OrderKind, OrderStatus, PaymentMethodKind};
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::catalog::{PLAN_MAX_MONTHS, plan_list_price, region_of};
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::ledger::{self, Movement};
use crate::model::{
    Account, BenefitKind, BenefitStatus, BillingMethod, InstanceRecord, InstanceState, OrderRecord, QueueStatus,
    TenderRecord,
};
use crate::store::StoreTx;
use crate::workspaces::workspace_of;

use crate::charges::charges_for;
use crate::core::Core;
pub use crate::payment::TenderInput;
use crate::payment::{check_tenders, post_payment};
use std::sync::Arc;

/// Buying and paying: quotas, plans, renewals and top-ups, their orders
/// and charges through the payment channel, activation, and the scheduler
/// that renews and expires instances.
#[derive(Clone)]
pub struct Purchases {
    pub(crate) core: Core,
    pub(crate) channel: Option<Arc<dyn crate::channel::PaymentChannel>>,
    pub(crate) due_failures: Arc<crate::lifecycle::DueFailures>,
}

/// A request to buy a subscription quota for a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaPurchase {
    /// Buyer.
    pub account_id: AccountId,
    /// The workspace the CUs are reserved for.
    pub workspace_id: WorkspaceId,
    /// CUs to reserve.
    pub cu: u32,
    /// Whole months.
    pub months: u32,
    /// Vouchers and coupons to apply.
    pub benefit_ids: Vec<BenefitId>,
    /// Cash tenders to pay with now; `None` leaves the order unpaid.
    pub tenders: Option<Vec<TenderInput>>,
    /// Renew automatically 9 days before the end.
    pub auto_renew: bool,
}

/// A request to buy a resource plan pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPurchase {
    /// Buyer.
    pub account_id: AccountId,
    /// Region the CU-hours can be used in.
    pub region_id: String,
    /// CU-hours in the pack.
    pub capacity: CuHours,
    /// Validity in months.
    pub months: u32,
    /// Vouchers and coupons to apply.
    pub benefit_ids: Vec<BenefitId>,
    /// Cash tenders to pay with now; `None` leaves the order unpaid.
    pub tenders: Option<Vec<TenderInput>>,
}

/// An instance and the order that bought or extended it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    /// The instance.
    pub instance: InstanceRecord,
    /// The order.
    pub order: OrderRecord,
    /// The charges this call wrote for the channel to take, when its
    /// transaction left the order unpaid waiting for them; else empty.
    pub charges: Vec<crate::charges::ChargeRecord>,
}

/// An order about to be placed.
struct OrderDraft<'a> {
    account: &'a Account,
    /// The instance bought (written with the order when `kind` is new).
    instance: InstanceRecord,
    kind: OrderKind,
    months: u32,
    list_price: Money,
    benefit_ids: &'a [BenefitId],
    /// Tenders to pay with now, if any.
    tenders: Option<&'a [TenderInput]>,
}

fn catalog_error(e: CatalogError) -> AppError {
    match e {
        CatalogError::TooFewCu { .. } => AppError::TooFewCu { message: e.to_string() },
        CatalogError::MonthsOutOfRange { .. } => AppError::MonthsOutOfRange { message: e.to_string() },
        other => AppError::invalid("price", other),
    }
}

/// The account a purchase is for, locked for the transaction (see
/// [`crate::store::AccountsTx::lock_account`]), or `NOT_FOUND` for one the caller may not see.
async fn locked_account(tx: &mut (dyn StoreTx + '_), caller: &Caller, account_id: &AccountId) -> AppResult<Account> {
    let account = if caller.may_see(account_id) { tx.lock_account(account_id).await? } else { None };
    visible(caller, "account", account_id, account, |a| &a.id)
}

/// A new instance of `commodity` awaiting its first payment.
fn pending_instance(account: &Account, region: &Region, commodity: Commodity, now: DateTime<Utc>) -> InstanceRecord {
    InstanceRecord {
        id: mint(),
        account_id: account.id.clone(),
        region_id: region.id.clone(),
        commodity,
        workspace_id: None,
        quota_cu: None,
        capacity: None,
        used: CuHours::ZERO,
        state: InstanceState::PendingPayment,
        promotion_non_refundable: false,
        transferred: false,
        auto_renew: false,
        created_at: now,
    }
}

/// Refuses overdue accounts and accounts settling in another currency.
pub(crate) fn check_can_buy(account: &Account, region: &Region) -> AppResult<()> {
    if account.balance.is_negative() {
        return Err(AppError::AccountOverdue { balance: account.balance.to_string() });
    }
    if account.currency != region.currency() {
        return Err(AppError::CurrencyMismatch {
            message: format!(
                "region {} prices in {}, the account settles in {}",
                region.id,
                region.currency(),
                account.currency
            ),
        });
    }
    Ok(())
}

/// Applies coupons, then vouchers, to `list_price`; each is used whole, up to
/// what is still due, and bound to `order_id`.
async fn apply_benefits(
    tx: &mut (dyn StoreTx + '_),
    account: &Account,
    list_price: Money,
    benefit_ids: &[BenefitId],
    order_id: &OrderId,
    now: DateTime<Utc>,
) -> AppResult<OrderCharges> {
    let mut charges = OrderCharges::list_only(list_price);
    let mut benefits = Vec::with_capacity(benefit_ids.len());
    for (i, id) in benefit_ids.iter().enumerate() {
        if benefit_ids[..i].contains(id) {
            return Err(AppError::invalid("benefit_ids", format!("{:?} is listed twice", id.as_str())));
        }
        let benefit = tx.benefit(id).await?.filter(|b| b.account_id == account.id);
        let benefit = benefit.ok_or_else(|| AppError::not_found("benefit", id))?;
        let unusable = |message: &str| AppError::BenefitUnusable { id: id.to_string(), message: message.to_owned() };
        if benefit.status != BenefitStatus::Active {
            return Err(unusable("it has already been used"));
        }
        if benefit.expires_at < now {
            return Err(unusable("it has expired"));
        }
        if benefit.amount.currency() != list_price.currency() {
            return Err(unusable("it is in another currency"));
        }
        benefits.push(benefit);
    }
    benefits.sort_by_key(|b| b.kind == BenefitKind::Voucher);
    for benefit in &benefits {
        let due = charges.cash_due()?;
        if due.is_zero() {
            return Err(AppError::BenefitUnusable {
                id: benefit.id.to_string(),
                message: "the benefits before it already pay the whole price".to_owned(),
            });
        }
        let applied = if benefit.amount.minor() < due.minor() { benefit.amount } else { due };
        match benefit.kind {
            BenefitKind::Coupon => charges.coupon = charges.coupon.checked_add(applied)?,
            BenefitKind::Voucher => charges.voucher = charges.voucher.checked_add(applied)?,
        }
        if !tx.set_benefit_status(&benefit.id, BenefitStatus::Active, BenefitStatus::Used, Some(order_id)).await? {
            return Err(AppError::BenefitUnusable {
                id: benefit.id.to_string(),
                message: "it was just used".to_owned(),
            });
        }
    }
    Ok(charges)
}

impl Purchases {
    /// Buys a subscription quota for a workspace; pays it now when tenders
    /// are given.
    pub async fn buy_quota(&self, caller: &Caller, request: &QuotaPurchase) -> AppResult<Purchase> {
        let mut tx = self.core.begin().await?;
        let purchase = self.buy_quota_in(&mut *tx, caller, request).await?;
        tx.commit().await?;
        self.settle_if_unpaid(caller, purchase).await
    }

    /// [`crate::purchase::Purchases::buy_quota`] inside the caller's transaction.
    pub(crate) async fn buy_quota_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        request: &QuotaPurchase,
    ) -> AppResult<Purchase> {
        let now = self.core.now();
        let account = locked_account(tx, caller, &request.account_id).await?;
        let workspace = workspace_of(tx, caller, &request.workspace_id).await?;
        if workspace.account_id != account.id {
            return Err(AppError::not_found("workspace", &request.workspace_id));
        }
        if workspace.billing_method == BillingMethod::PayAsYouGo {
            return Err(AppError::state("a pay-as-you-go workspace cannot hold a quota"));
        }
        if tx.quota_of_workspace(&workspace.id).await?.is_some() {
            return Err(AppError::state("the workspace already has a subscription quota"));
        }
        let region = region_of(tx, &workspace.region_id).await?;
        check_can_buy(&account, &region)?;
        let list_price = quota_list_price(&region, request.cu, request.months).map_err(catalog_error)?;
        let instance = InstanceRecord {
            workspace_id: Some(workspace.id.clone()),
            quota_cu: Some(request.cu),
            auto_renew: request.auto_renew,
            ..pending_instance(&account, &region, Commodity::SparkReserved, now)
        };
        let draft = OrderDraft {
            account: &account,
            instance,
            kind: OrderKind::New,
            months: request.months,
            list_price,
            benefit_ids: &request.benefit_ids,
            tenders: request.tenders.as_deref(),
        };
        let purchase = self.place_order(tx, caller, draft).await?;
        Ok(purchase)
    }

    /// Buys a resource plan pack; pays it now when tenders are given.
    pub async fn buy_plan(&self, caller: &Caller, request: &PlanPurchase) -> AppResult<Purchase> {
        let mut tx = self.core.begin().await?;
        let purchase = self.buy_plan_in(&mut *tx, caller, request).await?;
        tx.commit().await?;
        self.settle_if_unpaid(caller, purchase).await
    }

    /// [`crate::purchase::Purchases::buy_plan`] inside the caller's transaction.
    pub async fn buy_plan_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        request: &PlanPurchase,
    ) -> AppResult<Purchase> {
        let now = self.core.now();
        if request.months == 0 || request.months > PLAN_MAX_MONTHS {
            return Err(AppError::MonthsOutOfRange {
                message: format!("a plan is valid for 1 to {PLAN_MAX_MONTHS} months, {} requested", request.months),
            });
        }
        let account = locked_account(tx, caller, &request.account_id).await?;
        let region = region_of(tx, &request.region_id).await?;
        check_can_buy(&account, &region)?;
        let list_price = plan_list_price(&region, request.capacity)?;
        let instance = InstanceRecord {
            capacity: Some(request.capacity),
            ..pending_instance(&account, &region, Commodity::SparkResourcePlan, now)
        };
        let draft = OrderDraft {
            account: &account,
            instance,
            kind: OrderKind::New,
            months: request.months,
            list_price,
            benefit_ids: &request.benefit_ids,
            tenders: request.tenders.as_deref(),
        };
        let purchase = self.place_order(tx, caller, draft).await?;
        Ok(purchase)
    }

    /// Renews an active quota by `months`, starting where it now ends.
    pub async fn renew(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        months: u32,
        benefit_ids: &[BenefitId],
        tenders: Option<&[TenderInput]>,
    ) -> AppResult<Purchase> {
        let mut tx = self.core.begin().await?;
        let purchase = self.renew_in(&mut *tx, caller, instance_id, months, benefit_ids, tenders).await?;
        tx.commit().await?;
        self.settle_if_unpaid(caller, purchase).await
    }

    /// [`crate::purchase::Purchases::renew`] inside the caller's transaction.
    pub(crate) async fn renew_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        instance_id: &InstanceId,
        months: u32,
        benefit_ids: &[BenefitId],
        tenders: Option<&[TenderInput]>,
    ) -> AppResult<Purchase> {
        let instance = tx.instance(instance_id).await?;
        let instance = visible(caller, "instance", instance_id, instance, |i| &i.account_id)?;
        let account = tx
            .lock_account(&instance.account_id)
            .await?
            .ok_or_else(|| AppError::not_found("account", &instance.account_id))?;
        // Read again under the lock: a racing renewal may have just committed.
        let instance = tx.instance(instance_id).await?.ok_or_else(|| AppError::not_found("instance", instance_id))?;
        let (Commodity::SparkReserved, Some(cu)) = (instance.commodity, instance.quota_cu) else {
            return Err(AppError::state("only subscription quotas can be renewed"));
        };
        if instance.state != InstanceState::Active {
            return Err(AppError::state(format!("the quota is {}, not active", instance.state.as_str())));
        }
        if tx.orders(instance_id).await?.iter().any(|o| o.status == OrderStatus::Unpaid) {
            return Err(AppError::state("an unpaid order of this quota must be paid or cancelled first"));
        }
        let region = region_of(&mut *tx, &instance.region_id).await?;
        check_can_buy(&account, &region)?;
        check_months(&region, months).map_err(catalog_error)?;
        // The quota's size was checked when it was bought; a renewal only
        // checks the months.
        let list_price = region.cu_month_price.checked_mul(i64::from(cu))?.checked_mul(i64::from(months))?;
        let draft = OrderDraft {
            account: &account,
            instance,
            kind: OrderKind::Renewal,
            months,
            list_price,
            benefit_ids,
            tenders,
        };
        self.place_order(tx, caller, draft).await
    }

    /// Writes the order (and for a new purchase the instance), applies its
    /// benefits and, given tenders, pays it.
    async fn place_order(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        draft: OrderDraft<'_>,
    ) -> AppResult<Purchase> {
        let OrderDraft { account, instance, kind, months, list_price, benefit_ids, tenders } = draft;
        let now = self.core.now();
        if kind == OrderKind::New {
            tx.insert_instance(&instance).await?;
        }
        let order_id: OrderId = mint();
        let charges = apply_benefits(tx, account, list_price, benefit_ids, &order_id, now).await?;
        let order = OrderRecord {
            id: order_id,
            instance_id: instance.id.clone(),
            account_id: account.id.clone(),
            kind,
            status: OrderStatus::Unpaid,
            months,
            charges,
            benefit_ids: benefit_ids.to_vec(),
            tenders: Vec::new(),
            created_at: now,
            paid_at: None,
            start: None,
            payment_failure: None,
            released_cash: Money::zero(list_price.currency()),
        };
        tx.insert_order(&order).await?;
        let detail = json!({
            "instance_id": instance.id, "kind": kind.as_str(), "months": months,
            "list_price": list_price.to_string(), "cash_due": charges.cash_due()?.to_string(),
        });
        audit(tx, caller, "order.placed", &order.id, detail, now).await?;
        let mut purchase = Purchase { instance, order, charges: Vec::new() };
        if let Some(tenders) = tenders {
            purchase = self.pay_in(tx, caller, account, purchase, tenders, true).await?;
        }
        Ok(purchase)
    }

    /// Pays an unpaid order.
    pub async fn pay_order(&self, caller: &Caller, order_id: &OrderId, tenders: &[TenderInput]) -> AppResult<Purchase> {
        let mut tx = self.core.begin().await?;
        let purchase = self.pay_order_in(&mut *tx, caller, order_id, tenders).await?;
        tx.commit().await?;
        self.settle_if_unpaid(caller, purchase).await
    }

    /// [`crate::purchase::Purchases::pay_order`] inside the caller's transaction.
    pub(crate) async fn pay_order_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        order_id: &OrderId,
        tenders: &[TenderInput],
    ) -> AppResult<Purchase> {
        let order = tx.order(order_id).await?;
        let order = visible(caller, "order", order_id, order, |o| &o.account_id)?;
        let account =
            tx.lock_account(&order.account_id).await?.ok_or_else(|| AppError::internal("order without account"))?;
        let order = tx.order(order_id).await?.ok_or_else(|| AppError::not_found("order", order_id))?;
        if order.status != OrderStatus::Unpaid {
            return Err(AppError::state(format!("the order is {}, not unpaid", order.status.as_str())));
        }
        let instance =
            tx.instance(&order.instance_id).await?.ok_or_else(|| AppError::internal("order without instance"))?;
        let region = region_of(tx, &instance.region_id).await?;
        check_can_buy(&account, &region)?;
        let purchase = Purchase { instance, order, charges: Vec::new() };
        let purchase = self.pay_in(tx, caller, &account, purchase, tenders, false).await?;
        Ok(purchase)
    }

    /// Accepts tenders for an unpaid order. Balance tenders alone (and
    /// bank transfers an operator records) pay it at once; with a card or
    /// PayPal tender the payment is written as charges and the order stays
    /// unpaid until the channel has captured them all
    /// ([`crate::purchase::Purchases::settle_order_payment`], after this transaction commits).
    async fn pay_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        account: &Account,
        mut purchase: Purchase,
        tenders: &[TenderInput],
        placed_now: bool,
    ) -> AppResult<Purchase> {
        let now = self.core.now();
        let due = purchase.order.charges.cash_due()?;
        let records = check_tenders(tx, caller, account, due, tenders).await?;
        // An order placed in this transaction has no charges yet.
        if !placed_now && tx.charges_of_order(&purchase.order.id).await?.iter().any(|c| c.status.is_open()) {
            return Err(AppError::state("a payment of this order is already being processed"));
        }
        if !records.iter().any(|t| matches!(t.method, PaymentMethodKind::Card | PaymentMethodKind::Paypal)) {
            return self.complete_payment(tx, caller, account, purchase, records).await;
        }
        self.channel()?;
        let order = &mut purchase.order;
        let charges = charges_for(order, &records, now);
        for charge in &charges {
            tx.insert_charge(charge).await?;
        }
        purchase.charges = charges;
        let order = &mut purchase.order;
        if order.payment_failure.take().is_some() {
            tx.set_order_payment_failure(&order.id, None).await?;
        }
        let detail = json!({"cash_due": due.to_string(), "tenders": records.len()});
        audit(tx, caller, "order.payment_requested", &order.id, detail, now).await?;
        Ok(purchase)
    }

    /// Pays the order with `tenders` (cash already taken, or balance taken
    /// now): marks it paid, posts the payment and activates what it bought.
    pub(crate) async fn complete_payment(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        account: &Account,
        mut purchase: Purchase,
        tenders: Vec<TenderRecord>,
    ) -> AppResult<Purchase> {
        let now = self.core.now();
        let order = &mut purchase.order;
        let due = order.charges.cash_due()?;
        // Checked when the tenders were accepted, and again here: an order
        // is paid with exactly its cash due, never a part of it.
        let paid = Money::checked_sum(due.currency(), tenders.iter().map(|t| t.amount))?;
        if paid != due {
            return Err(AppError::internal(format!("order {} would be paid {paid} of {due}", order.id)));
        }
        order.tenders = tenders;
        order.paid_at = Some(now);
        order.start = (order.kind == OrderKind::New).then_some(now);
        order.payment_failure = None;
        let expected = matches!(
            (order.kind, purchase.instance.state),
            (OrderKind::New, InstanceState::PendingPayment) | (OrderKind::Renewal, InstanceState::Active)
        );
        if !expected || !tx.mark_order_paid(order).await? {
            return Err(AppError::state("the order can no longer be paid"));
        }
        order.status = OrderStatus::Paid;
        post_payment(tx, account, order, now).await?;
        let zone = region_of(tx, &purchase.instance.region_id).await?.zone;
        // The invoice is issued with the payment, and the event of the
        // payment names it: that is how the audit chain records the issue.
        let invoice = crate::documents::issue::issue_invoice(tx, account, &purchase.instance, order, zone, now).await?;
        self.core.count_on_commit(tx, crate::telemetry::DOCUMENTS_ISSUED, &[("kind", "invoice")], 1);
        let detail = json!({
            "cash_paid": due.to_string(), "tenders": order.tenders.len(),
            "document": crate::documents::issue::audit_ref(&invoice),
        });
        audit(tx, caller, "order.paid", &order.id, detail, now).await?;
        crate::events::emit(tx, crate::events::EventType::OrderPaid, &purchase.order, now).await?;
        match purchase.order.kind {
            OrderKind::New if crate::activation::region_has_room(tx, &purchase.instance).await? => {
                self.activate(tx, &mut purchase.instance).await?;
                crate::events::emit(tx, crate::events::EventType::InstanceActivated, &purchase.instance, now).await?;
            }
            OrderKind::New => {
                self.refund_failed_activation(tx, caller, account, &mut purchase.instance, &mut purchase.order, now)
                    .await?;
            }
            OrderKind::Renewal => {
                crate::events::emit(tx, crate::events::EventType::InstanceRenewed, &purchase.instance, now).await?;
            }
        }
        Ok(purchase)
    }

    /// The purchase as its transaction left it when that paid it (the
    /// balance, or nothing due); else [`crate::purchase::Purchases::finish_payment`].
    pub(crate) async fn settle_if_unpaid(&self, caller: &Caller, mut purchase: Purchase) -> AppResult<Purchase> {
        if purchase.order.status != OrderStatus::Unpaid {
            return Ok(purchase);
        }
        let order_id = purchase.order.id.clone();
        let charges = std::mem::take(&mut purchase.charges);
        if !charges.is_empty() {
            // The charges this call's transaction just wrote, and the order
            // as it left it: nothing else can have paid it with other
            // charges, and its completion reads both again under the lock.
            if let (_, Some(paid)) = self.settle_loaded(purchase.order, charges).await? {
                return Ok(paid);
            }
        }
        self.finish_payment(caller, &order_id).await
    }

    /// Takes a purchase's payment through the channel after the
    /// transaction that accepted its tenders committed, and answers the
    /// purchase as it then stands: paid, or placed without tenders. A
    /// declined payment answers `PAYMENT_DECLINED` (the order stays unpaid
    /// and can be paid again); a channel that did not answer,
    /// `PAYMENT_CHANNEL_UNAVAILABLE` (the payment is finished later, and a
    /// repeat of the request with its idempotency key shows how it ended).
    pub async fn finish_payment(&self, caller: &Caller, order_id: &OrderId) -> AppResult<Purchase> {
        let (order, charges) = {
            let mut tx = self.core.read().await?;
            let order = tx.order(order_id).await?;
            let order = visible(caller, "order", order_id, order, |o| &o.account_id)?;
            let charges = tx.charges_of_order(order_id).await?;
            (order, charges)
        };
        let paid_with: Vec<&str> = order.tenders.iter().filter_map(|t| t.charge_id.as_deref()).collect();
        if charges.iter().any(|c| c.status.is_open() && !paid_with.contains(&c.id.as_str())) {
            // The purchase this call paid, as its completion left it.
            if let (_, Some(paid)) = self.settle_loaded(order, charges).await? {
                return Ok(paid);
            }
        }
        let mut tx = self.core.read().await?;
        let order = tx.order(order_id).await?.ok_or_else(|| AppError::not_found("order", order_id))?;
        let instance =
            tx.instance(&order.instance_id).await?.ok_or_else(|| AppError::internal("order without instance"))?;
        if order.status == OrderStatus::Unpaid && order.payment_failure.is_some() {
            return Err(crate::charges::declined(&order));
        }
        Ok(Purchase { instance, order, charges: Vec::new() })
    }

    async fn activate(&self, tx: &mut (dyn StoreTx + '_), instance: &mut InstanceRecord) -> AppResult<()> {
        if !tx.set_instance_state(&instance.id, InstanceState::PendingPayment, InstanceState::Active).await? {
            return Err(AppError::state("the instance is no longer awaiting payment"));
        }
        instance.state = InstanceState::Active;
        if let Some(workspace_id) = &instance.workspace_id {
            tx.set_subscription_queue(workspace_id, QueueStatus::Running).await?;
        }
        if let Some(capacity) = instance.capacity {
            let mut movement = Movement::new(new_id("mov"), "plan.capacity_issued", &instance.id, self.core.now());
            movement.transfer_capacity("capacity:issued", &ledger::plan_remaining(&instance.id), capacity.milli());
            tx.insert_movement(&movement).await?;
        }
        Ok(())
    }

    /// Cancels an unpaid order; its vouchers and coupons become usable
    /// again, and an instance never paid for is cancelled with it.
    pub async fn cancel_order(&self, caller: &Caller, order_id: &OrderId) -> AppResult<OrderRecord> {
        let mut tx = self.core.begin().await?;
        let order = tx.order(order_id).await?;
        let order = visible(caller, "order", order_id, order, |o| &o.account_id)?;
        let order = cancel_in(&mut *tx, caller, order, self.core.now()).await?;
        tx.commit().await?;
        Ok(order)
    }
}

/// Cancels an unpaid order inside the caller's transaction.
pub(crate) async fn cancel_in(
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    mut order: OrderRecord,
    now: DateTime<Utc>,
) -> AppResult<OrderRecord> {
    if !tx.set_order_status(&order.id, OrderStatus::Unpaid, OrderStatus::Cancelled).await? {
        return Err(AppError::state(format!("the order is {}, not unpaid", order.status.as_str())));
    }
    order.status = OrderStatus::Cancelled;
    for id in &order.benefit_ids {
        tx.set_benefit_status(id, BenefitStatus::Used, BenefitStatus::Active, None).await?;
    }
    if order.kind == OrderKind::New {
        tx.set_instance_state(&order.instance_id, InstanceState::PendingPayment, InstanceState::Cancelled).await?;
    }
    audit(tx, caller, "order.cancelled", &order.id, json!({"instance_id": order.instance_id}), now).await?;
    crate::events::emit(tx, crate::events::EventType::OrderCancelled, &order, now).await?;
    Ok(order)
}
