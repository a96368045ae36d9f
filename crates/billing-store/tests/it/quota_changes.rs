//! Quota changes that keep the workspace: downgrades, switches to
//! pay-as-you-go and the automatic refund of a quota its region has no room
//! for, each followed by the money invariants and by settling the next hour.

use billing_app::model::{BenefitKind, BenefitStatus, BillingMethod, InstanceState, QueueStatus};
use billing_app::unsubscription::facts::Question;
use billing_app::unsubscription::records::{RefundCause, RefundFilter, RefundStatus};
use billing_app::unsubscription::{Confirmation, QuoteView, UnsubscriptionResult};
use billing_app::{AppError, Billing, Caller};
use billing_domain::change::ActionKind;
use billing_domain::ids::{AccountId, InstanceId};
use billing_domain::money::Money;
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use billing_domain::usage::CuHours;
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::Seed;
use crate::support::{OPERATOR, World, at, balance, usage, usd};

/// 100 CUs for one month: USD 3,221.00, paid by card when the suite's
/// clock starts (2026-03-10 14:23:05 +08:00).
async fn card_quota(w: &World, name: &str) -> (Seed, InstanceId) {
    let seed = w.seed(name, "0.00").await;
    let request = seed.quota(100, 1, Some(vec![seed.card("3221.00")]));
    let bought = w.billing.purchases().buy_quota(&seed.caller, &request).await.unwrap();
    assert_eq!(bought.instance.state, InstanceState::Active);
    (seed, bought.instance.id)
}

fn downgrade(cu: u32) -> Question<'static> {
    Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: Some(cu) }
}

const SWITCH: Question<'static> =
    Question { action: ActionKind::SwitchToPayAsYouGo, order_id: None, new_quota_cu: None };

async fn quote(billing: &Billing, caller: &Caller, instance: &InstanceId, question: Question<'_>) -> QuoteView {
    billing.unsubscriptions().quote_action(caller, instance, &question).await.unwrap()
}

async fn confirm(billing: &Billing, caller: &Caller, quote: &QuoteView, key: &str) -> UnsubscriptionResult {
    let c = Confirmation {
        quote_id: quote.stored.id.clone(),
        idempotency_key: key.to_owned(),
        confirm_workspace_deletion: quote.deletes.as_ref().map(|t| t.name.clone()),
    };
    match quote.stored.action {
        ActionKind::Unsubscribe => billing.unsubscriptions().confirm_unsubscription(caller, &c).await.unwrap(),
        _ => billing.unsubscriptions().confirm_quota_change(caller, &c).await.unwrap(),
    }
}

/// Every line of a downgrade quote refunds its removed tranche less the
/// consumed part, `floor(used / total × removed)`.
fn assert_pro_rata(view: &QuoteView) {
    for line in &view.quote.lines {
        let removed = line.removed.expect("a downgrade line names its tranche");
        let consumed = match &line.proration {
            Some(p) => {
                let minor = i128::from(removed.minor()) * i128::from(p.used) / i128::from(p.total);
                Money::from_minor(removed.currency(), i64::try_from(minor).unwrap())
            }
            None => Money::zero(removed.currency()),
        };
        assert_eq!(line.refund, removed.checked_sub(consumed).unwrap(), "line {}", line.order_id);
    }
}

/// What every order has given back in all, never more than it was paid in
/// cash; vouchers and coupons never come back as cash.
async fn assert_refunds_within_cash_paid(w: &World, account_id: &AccountId) {
    let filter = RefundFilter { account_id: Some(account_id.clone()), limit: 1000, ..RefundFilter::default() };
    let refunds = w.tx().await.refunds(&filter).await.unwrap();
    for instance in w.instances(account_id).await {
        for order in w.orders(&instance.id).await {
            let refunded: i64 = refunds
                .iter()
                .filter(|r| r.order_id == order.id && r.status != RefundStatus::Failed)
                .map(|r| r.amount.minor())
                .sum();
            let paid = order.charges.cash_due().unwrap();
            assert!(refunded <= paid.minor(), "order {} refunded {refunded} of {paid}", order.id);
            let tenders: i64 = order.tenders.iter().map(|t| t.released.minor()).sum();
            assert_eq!(tenders, order.released_cash.minor(), "order {}: tenders' releases add up", order.id);
        }
    }
    w.assert_books_in_order().await;
}

