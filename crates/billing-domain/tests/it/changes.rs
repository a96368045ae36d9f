//! Quota changes through `quote_change`, `removed_tranche` and
//! `release_tranche`: the downgrade's tranches and proration, its refusals in
//! checking order, the switch equal to an unsubscription, and what a confirmed
//! downgrade leaves of an order.

use billing_domain::change::{Action, ActionKind, release_tranche, removed_tranche};
use billing_domain::money::Money;
use billing_domain::order::{Order, OrderError, PaymentMethodKind};
use billing_domain::quote::{Instance, InstanceKind, InstanceStatus, LineKind, QuoteError};
use billing_domain::reason::ReasonCode;

use crate::support::{Setting, new_order, quota, renewal, standard_plan, tender, usd};

const DAY_10: &str = "2023-01-10T14:00:00+08:00";

const fn downgrade(cu: u32) -> Action {
    Action::Downgrade { new_quota_cu: cu, min_quota_cu: 25 }
}

/// SPEC's example: 100 CU for one month, USD 1,000.00 by card, activated
/// 2023-01-01 12:00 +08:00.
fn thousand_by_card() -> Instance {
    let mut order = new_order("2023-01-01T12:00:00+08:00", usd("1000.00"));
    order.tenders = vec![tender(PaymentMethodKind::Card, usd("1000.00"))];
    quota(vec![order])
}

/// The order after `released` of it went to earlier downgrades, its tenders
/// being what `release_tranche` left.
fn after_release(order: &Order, released: Money) -> Order {
    let left = release_tranche(order, released).unwrap();
    let mut order = order.clone();
    order.released_cash = left.released_cash;
    for (tender, amount) in order.tenders.iter_mut().zip(left.tenders) {
        tender.amount = amount;
    }
    order.validate().unwrap();
    order
}

#[test]
fn downgrading_100_to_50_cu_on_day_10_of_31_refunds_the_unconsumed_half_to_the_card() {
    let quote = Setting::at(DAY_10).quote_action(Some(&thousand_by_card()), downgrade(50));
    assert_eq!((quote.reason, quote.refund, quote.action), (None, usd("338.71"), ActionKind::Downgrade));
    assert_eq!(quote.quota_cu_after, Some(50));
    let line = &quote.lines[0];
    assert_eq!((line.kind, line.cash_paid, line.removed), (LineKind::Current, usd("1000.00"), Some(usd("500.00"))));
    let proration = line.proration.unwrap();
    assert_eq!((proration.used, proration.total, proration.consumed), (10, 31, usd("161.29")));
    assert_eq!(quote.destinations.len(), 1);
    assert_eq!((quote.destinations[0].to, quote.destinations[0].amount), (PaymentMethodKind::Card, usd("338.71")));
    let left = release_tranche(&thousand_by_card().orders[0], usd("500.00")).unwrap();
    assert_eq!(
        (left.released_cash, left.cash_basis, left.tenders),
        (usd("500.00"), usd("500.00"), vec![usd("500.00")])
    );
}

#[test]
fn the_removed_tranche_is_a_largest_remainder_split_with_ties_to_the_kept_tranche() {
    #[track_caller]
    fn check(basis: &str, keep: u32, remove: u32, removed: &str) {
        assert_eq!(removed_tranche(usd(basis), keep, remove).unwrap(), usd(removed), "{basis} {keep}/{remove}");
    }
    check("1000.00", 50, 50, "500.00");
    check("1.01", 50, 50, "0.50");
    check("0.01", 1, 1, "0.00");
    check("333.33", 30, 60, "222.22");
    check("100.00", 25, 75, "75.00");
    check("0.02", 1, 2, "0.01");
    check("0.05", 1, 2, "0.03");
    check("7.00", 0, 3, "7.00");
    check("7.00", 3, 0, "0.00");
}

#[test]
fn a_pending_renewal_gives_back_its_whole_removed_tranche() {
    let instance = quota(vec![
        new_order("2023-01-01T12:00:00+08:00", usd("800.00")),
        renewal("o2", "2023-01-20T09:00:00+08:00", usd("800.00")),
    ]);
    let instance = Instance { quota_cu: Some(80), ..instance };
    let quote = Setting::at("2023-01-25T10:00:00+08:00").quote_action(Some(&instance), downgrade(60));
    assert_eq!(quote.refund, usd("245.17"));
    let renewal_line = quote.lines.iter().find(|l| l.kind == LineKind::PendingRenewal).unwrap();
    assert_eq!((renewal_line.removed, renewal_line.refund), (Some(usd("200.00")), usd("200.00")));
}

