//! Health, authentication, problems, tenant isolation, and the quote →
//! unsubscription flow over HTTP.

use axum::http::{Method, StatusCode};
use billing_app::purchase::{QuotaPurchase, TenderInput};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use serde_json::json;

use crate::support::{Api, api};

pub async fn quota(api: &Api) -> String {
    let request = QuotaPurchase {
        account_id: api.alice.account_id.clone(),
        workspace_id: api.alice.workspace_id.clone(),
        cu: 100,
        months: 6,
        benefit_ids: vec![],
        tenders: Some(vec![TenderInput {
            method: PaymentMethodKind::Balance,
            payment_method_id: None,
            amount: Money::parse(Currency::Usd, "19326.00").unwrap(),
        }]),
        auto_renew: false,
    };
    let caller = billing_app::Caller::Customer(api.alice.account_id.clone());
    api.billing.purchases().buy_quota(&caller, &request).await.unwrap().instance.id.into_string()
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_key() {
    let api = api().await;
    let health = api.call(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!((health.status, health.text.as_str()), (StatusCode::OK, "ok\n"));
    let ready = api.call(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(ready.status, StatusCode::OK);
    let metrics = api.call(Method::GET, "/metrics", None, None, &[]).await;
    assert!(
        metrics.text.contains("spark_billing_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1")
    );
    assert!(metrics.text.contains("spark_billing_due_work_failures_total 0\n"), "{}", metrics.text);
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_refused_with_a_problem() {
    let api = api().await;
    api.call(Method::GET, "/api/v1/accounts", None, None, &[])
        .await
        .problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    api.get("/api/v1/accounts", "sbk_nope").await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    api.get("/api/v1/nowhere", &api.operator).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn a_customer_sees_only_its_own_account() {
    let api = api().await;
    let listed = api.get("/api/v1/accounts", &api.alice.key).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let own = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    assert_eq!(own.body["balance"], "50000.00");
    let other = api.get(&format!("/api/v1/accounts/{}", api.bob.account_id), &api.alice.key).await;
    other.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let missing = api.get("/api/v1/accounts/acc_missing", &api.alice.key).await;
    missing.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(
        other.body["detail"].as_str().unwrap().replace(api.bob.account_id.as_str(), "X"),
        missing.body["detail"].as_str().unwrap().replace("acc_missing", "X")
    );
    let forbidden = api.post("/api/v1/accounts", &api.alice.key, json!({"name": "mallory", "currency": "USD"})).await;
    forbidden.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn bad_bodies_are_refused_and_change_nothing() {
    let api = api().await;
    let cases = [
        json!({"name": "x"}),
        json!({"name": "x", "currency": "USD", "extra": 1}),
        json!({"name": 5, "currency": "USD"}),
        json!({"name": "x", "currency": "GBP"}),
    ];
    for body in cases {
        let answer = api.post("/api/v1/accounts", &api.operator, body.clone()).await;
        assert!(answer.status.is_client_error(), "{body}: {}", answer.text);
        assert_eq!(answer.content_type, "application/problem+json");
    }
    let raw = api
        .call(Method::POST, "/api/v1/accounts", Some(&api.operator), None, &[("content-type", "application/json")])
        .await;
    raw.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let accounts = api.get("/api/v1/accounts", &api.operator).await;
    assert_eq!(accounts.body.as_array().unwrap().len(), 2, "nothing was created");
}

#[tokio::test]
async fn a_quota_is_quoted_and_unsubscribed_over_http_once_per_key() {
    let api = api().await;
    let instance = quota(&api).await;
    api.clock.set(crate::support::at("2026-05-01T09:00:00+08:00"));
    let listed = api.get("/api/v1/instances?kind=subscription_quota", &api.alice.key).await;
    assert_eq!(listed.body[0]["refund_type"], "partial_refund", "{}", listed.text);
    let quote = api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance})).await;
    assert_eq!(quote.status, StatusCode::OK, "{}", quote.text);
    assert_eq!(quote.body["refund"], "13864.31");
    assert_eq!(quote.body["workspace"]["name"], "etl");
    let quote_id = quote.body["quote_id"].as_str().unwrap().to_owned();
    let body = json!({"quote_id": quote_id, "confirm_workspace_deletion": "etl"});
    let no_key = api.post("/api/v1/unsubscriptions", &api.alice.key, body.clone()).await;
    no_key.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let wrong = api
        .post_idem(
            "/api/v1/unsubscriptions",
            &api.alice.key,
            "k1",
            json!({"quote_id": quote_id, "confirm_workspace_deletion": "ETL"}),
        )
        .await;
    wrong.problem(StatusCode::UNPROCESSABLE_ENTITY, "CONFIRMATION_MISMATCH");
    let by_bob = api.post_idem("/api/v1/unsubscriptions", &api.bob.key, "k1", body.clone()).await;
    by_bob.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let done = api.post_idem("/api/v1/unsubscriptions", &api.alice.key, "k1", body.clone()).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text);
    assert_eq!(done.body["refund"], "13864.31");
    let again = api.post_idem("/api/v1/unsubscriptions", &api.alice.key, "k1", body).await;
    assert_eq!((again.status, again.body["id"].clone()), (StatusCode::OK, done.body["id"].clone()));
    let refund_id = done.body["refunds"][0]["id"].as_str().unwrap();
    let refund = api.get(&format!("/api/v1/refunds/{refund_id}"), &api.alice.key).await;
    assert_eq!(refund.body["status"], "succeeded");
    api.get(&format!("/api/v1/refunds/{refund_id}"), &api.bob.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let requote = api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance})).await;
    assert_eq!(requote.body["reason"], "ALREADY_UNSUBSCRIBED");
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_refused() {
    let api = api().await;
    for limit in ["0", "101", "-1", "x"] {
        let answer = api.get(&format!("/api/v1/refunds?limit={limit}"), &api.alice.key).await;
        answer.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    }
    assert_eq!(api.get("/api/v1/refunds?limit=100", &api.alice.key).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_id_that_cannot_be_an_id_is_refused_as_malformed_not_looked_up() {
    let api = api().await;
    for path in [
        "/api/v1/accounts/acc%20one",
        "/api/v1/orders/ord%2F1",
        "/api/v1/instances/ins%C3%BC",
        "/api/v1/workspaces/ws%20one",
        "/api/v1/refunds/ref%20one",
        "/api/v1/unsubscriptions/uns%20one",
        "/api/v1/documents/doc%20one",
        "/api/v1/events/evt%20one",
        "/api/v1/webhook-endpoints/whe%20one",
        "/api/v1/payment-methods/pm%20one",
    ] {
        let refused = api.get(path, &api.alice.key).await;
        refused.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        assert!(refused.body["detail"].as_str().unwrap().contains("is not an id"), "{path}: {}", refused.body);
    }
    let quoted = api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": "ins 1"})).await;
    quoted.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let detached = api.patch("/api/v1/payment-methods/pm%20one", &api.alice.key, json!({"valid": false})).await;
    detached.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    for path in ["/api/v1/api-keys/key%20one/revoke", "/api/v1/api-keys/key%20one/roll"] {
        let refused = api.post(path, &api.alice.key, json!({})).await;
        refused.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        assert!(refused.body["detail"].as_str().unwrap().contains("is not an id"), "{path}: {}", refused.body);
    }
    // A quote id is long (it carries the quote), but still only an id's
    // characters.
    for path in ["/api/v1/unsubscriptions", "/api/v1/quota-changes"] {
        let refused = api.post_idem(path, &api.alice.key, "k-malformed", json!({"quote_id": "quo one"})).await;
        refused.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        refused.names_field("quote_id");
        assert!(refused.body["detail"].as_str().unwrap().contains("is not an id"), "{path}: {}", refused.body);
    }
}

#[tokio::test]
async fn a_payment_method_id_in_a_body_that_cannot_be_one_is_refused_as_malformed() {
    let api = api().await;
    let plan = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "tenders": [{"method": "card", "payment_method_id": "pm one", "amount": "5.36"}]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "k-plan", plan).await;
    bought.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    bought.names_field("tenders[0].payment_method_id");
    let top_up = json!({"amount": "10.00", "method": "card", "payment_method_id": "pm one"});
    let path = format!("/api/v1/accounts/{}/top-ups", api.alice.account_id);
    let refused = api.post_idem(&path, &api.alice.key, "k-top-up", top_up).await;
    refused.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    refused.names_field("payment_method_id");
    assert!(refused.body["detail"].as_str().unwrap().contains("is not an id"), "{}", refused.body);
}

#[tokio::test]
async fn a_benefit_id_that_cannot_be_one_is_refused_as_malformed_before_any_is_looked_up() {
    let api = api().await;
    let plan = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "benefit_ids": ["ben_missing", "ben one"]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "k-plan", plan).await;
    bought.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    bought.names_field("benefit_ids[1]");
}