/// Settles `cu_hours` in the hour starting at `hour` and answers the CU-hours
/// the quota covered.
async fn settle(
    w: &World,
    workspace: &billing_domain::ids::WorkspaceId,
    record: &str,
    hour: &str,
    cu_hours: &str,
) -> CuHours {
    let hour = at(hour);
    w.billing.metering().import_usage(&OPERATOR, &[usage(record, workspace, hour, cu_hours)]).await.unwrap();
    let settled = w.settlements(workspace).await;
    settled.iter().find(|s| s.hour_start == hour).expect("the hour was settled").covered
}

#[tokio::test]
async fn a_downgrade_refunds_the_removed_share_and_a_later_unsubscription_works_on_what_is_left() {
    on_every_backend!(|w| {
        let (seed, quota) = card_quota(&w, "acme").await;
        w.clock.set(at("2026-03-12T10:20:00+08:00"));
        let view = quote(&w.billing, &seed.caller, &quota, downgrade(50)).await;
        assert!(view.quote.eligible(), "{:?}", view.quote.reason);
        assert_eq!(view.quote.lines[0].removed, Some(usd("1610.50")));
        assert_pro_rata(&view);
        // 2 of 31 days used (1 day 19 h 57 min, the last day whole):
        // floor(2 / 31 × 1,610.50) = 103.90.
        assert_eq!(view.quote.refund.to_string(), "1506.60");
        assert!(view.deletes.is_none(), "a downgrade deletes nothing");

        let done = confirm(&w.billing, &seed.caller, &view, "d1").await;
        assert_eq!(done.unsubscription.action, RefundCause::Downgrade);
        assert!(!done.unsubscription.full_refund);
        assert!(done.tombstone.is_none());
        assert_eq!(done.refunds.len(), 1);
        assert_eq!((done.refunds[0].destination, done.refunds[0].amount), (PaymentMethodKind::Card, usd("1506.60")));
        let order = &w.orders(&quota).await[0];
        assert_eq!((order.status, order.released_cash), (OrderStatus::Paid, usd("1610.50")));
        assert_eq!(order.tenders[0].remaining().unwrap(), usd("1610.50"));
        let instance = w.instance(&quota).await;
        assert_eq!((instance.state, instance.quota_cu), (InstanceState::Active, Some(50)));
        assert_eq!(w.subscription_queue(&seed.workspace.id).await, QueueStatus::Running);
        assert_refunds_within_cash_paid(&w, seed.id()).await;

        // The hour of the downgrade is covered at 100 CUs, the next at 50.
        w.clock.set(at("2026-03-12T12:30:00+08:00"));
        let ws = &seed.workspace.id;
        assert_eq!(settle(&w, ws, "r1", "2026-03-12T10:00:00+08:00", "80").await, CuHours::from_whole(80));
        assert_eq!(settle(&w, ws, "r2", "2026-03-12T11:00:00+08:00", "80").await, CuHours::from_whole(50));

        // Unsubscribing later works on the basis of 1,610.50.
        w.clock.set(at("2026-03-20T09:00:00+08:00"));
        let view = quote(&w.billing, &seed.caller, &quota, Question::unsubscribe(None)).await;
        assert_eq!(view.quote.lines[0].cash_paid, usd("1610.50"));
        // 10 of 31 days: floor(10 / 31 × 1,610.50) = 519.51.
        assert_eq!(view.quote.refund.to_string(), "1090.99");
        let done = confirm(&w.billing, &seed.caller, &view, "u1").await;
        assert!(done.tombstone.is_some(), "unsubscribing the quota deletes its workspace");
        assert_refunds_within_cash_paid(&w, seed.id()).await;
    });
}

