//! Settling one workspace-hour through `usage::settle_hour`: quota coverage,
//! draws from resource plans in drawing order, and the pay-as-you-go bill
//! truncated to 0.001 and then down to the minor unit.

use billing_domain::money::Currency;
use billing_domain::usage::{
    self, CuHours, HourFacts, HourSettlement, HourlyPrice, PlanBalance, PlanDraw, PlanPool, SettlementError,
};

use crate::support::at;

const HOUR: &str = "2024-06-10T05:00:00Z";

fn cu(text: &str) -> CuHours {
    CuHours::parse(text).unwrap()
}

fn plan(plan_id: u64, purchased: &str, expires: &str, remaining: &str) -> PlanBalance {
    PlanBalance {
        plan_id,
        purchased_at: at(purchased),
        valid_from: at(purchased),
        expires_at: at(expires),
        remaining: cu(remaining),
        released: false,
    }
}

/// Three plans that can cover [`HOUR`], listed out of drawing order, and four
/// that cannot: released, expired at the hour, not yet valid, and empty.
fn pool() -> PlanPool {
    let later = plan(1, "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z", "10");
    let bought_later = plan(2, "2024-06-05T00:00:00Z", "2024-06-20T00:00:00Z", "5");
    let bought_earlier = plan(3, "2024-06-02T00:00:00Z", "2024-06-20T00:00:00Z", "3");
    let released = PlanBalance { released: true, ..plan(4, "2024-06-01T00:00:00Z", "2024-06-15T00:00:00Z", "100") };
    let expired = plan(5, "2024-05-01T00:00:00Z", HOUR, "100");
    let not_yet_valid = PlanBalance {
        valid_from: at("2024-06-10T06:00:00Z"),
        ..plan(6, "2024-06-01T00:00:00Z", "2024-06-11T00:00:00Z", "100")
    };
    let empty = plan(7, "2024-06-01T00:00:00Z", "2024-06-12T00:00:00Z", "0");
    PlanPool::new(vec![later, bought_later, released, bought_earlier, expired, not_yet_valid, empty])
}

fn settle(usage: &str, quota_cu: u32, price: HourlyPrice, pool: &mut PlanPool) -> (HourSettlement, Vec<PlanDraw>) {
    let facts = HourFacts { hour_start: at(HOUR), usage: cu(usage), quota_cu, price };
    let mut draws = vec![PlanDraw { plan_id: 99, cu_hours: cu("1") }];
    let settlement = usage::settle_hour(&facts, pool, &mut draws).unwrap();
    (settlement, draws)
}

fn singapore() -> HourlyPrice {
    HourlyPrice::parse(Currency::Usd, "0.067106").unwrap()
}

/// What one settled hour should show, with CU-hours and money as text.
struct Expected {
    covered: &'static str,
    billable: &'static str,
    draws: &'static [(u64, &'static str)],
    pay_as_you_go: &'static str,
    bill: &'static str,
    charge: &'static str,
}

#[track_caller]
fn check(usage: &str, quota_cu: u32, mut pool: PlanPool, price: HourlyPrice, expected: &Expected) {
    let (settled, draws) = settle(usage, quota_cu, price, &mut pool);
    let label = format!("{usage} CU-h with {quota_cu} CU");
    assert_eq!(settled.covered.to_string(), expected.covered, "{label}");
    assert_eq!(settled.billable.to_string(), expected.billable, "{label}");
    let draws: Vec<(u64, String)> = draws.iter().map(|d| (d.plan_id, d.cu_hours.to_string())).collect();
    let expected_draws: Vec<(u64, String)> = expected.draws.iter().map(|(id, c)| (*id, cu(c).to_string())).collect();
    assert_eq!(draws, expected_draws, "{label}");
    assert_eq!(settled.pay_as_you_go.to_string(), expected.pay_as_you_go, "{label}");
    assert_eq!(settled.bill.to_string(), expected.bill, "{label}");
    assert_eq!(settled.charge.to_string(), expected.charge, "{label}");
}

