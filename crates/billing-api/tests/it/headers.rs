//! Headers every answer carries, replays marked as such, the `Bearer`
//! scheme in any case, cursors as bad input, the metrics token and bodies
//! that stop arriving.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Method, Request, StatusCode};
use billing_api::ApiSettings;
use billing_api::metrics::MetricsToken;
use serde_json::json;
use tower::ServiceExt;

use crate::support::{Answer, api, api_with, sqlite_url};

fn never_cached_nor_sniffed(answer: &Answer) {
    assert_eq!(answer.headers["x-content-type-options"], "nosniff", "{}", answer.text);
    assert_eq!(answer.headers["cache-control"], "no-store", "{}", answer.text);
}

#[tokio::test]
async fn every_api_answer_says_nosniff_and_no_store_the_new_key_included() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/api-keys", api.alice.account_id);
    let new_key = api.post(&path, &api.operator, json!({"label": "ci"})).await;
    new_key.ok(StatusCode::CREATED);
    never_cached_nor_sniffed(&new_key);
    never_cached_nor_sniffed(&api.get("/api/v1/accounts", &api.alice.key).await);
    never_cached_nor_sniffed(&api.get("/healthz", "").await);
    never_cached_nor_sniffed(&api.get("/api/openapi.json", "").await);
    never_cached_nor_sniffed(&api.get("/api/v1/nowhere", &api.alice.key).await);
    never_cached_nor_sniffed(&api.call(Method::DELETE, "/healthz", None, None, &[]).await);
    never_cached_nor_sniffed(&api.get("/api/v1/accounts", "sbk_wrong").await);
}

#[tokio::test]
async fn only_a_replayed_idempotent_answer_says_idempotent_replayed() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/top-ups", api.alice.account_id);
    let body = json!({"amount": "10.00", "method": "bank_transfer"});
    let first = api.post_idem(&path, &api.operator, "top-up-1", body.clone()).await;
    first.ok(StatusCode::OK);
    assert!(first.headers.get("idempotent-replayed").is_none(), "a first answer is no replay");
    let again = api.post_idem(&path, &api.operator, "top-up-1", body).await;
    assert_eq!(again.ok(StatusCode::OK), first.ok(StatusCode::OK));
    assert_eq!(again.headers["idempotent-replayed"], "true");

    let plan = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "tenders": [{"method": "card", "payment_method_id": api.alice.card_id, "amount": "5.36"}]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan-1", plan.clone()).await;
    bought.ok(StatusCode::CREATED);
    assert!(bought.headers.get("idempotent-replayed").is_none());
    let repeated = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan-1", plan).await;
    repeated.ok(StatusCode::OK);
    assert_eq!(repeated.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let api = api().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("{scheme} {}", api.alice.key);
        let answer = api.call(Method::GET, "/api/v1/accounts", None, None, &[("authorization", &header)]).await;
        answer.ok(StatusCode::OK);
    }
    let basic = format!("Basic {}", api.alice.key);
    let answer = api.call(Method::GET, "/api/v1/accounts", None, None, &[("authorization", &basic)]).await;
    answer.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_cursor_the_caller_cannot_see_is_bad_input_answered_400() {
    let api = api().await;
    let refunds = api.get("/api/v1/refunds?starting_after=ref_made_up", &api.alice.key).await;
    refunds.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    refunds.names_field("starting_after");
    let path = format!("/api/v1/workspaces/{}/settlements?starting_after=set_made_up", api.alice.workspace_id);
    let settlements = api.get(&path, &api.alice.key).await;
    settlements.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    settlements.names_field("starting_after");
}

#[tokio::test]
async fn metrics_are_open_by_default_and_ask_for_the_token_when_one_is_set() {
    api().await.get("/metrics", "").await.ok(StatusCode::OK);
    let token = "metrics-token-0123456789";
    let settings = ApiSettings { metrics_token: Some(MetricsToken::parse(token).unwrap()), ..ApiSettings::default() };
    let api = api_with(&sqlite_url(), settings).await;
    api.get("/metrics", "").await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    api.get("/metrics", "metrics-token-wrong-guess").await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    api.get("/metrics", &api.operator).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    let allowed = api.get("/metrics", token).await;
    assert!(allowed.ok(StatusCode::OK).is_null() && allowed.text.contains("spark_billing_http_requests_total"));
}

#[test]
fn a_metrics_token_must_be_long_and_visible_ascii() {
    assert!(MetricsToken::parse("short").is_err());
    assert!(MetricsToken::parse(&"x".repeat(257)).is_err());
    assert!(MetricsToken::parse("has a space in the middle").is_err());
    assert!(MetricsToken::parse(&"x".repeat(16)).is_ok());
}

/// A body that sends its first bytes and then nothing more.
struct Stalled(bool);

impl HttpBody for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Pending;
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"{\"name\": ")))))
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_answers_408() {
    let api = api().await;
    let router = api.router.clone().layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_millis(50)));
    let request = Request::post("/api/v1/accounts")
        .header("authorization", format!("Bearer {}", api.operator))
        .header("content-type", "application/json")
        .body(Body::new(Stalled(false)))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "REQUEST_TIMEOUT");
}
