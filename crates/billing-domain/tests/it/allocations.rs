//! The hot paths allocate nothing beyond what they return: a quote (of an
//! unsubscription or a downgrade) allocates
//! only its own vectors and order ids, and settling an hour into a reused
//! draw buffer allocates nothing at all.

use std::hint::black_box;

use billing_domain::change::{Action, quote_change};
use billing_domain::order::PaymentMethodKind::{Balance, Card, Paypal};
use billing_domain::quote::{QuoteContext, quote_refund};
use billing_domain::usage::{self, CuHours, HourFacts, HourlyPrice, PlanBalance, PlanPool};

use crate::count_allocations;
use crate::support::{Setting, at, new_order, quota, renewal, tender, usd};

#[test]
fn the_allocation_counter_sees_allocations_of_this_thread_only_while_counting() {
    let (boxed, allocations) = count_allocations(|| black_box(Box::new(7_u64)));
    assert_eq!((*boxed, allocations), (7, 1));
    let outside = black_box(vec![1_u8; 16]);
    let ((), allocations) = count_allocations(|| ());
    assert_eq!((outside.len(), allocations), (16, 0));
}

#[test]
fn quoting_a_quota_allocates_only_the_quote_it_returns() {
    let mut current = new_order("2023-01-01T12:00:00+08:00", usd("100.00"));
    current.tenders = vec![tender(Card, usd("60.00")), tender(Balance, usd("40.00"))];
    let mut pending = renewal("o2", "2023-01-20T09:00:00+08:00", usd("100.00"));
    pending.tenders = vec![tender(Paypal, usd("70.00")), tender(Balance, usd("30.00"))];
    let instance = quota(vec![current, pending]);
    let setting = Setting::at("2023-01-25T10:00:00+08:00");
    let ctx = QuoteContext {
        account_currency: setting.currency,
        policy: &setting.policy,
        zone: setting.zone,
        now: setting.now,
    };
    let (quote, allocations) = count_allocations(|| quote_refund(Some(black_box(&instance)), &ctx));
    let quote = quote.unwrap();
    assert_eq!((quote.lines.len(), quote.destinations.len()), (2, 4));
    // The lines vector, the destinations vector, and one order id per line
    // and per destination.
    let output = 1 + quote.lines.len() + 1 + quote.destinations.len();
    assert_eq!(output, 8);
    assert!(allocations <= output, "{allocations} allocations for an output of {output}");
}

#[test]
fn quoting_a_downgrade_allocates_only_the_quote_it_returns() {
    let mut current = new_order("2023-01-01T12:00:00+08:00", usd("100.00"));
    current.tenders = vec![tender(Card, usd("60.00")), tender(Balance, usd("40.00"))];
    let mut pending = renewal("o2", "2023-01-20T09:00:00+08:00", usd("100.00"));
    pending.tenders = vec![tender(Paypal, usd("70.00")), tender(Balance, usd("30.00"))];
    let instance = quota(vec![current, pending]);
    let setting = Setting::at("2023-01-25T10:00:00+08:00");
    let ctx = QuoteContext {
        account_currency: setting.currency,
        policy: &setting.policy,
        zone: setting.zone,
        now: setting.now,
    };
    let downgrade = Action::Downgrade { new_quota_cu: 60, min_quota_cu: 25 };
    let (quote, allocations) = count_allocations(|| quote_change(Some(black_box(&instance)), downgrade, &ctx));
    let quote = quote.unwrap();
    assert_eq!((quote.refund, quote.lines.len(), quote.destinations.len()), (usd("49.04"), 2, 4));
    let output = 1 + quote.lines.len() + 1 + quote.destinations.len();
    assert!(allocations <= output, "{allocations} allocations for an output of {output}");
}

#[test]
fn settling_an_hour_into_a_reused_draw_buffer_allocates_nothing() {
    let start = at("2024-06-01T00:00:00Z");
    let plan = |plan_id| PlanBalance {
        plan_id,
        purchased_at: start,
        valid_from: start,
        expires_at: at("2024-07-01T00:00:00Z"),
        remaining: CuHours::from_whole(10),
        released: false,
    };
    let mut pool = PlanPool::new(vec![plan(1), plan(2), plan(3)]);
    let mut draws = Vec::with_capacity(3);
    let facts = HourFacts {
        hour_start: at("2024-06-10T05:00:00Z"),
        usage: CuHours::parse("130.5").unwrap(),
        quota_cu: 100,
        price: HourlyPrice::parse(billing_domain::money::Currency::Usd, "0.067106").unwrap(),
    };
    let (settled, allocations) = count_allocations(|| usage::settle_hour(&facts, &mut pool, &mut draws));
    assert_eq!(settled.unwrap().pay_as_you_go, CuHours::parse("0.5").unwrap());
    assert_eq!((draws.len(), allocations), (3, 0));
}
