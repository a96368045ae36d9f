//! Listing, revoking and rolling API keys over HTTP.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::api;

#[tokio::test]
async fn a_revoked_key_is_refused_by_the_next_request_of_the_same_server() {
    let api = api().await;
    // The key is known and remembered by the server before it is revoked.
    api.get("/api/v1/accounts", &api.alice.key).await.ok(StatusCode::OK);
    let keys = api.get("/api/v1/api-keys", &api.alice.key).await;
    let listed = keys.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "a customer sees only its own keys");
    assert!(listed[0].get("key").is_none() && listed[0]["revoked_at"].is_null());
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let revoked = api.post(&format!("/api/v1/api-keys/{id}/revoke"), &api.operator, json!({})).await;
    assert!(revoked.ok(StatusCode::OK)["revoked_at"].is_string());
    api.get("/api/v1/accounts", &api.alice.key).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    let again = api.post(&format!("/api/v1/api-keys/{id}/revoke"), &api.operator, json!({})).await;
    assert_eq!(again.ok(StatusCode::OK)["revoked_at"], revoked.body["revoked_at"], "revoking twice changes nothing");
}

#[tokio::test]
async fn a_customer_rolls_its_own_key_and_only_the_new_secret_works() {
    let api = api().await;
    let listed = api.get("/api/v1/api-keys", &api.alice.key).await;
    let id = listed.body[0]["id"].as_str().unwrap().to_owned();
    let rolled = api.post(&format!("/api/v1/api-keys/{id}/roll"), &api.alice.key, json!({})).await;
    let body = rolled.ok(StatusCode::CREATED).clone();
    assert_eq!((body["replaces"].as_str(), body["label"].as_str()), (Some(id.as_str()), Some("tests")));
    assert_eq!(body["account_id"], json!(api.alice.account_id));
    let secret = body["key"].as_str().unwrap();
    api.get("/api/v1/accounts", &api.alice.key).await.problem(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    let own = api.get("/api/v1/accounts", secret).await;
    assert_eq!(own.ok(StatusCode::OK)[0]["id"], json!(api.alice.account_id));
    // The old key cannot be rolled a second time.
    let twice = api.post(&format!("/api/v1/api-keys/{id}/roll"), &api.operator, json!({})).await;
    twice.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_STATE");
}

#[tokio::test]
async fn another_accounts_key_and_operator_keys_are_hidden_from_a_customer() {
    let api = api().await;
    let all = api.get("/api/v1/api-keys", &api.operator).await;
    let keys = all.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(keys.len(), 3, "the operator sees every key");
    let of = |account: Option<&str>| {
        keys.iter().find(|k| k["account_id"].as_str() == account).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let bobs = of(Some(&api.bob.account_id));
    let operators = of(None);
    for id in [&bobs, &operators] {
        for action in ["revoke", "roll"] {
            let path = format!("/api/v1/api-keys/{id}/{action}");
            api.post(&path, &api.alice.key, json!({})).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
        }
    }
    let filtered = api.get(&format!("/api/v1/api-keys?account_id={}", api.bob.account_id), &api.alice.key).await;
    filtered.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    api.get("/api/v1/accounts", &api.bob.key).await.ok(StatusCode::OK);
    api.get("/api/v1/accounts", &api.operator).await.ok(StatusCode::OK);
    let bobs_only = api.get(&format!("/api/v1/api-keys?account_id={}", api.bob.account_id), &api.operator).await;
    assert_eq!(bobs_only.ok(StatusCode::OK).as_array().unwrap().len(), 1);
}
