//! Confirming a quote: one transaction that re-checks it, marks the instance
//! and its orders, voids their benefits, creates the refunds with their
//! ledger postings, deletes a quota's workspace or releases a plan, and
//! records the audit event — or does none of it.

use billing_domain::calendar::BillingZone;
use billing_domain::catalog::Commodity;
use billing_domain::change::{ActionKind, release_tranche};
use billing_domain::destination::Destination;
use billing_domain::ids::{InstanceId, QuoteId, UnsubscriptionId};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use billing_domain::quote::{InstanceStatus, Quote, QuoteLine};
use billing_domain::reason::ReasonCode;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde_json::json;

use super::facts::{Question, QuoteFacts, load_facts_knowing};
use super::quoting::{deletion_preview, stored_body};
use super::records::{Refund, RefundCause, RefundFilter, RefundStatus, StoredQuote, Unsubscription};
use crate::core::{Caller, Core, audit, visible};
use crate::documents::issue::{Credited, audit_ref, issue_credit_note};
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::ids::{mint, new_id};
use crate::ledger::{self, Movement, REVENUE_PREPAID, customer_balance};
use crate::model::{
    BenefitStatus, BillingMethod, InstanceRecord, InstanceState, OrderRecord, QueueStatus, QuotaChange, Tombstone,
};
use crate::store::{StoreError, StoreTx};
use crate::unsubscription::Unsubscriptions;

/// Business days within which a card or PayPal refund is expected to arrive.
pub const CHANNEL_ARRIVAL_BUSINESS_DAYS: u32 = 30;

/// A request to execute a quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// The quote to execute.
    pub quote_id: QuoteId,
    /// The caller's key; repeating it repeats nothing.
    pub idempotency_key: String,
    /// For a quota: the name of the workspace that will be deleted, typed by
    /// the customer.
    pub confirm_workspace_deletion: Option<String>,
}

/// A confirmed unsubscription with its refunds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscriptionResult {
    /// The unsubscription.
    pub unsubscription: Unsubscription,
    /// Its refunds, with their current status.
    pub refunds: Vec<Refund>,
    /// For a quota: what is left of its deleted workspace.
    pub tombstone: Option<Tombstone>,
    /// True when this answers a repeated request with the first result.
    pub replayed: bool,
}

/// A quote found still to hold at confirmation.
struct Rechecked {
    facts: QuoteFacts,
    recomputed: Quote,
    /// For a quota given back whole: its workspace, about to be deleted.
    deletes: Option<Tombstone>,
}

/// A confirmation as executed, to be recorded.
struct Done<'a> {
    quote: &'a StoredQuote,
    facts: &'a QuoteFacts,
    recomputed: &'a Quote,
    result: &'a UnsubscriptionResult,
    /// For a quota change: its CUs before and after.
    quota_cu: Option<(u32, u32)>,
}

/// Issues the credit note, then writes the audit event and the events that
/// name it. The credit note comes last so that its series' counter is held
/// for the shortest time.
async fn record_outcome(
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    done: Done<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Done { quote, facts, recomputed, result, quota_cu } = done;
    let credited = Credited {
        account: &facts.account,
        instance: &facts.record,
        unsubscription: &result.unsubscription,
        refunds: &result.refunds,
        zone: facts.zone(),
    };
    let note = issue_credit_note(tx, &credited, recomputed, now).await?;
    let detail = json!({
        "quote_id": quote.id, "instance_id": quote.instance_id, "order_id": quote.order_id,
        "refund": quote.refund.to_string(), "refunds": result.refunds.len(),
        "workspace_deleted": result.tombstone.as_ref().map(|t| &t.workspace_id),
        "quota_cu_before": quota_cu.map(|(before, _)| before), "quota_cu_after": quota_cu.map(|(_, after)| after),
        "document": audit_ref(&note),
    });
    let (name, event) = match quote.action {
        ActionKind::Unsubscribe => ("unsubscription.confirmed", EventType::UnsubscriptionConfirmed),
        ActionKind::Downgrade => ("quota.downgraded", EventType::QuotaDowngraded),
        ActionKind::SwitchToPayAsYouGo => ("quota.switched_to_pay_as_you_go", EventType::QuotaSwitchedToPayAsYouGo),
    };
    audit(tx, caller, name, &result.unsubscription.id, detail, now).await?;
    crate::events::emit_refund_set(tx, event, result, now).await?;
    Ok(())
}

