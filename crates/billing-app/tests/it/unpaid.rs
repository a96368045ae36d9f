//! A scenario with an order not paid yet (no tenders, no activation) is
//! answered as the real flow answers it, `UNPAID_ORDER_PENDING`, not
//! refused as malformed; a paid order's tenders must still add up.

use std::path::{Path, PathBuf};

use billing_app::expect::compare_with_expect;
use billing_app::scenario::parse_scenario;
use billing_app::wire::quote_json;
use billing_domain::reason::ReasonCode;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

#[test]
fn an_order_not_paid_yet_is_quoted_as_an_unpaid_order_pending() {
    for name in ["quota-unpaid-new-order-pending.json", "quota-unpaid-renewal-pending.json"] {
        let text = std::fs::read_to_string(scenarios_dir().join(name)).unwrap();
        let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let quote = scenario.quote().unwrap();
        assert_eq!(quote.reason, Some(ReasonCode::UnpaidOrderPending), "{name}");
        let expect = scenario.expect.as_ref().unwrap();
        compare_with_expect(expect, &quote_json(&quote, scenario.zone).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn tenders_of_an_unpaid_order_that_are_given_must_still_add_up() {
    let text = std::fs::read_to_string(scenarios_dir().join("quota-unpaid-renewal-pending.json")).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
    file["instance"]["orders"][1]["tenders"] = serde_json::json!([{"method": "card", "amount": "40.00"}]);
    let err = parse_scenario(&file.to_string()).expect_err("tenders that do not add up");
    assert_eq!(err.field, "instance.orders[1]");
}
