//! Quotes through `quote_refund`: every reason code reached with hand-built
//! instances, the order in which refusals are checked, and the itemized lines
//! of a subscription quota.

use billing_domain::change::Action;
use billing_domain::money::{Currency, Money};
use billing_domain::order::{OrderCharges, OrderStatus, PaymentMethodKind};
use billing_domain::quote::{Instance, InstanceKind, InstanceStatus, LineKind, ProrationBasis, RefundType};
use billing_domain::reason::ReasonCode;
use billing_domain::usage::CuHours;

use crate::support::{Setting, at, date, new_order, quota, renewal, standard_plan, standard_quota, tender, usd};

/// When the standard quota is 10 of 31 days into its period.
const QUOTA_NOW: &str = "2023-01-10T14:00:00+08:00";
/// One day after the standard plan was bought.
const PLAN_NOW: &str = "2024-03-02T10:00:00+08:00";

fn pay_as_you_go(instance: Instance) -> Instance {
    Instance { kind: InstanceKind::PayAsYouGo, ..instance }
}

fn unsubscribed(instance: Instance) -> Instance {
    Instance { status: InstanceStatus::Unsubscribed, ..instance }
}

fn with_unpaid_renewal(mut instance: Instance) -> Instance {
    let mut order = renewal("o2", "2023-01-05T09:00:00+08:00", usd("100.00"));
    order.status = OrderStatus::Unpaid;
    order.paid_at = None;
    instance.orders.push(order);
    instance
}

fn promotional(instance: Instance) -> Instance {
    Instance { promotion_non_refundable: true, ..instance }
}

fn transferred(instance: Instance) -> Instance {
    Instance { transferred: true, ..instance }
}

fn used(instance: Instance) -> Instance {
    Instance { used: CuHours::from_milli(1), ..instance }
}

fn paid_by_voucher_only(mut instance: Instance) -> Instance {
    let order = &mut instance.orders[0];
    order.charges.voucher = order.charges.list_price;
    order.tenders.clear();
    instance
}

fn in_yuan(setting: Setting) -> Setting {
    Setting { currency: Currency::Cny, ..setting }
}

/// A downgrade of the standard quota's 100 CUs to `cu` in a region whose
/// smallest quota is 25.
const fn downgrade(cu: u32) -> Action {
    Action::Downgrade { new_quota_cu: cu, min_quota_cu: 25 }
}

/// A hand-built situation in which `reason` is the first refusal that
/// applies, with the action quoted (the last three codes only refuse a
/// quota change).
fn situation(reason: ReasonCode) -> (Option<Instance>, Setting, Action) {
    let (instance, setting) = match reason {
        ReasonCode::UnsupportedAction => return (Some(standard_plan()), Setting::at(PLAN_NOW), downgrade(50)),
        ReasonCode::NotADowngrade => return (Some(standard_quota()), Setting::at(QUOTA_NOW), downgrade(100)),
        ReasonCode::QuotaBelowMinimum => return (Some(standard_quota()), Setting::at(QUOTA_NOW), downgrade(20)),
        _ => unsubscription_situation(reason),
    };
    (instance, setting, Action::Unsubscribe)
}

/// [`situation`] for the codes an unsubscription can get.
fn unsubscription_situation(reason: ReasonCode) -> (Option<Instance>, Setting) {
    let quota_now = Setting::at(QUOTA_NOW);
    let plan_now = Setting::at(PLAN_NOW);
    match reason {
        ReasonCode::NotFound => (None, quota_now),
        ReasonCode::NotPrepaid => (Some(pay_as_you_go(standard_quota())), quota_now),
        ReasonCode::AlreadyUnsubscribed => (Some(unsubscribed(standard_quota())), quota_now),
        ReasonCode::UnpaidOrderPending => (Some(with_unpaid_renewal(standard_quota())), quota_now),
        ReasonCode::PromotionNonRefundable => (Some(promotional(standard_quota())), quota_now),
        ReasonCode::TransferredResource => (Some(transferred(standard_quota())), quota_now),
        ReasonCode::CurrencyMismatch => (Some(standard_quota()), in_yuan(quota_now)),
        ReasonCode::Expired => (Some(standard_quota()), Setting::at("2023-02-02T00:00:00+08:00")),
        ReasonCode::ResourcePlanUsed => (Some(used(standard_plan())), plan_now),
        ReasonCode::RefundWindowPassed => (Some(standard_plan()), Setting::at("2024-03-06T10:00:01+08:00")),
        ReasonCode::AnnualLimitReached => {
            let plan = Instance { full_refunds_this_year: 1, ..standard_plan() };
            (Some(plan), plan_now.with("full_refunds_per_year", "1"))
        }
        ReasonCode::ZeroRefundable => (Some(paid_by_voucher_only(standard_quota())), quota_now),
        other => panic!("{other} is not a refusal of an unsubscription"),
    }
}