#[test]
fn a_downgrade_is_refused_with_the_first_reason_in_checking_order() {
    #[track_caller]
    fn check(instance: Instance, setting: Setting, cu: u32, reason: ReasonCode) {
        let quote = setting.quote_action(Some(&instance), downgrade(cu));
        assert_eq!(quote.reason, Some(reason), "{cu}");
        assert_eq!((quote.refund.is_zero(), quote.action, quote.quota_cu_after), (true, ActionKind::Downgrade, None));
        assert!(quote.destinations.is_empty());
    }
    let now = Setting::at(DAY_10);
    let pay_as_you_go = Instance { kind: InstanceKind::PayAsYouGo, ..thousand_by_card() };
    check(pay_as_you_go, now, 50, ReasonCode::NotPrepaid);
    let plan_now = Setting::at("2024-03-02T10:00:00+08:00");
    check(standard_plan(), plan_now, 50, ReasonCode::UnsupportedAction);
    let given_back_plan = Instance { status: InstanceStatus::Unsubscribed, transferred: true, ..standard_plan() };
    check(given_back_plan.clone(), plan_now, 50, ReasonCode::UnsupportedAction);
    let switch = plan_now.quote_action(Some(&given_back_plan), Action::SwitchToPayAsYouGo);
    assert_eq!(switch.reason, Some(ReasonCode::UnsupportedAction), "checked right after NOT_PREPAID");
    let unsubscribed = Instance { status: InstanceStatus::Unsubscribed, ..thousand_by_card() };
    check(unsubscribed, now, 100, ReasonCode::AlreadyUnsubscribed);
    check(thousand_by_card(), Setting::at("2023-02-02T00:00:00+08:00"), 100, ReasonCode::Expired);
    check(thousand_by_card(), now, 100, ReasonCode::NotADowngrade);
    check(thousand_by_card(), now, 120, ReasonCode::NotADowngrade);
    check(thousand_by_card(), now, 24, ReasonCode::QuotaBelowMinimum);
    check(thousand_by_card(), now, 0, ReasonCode::QuotaBelowMinimum);
    let mut by_voucher = thousand_by_card();
    by_voucher.orders[0].charges.voucher = usd("1000.00");
    by_voucher.orders[0].tenders.clear();
    check(by_voucher.clone(), now, 20, ReasonCode::QuotaBelowMinimum);
    check(by_voucher, now, 50, ReasonCode::ZeroRefundable);
}

#[test]
fn a_downgrade_is_allowed_past_the_yearly_limit_of_full_refunds() {
    let instance = Instance { full_refunds_this_year: 3, ..thousand_by_card() };
    let setting = Setting::at(DAY_10).with("full_refunds_per_year", "0");
    let quote = setting.quote_action(Some(&instance), downgrade(25));
    assert_eq!((quote.reason, quote.refund), (None, usd("508.07")));
    assert_eq!(setting.quote(Some(&instance)).reason, None, "the unsubscription is not a full refund either");
}

#[test]
fn switching_to_pay_as_you_go_quotes_exactly_what_unsubscribing_would() {
    let instance = quota(vec![
        new_order("2023-01-01T12:00:00+08:00", usd("100.00")),
        renewal("o2", "2023-01-20T09:00:00+08:00", usd("100.00")),
    ]);
    let setting = Setting::at("2023-01-25T10:00:00+08:00");
    let switch = setting.quote_action(Some(&instance), Action::SwitchToPayAsYouGo);
    let unsubscribe = setting.quote(Some(&instance));
    assert_eq!(switch.action, ActionKind::SwitchToPayAsYouGo);
    assert_eq!(switch.refund, usd("122.59"));
    assert_eq!((switch.lines, switch.destinations), (unsubscribe.lines, unsubscribe.destinations));
    let plan = setting.quote_action(Some(&standard_plan()), Action::SwitchToPayAsYouGo);
    assert_eq!(plan.reason, Some(ReasonCode::UnsupportedAction));
    // With the current order paid by voucher, all the cash comes back.
    let mut limited = Instance { full_refunds_this_year: 1, ..instance };
    limited.orders[0].charges.voucher = usd("100.00");
    limited.orders[0].tenders.clear();
    let quote = setting.with("full_refunds_per_year", "1").quote_action(Some(&limited), Action::SwitchToPayAsYouGo);
    assert_eq!(quote.reason, Some(ReasonCode::AnnualLimitReached), "a full refund by switching counts");
}

