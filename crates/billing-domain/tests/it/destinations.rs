//! Where refunded money goes, through `quote_refund`: each order's refund is
//! split over its cash tenders, and each part goes back the way it came
//! unless a rule sends it to the balance.

use billing_domain::destination::RouteRule;
use billing_domain::order::{Order, PaymentMethodKind};
use billing_domain::quote::Instance;
use chrono::Duration;

use crate::support::{Setting, new_order, quota, renewal, resource_plan, tender, usd};

use PaymentMethodKind::{Balance, BankTransfer, Card, Paypal};

/// Paid and activated 2023-01-01 12:00 +08:00 for nine months, so that the
/// quota is still current more than 180 days later.
const PAID_AT: &str = "2023-01-01T12:00:00+08:00";

fn nine_month_quota(method: PaymentMethodKind, instrument_valid: bool) -> Instance {
    let mut order = new_order(PAID_AT, usd("900.00"));
    order.months = 9;
    order.tenders = vec![tender(method, usd("900.00"))];
    order.tenders[0].instrument_valid = instrument_valid;
    quota(vec![order])
}

/// Where the single refund part of a quota paid `age` ago with `method` goes.
fn route_after(
    method: PaymentMethodKind,
    instrument_valid: bool,
    age: Duration,
    setting: Setting,
) -> (PaymentMethodKind, RouteRule) {
    let setting = Setting { now: crate::support::at(PAID_AT) + age, ..setting };
    let quote = setting.quote(Some(&nine_month_quota(method, instrument_valid)));
    let [destination] = &quote.destinations[..] else {
        panic!("expected one destination, got {:?}", quote.destinations);
    };
    assert_eq!((destination.from, destination.amount), (method, quote.refund));
    (destination.to, destination.rule)
}

#[track_caller]
fn check(method: PaymentMethodKind, age: Duration, to: PaymentMethodKind, rule: RouteRule) {
    let routed = route_after(method, true, age, Setting::at(PAID_AT));
    assert_eq!(routed, (to, rule), "{method} paid {age} ago");
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn second() -> Duration {
    Duration::seconds(1)
}

#[test]
fn refund_goes_back_to_the_card_up_to_exactly_150_days() {
    check(Card, Duration::hours(1), Card, RouteRule::OriginalMethod);
    check(Card, days(150), Card, RouteRule::OriginalMethod);
}

#[test]
fn refund_goes_to_balance_when_card_is_older_than_150_days() {
    check(Card, days(150) + second(), Balance, RouteRule::CardOlderThanMaxAge);
    check(Card, days(200), Balance, RouteRule::CardOlderThanMaxAge);
}

#[test]
fn paypal_refund_goes_back_to_paypal_at_exactly_180_days() {
    check(Paypal, days(151), Paypal, RouteRule::OriginalMethod);
    check(Paypal, days(180), Paypal, RouteRule::OriginalMethod);
}

#[test]
fn refund_goes_to_balance_when_paypal_is_older_than_180_days() {
    check(Paypal, days(180) + second(), Balance, RouteRule::PaypalOlderThanMaxAge);
}

#[test]
fn bank_transfers_are_always_refunded_to_the_balance() {
    check(BankTransfer, Duration::hours(1), Balance, RouteRule::BankTransferToBalance);
    check(BankTransfer, days(200), Balance, RouteRule::BankTransferToBalance);
}

#[test]
fn balance_payments_are_refunded_to_the_balance_at_any_age() {
    check(Balance, Duration::hours(1), Balance, RouteRule::OriginalMethod);
    check(Balance, days(250), Balance, RouteRule::OriginalMethod);
}

#[test]
fn refund_goes_to_balance_when_the_instrument_is_no_longer_valid() {
    for method in [Card, Paypal] {
        let routed = route_after(method, false, Duration::hours(1), Setting::at(PAID_AT));
        assert_eq!(routed, (Balance, RouteRule::MethodInvalid), "{method}");
        let (to, _) = route_after(method, false, days(200), Setting::at(PAID_AT));
        assert_eq!(to, Balance, "{method}");
    }
}

#[test]
fn the_age_limits_come_from_the_policy() {
    let setting = Setting::at(PAID_AT).with("card_refund_max_age", "10d").with("paypal_refund_max_age", "240h");
    for (method, rule) in [(Card, RouteRule::CardOlderThanMaxAge), (Paypal, RouteRule::PaypalOlderThanMaxAge)] {
        assert_eq!(route_after(method, true, days(10), setting), (method, RouteRule::OriginalMethod));
        assert_eq!(route_after(method, true, days(10) + second(), setting), (Balance, rule));
    }
}

#[test]
fn ages_are_counted_from_each_order_payment_not_from_the_first() {
    let mut first = new_order("2023-01-01T12:00:00+08:00", usd("100.00"));
    first.months = 6;
    first.tenders = vec![tender(Card, usd("100.00"))];
    let mut second = renewal("o2", "2023-06-25T12:00:00+08:00", usd("100.00"));
    second.tenders = vec![tender(Card, usd("100.00"))];
    let quote = Setting::at("2023-06-30T12:00:00+08:00").quote(Some(&quota(vec![first, second])));
    let routes: Vec<_> = quote.destinations.iter().map(|d| (d.order_id.as_str(), d.to)).collect();
    assert_eq!(routes, [("o1", Balance), ("o2", Card)]);
}

#[test]
fn each_order_refund_is_split_over_its_own_tenders_in_proportion() {
    let mut first = new_order("2023-01-01T12:00:00+08:00", usd("100.00"));
    first.tenders = vec![tender(Card, usd("33.33")), tender(Paypal, usd("33.33")), tender(Balance, usd("33.34"))];
    let mut second = renewal("o2", "2023-01-05T12:00:00+08:00", usd("50.00"));
    second.tenders = vec![tender(BankTransfer, usd("20.00")), tender(Card, usd("30.00"))];
    let quote = Setting::at("2023-01-08T00:00:00+08:00").quote(Some(&quota(vec![first, second])));
    let parts: Vec<_> = quote
        .destinations
        .iter()
        .map(|d| (d.order_index, d.tender_index, d.from, d.to, d.amount.to_string()))
        .collect();
    let expected = [
        (0, 0, Card, Card, "25.81".to_owned()),
        (0, 1, Paypal, Paypal, "25.80".to_owned()),
        (0, 2, Balance, Balance, "25.81".to_owned()),
        (1, 0, BankTransfer, Balance, "20.00".to_owned()),
        (1, 1, Card, Card, "30.00".to_owned()),
    ];
    assert_eq!(parts, expected);
    assert_eq!(quote.refund, usd("127.42"));
}

#[test]
fn parts_that_round_to_zero_get_no_destination() {
    let mut order: Order = new_order("2024-03-01T10:00:00+08:00", usd("80.00"));
    order.tenders = vec![tender(Card, usd("40.00")), tender(Paypal, usd("40.00"))];
    let plan = Instance { used: billing_domain::usage::CuHours::parse("99.999").unwrap(), ..resource_plan(order) };
    let setting = Setting::at("2024-03-02T10:00:00+08:00").with("resource_plan_partial_refund", "true");
    let quote = setting.quote(Some(&plan));
    assert_eq!(quote.refund, usd("0.01"));
    let [only] = &quote.destinations[..] else {
        panic!("expected one destination, got {:?}", quote.destinations);
    };
    assert_eq!((only.tender_index, only.from, only.amount), (0, Card, usd("0.01")));
}