#[tokio::test]
async fn two_downgrades_then_a_switch_keep_the_workspace_and_bill_it_by_the_hour() {
    on_every_backend!(|w| {
        let (seed, quota) = card_quota(&w, "acme").await;
        w.clock.set(at("2026-03-11T09:10:00+08:00"));
        let first = quote(&w.billing, &seed.caller, &quota, downgrade(60)).await;
        confirm(&w.billing, &seed.caller, &first, "d1").await;
        w.clock.set(at("2026-03-13T09:10:00+08:00"));
        let second = quote(&w.billing, &seed.caller, &quota, downgrade(30)).await;
        // The second splits what the first left (1,932.60) 30 : 30.
        assert_eq!(second.quote.lines[0].cash_paid, usd("1932.60"));
        assert_eq!(second.quote.lines[0].removed, Some(usd("966.30")));
        assert_pro_rata(&second);
        confirm(&w.billing, &seed.caller, &second, "d2").await;
        let order = &w.orders(&quota).await[0];
        assert_eq!(order.released_cash, usd("2254.70"));

        w.clock.set(at("2026-03-15T16:40:00+08:00"));
        let switch = quote(&w.billing, &seed.caller, &quota, SWITCH).await;
        let unsubscribe = quote(&w.billing, &seed.caller, &quota, Question::unsubscribe(None)).await;
        assert_eq!(switch.quote.refund, unsubscribe.quote.refund, "a switch refunds what unsubscribing would");
        assert_eq!(switch.quote.lines[0].cash_paid, usd("966.30"));
        let done = confirm(&w.billing, &seed.caller, &switch, "s1").await;
        assert_eq!(done.unsubscription.action, RefundCause::SwitchToPayAsYouGo);
        assert!(done.tombstone.is_none(), "a switch keeps the workspace");
        assert_eq!(w.instance(&quota).await.state, InstanceState::Switched);
        let workspace = w.billing.accounts().workspace_details(&seed.caller, &seed.workspace.id).await.unwrap();
        assert_eq!(workspace.workspace.billing_method, BillingMethod::PayAsYouGo);
        assert_eq!(w.subscription_queue(&seed.workspace.id).await, QueueStatus::Stopped);
        assert_refunds_within_cash_paid(&w, seed.id()).await;
        let again = quote(&w.billing, &seed.caller, &quota, downgrade(25)).await;
        assert_eq!(again.quote.reason.map(|r| r.code()), Some("ALREADY_UNSUBSCRIBED"));

        // The hour of the switch is still covered at 30 CUs; the next one is
        // billed by the hour.
        w.clock.set(at("2026-03-15T18:30:00+08:00"));
        let ws = &seed.workspace.id;
        assert_eq!(settle(&w, ws, "r1", "2026-03-15T16:00:00+08:00", "40").await, CuHours::from_whole(30));
        assert_eq!(settle(&w, ws, "r2", "2026-03-15T17:00:00+08:00", "40").await, CuHours::ZERO);
        let bill = w
            .settlements(ws)
            .await
            .iter()
            .find(|s| s.hour_start == at("2026-03-15T17:00:00+08:00"))
            .unwrap()
            .pay_as_you_go;
        assert_eq!(bill, CuHours::from_whole(40));
    });
}

#[tokio::test]
async fn a_downgrade_with_a_pending_renewal_refunds_the_renewal_share_whole_and_renewals_cost_less() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "10000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 1, Some(vec![balance("3221.00")])))
            .await
            .unwrap();
        let quota = bought.instance.id;
        w.billing.purchases().renew(&seed.caller, &quota, 1, &[], Some(&[balance("3221.00")])).await.unwrap();
        w.clock.set(at("2026-03-12T10:20:00+08:00"));
        let view = quote(&w.billing, &seed.caller, &quota, downgrade(50)).await;
        assert_eq!(view.quote.lines.len(), 2);
        assert_eq!(view.quote.lines[1].refund, usd("1610.50"), "the pending renewal's tranche comes back whole");
        assert_pro_rata(&view);
        assert_eq!(view.quote.refund.to_string(), "3117.10");
        let before = w.balance_of(seed.id()).await;
        confirm(&w.billing, &seed.caller, &view, "d1").await;
        assert_eq!(w.balance_of(seed.id()).await, before.checked_add(usd("3117.10")).unwrap());
        assert!(w.orders(&quota).await.iter().all(|o| o.released_cash == usd("1610.50")));
        assert_refunds_within_cash_paid(&w, seed.id()).await;

        // A renewal now is priced at 50 CUs.
        let renewal =
            w.billing.purchases().renew(&seed.caller, &quota, 1, &[], Some(&[balance("1610.50")])).await.unwrap();
        assert_eq!(renewal.order.charges.list_price, usd("1610.50"));
        assert_eq!(renewal.order.status, OrderStatus::Paid);
        // The pending renewal is covered at 50 CUs too.
        let periods = w.periods(&quota).await;
        let hour = periods[1].start + Duration::hours(2);
        w.clock.set(hour + Duration::hours(2));
        let ws = &seed.workspace.id;
        let label = hour.to_rfc3339();
        assert_eq!(settle(&w, ws, "r1", &label, "70").await, CuHours::from_whole(50));
        assert_refunds_within_cash_paid(&w, seed.id()).await;
    });
}