#[test]
fn later_quotes_work_on_the_basis_left_by_earlier_downgrades() {
    let order = after_release(&thousand_by_card().orders[0], usd("500.00"));
    assert_eq!((order.cash_basis().unwrap(), order.tenders[0].amount), (usd("500.00"), usd("500.00")));
    let instance = Instance { quota_cu: Some(50), ..quota(vec![order]) };
    let day_20 = Setting::at("2023-01-20T12:00:00+08:00");
    let quote = day_20.quote_action(Some(&instance), downgrade(25));
    assert_eq!((quote.refund, quote.lines[0].removed), (usd("96.78"), Some(usd("250.00"))));
    let unsubscribe = day_20.quote(Some(&instance));
    assert_eq!((unsubscribe.lines[0].cash_paid, unsubscribe.refund), (usd("500.00"), usd("193.55")));
}

#[test]
fn releasing_a_tranche_takes_it_out_of_the_tenders_by_largest_remainder() {
    let mut order = new_order("2023-01-01T12:00:00+08:00", usd("333.33"));
    order.tenders =
        vec![tender(PaymentMethodKind::Card, usd("111.11")), tender(PaymentMethodKind::Paypal, usd("222.22"))];
    let left = release_tranche(&order, usd("222.22")).unwrap();
    assert_eq!((left.released_cash, left.cash_basis), (usd("222.22"), usd("111.11")));
    assert_eq!(left.tenders, vec![usd("37.04"), usd("74.07")]);
    let again = release_tranche(&after_release(&order, usd("222.22")), usd("111.11")).unwrap();
    assert_eq!((again.released_cash, again.cash_basis), (usd("333.33"), usd("0.00")));
    assert_eq!(again.tenders, vec![usd("0.00"), usd("0.00")]);
}

#[test]
fn releasing_more_than_the_basis_or_a_negative_tranche_is_refused() {
    let order = after_release(&thousand_by_card().orders[0], usd("600.00"));
    assert!(matches!(release_tranche(&order, usd("400.01")), Err(QuoteError::Invariant(_))));
    assert!(matches!(release_tranche(&order, usd("-0.01")), Err(QuoteError::Invariant(_))));
}

#[test]
fn an_order_must_have_tenders_adding_up_to_its_basis_and_release_no_more_than_it_paid() {
    let mut order = thousand_by_card().orders[0].clone();
    order.released_cash = usd("300.00");
    assert!(matches!(order.validate(), Err(OrderError::TendersDoNotAddUp { .. })));
    order.tenders[0].amount = usd("700.00");
    assert_eq!(order.validate(), Ok(()));
    order.released_cash = usd("1000.01");
    order.tenders[0].amount = usd("-0.01");
    assert!(matches!(order.validate(), Err(OrderError::Negative { .. })));
    order.tenders[0].amount = usd("0.00");
    assert!(matches!(order.validate(), Err(OrderError::ReleasedTooMuch { .. })));
}

#[test]
fn reason_numbers_stay_as_they_were_when_codes_are_added() {
    let numbered: Vec<(u8, &str)> = ReasonCode::ALL.iter().map(|r| (r.number(), r.code())).collect();
    let mut sorted = numbered.clone();
    sorted.sort_unstable();
    let codes: Vec<&str> = sorted.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        codes[..12],
        [
            "NOT_FOUND",
            "NOT_PREPAID",
            "ALREADY_UNSUBSCRIBED",
            "UNPAID_ORDER_PENDING",
            "PROMOTION_NON_REFUNDABLE",
            "TRANSFERRED_RESOURCE",
            "CURRENCY_MISMATCH",
            "EXPIRED",
            "RESOURCE_PLAN_USED",
            "REFUND_WINDOW_PASSED",
            "ANNUAL_LIMIT_REACHED",
            "ZERO_REFUNDABLE",
        ]
    );
    assert_eq!(sorted.iter().map(|(n, _)| *n).collect::<Vec<_>>(), (1..=15).collect::<Vec<u8>>());
    assert!(ReasonCode::ALL.iter().all(|r| ReasonCode::from_number(r.number()) == Some(*r)));
    assert_eq!((ReasonCode::from_number(0), ReasonCode::from_number(16)), (None, None));
}
