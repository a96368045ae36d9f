//! The ledger check and the audit trail over HTTP (operators only).

use axum::http::StatusCode;

use crate::support::api;

#[tokio::test]
async fn the_ledger_balances_after_purchases_and_top_ups() {
    let api = api().await;
    crate::orders::paid_quota(&api).await;
    let report = api.get("/api/v1/ledger/check", &api.operator).await;
    let body = report.ok(StatusCode::OK);
    assert_eq!(body["ok"], true, "{body}");
    assert!(body["movements"].as_u64().unwrap() >= 3, "two top-ups and a payment: {body}");
    assert_eq!(body["problems"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_audit_trail_is_read_a_page_at_a_time_and_verifies() {
    let api = api().await;
    let first = api.get("/api/v1/audit?limit=3", &api.operator).await;
    let page = first.ok(StatusCode::OK).as_array().unwrap().clone();
    let seqs: Vec<i64> = page.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(page[1]["prev_hash"], page[0]["hash"], "each event carries the hash of the one before");
    let next = api.get("/api/v1/audit?after=3&limit=2", &api.operator).await;
    assert_eq!(next.ok(StatusCode::OK)[0]["seq"], 4);
    let all = api.get("/api/v1/audit?limit=100", &api.operator).await;
    let actions: Vec<&str> = all.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"account.created") && actions.contains(&"workspace.created"), "{actions:?}");
    let verified = api.get("/api/v1/audit/verify", &api.operator).await;
    let body = verified.ok(StatusCode::OK);
    assert_eq!((body["ok"].as_bool(), body["events"].as_u64()), (Some(true), Some(actions.len() as u64)));
    assert!(body["problem"].is_null());
}

#[tokio::test]
async fn customers_may_not_check_the_ledger_or_read_the_audit_trail() {
    let api = api().await;
    for path in ["/api/v1/ledger/check", "/api/v1/audit", "/api/v1/audit/verify"] {
        api.get(path, &api.alice.key).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    }
}

#[tokio::test]
async fn bad_audit_pages_are_refused() {
    let api = api().await;
    for (query, field) in [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("after=x", "query"),
        ("colour=1", "query"),
        ("from=1", "from"),
    ] {
        api.get(&format!("/api/v1/audit?{query}"), &api.operator).await.names_field(field);
    }
}
