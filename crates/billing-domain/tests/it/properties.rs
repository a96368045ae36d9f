//! Properties that hold for every input, checked on generated cases: refunds
//! never exceed cash and never grow with time, splits are exact, renewal
//! periods are contiguous, and settlement draws only what plans hold.

use billing_domain::calendar::{self, BillingZone, ProrationUnit};
use billing_domain::ids::OrderId;
use billing_domain::money::{Currency, Money, split_largest_remainder};
use billing_domain::order::{Order, OrderCharges, OrderKind, OrderStatus, PaymentMethodKind, Tender};
use billing_domain::quote::{Instance, Quote};
use billing_domain::usage::{self, CuHours, HourFacts, HourlyPrice, PlanBalance, PlanPool};
use chrono::{DateTime, Days, Duration, Months, Utc};
use proptest::prelude::*;

use crate::support::{Setting, quota, resource_plan, zone};

const ZONES: [&str; 6] =
    ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "UTC"];

pub(crate) fn any_zone() -> impl Strategy<Value = BillingZone> {
    prop::sample::select(&ZONES[..]).prop_map(zone)
}

/// An instant between 2020 and 2030, to the second.
pub(crate) fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_577_836_800_i64..1_893_456_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

pub(crate) fn any_currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(&[Currency::Usd, Currency::Jpy][..])
}

prop_compose! {
    /// One to three cash tenders of any method; an amount of zero is allowed.
    fn any_tenders(currency: Currency)(
        parts in prop::collection::vec(
            (prop::sample::select(&PaymentMethodKind::ALL[..]), any::<bool>(), 0_i64..=5_000_000),
            1..=3,
        )
    ) -> Vec<Tender> {
        parts
            .into_iter()
            .map(|(method, instrument_valid, minor)| Tender {
                method,
                amount: Money::from_minor(currency, minor),
                instrument_valid,
            })
            .collect()
    }
}

prop_compose! {
    /// A paid order whose list price is its tenders plus a voucher.
    pub(crate) fn any_order(currency: Currency)(
        tenders in any_tenders(currency),
        voucher in 0_i64..=1000,
        months in 1_u32..=9,
    ) -> Order {
        let cash: i64 = tenders.iter().map(|t| t.amount.minor()).sum();
        let mut charges = OrderCharges::list_only(Money::from_minor(currency, cash + voucher));
        charges.voucher = Money::from_minor(currency, voucher);
        Order {
            id: OrderId::trusted(""),
            kind: OrderKind::Renewal,
            status: OrderStatus::Paid,
            paid_at: None,
            start: None,
            months,
            charges,
            released_cash: Money::zero(currency),
            tenders,
        }
    }
}

/// Makes `orders` a quota activated at `anchor`: the first is the new order,
/// the others renewals paid an hour apart.
pub(crate) fn as_quota(anchor: DateTime<Utc>, mut orders: Vec<Order>) -> Instance {
    for (index, order) in orders.iter_mut().enumerate() {
        order.id = OrderId::trusted(format!("o{index}"));
        order.paid_at = Some(anchor + Duration::hours(i64::try_from(index).unwrap()));
    }
    orders[0].kind = OrderKind::New;
    orders[0].start = Some(anchor);
    quota(orders)
}

prop_compose! {
    /// A quota of one to three orders in `USD` or `JPY`, quoted in a random
    /// zone and proration unit, with two moments `now` ≤ `later` around it.
    fn any_quota_case()(currency in any_currency())(
        orders in prop::collection::vec(any_order(currency), 1..=3),
        anchor in any_instant(),
        zone in any_zone(),
        per_second in any::<bool>(),
        offset_s in -86_400_i64..=900 * 86_400,
        step_s in 0_i64..=120 * 86_400,
        currency in Just(currency),
    ) -> (Instance, Setting, DateTime<Utc>) {
        let mut setting = Setting::at("2020-01-01T00:00:00Z");
        setting.currency = currency;
        setting.zone = zone;
        setting.now = anchor + Duration::seconds(offset_s);
        if per_second {
            setting.policy.proration_unit = ProrationUnit::Second;
        }
        let later = setting.now + Duration::seconds(step_s);
        (as_quota(anchor, orders), setting, later)
    }
}

/// Cash paid by the instance's paid orders, in minor units.
fn cash_paid_minor(instance: &Instance) -> i64 {
    instance.orders.iter().filter(|o| o.status == OrderStatus::Paid).map(|o| o.cash_paid().unwrap().minor()).sum()
}

