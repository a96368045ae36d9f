//! Accounts, API keys, top-ups, instances, unsubscriptions and refund
//! retries over HTTP: the happy path of each, and other accounts' ids.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Api, api};

/// A resource plan of 100 CU-hours paid by Alice's card; its instance id.
async fn plan_paid_by_card(api: &Api) -> String {
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "tenders": [{"method": "card", "payment_method_id": api.alice.card_id, "amount": "5.36"}]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan", body).await;
    bought.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned()
}

/// Unsubscribes `instance` for Alice; the unsubscription's answer.
async fn unsubscribe(api: &Api, instance: &str) -> serde_json::Value {
    let quote = api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance})).await;
    let quote_id = quote.ok(StatusCode::OK)["quote_id"].as_str().unwrap().to_owned();
    let done = api.post_idem("/api/v1/unsubscriptions", &api.alice.key, "u1", json!({"quote_id": quote_id})).await;
    done.ok(StatusCode::CREATED).clone()
}

#[tokio::test]
async fn an_operator_opens_an_account_and_gives_it_a_key_that_works() {
    let api = api().await;
    let opened = api.post("/api/v1/accounts", &api.operator, json!({"name": "carol", "currency": "JPY"})).await;
    let body = opened.ok(StatusCode::CREATED);
    assert_eq!((body["currency"].as_str(), body["balance"].as_str()), (Some("JPY"), Some("0")));
    let id = body["id"].as_str().unwrap().to_owned();
    let key = api.post(&format!("/api/v1/accounts/{id}/api-keys"), &api.operator, json!({"label": "ci"})).await;
    let secret = key.ok(StatusCode::CREATED)["key"].as_str().unwrap().to_owned();
    let own = api.get("/api/v1/accounts", &secret).await;
    assert_eq!(own.ok(StatusCode::OK)[0]["id"], json!(id));
    let by_customer = api.post(&format!("/api/v1/accounts/{id}/api-keys"), &api.alice.key, json!({"label": "x"})).await;
    by_customer.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let missing = api.post("/api/v1/accounts/acc_missing/api-keys", &api.operator, json!({"label": "x"})).await;
    missing.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn a_card_top_up_is_charged_through_the_channel_once_per_key_and_refuses_extra_decimals() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/top-ups", api.alice.account_id);
    let card = api.alice.card_id.clone();
    let body = json!({"amount": "100.50", "method": "card", "payment_method_id": card});
    let topped = api.post_idem(&path, &api.alice.key, "t1", body.clone()).await;
    assert_eq!(topped.ok(StatusCode::OK)["balance"], "50100.50");
    let again = api.post_idem(&path, &api.alice.key, "t1", body).await;
    assert_eq!(again.ok(StatusCode::OK)["balance"], "50100.50", "the first answer, nothing added");
    let with = |amount: &str, method: &str| json!({"amount": amount, "method": method, "payment_method_id": card});
    api.post_idem(&path, &api.alice.key, "t2", with("1.001", "card")).await.names_field("amount");
    api.post_idem(&path, &api.alice.key, "t3", with("1", "gold")).await.names_field("method");
    api.post_idem(&path, &api.alice.key, "t4", with("92233720368547758.07", "card")).await.names_field("amount");
    api.post_idem(&path, &api.alice.key, "t5", with("100000000.01", "card")).await.names_field("amount");
    let without = json!({"amount": "1.00", "method": "card"});
    api.post_idem(&path, &api.alice.key, "t6", without).await.names_field("payment_method_id");
    let account = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    assert_eq!(account.body["balance"], "50100.50");
    let account = api.alice.account_id.clone();
    let topup = json!({"amount": "1.00", "method": "card", "payment_method_id": card});
    api.hidden_from_bob(Method::POST, &format!("/api/v1/accounts/{account}/top-ups"), &account, Some(topup)).await;
}

