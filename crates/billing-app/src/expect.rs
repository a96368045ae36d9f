//! Compares a printed quote with the `expect` block of a scenario file.
//!
//! Every field of `expect` must be present and equal; extra fields are
//! allowed. Amounts compare as strings, `period_end` as the same instant in
//! any offset, `lines` by `order_id`, and `destinations` as a set of
//! `(order_id, from, to, amount)`.

use chrono::DateTime;
use serde_json::Value;

/// Checks `got` against `expect`; the error says what differs first.
pub fn compare_with_expect(expect: &Value, got: &Value) -> Result<(), String> {
    let Value::Object(expect) = expect else {
        return Err("expect must be a JSON object".to_owned());
    };
    for (key, want) in expect {
        match key.as_str() {
            "lines" => compare_lines(want, got.get("lines"))?,
            "destinations" => compare_destinations(want, got.get("destinations"))?,
            _ => match got.get(key) {
                None => return Err(format!("missing field {key}")),
                Some(have) if have != want => return Err(format!("{key}: got {have}, expected {want}")),
                Some(_) => {}
            },
        }
    }
    Ok(())
}

fn compare_lines(want: &Value, got: Option<&Value>) -> Result<(), String> {
    let empty = Vec::new();
    let got = got.and_then(Value::as_array).unwrap_or(&empty);
    for line in want.as_array().ok_or("expect.lines must be an array")? {
        let id = &line["order_id"];
        let have = got.iter().find(|g| &g["order_id"] == id).ok_or_else(|| format!("missing line {id}"))?;
        for (key, value) in line.as_object().ok_or("each expected line must be an object")? {
            let field = have.get(key).ok_or_else(|| format!("line {id}: missing {key}"))?;
            let equal = if key == "period_end" { same_instant(value, field) } else { value == field };
            if !equal {
                return Err(format!("line {id}: {key} got {field}, expected {value}"));
            }
        }
    }
    Ok(())
}

fn same_instant(a: &Value, b: &Value) -> bool {
    let parse = |v: &Value| v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

fn destination_set(value: Option<&Value>) -> Vec<[String; 4]> {
    let key = |d: &Value| {
        ["order_id", "from", "to", "amount"].map(|k| d.get(k).map_or_else(|| "null".to_owned(), Value::to_string))
    };
    let mut set: Vec<_> = value.and_then(Value::as_array).map(|a| a.iter().map(key).collect()).unwrap_or_default();
    set.sort();
    set
}

fn compare_destinations(want: &Value, got: Option<&Value>) -> Result<(), String> {
    let (want, got) = (destination_set(Some(want)), destination_set(got));
    if want == got { Ok(()) } else { Err(format!("destinations: got {got:?}, expected {want:?}")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extra_fields_pass_and_differences_fail() {
        let got = json!({"eligible": true, "refund": "1.00", "extra": 1,
            "lines": [{"order_id": "o1", "period_end": "2023-02-01T16:00:00Z", "used": 3}],
            "destinations": [{"order_id": "o1", "from": "card", "to": "card", "amount": "1.00", "rule": "x"}]});
        let expect = json!({"eligible": true, "refund": "1.00",
            "lines": [{"order_id": "o1", "period_end": "2023-02-02T00:00:00+08:00"}],
            "destinations": [{"order_id": "o1", "from": "card", "to": "card", "amount": "1.00"}]});
        assert_eq!(compare_with_expect(&expect, &got), Ok(()));
        let wrong_amount = json!({"refund": "1.01"});
        assert!(compare_with_expect(&wrong_amount, &got).is_err());
        let wrong_end = json!({"lines": [{"order_id": "o1", "period_end": "2023-02-02T00:00:01+08:00"}]});
        assert!(compare_with_expect(&wrong_end, &got).is_err());
        let missing_line = json!({"lines": [{"order_id": "o2"}]});
        assert!(compare_with_expect(&missing_line, &got).is_err());
        let other_destination = json!({"destinations": []});
        assert!(compare_with_expect(&other_destination, &got).is_err());
    }
}
