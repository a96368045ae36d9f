//! Speed of the engine's hot paths: quoting a quota (one current and one
//! pending order, two tenders) for an unsubscription and for a downgrade,
//! and settling one workspace-hour.
//!
//! Run with `cargo bench -p billing-domain --bench engine`; criterion prints
//! the median time per call and the calls per second.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use billing_domain::calendar::BillingZone;
use billing_domain::change::{Action, quote_change};
use billing_domain::ids::OrderId;
use billing_domain::money::{Currency, Money};
use billing_domain::order::{Order, OrderCharges, OrderKind, OrderStatus, PaymentMethodKind, Tender};
use billing_domain::policy::Policy;
use billing_domain::quote::{Instance, InstanceKind, InstanceStatus, QuoteContext, quote_refund};
use billing_domain::usage::{CuHours, HourFacts, HourlyPrice, PlanBalance, PlanDraw, PlanPool, settle_hour};
use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn usd(text: &str) -> Money {
    Money::parse(Currency::Usd, text).unwrap()
}

fn tender(method: PaymentMethodKind, amount: &str) -> Tender {
    Tender { method, amount: usd(amount), instrument_valid: true }
}

fn quota_with_pending_renewal() -> Instance {
    let order = |id: &str, kind, start: Option<&str>, paid_at: &str, tenders| Order {
        id: OrderId::trusted(id),
        kind,
        status: OrderStatus::Paid,
        paid_at: Some(at(paid_at)),
        start: start.map(at),
        months: 1,
        charges: OrderCharges::list_only(usd("100.00")),
        released_cash: Money::zero(Currency::Usd),
        tenders,
    };
    let split = vec![tender(PaymentMethodKind::Card, "60.00"), tender(PaymentMethodKind::Balance, "40.00")];
    let renewal_tenders = vec![tender(PaymentMethodKind::Paypal, "70.00"), tender(PaymentMethodKind::Balance, "30.00")];
    Instance {
        kind: InstanceKind::SubscriptionQuota,
        status: InstanceStatus::Active,
        used: CuHours::ZERO,
        capacity: None,
        promotion_non_refundable: false,
        transferred: false,
        quota_cu: Some(100),
        full_refunds_this_year: 0,
        orders: vec![
            order("o1", OrderKind::New, Some("2023-01-01T12:00:00+08:00"), "2023-01-01T12:00:00+08:00", split),
            order("o2", OrderKind::Renewal, None, "2023-01-20T09:00:00+08:00", renewal_tenders),
        ],
    }
}

fn bench_quote(c: &mut Criterion) {
    let instance = quota_with_pending_renewal();
    let policy = Policy::default();
    let ctx = QuoteContext {
        account_currency: Currency::Usd,
        policy: &policy,
        zone: BillingZone::DEFAULT,
        now: at("2023-01-25T10:00:00+08:00"),
    };
    let quote = quote_refund(Some(&instance), &ctx).unwrap();
    assert_eq!(quote.refund.to_string(), "122.59");
    let mut group = c.benchmark_group("quote");
    group.throughput(Throughput::Elements(1));
    group.bench_function("quota_current_and_pending_two_tenders", |b| {
        b.iter(|| quote_refund(Some(black_box(&instance)), black_box(&ctx)).unwrap())
    });
    let downgrade = Action::Downgrade { new_quota_cu: 60, min_quota_cu: 25 };
    let quote = quote_change(Some(&instance), downgrade, &ctx).unwrap();
    assert_eq!(quote.refund.to_string(), "49.04");
    group.bench_function("downgrade_current_and_pending_two_tenders", |b| {
        b.iter(|| quote_change(Some(black_box(&instance)), black_box(downgrade), black_box(&ctx)).unwrap())
    });
    group.finish();
}

fn plans(start: DateTime<Utc>) -> Vec<PlanBalance> {
    (0..3_u64)
        .map(|i| PlanBalance {
            plan_id: i,
            purchased_at: start,
            valid_from: start,
            expires_at: start + Duration::days(30 + i as i64),
            remaining: CuHours::from_milli(i64::MAX / 4),
            released: false,
        })
        .collect()
}

fn bench_settlement(c: &mut Criterion) {
    let start = at("2024-06-01T00:00:00Z");
    let mut pool = PlanPool::new(plans(start));
    let mut draws: Vec<PlanDraw> = Vec::with_capacity(4);
    let facts = HourFacts {
        hour_start: start + Duration::hours(5),
        usage: CuHours::parse("130.5").unwrap(),
        quota_cu: 100,
        price: HourlyPrice::parse(Currency::Usd, "0.067106").unwrap(),
    };
    let mut group = c.benchmark_group("settlement");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_hour_quota_plus_plans", |b| {
        b.iter(|| settle_hour(black_box(&facts), &mut pool, &mut draws).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_quote, bench_settlement);
criterion_main!(benches);