/// Checks the money invariants of one quote.
fn check_quote_money(instance: &Instance, quote: &Quote) -> Result<(), TestCaseError> {
    for line in &quote.lines {
        prop_assert!(!line.refund.is_negative(), "{line:?}");
        prop_assert!(line.refund.minor() <= line.cash_paid.minor(), "{line:?}");
        let order = &instance.orders[line.order_index];
        prop_assert_eq!(line.cash_paid, order.cash_basis().unwrap());
    }
    prop_assert!(quote.refund.minor() <= cash_paid_minor(instance));
    if !quote.eligible() {
        prop_assert!(quote.refund.is_zero());
        prop_assert!(quote.destinations.is_empty());
        return Ok(());
    }
    let routed: i64 = quote.destinations.iter().map(|d| d.amount.minor()).sum();
    prop_assert_eq!(routed, quote.refund.minor());
    for line in &quote.lines {
        let of_line = quote.destinations.iter().filter(|d| d.order_index == line.order_index);
        prop_assert_eq!(of_line.map(|d| d.amount.minor()).sum::<i64>(), line.refund.minor());
    }
    prop_assert!(quote.destinations.iter().all(|d| d.amount.minor() > 0));
    Ok(())
}

proptest! {
    #[test]
    fn a_quota_refund_never_exceeds_cash_paid_and_its_destinations_add_up_to_it(
        (instance, setting, _) in any_quota_case()
    ) {
        check_quote_money(&instance, &setting.quote(Some(&instance)))?;
    }

    #[test]
    fn a_quota_refund_never_grows_as_now_moves_forward((instance, setting, later) in any_quota_case()) {
        let earlier = setting.quote(Some(&instance));
        let afterwards = Setting { now: later, ..setting }.quote(Some(&instance));
        prop_assert!(afterwards.refund.minor() <= earlier.refund.minor(), "{earlier:?}\n{afterwards:?}");
    }

    #[test]
    fn a_plan_refund_never_exceeds_cash_paid_nor_grows_with_time(
        order in any_order(Currency::Usd),
        start in any_instant(),
        used_milli in prop::sample::select(&[0_i64, 1, 25_000, 99_999, 100_000, 150_000][..]),
        partial in any::<bool>(),
        window in prop::sample::select(&["120h", "30d", "validity"][..]),
        offset_s in 0_i64..=300 * 86_400,
        step_s in 0_i64..=60 * 86_400,
    ) {
        let mut order = order;
        order.paid_at = Some(start);
        order.start = Some(start);
        let plan = Instance { used: CuHours::from_milli(used_milli), ..resource_plan(order) };
        let mut setting = Setting::at("2020-01-01T00:00:00Z").with("resource_plan_window", window);
        setting.policy.resource_plan_partial_refund = partial;
        setting.now = start + Duration::seconds(offset_s);
        let earlier = setting.quote(Some(&plan));
        check_quote_money(&plan, &earlier)?;
        setting.now += Duration::seconds(step_s);
        let afterwards = setting.quote(Some(&plan));
        check_quote_money(&plan, &afterwards)?;
        prop_assert!(afterwards.refund.minor() <= earlier.refund.minor());
    }
}

/// Checks that `parts` is a largest-remainder split of `total` over `weights`.
fn check_split(total: i64, weights: &[i64], parts: &[i64]) -> Result<(), TestCaseError> {
    prop_assert_eq!(parts.len(), weights.len());
    prop_assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(total));
    let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if weight_sum == 0 {
        prop_assert_eq!(parts[0], total);
        return Ok(());
    }
    for (part, weight) in parts.iter().zip(weights) {
        // |part − total × weight / sum| < 1, multiplied through by the sum.
        let gap = i128::from(*part) * weight_sum - i128::from(total) * i128::from(*weight);
        prop_assert!(gap.abs() < weight_sum, "part {part} of weight {weight}");
    }
    for i in 0..weights.len() {
        for j in i + 1..weights.len() {
            if weights[i] >= weights[j] {
                prop_assert!(parts[i] >= parts[j], "earlier or heavier part {i} got less than {j}");
            }
            if weights[j] > weights[i] {
                prop_assert!(parts[j] >= parts[i], "heavier part {j} got less than {i}");
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn split_parts_add_up_exactly_and_stay_within_one_unit_of_their_share(
        total in prop_oneof![0_i64..=1000, 0_i64..=1_000_000_000_000],
        weights in prop::collection::vec(prop_oneof![0_i64..=3, 0_i64..=1_000_000_000], 1..=8),
        currency in any_currency(),
    ) {
        let as_money = |minor| Money::from_minor(currency, minor);
        let weight_money: Vec<Money> = weights.iter().copied().map(as_money).collect();
        let parts = split_largest_remainder(as_money(total), &weight_money).unwrap();
        prop_assert!(parts.iter().all(|p| p.currency() == currency && !p.is_negative()));
        let parts: Vec<i64> = parts.iter().map(|p| p.minor()).collect();
        check_split(total, &weights, &parts)?;
    }

    #[test]
    fn renewal_periods_are_contiguous_and_anchored_to_the_first_activation(
        zone in any_zone(),
        anchor in any_instant(),
        month_counts in prop::collection::vec(1_u32..=9, 1..=6),
    ) {
        let anchor_date = zone.local_date(anchor);
        let mut start = anchor;
        let mut total = 0;
        let mut previous_expiration = None;
        for months in month_counts {
            total += months;
            let period = calendar::period_from_anchor(zone, anchor, start, total).unwrap();
            prop_assert_eq!(period.start, start);
            prop_assert!(period.end > period.start, "{period:?}");
            let expiration = anchor_date.checked_add_months(Months::new(total)).unwrap();
            prop_assert_eq!(period.expiration_date, expiration);
            let next_day = expiration.checked_add_days(Days::new(1)).unwrap();
            prop_assert_eq!(zone.local_date(period.end), next_day);
            prop_assert_eq!(period.end, zone.start_of_day(next_day).unwrap());
            prop_assert!(previous_expiration < Some(expiration));
            previous_expiration = Some(expiration);
            start = period.end;
        }
    }
}

prop_compose! {
    /// A plan placed around `hour` in hours; its id is set by the caller.
    fn any_plan(hour: DateTime<Utc>)(
        from_h in -200_i64..=100,
        length_h in 1_i64..=400,
        purchase_h in 0_i64..=50,
        remaining in prop_oneof![0_i64..=10, 0_i64..=20_000],
        released in (0_u8..5).prop_map(|n| n == 0),
    ) -> PlanBalance {
        let valid_from = hour + Duration::hours(from_h);
        PlanBalance {
            plan_id: 0,
            purchased_at: valid_from - Duration::hours(purchase_h),
            valid_from,
            expires_at: valid_from + Duration::hours(length_h),
            remaining: CuHours::from_milli(remaining),
            released,
        }
    }
}

fn hour_start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_718_000_000 / 3600 * 3600, 0).unwrap()
}

