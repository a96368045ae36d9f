//! Every error is a problem, including those made outside the handlers.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::api;

#[tokio::test]
async fn a_wrong_method_is_answered_as_a_problem() {
    let api = api().await;
    let answer = api.call(Method::DELETE, "/api/v1/regions", Some(&api.operator), None, &[]).await;
    answer.problem(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn an_oversized_body_is_refused_as_a_problem_whether_or_not_its_length_is_declared() {
    let api = api().await;
    let huge = "x".repeat(billing_api::MAX_BODY_BYTES + 1);
    for declared in [true, false] {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/workspaces")
            .header("authorization", format!("Bearer {}", api.alice.key))
            .header("content-type", "application/json");
        if declared {
            request = request.header("content-length", huge.len());
        }
        let body = json!({"region_id": "ap-southeast-1", "name": huge, "billing_method": "hybrid"}).to_string();
        let response = api.router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "declared: {declared}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let problem: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(problem["code"], "PAYLOAD_TOO_LARGE");
    }
    let listed = api.get("/api/v1/workspaces", &api.alice.key).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "nothing was created");
}

#[tokio::test]
async fn malformed_json_and_a_wrong_content_type_are_bad_requests() {
    let api = api().await;
    let broken =
        api.send_text(Method::POST, "/api/v1/workspaces", &api.alice.key, "application/json", "{".into()).await;
    broken.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let text = api.send_text(Method::POST, "/api/v1/workspaces", &api.alice.key, "text/plain", "{}".into()).await;
    text.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let array = api.post("/api/v1/workspaces", &api.alice.key, json!([1, 2])).await;
    array.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
}

#[tokio::test]
async fn an_idempotency_key_that_is_too_long_is_refused() {
    let api = api().await;
    let key = "k".repeat(256);
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1});
    let answer = api.post_idem("/api/v1/orders/plan", &api.alice.key, &key, body).await;
    answer.names_field("Idempotency-Key");
}