#[test]
fn the_standard_quota_and_plan_are_eligible_before_anything_is_changed() {
    let quote = Setting::at(QUOTA_NOW).quote(Some(&standard_quota()));
    assert_eq!((quote.reason, quote.refund), (None, usd("67.75")));
    assert_eq!(quote.refund_type, RefundType::PartialRefund);
    let quote = Setting::at(PLAN_NOW).quote(Some(&standard_plan()));
    assert_eq!((quote.reason, quote.refund), (None, usd("80.00")));
    assert_eq!(quote.refund_type, RefundType::UnusedMoneyBack);
}

#[test]
fn every_reason_code_is_reported_when_it_is_the_first_that_applies() {
    for reason in ReasonCode::ALL {
        let (instance, setting, action) = situation(reason);
        let quote = setting.quote_action(instance.as_ref(), action);
        assert_eq!(quote.reason, Some(reason), "{reason}");
        assert!(!quote.eligible(), "{reason}");
        assert_eq!(quote.refund, Money::zero(setting.currency), "{reason}");
        assert_eq!(quote.refund_type, RefundType::NonRefundable, "{reason}");
        assert!(quote.destinations.is_empty(), "{reason}");
    }
}

#[test]
fn reason_codes_keep_their_machine_names_in_checking_order() {
    let codes: Vec<&str> = ReasonCode::ALL.iter().map(|r| r.code()).collect();
    let expected = [
        "NOT_FOUND",
        "NOT_PREPAID",
        "UNSUPPORTED_ACTION",
        "ALREADY_UNSUBSCRIBED",
        "UNPAID_ORDER_PENDING",
        "PROMOTION_NON_REFUNDABLE",
        "TRANSFERRED_RESOURCE",
        "CURRENCY_MISMATCH",
        "EXPIRED",
        "RESOURCE_PLAN_USED",
        "REFUND_WINDOW_PASSED",
        "ANNUAL_LIMIT_REACHED",
        "NOT_A_DOWNGRADE",
        "QUOTA_BELOW_MINIMUM",
        "ZERO_REFUNDABLE",
    ];
    assert_eq!(codes, expected);
    assert!(ReasonCode::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(ReasonCode::ALL.iter().all(|r| r.to_string() == r.code()));
}

#[test]
fn when_two_refusals_apply_the_earlier_one_in_checking_order_wins() {
    #[track_caller]
    fn check(instance: Instance, setting: Setting, expected: ReasonCode) {
        assert_eq!(setting.reason(&instance), Some(expected));
    }
    let quota_now = Setting::at(QUOTA_NOW);
    let plan_now = Setting::at(PLAN_NOW);
    let quota_ended = Setting::at("2023-02-02T00:00:00+08:00");
    let plan_ended = Setting::at("2024-06-02T00:00:00+08:00");
    let plan_window_passed = Setting::at("2024-03-06T10:00:01+08:00");
    let unsubscribed_payg = unsubscribed(pay_as_you_go(standard_quota()));
    check(unsubscribed_payg, quota_now, ReasonCode::NotPrepaid);
    let unsubscribed_unpaid = unsubscribed(with_unpaid_renewal(standard_quota()));
    check(unsubscribed_unpaid, quota_now, ReasonCode::AlreadyUnsubscribed);
    let unpaid_promotion = promotional(with_unpaid_renewal(standard_quota()));
    check(unpaid_promotion, quota_now, ReasonCode::UnpaidOrderPending);
    let promotion_transferred = transferred(promotional(standard_quota()));
    check(promotion_transferred, quota_now, ReasonCode::PromotionNonRefundable);
    check(transferred(standard_quota()), in_yuan(quota_now), ReasonCode::TransferredResource);
    check(standard_quota(), in_yuan(quota_ended), ReasonCode::CurrencyMismatch);
    check(standard_plan(), in_yuan(plan_ended), ReasonCode::CurrencyMismatch);
    check(used(standard_plan()), plan_ended, ReasonCode::Expired);
    check(paid_by_voucher_only(standard_quota()), quota_ended, ReasonCode::Expired);
    check(used(standard_plan()), plan_window_passed, ReasonCode::ResourcePlanUsed);
    let limited = Instance { full_refunds_this_year: 3, ..standard_plan() };
    let limit = |s: Setting| s.with("full_refunds_per_year", "1");
    check(limited.clone(), limit(plan_window_passed), ReasonCode::RefundWindowPassed);
    check(paid_by_voucher_only(limited), limit(plan_now), ReasonCode::ZeroRefundable);
}

#[test]
fn a_missing_instance_is_not_found_whatever_else_is_true() {
    let quote = in_yuan(Setting::at("2030-01-01T00:00:00Z")).quote(None);
    assert_eq!(quote.reason, Some(ReasonCode::NotFound));
    assert_eq!(quote.currency, Currency::Cny);
    assert!(quote.lines.is_empty());
}

#[test]
fn the_current_period_is_prorated_and_a_pending_renewal_is_refunded_in_full() {
    let instance = quota(vec![
        new_order("2023-01-01T12:00:00+08:00", usd("100.00")),
        renewal("o2", "2023-01-20T09:00:00+08:00", usd("100.00")),
    ]);
    let quote = Setting::at("2023-01-25T10:00:00+08:00").quote(Some(&instance));
    assert_eq!(quote.refund, usd("122.59"));
    let [current, pending] = &quote.lines[..] else {
        panic!("expected two lines, got {:?}", quote.lines);
    };
    assert_eq!((current.kind, current.refund), (LineKind::Current, usd("22.59")));
    let proration = current.proration.unwrap();
    assert_eq!(proration.basis, ProrationBasis::Time(billing_domain::ProrationUnit::Day));
    assert_eq!((proration.used, proration.total, proration.consumed), (24, 31, usd("77.41")));
    assert_eq!((pending.kind, pending.refund), (LineKind::PendingRenewal, usd("100.00")));
    assert_eq!(pending.proration, None);
    assert_eq!(pending.period.start, current.period.end);
    assert_eq!(pending.period.end, at("2023-03-02T00:00:00+08:00"));
}

#[test]
fn a_renewal_period_in_a_quote_is_anchored_to_the_first_activation() {
    let instance = quota(vec![
        new_order("2024-01-31T10:00:00+08:00", usd("100.00")),
        renewal("o2", "2024-02-10T09:00:00+08:00", usd("100.00")),
    ]);
    let quote = Setting::at("2024-02-10T09:00:00+08:00").quote(Some(&instance));
    let periods: Vec<_> = quote.lines.iter().map(|l| l.period.expiration_date).collect();
    assert_eq!(periods, [date("2024-02-29"), date("2024-03-31")]);
    assert_eq!(quote.lines[1].period.end, at("2024-04-01T00:00:00+08:00"));
}

#[test]
fn orders_whose_period_has_ended_contribute_nothing() {
    let instance = quota(vec![
        new_order("2023-01-01T12:00:00+08:00", usd("100.00")),
        renewal("o2", "2023-01-20T09:00:00+08:00", usd("100.00")),
    ]);
    let quote = Setting::at("2023-02-10T12:00:00+08:00").quote(Some(&instance));
    let [line] = &quote.lines[..] else {
        panic!("expected one line, got {:?}", quote.lines);
    };
    assert_eq!((line.order_index, line.order_id.as_str()), (1, "o2"));
    assert_eq!(line.kind, LineKind::Current);
    let proration = line.proration.unwrap();
    assert_eq!((proration.used, proration.total), (9, 28));
    assert_eq!(quote.refund, usd("67.86"));
}

#[test]
fn refunded_and_cancelled_renewals_are_not_part_of_the_chain() {
    for status in [OrderStatus::Refunded, OrderStatus::Cancelled] {
        let mut pending = renewal("o2", "2023-01-05T09:00:00+08:00", usd("100.00"));
        pending.status = status;
        let instance = quota(vec![new_order("2023-01-01T12:00:00+08:00", usd("100.00")), pending]);
        let quote = Setting::at(QUOTA_NOW).quote(Some(&instance));
        assert_eq!(quote.refund, usd("67.75"), "{status:?}");
        assert_eq!(quote.lines.len(), 1, "{status:?}");
    }
}

#[test]
fn vouchers_coupons_and_discounts_are_never_refunded() {
    let mut instance = standard_quota();
    let order = &mut instance.orders[0];
    order.charges =
        OrderCharges { list_price: usd("100.00"), discount: usd("5.00"), coupon: usd("10.00"), voucher: usd("20.00") };
    order.tenders = vec![tender(PaymentMethodKind::Balance, usd("65.00"))];
    let quote = Setting::at(QUOTA_NOW).quote(Some(&instance));
    assert_eq!(quote.lines[0].cash_paid, usd("65.00"));
    assert_eq!(quote.lines[0].charges.voucher, usd("20.00"));
    assert_eq!(quote.refund, usd("44.04"));
}

#[test]
fn a_quote_counted_in_seconds_prorates_by_elapsed_seconds() {
    let quote = Setting::at(QUOTA_NOW).with("proration_unit", "second").quote(Some(&standard_quota()));
    let proration = quote.lines[0].proration.unwrap();
    assert_eq!((proration.used, proration.total), (784_800, 2_721_600));
    assert_eq!(proration.consumed, usd("28.83"));
    assert_eq!(quote.refund, usd("71.17"));
}

#[test]
fn a_yen_quota_is_prorated_to_whole_yen() {
    let yen = |text| Money::parse(Currency::Jpy, text).unwrap();
    let mut order = new_order("2023-01-01T12:00:00+08:00", yen("10000"));
    order.tenders = vec![tender(PaymentMethodKind::Card, yen("5000")), tender(PaymentMethodKind::Balance, yen("5000"))];
    let setting = Setting { currency: Currency::Jpy, ..Setting::at(QUOTA_NOW) };
    let quote = setting.quote(Some(&quota(vec![order])));
    assert_eq!(quote.refund.to_string(), "6775");
    let parts: Vec<String> = quote.destinations.iter().map(|d| d.amount.to_string()).collect();
    assert_eq!(parts, ["3388", "3387"]);
}

#[test]
fn the_last_moments_of_a_period_leave_nothing_to_refund() {
    let quote = Setting::at("2023-02-01T23:59:59+08:00").quote(Some(&standard_quota()));
    assert_eq!(quote.reason, Some(ReasonCode::ZeroRefundable));
    assert_eq!(quote.lines.len(), 1, "the refusal still shows the computed line");
    assert_eq!(quote.lines[0].refund, usd("0.00"));
}

#[test]
fn a_quota_whose_first_paid_order_is_a_renewal_is_an_invalid_instance() {
    let instance = quota(vec![renewal("o2", "2023-01-05T09:00:00+08:00", usd("100.00"))]);
    let setting = Setting::at(QUOTA_NOW);
    let ctx = billing_domain::QuoteContext {
        account_currency: setting.currency,
        policy: &setting.policy,
        zone: setting.zone,
        now: setting.now,
    };
    let result = billing_domain::quote_refund(Some(&instance), &ctx);
    assert!(matches!(result, Err(billing_domain::QuoteError::InvalidInstance(_))), "{result:?}");
}

#[test]
fn nothing_to_refund_names_its_real_cause() {
    let by_voucher = Setting::at(QUOTA_NOW).quote(Some(&paid_by_voucher_only(standard_quota())));
    assert_eq!(by_voucher.reason, Some(ReasonCode::ZeroRefundable));
    assert!(by_voucher.reason_message().unwrap().contains("only with vouchers and coupons"));
    let last_day = Setting::at("2023-02-01T10:00:00+08:00").quote(Some(&standard_quota()));
    assert_eq!(last_day.reason, Some(ReasonCode::ZeroRefundable), "{last_day:?}");
    let message = last_day.reason_message().unwrap();
    assert!(message.contains("every paid day has been used"), "{message}");
    assert!(!message.contains("voucher"), "{message}");
    let eligible = Setting::at(QUOTA_NOW).quote(Some(&standard_quota()));
    assert_eq!(eligible.reason_message(), None);
}