#[test]
fn usage_beyond_the_quota_is_drawn_from_plans_and_the_rest_is_billed() {
    let none = PlanPool::default;
    #[rustfmt::skip]
    let cases = [
        ("130.5", 100, none(), Expected { covered: "100.000", billable: "30.500", draws: &[], pay_as_you_go: "30.500", bill: "2.046", charge: "2.04" }),
        ("130.5", 100, pool(), Expected { covered: "100.000", billable: "30.500", draws: &[(3, "3"), (2, "5"), (1, "10")], pay_as_you_go: "12.500", bill: "0.838", charge: "0.83" }),
        ("105", 100, pool(), Expected { covered: "100.000", billable: "5.000", draws: &[(3, "3"), (2, "2")], pay_as_you_go: "0.000", bill: "0.000", charge: "0.00" }),
        ("80", 100, pool(), Expected { covered: "80.000", billable: "0.000", draws: &[], pay_as_you_go: "0.000", bill: "0.000", charge: "0.00" }),
        ("12", 0, pool(), Expected { covered: "0.000", billable: "12.000", draws: &[(3, "3"), (2, "5"), (1, "4")], pay_as_you_go: "0.000", bill: "0.000", charge: "0.00" }),
        ("1", 0, none(), Expected { covered: "0.000", billable: "1.000", draws: &[], pay_as_you_go: "1.000", bill: "0.067", charge: "0.06" }),
        ("0.001", 0, none(), Expected { covered: "0.000", billable: "0.001", draws: &[], pay_as_you_go: "0.001", bill: "0.000", charge: "0.00" }),
    ];
    for (usage, quota_cu, pool, expected) in cases {
        check(usage, quota_cu, pool, singapore(), &expected);
    }
}

#[test]
fn a_yen_bill_is_truncated_to_whole_yen() {
    let yen = HourlyPrice::parse(Currency::Jpy, "9.87").unwrap();
    let expected = Expected {
        covered: "0.000",
        billable: "2.500",
        draws: &[],
        pay_as_you_go: "2.500",
        bill: "24.675",
        charge: "24",
    };
    check("2.5", 0, PlanPool::default(), yen, &expected);
}

#[test]
fn draws_lower_the_balances_of_the_plans_drawn_from_and_no_others() {
    let mut pool = pool();
    let before = pool.clone();
    settle("130.5", 100, singapore(), &mut pool);
    let remaining: Vec<(u64, String)> = pool.plans().iter().map(|p| (p.plan_id, p.remaining.to_string())).collect();
    let untouched = |id: u64| {
        let plan = before.plans().iter().find(|p| p.plan_id == id).unwrap();
        (id, plan.remaining.to_string())
    };
    for id in [4, 5, 6, 7] {
        assert!(remaining.contains(&untouched(id)), "plan {id}: {remaining:?}");
    }
    for id in [1, 2, 3] {
        assert!(remaining.contains(&(id, "0.000".to_owned())), "plan {id}: {remaining:?}");
    }
}

#[test]
fn plans_are_kept_in_drawing_order_earliest_expiry_then_earliest_purchase() {
    let order: Vec<u64> = pool().plans().iter().map(|p| p.plan_id).collect();
    assert_eq!(order, [5, 6, 7, 4, 3, 2, 1]);
}

#[test]
fn the_draw_buffer_is_cleared_even_when_nothing_is_drawn() {
    let (_, draws) = settle("0", 0, singapore(), &mut pool());
    assert!(draws.is_empty());
}

#[test]
fn negative_usage_is_refused() {
    let facts = HourFacts { hour_start: at(HOUR), usage: CuHours::from_milli(-1), quota_cu: 0, price: singapore() };
    let result = usage::settle_hour(&facts, &mut pool(), &mut Vec::new());
    assert_eq!(result, Err(SettlementError::NegativeUsage));
}

#[test]
fn cu_hours_and_prices_refuse_more_precision_than_allowed() {
    assert!(CuHours::parse("0.0005").is_err());
    assert!(CuHours::parse("-1").is_err());
    assert_eq!(cu("0.125").milli(), 125);
    assert!(HourlyPrice::parse(Currency::Usd, "0.0671065").is_err());
    assert_eq!(singapore().micros(), 67_106);
}
