//! A scenario file with a mistake is refused with the path of the field at
//! fault, never a panic.

use billing_app::scenario::parse_scenario;
use serde_json::{Value, json};

fn valid() -> Value {
    json!({
        "instance": {"kind": "subscription_quota", "orders": [{
            "id": "o1", "type": "new", "status": "paid", "currency": "USD",
            "paid_at": "2023-01-01T12:00:00+08:00", "start": "2023-01-01T12:00:00+08:00",
            "months": 1, "list_price": "100.00",
            "tenders": [{"method": "card", "amount": "100.00"}]
        }]},
        "now": "2023-01-10T14:00:00+08:00"
    })
}

/// A change that should make the file invalid.
type Edit = Box<dyn FnOnce(&mut Value)>;

fn order(file: &mut Value) -> &mut Value {
    &mut file["instance"]["orders"][0]
}

fn error_field(edit: impl FnOnce(&mut Value)) -> String {
    let mut file = valid();
    edit(&mut file);
    let err = parse_scenario(&file.to_string()).expect_err("the file should be refused");
    assert!(!err.message.is_empty());
    err.field
}

#[test]
fn the_valid_base_file_is_accepted() {
    let scenario = parse_scenario(&valid().to_string()).unwrap();
    assert_eq!(scenario.quote().unwrap().refund.to_string(), "67.75");
}

#[test]
fn each_mistake_names_its_field() {
    let cases: Vec<(&str, Edit)> = vec![
        ("now", Box::new(|f| f["now"] = json!("yesterday"))),
        ("now", Box::new(|f| f["now"] = json!("2023-01-10T14:00:00"))),
        ("instance", Box::new(|f| f["instance"] = json!(5))),
        ("instance.kind", Box::new(|f| f["instance"]["kind"] = json!("lease"))),
        ("instance.orders[0].paid_at", Box::new(|f| order(f)["paid_at"] = json!("soon"))),
        ("instance.orders[0].list_price", Box::new(|f| order(f)["list_price"] = json!("100.001"))),
        ("instance.orders[0].list_price", Box::new(|f| order(f)["list_price"] = json!(100))),
        ("instance.orders[0].months", Box::new(|f| order(f)["months"] = json!("one"))),
        ("instance.orders[0].currency", Box::new(|f| order(f)["currency"] = json!("GBP"))),
        ("instance.orders[0].tenders[0].method", Box::new(|f| order(f)["tenders"][0]["method"] = json!("gold"))),
        ("instance.orders[0].tenders[0].amount", Box::new(|f| order(f)["tenders"][0]["amount"] = json!("1e2"))),
        ("instance.orders[0]", Box::new(|f| order(f)["tenders"][0]["amount"] = json!("99.00"))),
        ("instance.orders[0]", Box::new(|f| order(f).as_object_mut().unwrap().remove("start").map(drop).unwrap())),
        ("instance.orders[0]", Box::new(|f| drop(order(f).as_object_mut().unwrap().remove("list_price")))),
        ("instance.orders[0].colour", Box::new(|f| order(f)["colour"] = json!("red"))),
        ("policy.quote_ttl", Box::new(|f| f["policy"] = json!({"quote_ttl": "soon"}))),
        ("policy.refund_everything", Box::new(|f| f["policy"] = json!({"refund_everything": true}))),
        ("zone", Box::new(|f| f["zone"] = json!("Mars/Olympus"))),
        ("account.invalid_methods[0]", Box::new(|f| f["account"] = json!({"invalid_methods": ["cheque"]}))),
        ("", Box::new(|f| drop(f.as_object_mut().unwrap().remove("now")))),
    ];
    for (want, edit) in cases {
        assert_eq!(error_field(edit), want);
    }
}

#[test]
fn text_that_is_not_json_is_refused_with_its_position() {
    let err = parse_scenario("{\"now\": ").unwrap_err();
    assert!(err.message.contains("line 1"), "{err}");
}

#[test]
fn a_null_instance_is_not_found() {
    let mut file = valid();
    file["instance"] = Value::Null;
    file["account"] = json!({"currency": "EUR"});
    let quote = parse_scenario(&file.to_string()).unwrap().quote().unwrap();
    assert_eq!(quote.reason.map(|r| r.code()), Some("NOT_FOUND"));
}
