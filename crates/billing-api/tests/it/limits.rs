//! Request limits: per authenticated key whatever the spelling of its
//! header, and per client address before any database lookup.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use billing_api::{ApiSettings, Rate};

use crate::support::{Answer, Api, api_with, sqlite_url};

/// Two requests at once and then one an hour: the third is refused
/// however quickly or slowly the test runs.
fn two_then_hourly() -> Option<Rate> {
    Some(Rate { burst: NonZeroU32::new(2).unwrap(), interval: Duration::from_secs(3600) })
}

/// `GET /api/v1/accounts` from `address` with the `Authorization` header
/// given as it is.
async fn from(api: &Api, address: &str, authorization: Option<&str>) -> Answer {
    let mut request = Request::get("/api/v1/accounts");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let address: SocketAddr = format!("{address}:50000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    api.answer(request).await
}

fn is_rate_limited(answer: &Answer) {
    answer.problem(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    let seconds: u64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&seconds), "Retry-After: {seconds}");
}

#[tokio::test]
async fn spaces_around_a_key_do_not_give_it_another_bucket() {
    let api = api_with(&sqlite_url(), ApiSettings { per_key: two_then_hourly(), ..ApiSettings::default() }).await;
    let key = &api.alice.key;
    from(&api, "192.0.2.1", Some(&format!("Bearer {key}"))).await.ok(StatusCode::OK);
    from(&api, "192.0.2.2", Some(&format!("Bearer    {key}"))).await.ok(StatusCode::OK);
    is_rate_limited(&from(&api, "192.0.2.3", Some(&format!("bearer \t {key}  "))).await);
    // Another key has a bucket of its own.
    from(&api, "192.0.2.1", Some(&format!("Bearer {}", api.bob.key))).await.ok(StatusCode::OK);
}

#[tokio::test]
async fn a_refused_request_says_when_to_retry() {
    let hourly = Rate { burst: NonZeroU32::new(1).unwrap(), interval: Duration::from_secs(3600) };
    let api = api_with(&sqlite_url(), ApiSettings { per_key: Some(hourly), ..ApiSettings::default() }).await;
    api.get("/api/v1/accounts", &api.alice.key).await.ok(StatusCode::OK);
    let refused = api.get("/api/v1/accounts", &api.alice.key).await;
    is_rate_limited(&refused);
    let seconds: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(seconds > 3000, "the next request is an hour away, not {seconds} s");
}

#[tokio::test]
async fn bad_keys_from_one_address_are_refused_before_any_database_lookup() {
    let api = api_with(&sqlite_url(), ApiSettings { per_address: two_then_hourly(), ..ApiSettings::default() }).await;
    let guess = "Bearer sbk_not_a_key_at_all";
    from(&api, "198.51.100.7", Some(guess)).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    from(&api, "198.51.100.7", Some(guess)).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    // With the database gone, a lookup would answer 503: the refusal comes
    // before any.
    api.store.close().await;
    is_rate_limited(&from(&api, "198.51.100.7", Some(guess)).await);
    let elsewhere = from(&api, "198.51.100.8", Some(guess)).await;
    elsewhere.problem(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE");
}

#[tokio::test]
async fn requests_without_a_key_are_limited_per_address() {
    let api = api_with(&sqlite_url(), ApiSettings { per_address: two_then_hourly(), ..ApiSettings::default() }).await;
    from(&api, "203.0.113.5", None).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    from(&api, "203.0.113.5", Some("Basic abc")).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    is_rate_limited(&from(&api, "203.0.113.5", None).await);
    from(&api, "203.0.113.6", None).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_key_the_service_knows_is_not_held_back_by_its_address() {
    let api = api_with(&sqlite_url(), ApiSettings { per_address: two_then_hourly(), ..ApiSettings::default() }).await;
    let key = format!("Bearer {}", api.alice.key);
    for _ in 0..5 {
        from(&api, "192.0.2.9", Some(&key)).await.ok(StatusCode::OK);
    }
    from(&api, "192.0.2.9", Some("Bearer sbk_wrong")).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    is_rate_limited(&from(&api, "192.0.2.9", Some("Bearer sbk_wrong")).await);
}