fn can_cover(plan: &PlanBalance, hour: DateTime<Utc>) -> bool {
    !plan.released && plan.remaining.milli() > 0 && plan.valid_from <= hour && hour < plan.expires_at
}

proptest! {
    #[test]
    fn settlement_draws_only_what_valid_plans_hold_and_bills_the_floor_of_the_rest(
        plans in prop::collection::vec(any_plan(hour_start()), 0..=6),
        usage in prop_oneof![0_i64..=2000, 0_i64..=100_000],
        quota_cu in prop_oneof![Just(0_u32), 0_u32..=60],
        price_micros in prop_oneof![Just(67_106_i64), 0_i64..=20_000_000],
        currency in any_currency(),
    ) {
        let hour = hour_start();
        let plans: Vec<PlanBalance> = plans
            .into_iter()
            .zip(0_u64..)
            .map(|(plan, plan_id)| PlanBalance { plan_id, ..plan })
            .collect();
        let mut pool = PlanPool::new(plans);
        let before = pool.clone();
        let facts = HourFacts {
            hour_start: hour,
            usage: CuHours::from_milli(usage),
            quota_cu,
            price: HourlyPrice::from_micros(currency, price_micros),
        };
        let mut draws = Vec::new();
        let settled = usage::settle_hour(&facts, &mut pool, &mut draws).unwrap();
        prop_assert_eq!(settled.covered.milli(), usage.min(i64::from(quota_cu) * 1000));
        prop_assert_eq!(settled.covered.milli() + settled.billable.milli(), usage);
        let drawn: i64 = draws.iter().map(|d| d.cu_hours.milli()).sum();
        prop_assert_eq!(settled.drawn.milli(), drawn);
        prop_assert_eq!(settled.billable.milli(), drawn + settled.pay_as_you_go.milli());
        let mut last_position = None;
        for draw in &draws {
            let position = before.plans().iter().position(|p| p.plan_id == draw.plan_id).unwrap();
            let (was, is) = (&before.plans()[position], &pool.plans()[position]);
            prop_assert!(can_cover(was, hour), "drew from {was:?}");
            prop_assert!(draw.cu_hours.milli() > 0 && draw.cu_hours <= was.remaining);
            prop_assert_eq!(is.remaining.milli(), was.remaining.milli() - draw.cu_hours.milli());
            prop_assert!(last_position < Some(position), "draws out of drawing order");
            last_position = Some(position);
        }
        for (was, is) in before.plans().iter().zip(pool.plans()) {
            let drawn_from = draws.iter().any(|d| d.plan_id == was.plan_id);
            prop_assert!(drawn_from || was == is, "{was:?} changed to {is:?}");
            if settled.pay_as_you_go.milli() > 0 && can_cover(was, hour) {
                prop_assert_eq!(is.remaining, CuHours::ZERO);
            }
        }
        let exact = i128::from(settled.pay_as_you_go.milli()) * i128::from(price_micros);
        prop_assert_eq!(i128::from(settled.bill.milli_major()), exact / 1_000_000);
        let minor_per_major = i128::from(currency.minor_per_major());
        prop_assert_eq!(i128::from(settled.charge.minor()), exact * minor_per_major / 1_000_000_000);
        prop_assert_eq!(settled.charge.currency(), currency);
    }
}
