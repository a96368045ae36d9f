//! Resource plan quotes: the money-back window (`120h`, `30d`, `validity`),
//! partial refunds by capacity, and the yearly limit of full refunds.

use billing_domain::money::Money;
use billing_domain::quote::{Instance, ProrationBasis, RefundType};
use billing_domain::reason::ReasonCode;
use billing_domain::usage::CuHours;

use crate::support::{Setting, standard_plan, standard_quota, usd};

/// What a quote should come to: a refund, or a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Refund(Money),
    Refused(ReasonCode),
}

fn outcome(setting: &Setting, instance: &Instance) -> Outcome {
    let quote = setting.quote(Some(instance));
    quote.reason.map_or(Outcome::Refund(quote.refund), Outcome::Refused)
}

/// A refund of this many US dollars.
fn refund(text: &str) -> Outcome {
    Outcome::Refund(usd(text))
}

fn plan_used(used: &str, capacity: Option<CuHours>) -> Instance {
    Instance { used: CuHours::parse(used).unwrap(), capacity, ..standard_plan() }
}

#[test]
fn an_unused_plan_is_refunded_in_full_within_the_window_including_its_last_instant() {
    #[track_caller]
    fn check(window: &str, now: &str, expected: Outcome) {
        let setting = Setting::at(now).with("resource_plan_window", window);
        assert_eq!(outcome(&setting, &standard_plan()), expected, "{window} at {now}");
    }
    use Outcome::Refused;
    // The standard plan was paid 2024-03-01 10:00 +08:00 and ends 2024-06-02 00:00 +08:00.
    check("120h", "2024-03-01T10:00:00+08:00", refund("80.00"));
    check("120h", "2024-03-06T10:00:00+08:00", refund("80.00"));
    check("120h", "2024-03-06T02:00:00Z", refund("80.00"));
    check("120h", "2024-03-06T10:00:01+08:00", Refused(ReasonCode::RefundWindowPassed));
    check("5d", "2024-03-06T10:00:01+08:00", Refused(ReasonCode::RefundWindowPassed));
    check("30d", "2024-03-31T10:00:00+08:00", refund("80.00"));
    check("30d", "2024-03-31T10:00:01+08:00", Refused(ReasonCode::RefundWindowPassed));
    check("validity", "2024-04-15T10:00:00+08:00", refund("80.00"));
    check("validity", "2024-06-01T23:59:59+08:00", refund("80.00"));
    check("validity", "2024-06-02T00:00:00+08:00", Refused(ReasonCode::Expired));
}

#[test]
fn an_unused_plan_is_an_unused_money_back_with_one_plan_line() {
    let quote = Setting::at("2024-03-02T10:00:00+08:00").quote(Some(&standard_plan()));
    assert_eq!(quote.refund_type, RefundType::UnusedMoneyBack);
    let [line] = &quote.lines[..] else {
        panic!("expected one line, got {:?}", quote.lines);
    };
    assert_eq!((line.cash_paid, line.refund, line.proration), (usd("80.00"), usd("80.00"), None));
}

#[test]
fn a_used_plan_gets_its_unused_share_back_only_when_partial_refunds_are_on_and_capacity_is_known() {
    #[track_caller]
    fn check(partial: &str, window: &str, instance: Instance, now: &str, expected: Outcome) {
        let setting =
            Setting::at(now).with("resource_plan_partial_refund", partial).with("resource_plan_window", window);
        assert_eq!(outcome(&setting, &instance), expected, "partial={partial} {window} at {now}");
    }
    use Outcome::Refused;
    let hundred = Some(CuHours::from_whole(100));
    let early = "2024-03-02T10:00:00+08:00";
    let late = "2024-05-01T10:00:00+08:00";
    check("true", "120h", plan_used("25", hundred), early, refund("60.00"));
    check("true", "120h", plan_used("99.999", hundred), early, refund("0.01"));
    check("true", "120h", plan_used("150", hundred), early, Refused(ReasonCode::ZeroRefundable));
    check("true", "120h", plan_used("0", hundred), early, refund("80.00"));
    check("true", "120h", plan_used("25", None), early, Refused(ReasonCode::ResourcePlanUsed));
    let empty = Some(CuHours::ZERO);
    check("true", "120h", plan_used("25", empty), early, Refused(ReasonCode::ResourcePlanUsed));
    check("false", "120h", plan_used("25", hundred), early, Refused(ReasonCode::ResourcePlanUsed));
    check("true", "120h", plan_used("25", hundred), late, Refused(ReasonCode::RefundWindowPassed));
    check("true", "validity", plan_used("25", hundred), late, refund("60.00"));
}

#[test]
fn a_partial_plan_refund_is_prorated_by_milli_cu_hours() {
    let setting = Setting::at("2024-03-02T10:00:00+08:00").with("resource_plan_partial_refund", "true");
    let quote = setting.quote(Some(&plan_used("25", Some(CuHours::from_whole(100)))));
    assert_eq!(quote.refund_type, RefundType::PartialRefund);
    let proration = quote.lines[0].proration.unwrap();
    assert_eq!(proration.basis, ProrationBasis::MilliCuHours);
    assert_eq!((proration.used, proration.total), (25_000, 100_000));
    assert_eq!(proration.consumed, usd("20.00"));
    assert_eq!(quote.refund, usd("60.00"));
}

#[test]
fn the_yearly_limit_refuses_only_full_refunds_once_reached() {
    #[track_caller]
    fn check(limit: &str, already: u32, instance: Instance, now: &str, expected: Outcome) {
        let setting =
            Setting::at(now).with("full_refunds_per_year", limit).with("resource_plan_partial_refund", "true");
        let instance = Instance { full_refunds_this_year: already, ..instance };
        assert_eq!(outcome(&setting, &instance), expected, "limit {limit}, {already} so far");
    }
    use Outcome::Refused;
    let plan_now = "2024-03-02T10:00:00+08:00";
    let limit_reached = Refused(ReasonCode::AnnualLimitReached);
    check("1", 1, standard_plan(), plan_now, limit_reached);
    check("2", 5, standard_plan(), plan_now, limit_reached);
    check("0", 0, standard_plan(), plan_now, limit_reached);
    check("2", 1, standard_plan(), plan_now, refund("80.00"));
    check("none", 50, standard_plan(), plan_now, refund("80.00"));
    let partly_used = plan_used("25", Some(CuHours::from_whole(100)));
    check("0", 3, partly_used, plan_now, refund("60.00"));
    check("0", 3, standard_quota(), "2023-01-10T14:00:00+08:00", refund("67.75"));
}

#[test]
fn a_plan_refused_by_the_yearly_limit_still_shows_what_it_would_have_refunded() {
    let setting = Setting::at("2024-03-02T10:00:00+08:00").with("full_refunds_per_year", "1");
    let instance = Instance { full_refunds_this_year: 1, ..standard_plan() };
    let quote = setting.quote(Some(&instance));
    assert_eq!(quote.reason, Some(ReasonCode::AnnualLimitReached));
    assert_eq!(quote.refund, usd("0.00"));
    assert_eq!(quote.lines.len(), 1);
    assert_eq!(quote.lines[0].refund, usd("80.00"));
    assert!(quote.destinations.is_empty());
}