#[tokio::test]
async fn a_customer_cannot_credit_a_bank_transfer_and_an_operator_can() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/top-ups", api.alice.account_id);
    let transfer = json!({"amount": "21000000000.00", "method": "bank_transfer"});
    api.post_idem(&path, &api.alice.key, "t1", transfer).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let transfer = json!({"amount": "250.00", "method": "bank_transfer"});
    let credited = api.post_idem(&path, &api.operator, "t2", transfer).await;
    assert_eq!(credited.ok(StatusCode::OK)["balance"], "50250.00");
}

#[tokio::test]
async fn a_top_up_from_a_declining_card_adds_nothing_and_says_so() {
    let api = api().await;
    let methods = format!("/api/v1/accounts/{}/payment-methods", api.alice.account_id);
    let added = api.post(&methods, &api.alice.key, json!({"kind": "card", "card_number": "4000000000000002"})).await;
    let declining = added.ok(StatusCode::CREATED)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/accounts/{}/top-ups", api.alice.account_id);
    let body = json!({"amount": "10.00", "method": "card", "payment_method_id": declining});
    let refused = api.post_idem(&path, &api.alice.key, "t1", body.clone()).await;
    refused.problem(StatusCode::PAYMENT_REQUIRED, "PAYMENT_DECLINED");
    let again = api.post_idem(&path, &api.alice.key, "t1", body).await;
    again.problem(StatusCode::PAYMENT_REQUIRED, "PAYMENT_DECLINED");
    let account = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    assert_eq!(account.body["balance"], "50000.00");
}

#[tokio::test]
async fn an_instance_shows_its_refund_type_and_is_hidden_from_other_accounts() {
    let api = api().await;
    let instance = plan_paid_by_card(&api).await;
    let read = api.get(&format!("/api/v1/instances/{instance}"), &api.alice.key).await;
    let body = read.ok(StatusCode::OK);
    assert_eq!(
        (body["refund_type"].as_str(), body["refundable_now"].as_str()),
        (Some("unused_money_back"), Some("5.36"))
    );
    api.hidden_from_bob(Method::GET, &format!("/api/v1/instances/{instance}"), &instance, None).await;
}

#[tokio::test]
async fn an_unsubscription_is_read_back_and_hidden_from_other_accounts() {
    let api = api().await;
    let instance = plan_paid_by_card(&api).await;
    let done = unsubscribe(&api, &instance).await;
    let id = done["id"].as_str().unwrap().to_owned();
    let read = api.get(&format!("/api/v1/unsubscriptions/{id}"), &api.alice.key).await;
    let body = read.ok(StatusCode::OK);
    assert_eq!((body["refund"].as_str(), body["refunds"][0]["to"].as_str()), (Some("5.36"), Some("card")));
    api.hidden_from_bob(Method::GET, &format!("/api/v1/unsubscriptions/{id}"), &id, None).await;
}

#[tokio::test]
async fn an_operator_retries_a_pending_card_refund_and_customers_may_not() {
    let api = api().await;
    let instance = plan_paid_by_card(&api).await;
    let done = unsubscribe(&api, &instance).await;
    let refund = done["refunds"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(done["refunds"][0]["status"], "pending");
    let path = format!("/api/v1/refunds/{refund}/retry");
    let by_alice = api.call(Method::POST, &path, Some(&api.alice.key), None, &[]).await;
    by_alice.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let retried = api.call(Method::POST, &path, Some(&api.operator), None, &[]).await;
    assert_eq!(retried.ok(StatusCode::OK)["status"], "pending");
    let missing = api.call(Method::POST, "/api/v1/refunds/ref_missing/retry", Some(&api.operator), None, &[]).await;
    missing.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let listed = api.get("/api/v1/refunds?status=pending", &api.operator).await;
    assert_eq!(listed.ok(StatusCode::OK)[0]["id"], json!(refund));
    // The next page after the only refund is empty; the refund is no cursor
    // for another account, exactly as a made-up id is not.
    let after = format!("/api/v1/refunds?starting_after={refund}");
    assert_eq!(api.get(&after, &api.alice.key).await.ok(StatusCode::OK), &json!([]));
    api.get(&after, &api.bob.key).await.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let made_up = api.get("/api/v1/refunds?starting_after=ref_nope", &api.alice.key).await;
    made_up.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    made_up.names_field("starting_after");
}