#[tokio::test]
async fn a_quota_the_region_has_no_room_for_is_refunded_whole_with_its_voucher_given_back() {
    on_every_backend!(|w| {
        let mut region = w.billing.operations().region("ap-southeast-1").await.unwrap();
        region.reserved_cu_capacity = Some(150);
        w.billing.operations().set_region(&OPERATOR, region).await.unwrap();
        let (first, _) = card_quota(&w, "first").await;
        let second = w.seed("second", "0.00").await;
        let voucher = w.grant(second.id(), BenefitKind::Voucher, "221.00").await;
        let request = second.quota(100, 1, Some(vec![second.card("3000.00")]));
        let bought = w.buy_quota_with(&second, request, &[&voucher]).await.unwrap();

        assert_eq!(bought.instance.state, InstanceState::ActivationFailed);
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::ActivationFailed);
        assert_eq!(w.order(&bought.order.id).await.status, OrderStatus::Refunded);
        assert_eq!(w.benefit(&voucher.id).await.status, BenefitStatus::Active, "the voucher is restored unused");
        let filter = RefundFilter { account_id: Some(second.id().to_owned()), limit: 10, ..RefundFilter::default() };
        let refunds = w.tx().await.refunds(&filter).await.unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!((refunds[0].destination, refunds[0].amount), (PaymentMethodKind::Card, usd("3000.00")));
        assert_eq!(w.subscription_queue(&second.workspace.id).await, QueueStatus::Stopped);
        assert_eq!(w.audited("instance.activation_failed").await, 1);
        // Never counted toward the yearly limit of full refunds.
        let counted = w
            .tx()
            .await
            .full_refunds_between(
                second.id(),
                bought.instance.commodity,
                at("2026-01-01T00:00:00Z"),
                at("2027-01-01T00:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(counted, 0);
        assert_refunds_within_cash_paid(&w, second.id()).await;
        assert_refunds_within_cash_paid(&w, first.id()).await;
        // No capacity was ever granted: the next hour is billed by the hour.
        w.clock.set(at("2026-03-10T17:05:00+08:00"));
        let ws = &second.workspace.id;
        assert_eq!(settle(&w, ws, "r1", "2026-03-10T15:00:00+08:00", "10").await, CuHours::ZERO);

        // Fewer CUs fit beside the first quota.
        let third = w.seed("third", "0.00").await;
        let fits = w
            .billing
            .purchases()
            .buy_quota(&third.caller, &third.quota(50, 1, Some(vec![third.card("1610.50")])))
            .await
            .unwrap();
        assert_eq!(fits.instance.state, InstanceState::Active);
    });
}

#[tokio::test]
async fn refused_changes_name_their_reason_and_change_nothing() {
    on_every_backend!(|w| {
        let (seed, quota) = card_quota(&w, "acme").await;
        for (question, code) in [(downgrade(100), "NOT_A_DOWNGRADE"), (downgrade(20), "QUOTA_BELOW_MINIMUM")] {
            let view = quote(&w.billing, &seed.caller, &quota, question).await;
            assert_eq!(view.quote.reason.map(|r| r.code()), Some(code));
        }
        let plan = w
            .billing
            .purchases()
            .buy_plan(&seed.caller, &seed.plan(100, 1, Some(vec![seed.card("5.36")])))
            .await
            .unwrap();
        for question in [downgrade(50), SWITCH] {
            let view = quote(&w.billing, &seed.caller, &plan.instance.id, question).await;
            assert_eq!(view.quote.reason.map(|r| r.code()), Some("UNSUPPORTED_ACTION"));
        }
        let missing = Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: None };
        let refused = w.billing.unsubscriptions().quote_action(&seed.caller, &quota, &missing).await.unwrap_err();
        assert!(matches!(refused, AppError::Invalid { ref field, .. } if field == "new_quota_cu"), "{refused:?}");
        let before = w.snapshot().await;
        let stale = quote(&w.billing, &seed.caller, &quota, downgrade(50)).await;
        w.clock.set(w.billing.now() + Duration::minutes(16));
        let c = Confirmation {
            quote_id: stale.stored.id.clone(),
            idempotency_key: "late".into(),
            confirm_workspace_deletion: None,
        };
        let wrong = w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &c).await.unwrap_err();
        assert!(matches!(wrong, AppError::Invalid { ref field, .. } if field == "quote_id"), "{wrong:?}");
        let late = w.billing.unsubscriptions().confirm_quota_change(&seed.caller, &c).await.unwrap_err();
        assert_eq!(late.code(), "QUOTE_STALE");
        assert_eq!(w.snapshot().await, before, "a refused downgrade wrote something");
    });
}