/// The confirmation's fingerprint: the quote it executes and the name typed.
fn fingerprint(c: &Confirmation) -> String {
    let typed = c.confirm_workspace_deletion.as_deref();
    crate::idempotency::fingerprint(
        "confirm_quote",
        &[&c.quote_id, typed.map_or("untyped", |_| "typed"), typed.unwrap_or("")],
    )
}

/// `days` business days (Monday to Friday in the billing zone) after `from`,
/// or an error past the end of the calendar.
pub fn business_days_after(zone: BillingZone, from: DateTime<Utc>, days: u32) -> AppResult<DateTime<Utc>> {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at = billing_domain::calendar::shift(at, Duration::days(1))?;
        if !matches!(zone.local_date(at).weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    Ok(at)
}

impl Unsubscriptions {
    /// Executes an unsubscription's quote exactly, or refuses with nothing
    /// changed.
    pub async fn confirm_unsubscription(&self, caller: &Caller, c: &Confirmation) -> AppResult<UnsubscriptionResult> {
        self.confirm_quote(caller, c, &[ActionKind::Unsubscribe]).await
    }

    /// Executes the quote of a downgrade or of a switch to pay-as-you-go
    /// exactly, or refuses with nothing changed.
    pub async fn confirm_quota_change(&self, caller: &Caller, c: &Confirmation) -> AppResult<UnsubscriptionResult> {
        self.confirm_quote(caller, c, &[ActionKind::Downgrade, ActionKind::SwitchToPayAsYouGo]).await
    }

    /// Executes a quote of one of the `accepted` actions, and counts the
    /// outcome once it is known: a confirmation counts as confirmed only
    /// after its transaction committed.
    async fn confirm_quote(
        &self,
        caller: &Caller,
        c: &Confirmation,
        accepted: &[ActionKind],
    ) -> AppResult<UnsubscriptionResult> {
        let result = self.confirm_quote_once(caller, c, accepted).await;
        let kind = if accepted.contains(&ActionKind::Unsubscribe) { "unsubscription" } else { "quota_change" };
        let outcome = match &result {
            Ok(r) if r.replayed => "replayed",
            Ok(_) => "confirmed",
            Err(_) => "refused",
        };
        self.core.meter.count(crate::telemetry::CONFIRMATIONS, &[("kind", kind), ("outcome", outcome)], 1);
        result
    }

    async fn confirm_quote_once(
        &self,
        caller: &Caller,
        c: &Confirmation,
        accepted: &[ActionKind],
    ) -> AppResult<UnsubscriptionResult> {
        let key = &c.idempotency_key;
        crate::idempotency::check_idempotency_key(key)?;
        let now = self.core.now();
        let hash = fingerprint(c);
        // The key's answer is the unsubscription's id, chosen before the work.
        let id: UnsubscriptionId = mint();
        // Read before the transaction: making the key takes a write of its own.
        let quote = self.quote_keys().await?.open(&c.quote_id, now);
        if let Some(q) = quote.as_ref().filter(|q| !accepted.contains(&q.action)) {
            let message = match q.action {
                ActionKind::Unsubscribe => "this quote is for an unsubscription; confirm it as one",
                _ => "this quote is for a quota change (a downgrade or a switch); confirm it as one",
            };
            return Err(AppError::invalid("quote_id", message));
        }
        let mut tx = self.core.begin().await?;
        if let Some(first) = self.core.claim_key(&mut *tx, caller, key, &hash, Some(id.as_str())).await? {
            drop(tx);
            return self.unsubscription_result(caller, &UnsubscriptionId::trusted(first), true).await;
        }
        let quote = visible(caller, "quote", &c.quote_id, quote, |q| &q.account_id)?;
        let result = self.execute(&mut *tx, caller, c, quote, &id, now).await?;
        // A store may write the unsubscription with the commit (PostgreSQL):
        // a second one of the instance or order is refused there.
        tx.commit().await.map_err(already_unsubscribed)?;
        Ok(result)
    }

    /// An unsubscription with its refunds as they are now.
    pub async fn unsubscription_result(
        &self,
        caller: &Caller,
        id: &UnsubscriptionId,
        replayed: bool,
    ) -> AppResult<UnsubscriptionResult> {
        let mut tx = self.core.read().await?;
        let found = tx.unsubscription(id).await?;
        let unsubscription = visible(caller, "unsubscription", id, found, |u| &u.account_id)?;
        let filter = RefundFilter { unsubscription_id: Some(id.clone()), limit: 1000, ..RefundFilter::default() };
        let mut refunds = tx.refunds(&filter).await?;
        refunds.reverse();
        let instance = tx.instance(&unsubscription.instance_id).await?;
        let tombstone = match instance.and_then(|i| i.workspace_id.filter(|_| unsubscription.order_id.is_none())) {
            Some(workspace_id) if unsubscription.commodity == Commodity::SparkReserved => {
                tx.tombstone(&workspace_id).await?
            }
            _ => None,
        };
        Ok(UnsubscriptionResult { unsubscription, refunds, tombstone, replayed })
    }

    async fn execute(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        c: &Confirmation,
        quote: StoredQuote,
        id: &UnsubscriptionId,
        now: DateTime<Utc>,
    ) -> AppResult<UnsubscriptionResult> {
        let Rechecked { facts, recomputed, deletes } = self.recheck(tx, c, &quote, now).await?;
        let (action, whole, zone) = (quote.action, quote.order_id.is_none(), facts.zone());
        // The quote is kept as it was shown, with its lines.
        let quote = StoredQuote { body: stored_body(&quote, &recomputed, zone)?, ..quote };
        let (unsubscription, refunded_before) = record_unsubscription(tx, id, &facts, &quote, &recomputed, now).await?;
        let refunds =
            create_refunds(&self.core, tx, &unsubscription, &recomputed.destinations, &facts.orders, zone, now).await?;
        check_cash_refunded(&recomputed, &refunded_before, &refunds)?;
        let tombstone = match deletes {
            Some(t) => {
                tx.delete_workspace(&t).await?;
                Some(t)
            }
            None => None,
        };
        if whole && action == ActionKind::Unsubscribe && facts.record.commodity == Commodity::SparkResourcePlan {
            release_plan(tx, &facts.record, now).await?;
        }
        let quota_cu_before = facts.record.quota_cu.unwrap_or(0);
        let quota_cu_after = match action {
            ActionKind::Unsubscribe => None,
            ActionKind::Downgrade => {
                Some(recomputed.quota_cu_after.ok_or_else(|| AppError::internal("a downgrade quote without its CUs"))?)
            }
            ActionKind::SwitchToPayAsYouGo => Some(0),
        };
        if let Some(after) = quota_cu_after {
            change_quota(tx, &facts.record, &unsubscription.id, quota_cu_before, after, now).await?;
        }
        let result = UnsubscriptionResult { unsubscription, refunds, tombstone, replayed: false };
        let quota_cu = quota_cu_after.map(|after| (quota_cu_before, after));
        let done = Done { quote: &quote, facts: &facts, recomputed: &recomputed, result: &result, quota_cu };
        record_outcome(tx, caller, done, now).await?;
        self.core.count_on_commit(tx, crate::telemetry::DOCUMENTS_ISSUED, &[("kind", "credit_note")], 1);
        Ok(result)
    }

    /// Checks, under the account's lock and with the instance taken, that
    /// the quote still holds: in force, eligible, the workspace's name typed
    /// right, and the same facts giving the same refund.
    async fn recheck(
        &self,
        tx: &mut (dyn StoreTx + '_),
        c: &Confirmation,
        quote: &StoredQuote,
        now: DateTime<Utc>,
    ) -> AppResult<Rechecked> {
        if !quote.eligible {
            return Err(AppError::NotEligible { reason: quote.reason.unwrap_or(ReasonCode::ZeroRefundable) });
        }
        if now > quote.expires_at {
            return Err(AppError::QuoteStale { message: format!("it expired at {}", quote.expires_at.to_rfc3339()) });
        }
        // The account's row is locked before anything is counted: the yearly
        // limit of full refunds counts the account's earlier unsubscriptions,
        // and a confirmation of another instance of the same account in
        // another replica must wait here until this one has committed.
        let account = tx
            .lock_account_in_region_of(&quote.account_id, &quote.instance_id)
            .await?
            .ok_or_else(|| AppError::not_found("account", &quote.account_id))?;
        let action = quote.action;
        let whole = quote.order_id.is_none();
        // A downgrade and a renewal-only unsubscription lock the instance in
        // place; the others end it.
        let to = match action {
            ActionKind::Unsubscribe if whole => InstanceState::Unsubscribed,
            ActionKind::SwitchToPayAsYouGo => InstanceState::Switched,
            _ => InstanceState::Active,
        };
        let record = take_instance(tx, &quote.instance_id, to).await?;
        let deletes =
            if whole && action == ActionKind::Unsubscribe { deletion_preview(tx, &record, now).await? } else { None };
        if let Some(workspace) = &deletes
            && c.confirm_workspace_deletion.as_deref() != Some(workspace.name.as_str())
        {
            return Err(AppError::ConfirmationMismatch { expected: workspace.name.clone() });
        }
        let facts = load_facts_knowing(
            tx,
            &self.policies,
            InstanceRecord { state: InstanceState::Active, ..record },
            InstanceStatus::Active,
            quote.created_at,
            account,
        )
        .await?;
        let question = Question { action, order_id: quote.order_id.as_ref(), new_quota_cu: quote.new_quota_cu };
        let recomputed = facts.quote_question(quote.created_at, &question)?;
        if facts.digest() != quote.digest || recomputed.refund != quote.refund || !recomputed.eligible() {
            return Err(AppError::QuoteStale { message: "the instance, its orders or the policy changed".to_owned() });
        }
        Ok(Rechecked { facts, recomputed, deletes })
    }
}

/// Checked once more before commit: what an order gives back now never
/// exceeds its share in this quote (its cash basis, or a downgrade's
/// removed tranche), and what it has given back in all, with the refunds
/// just created, never exceeds what was paid for it in cash.
/// `refunded_before` holds, per line of the quote, what the order had
/// refunded before this confirmation.
fn check_cash_refunded(quote: &Quote, refunded_before: &[i64], refunds: &[Refund]) -> AppResult<()> {
    for (line, before) in quote.lines.iter().zip(refunded_before) {
        let out_of_range = || AppError::internal("refunded total out of range");
        let now = refunds
            .iter()
            .filter(|r| r.order_id == line.order_id)
            .try_fold(0i64, |sum, r| sum.checked_add(r.amount.minor()))
            .ok_or_else(out_of_range)?;
        let share = line.removed.unwrap_or(line.cash_paid);
        let in_all = before.checked_add(now).ok_or_else(out_of_range)?;
        let paid = line.charges.cash_due()?;
        if now > share.minor() || in_all > paid.minor() {
            return Err(AppError::internal(format!(
                "order {} would refund {now} of {share} now, {in_all} of {paid} in all",
                line.order_id
            )));
        }
    }
    Ok(())
}

/// The first clock hour after `now`: a quota change is settled from there.
pub fn next_hour(now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let start = now.timestamp().div_euclid(3600).checked_add(1).and_then(|h| h.checked_mul(3600));
    start
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| AppError::internal("the next hour is out of range"))
}

/// Applies a confirmed change of a quota's CUs: a downgrade keeps `after`
/// CUs, a switch to pay-as-you-go (`after` 0) ends the quota and bills its
/// workspace by the hour. Both take effect at the next clock hour.
async fn change_quota(
    tx: &mut (dyn StoreTx + '_),
    record: &InstanceRecord,
    unsubscription_id: &UnsubscriptionId,
    before: u32,
    after: u32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let change = QuotaChange {
        instance_id: record.id.clone(),
        unsubscription_id: unsubscription_id.clone(),
        effective_from: next_hour(now)?,
        quota_cu_before: before,
        quota_cu_after: after,
    };
    tx.insert_quota_change(&change).await?;
    if after > 0 {
        tx.set_quota_cu(&record.id, after).await?;
    } else if let Some(workspace_id) = &record.workspace_id {
        tx.set_billing_method(workspace_id, BillingMethod::PayAsYouGo).await?;
        tx.set_subscription_queue(workspace_id, QueueStatus::Stopped).await?;
    }
    Ok(())
}

/// Takes the instance for this confirmation: moves it from active to `to`
/// (unsubscribed, switched, or active again, which locks it in place). A
/// racing confirmation that got there first is reported as such.
async fn take_instance(tx: &mut (dyn StoreTx + '_), id: &InstanceId, to: InstanceState) -> AppResult<InstanceRecord> {
    if let Some(record) = tx.take_instance(id, InstanceState::Active, to).await? {
        return Ok(record);
    }
    match tx.instance(id).await?.map(|i| i.state) {
        None => Err(AppError::not_found("instance", id)),
        Some(InstanceState::Unsubscribed | InstanceState::Switched) => {
            Err(AppError::NotEligible { reason: ReasonCode::AlreadyUnsubscribed })
        }
        Some(_) => Err(AppError::QuoteStale { message: "the instance is no longer active".to_owned() }),
    }
}

/// Marks the refunded orders, voids their benefits and records the
/// unsubscription; answers it with what each refunded order (per line of
/// the quote) had refunded before.
async fn record_unsubscription(
    tx: &mut (dyn StoreTx + '_),
    id: &UnsubscriptionId,
    facts: &QuoteFacts,
    stored: &StoredQuote,
    quote: &Quote,
    now: DateTime<Utc>,
) -> AppResult<(Unsubscription, Vec<i64>)> {
    let mut cash = Money::zero(quote.currency);
    let mut refunded_before = Vec::with_capacity(quote.lines.len());
    for line in &quote.lines {
        if stored.action == ActionKind::Downgrade {
            refunded_before.push(release_line(tx, facts, line).await?);
            continue;
        }
        let Some(refunded) = tx.refund_order(&line.order_id).await? else {
            return Err(AppError::NotEligible { reason: ReasonCode::AlreadyUnsubscribed });
        };
        refunded_before.push(refunded);
        cash = cash.checked_add(line.cash_paid)?;
        // The facts were read in this transaction, after the instance was
        // locked: the order's benefits are as stored.
        let order = facts
            .orders
            .iter()
            .find(|o| o.id == line.order_id)
            .ok_or_else(|| AppError::internal("a refunded order is not among the instance's"))?;
        for benefit_id in &order.benefit_ids {
            tx.set_benefit_status(benefit_id, BenefitStatus::Used, BenefitStatus::Void, None).await?;
        }
    }
    let record = &facts.record;
    let unsubscription = Unsubscription {
        id: id.clone(),
        account_id: record.account_id.clone(),
        instance_id: record.id.clone(),
        order_id: stored.order_id.clone(),
        quote_id: stored.id.clone(),
        commodity: record.commodity,
        refund: quote.refund,
        // A downgrade never counts as a full refund.
        full_refund: stored.action != ActionKind::Downgrade && !quote.refund.is_zero() && quote.refund == cash,
        created_at: now,
        action: stored.action.into(),
        quota_cu_after: match stored.action {
            ActionKind::SwitchToPayAsYouGo => Some(0),
            _ => quote.quota_cu_after,
        },
    };
    tx.insert_unsubscription(&unsubscription, stored).await.map_err(already_unsubscribed)?;
    Ok((unsubscription, refunded_before))
}

/// A unique rule of unsubscriptions broken means the instance (or its
/// renewal order) was unsubscribed meanwhile; other errors pass.
fn already_unsubscribed(e: StoreError) -> AppError {
    match e {
        StoreError::Unique(rule) if rule.contains("unsubscriptions") => {
            AppError::NotEligible { reason: ReasonCode::AlreadyUnsubscribed }
        }
        other => other.into(),
    }
}

/// Takes a downgrade's removed tranche out of the line's order and out of
/// its tenders; answers what the order had refunded before.
async fn release_line(tx: &mut (dyn StoreTx + '_), facts: &QuoteFacts, line: &QuoteLine) -> AppResult<i64> {
    let removed = line.removed.ok_or_else(|| AppError::internal("a downgrade line without its tranche"))?;
    let (Some(order), Some(domain)) = (facts.orders.get(line.order_index), facts.instance.orders.get(line.order_index))
    else {
        return Err(AppError::internal("a downgraded order is not among the instance's"));
    };
    let released = release_tranche(domain, removed)?;
    let mut updated = OrderRecord { released_cash: released.released_cash, ..order.clone() };
    if released.tenders.len() != updated.tenders.len() {
        return Err(AppError::internal("an order's tenders changed under a downgrade"));
    }
    for (tender, remaining) in updated.tenders.iter_mut().zip(&released.tenders) {
        tender.released = tender.amount.checked_sub(*remaining)?;
    }
    if !tx.release_order_cash(&updated).await? {
        return Err(AppError::QuoteStale { message: "an order of the quota is no longer paid".to_owned() });
    }
    Ok(tx.order_refunded(&order.id).await?)
}

/// A plan's capacity not used yet, in milli-CU-hours.
pub(crate) fn plan_left(plan: &InstanceRecord) -> AppResult<i64> {
    let capacity = plan.capacity.unwrap_or(CuHours::ZERO);
    let left = capacity
        .checked_sub(plan.used)
        .ok_or_else(|| AppError::internal(format!("plan {}: use overflows", plan.id)))?;
    Ok(left.milli())
}

/// Gives a plan's remaining capacity back: it is never drawn from again.
async fn release_plan(tx: &mut (dyn StoreTx + '_), plan: &InstanceRecord, now: DateTime<Utc>) -> AppResult<()> {
    let left = plan_left(plan)?;
    if left != 0 {
        let mut movement = Movement::new(new_id("mov"), "plan.capacity_released", &plan.id, now);
        movement.transfer_capacity(&ledger::plan_remaining(&plan.id), "capacity:released", left);
        tx.insert_movement(&movement).await?;
    }
    Ok(())
}

/// One refund per destination; balance refunds succeed at once, card and
/// PayPal refunds wait for the channel. Posted as one movement.
pub(crate) async fn create_refunds(
    core: &Core,
    tx: &mut (dyn StoreTx + '_),
    unsubscription: &Unsubscription,
    destinations: &[Destination],
    orders: &[OrderRecord],
    zone: BillingZone,
    now: DateTime<Utc>,
) -> AppResult<Vec<Refund>> {
    let account_id = &unsubscription.account_id;
    let kind = match unsubscription.action {
        RefundCause::Unsubscribe => "unsubscription.refund",
        RefundCause::Downgrade => "downgrade.refund",
        RefundCause::SwitchToPayAsYouGo => "switch.refund",
        RefundCause::ActivationFailed => "activation.refund",
    };
    let mut movement = Movement::new(new_id("mov"), kind, &unsubscription.id, now);
    let mut refunds = Vec::with_capacity(destinations.len());
    for d in destinations {
        let order = &orders[d.order_index];
        let tender =
            order.tenders.get(d.tender_index).ok_or_else(|| AppError::internal("destination without tender"))?;
        let to_balance = d.to == PaymentMethodKind::Balance;
        let refund = Refund {
            id: mint(),
            unsubscription_id: unsubscription.id.clone(),
            account_id: account_id.clone(),
            order_id: order.id.clone(),
            tender_index: d.tender_index as i64,
            from: d.from,
            destination: d.to,
            payment_method_id: if to_balance { None } else { tender.payment_method_id.clone() },
            charge_id: if to_balance { None } else { tender.charge_id.clone() },
            rule: d.rule.as_str().to_owned(),
            amount: d.amount,
            status: if to_balance { RefundStatus::Succeeded } else { RefundStatus::Pending },
            rerouted_from: None,
            failure: None,
            attempts: 0,
            created_at: now,
            updated_at: now,
            expected_by: if to_balance { now } else { business_days_after(zone, now, CHANNEL_ARRIVAL_BUSINESS_DAYS)? },
        };
        if to_balance {
            tx.credit_balance(account_id, d.amount).await?;
            movement.transfer(REVENUE_PREPAID, &customer_balance(account_id), d.amount);
        } else {
            movement.transfer(REVENUE_PREPAID, ledger::refund_payable(d.to), d.amount);
        }
        tx.insert_refund(&refund).await?;
        refunds.push(refund);
    }
    tx.insert_movement(&movement).await?;
    // A refund to the balance is paid as it is created.
    let paid = refunds.iter().filter(|r| r.status == RefundStatus::Succeeded).count();
    core.count_on_commit(tx, crate::telemetry::REFUNDS, &[("transition", "created")], refunds.len() as u64);
    core.count_on_commit(tx, crate::telemetry::REFUNDS, &[("transition", "succeeded")], paid as u64);
    Ok(refunds)
}
