//! Usage per day and the order list over HTTP: paging by cursor, each
//! account seeing only its own, and bad dates answered 400.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Api, api};

/// Alice's `etl` used 10 CU-hours at 23:00 on 9 March in Shanghai and 20 at
/// midnight of 10 March, both in the same UTC day, all pay-as-you-go.
async fn used(api: &Api) {
    let ws = &api.alice.workspace_id;
    let records = json!({"records": [
        {"record_id": "a", "workspace_id": ws, "hour_start": "2026-03-09T15:00:00Z", "cu_hours": "10"},
        {"record_id": "b", "workspace_id": ws, "hour_start": "2026-03-09T16:00:00Z", "cu_hours": "20"},
    ]});
    api.post("/api/v1/usage", &api.operator, records).await.ok(StatusCode::OK);
}

fn rows(body: &Value) -> Vec<(String, String, i64)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_owned();
            (text("date"), text("usage_cu_hours"), r["charge_minor"].as_i64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn usage_is_listed_per_local_day_with_stable_fields_and_paged_by_cursor() {
    let api = api().await;
    used(&api).await;
    let path = "/api/v1/usage/daily?from=2026-03-09&to=2026-03-11";
    let all = api.get(path, &api.alice.key).await;
    let body = all.ok(StatusCode::OK);
    // 10 × 0.067106 → 0.67; 20 × 0.067106 → 1.34.
    assert_eq!(rows(body), [("2026-03-09".into(), "10.000".into(), 67), ("2026-03-10".into(), "20.000".into(), 134)]);
    let first = &body[0];
    assert_eq!(first["workspace_id"], api.alice.workspace_id.as_str());
    assert_eq!(first["workspace_name"], "etl");
    assert_eq!(first["billing_zone"], "Asia/Shanghai");
    assert_eq!((&first["quota_cu_hours"], &first["plan_cu_hours"]), (&json!("0.000"), &json!("0.000")));
    assert_eq!(
        (&first["pay_as_you_go_cu_hours"], &first["charge"], &first["currency"]),
        (&json!("10.000"), &json!("0.67"), &json!("USD"))
    );

    let page = api.get(&format!("{path}&limit=1"), &api.alice.key).await;
    let cursor = page.ok(StatusCode::OK)[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(cursor, format!("2026-03-09.{}", api.alice.workspace_id));
    let next = api.get(&format!("{path}&limit=1&starting_after={cursor}"), &api.alice.key).await;
    assert_eq!(rows(next.ok(StatusCode::OK)), rows(body)[1..]);
    let last = next.body[0]["id"].as_str().unwrap().to_owned();
    let end = api.get(&format!("{path}&limit=1&starting_after={last}"), &api.alice.key).await;
    assert_eq!(end.ok(StatusCode::OK), &json!([]));

    let of_workspace = api.get(&format!("{path}&workspace_id={}", api.alice.workspace_id), &api.alice.key).await;
    assert_eq!(rows(of_workspace.ok(StatusCode::OK)).len(), 2);
}

#[tokio::test]
async fn usage_is_shown_only_to_its_account_and_to_operators_naming_it() {
    let api = api().await;
    used(&api).await;
    let path = "/api/v1/usage/daily?from=2026-03-09&to=2026-03-11";
    assert_eq!(api.get(path, &api.bob.key).await.ok(StatusCode::OK), &json!([]));
    let alices = format!("{path}&account_id={}", api.alice.account_id);
    api.get(&alices, &api.bob.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let workspace = format!("{path}&workspace_id={}", api.alice.workspace_id);
    api.get(&workspace, &api.bob.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(rows(api.get(&alices, &api.operator).await.ok(StatusCode::OK)).len(), 2);
    let unnamed = api.get(path, &api.operator).await;
    unnamed.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    unnamed.names_field("account_id");
    api.get(path, "sk_nope").await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
}

#[tokio::test]
async fn bad_dates_pages_and_cursors_are_answered_400_naming_the_field() {
    let api = api().await;
    let cases = [
        ("to=2026-03-11", "from"),
        ("from=2026-03-09", "to"),
        ("from=2026-02-30&to=2026-03-11", "from"),
        ("from=9.3.2026&to=2026-03-11", "from"),
        ("from=2026-03-09&to=2026-03-09", "to"),
        ("from=2025-01-01&to=2026-03-09", "to"),
        ("from=2026-03-09&to=2026-03-11&limit=0", "limit"),
        ("from=2026-03-09&to=2026-03-11&starting_after=yesterday", "starting_after"),
    ];
    for (query, field) in cases {
        let answer = api.get(&format!("/api/v1/usage/daily?{query}"), &api.alice.key).await;
        answer.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        answer.names_field(field);
    }
}

async fn unpaid_plan(api: &Api, key: &str, idem: &str) -> String {
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1});
    let placed = api.post_idem("/api/v1/orders/plan", key, idem, body).await;
    placed.ok(StatusCode::CREATED)["order"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn orders_are_listed_newest_first_by_cursor_within_the_account() {
    let api = api().await;
    let older = unpaid_plan(&api, &api.alice.key, "a-1").await;
    api.clock.advance(chrono::Duration::minutes(1));
    let newer = unpaid_plan(&api, &api.alice.key, "a-2").await;
    let bobs = unpaid_plan(&api, &api.bob.key, "b-1").await;
    let ids = |body: &Value| -> Vec<String> {
        body.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
    };
    let listed = api.get("/api/v1/orders", &api.alice.key).await;
    assert_eq!(ids(listed.ok(StatusCode::OK)), [newer.clone(), older.clone()]);
    let first = api.get("/api/v1/orders?limit=1", &api.alice.key).await;
    assert_eq!(ids(first.ok(StatusCode::OK)), std::slice::from_ref(&newer));
    let next = api.get(&format!("/api/v1/orders?limit=1&starting_after={newer}"), &api.alice.key).await;
    assert_eq!(ids(next.ok(StatusCode::OK)), [older]);
    let foreign = api.get(&format!("/api/v1/orders?starting_after={bobs}"), &api.alice.key).await;
    foreign.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    foreign.names_field("starting_after");
    let theirs = format!("/api/v1/orders?account_id={}", api.bob.account_id);
    api.get(&theirs, &api.alice.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(ids(api.get(&theirs, &api.operator).await.ok(StatusCode::OK)), [bobs]);
    assert_eq!(ids(api.get("/api/v1/orders", &api.operator).await.ok(StatusCode::OK)).len(), 3);
    api.get("/api/v1/orders?limit=101", &api.alice.key).await.names_field("limit");
}
