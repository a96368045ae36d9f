//! Payment methods, vouchers and coupons over HTTP.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::api;

#[tokio::test]
async fn a_customer_registers_lists_reads_and_invalidates_a_payment_method() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/payment-methods", api.alice.account_id);
    let added = api.post(&path, &api.alice.key, json!({"kind": "paypal", "paypal_email": "alice@example.com"})).await;
    let id = added.ok(StatusCode::CREATED)["id"].as_str().unwrap().to_owned();
    assert_eq!((added.body["kind"].as_str(), added.body["valid"].as_bool()), (Some("paypal"), Some(true)));
    let listed = api.get(&path, &api.alice.key).await;
    assert_eq!(listed.ok(StatusCode::OK).as_array().unwrap().len(), 2, "the card and PayPal");
    let one = api.get(&format!("/api/v1/payment-methods/{id}"), &api.alice.key).await;
    assert_eq!(one.ok(StatusCode::OK)["label"], "PayPal (a…@example.com)");
    let patched = api.patch(&format!("/api/v1/payment-methods/{id}"), &api.alice.key, json!({"valid": false})).await;
    assert_eq!(patched.ok(StatusCode::OK)["valid"], false);
    let revived = api.patch(&format!("/api/v1/payment-methods/{id}"), &api.alice.key, json!({"valid": true})).await;
    revived.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let again = api.get(&format!("/api/v1/payment-methods/{id}"), &api.operator).await;
    assert_eq!(again.ok(StatusCode::OK)["valid"], false, "operators see every account's methods");
}

#[tokio::test]
async fn an_invalid_card_cannot_pay_for_an_order() {
    let api = api().await;
    let card = api.alice.card_id.clone();
    api.patch(&format!("/api/v1/payment-methods/{card}"), &api.alice.key, json!({"valid": false})).await;
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "tenders": [{"method": "card", "payment_method_id": card, "amount": "5.36"}]});
    let answer = api.post_idem("/api/v1/orders/plan", &api.alice.key, "k", body).await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "PAYMENT_METHOD_UNUSABLE");
}

#[tokio::test]
async fn bad_payment_method_requests_are_refused_and_add_nothing() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/payment-methods", api.alice.account_id);
    api.post(&path, &api.alice.key, json!({"kind": "cash", "label": "x"})).await.names_field("kind");
    api.post(&path, &api.alice.key, json!({"kind": "balance"})).await.names_field("kind");
    api.post(&path, &api.alice.key, json!({"kind": "bank_transfer", "label": ""})).await.names_field("label");
    api.post(&path, &api.alice.key, json!({"kind": "card", "label": "Visa"})).await.names_field("label");
    api.post(&path, &api.alice.key, json!({"kind": "card"})).await.names_field("card_number");
    let not_a_card = json!({"kind": "card", "card_number": "4242424242424241"});
    api.post(&path, &api.alice.key, not_a_card).await.names_field("details");
    let not_an_address = json!({"kind": "paypal", "paypal_email": "nobody"});
    api.post(&path, &api.alice.key, not_an_address).await.names_field("details");
    let extra = json!({"kind": "card", "card_number": "4242424242424242", "cvv": "1"});
    api.post(&path, &api.alice.key, extra).await.names_field("body");
    let card = format!("/api/v1/payment-methods/{}", api.alice.card_id);
    api.patch(&card, &api.alice.key, json!({"valid": "no"})).await.names_field("body");
    api.patch(&card, &api.alice.key, json!({})).await.names_field("body");
    let listed = api.get(&path, &api.alice.key).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "only the card");
    assert_eq!(api.get(&card, &api.alice.key).await.body["valid"], true);
}

#[tokio::test]
async fn another_accounts_payment_methods_answer_like_missing_ones() {
    let api = api().await;
    let account = api.alice.account_id.clone();
    let list = format!("/api/v1/accounts/{account}/payment-methods");
    api.hidden_from_bob(Method::GET, &list, &account, None).await;
    let new = json!({"kind": "card", "card_number": "4242424242424242"});
    api.hidden_from_bob(Method::POST, &list, &account, Some(new)).await;
    let card = api.alice.card_id.clone();
    let one = format!("/api/v1/payment-methods/{card}");
    api.hidden_from_bob(Method::GET, &one, &card, None).await;
    api.hidden_from_bob(Method::PATCH, &one, &card, Some(json!({"valid": false}))).await;
    assert_eq!(api.get(&one, &api.alice.key).await.body["valid"], true, "Bob changed nothing");
}

#[tokio::test]
async fn an_operator_grants_a_voucher_that_a_purchase_then_uses() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/benefits", api.alice.account_id);
    let grant = json!({"kind": "voucher", "amount": "2.00", "expires_at": "2026-12-31T23:59:59Z"});
    let granted = api.post(&path, &api.operator, grant).await;
    let id = granted.ok(StatusCode::CREATED)["id"].as_str().unwrap().to_owned();
    assert_eq!((granted.body["status"].as_str(), granted.body["currency"].as_str()), (Some("active"), Some("USD")));
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1, "benefit_ids": [id],
        "tenders": [{"method": "balance", "amount": "3.36"}]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "k", body).await;
    assert_eq!(bought.ok(StatusCode::CREATED)["order"]["voucher"], "2.00");
    let listed = api.get(&path, &api.alice.key).await;
    assert_eq!(listed.ok(StatusCode::OK)[0]["status"], "used");
    assert_eq!(listed.body[0]["order_id"], bought.body["order"]["id"]);
}

#[tokio::test]
async fn only_operators_grant_benefits_and_bad_grants_are_refused() {
    let api = api().await;
    let path = format!("/api/v1/accounts/{}/benefits", api.alice.account_id);
    let grant = json!({"kind": "coupon", "amount": "2.00", "expires_at": "2026-12-31T23:59:59Z"});
    api.post(&path, &api.alice.key, grant).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let cases = [
        (json!({"kind": "gift", "amount": "2.00", "expires_at": "2026-12-31T23:59:59Z"}), "kind"),
        (json!({"kind": "coupon", "amount": "2.001", "expires_at": "2026-12-31T23:59:59Z"}), "amount"),
        (json!({"kind": "coupon", "amount": "0", "expires_at": "2026-12-31T23:59:59Z"}), "amount"),
        (json!({"kind": "coupon", "amount": "2.00", "expires_at": "tomorrow"}), "expires_at"),
        (json!({"kind": "coupon", "amount": "2.00"}), "body"),
    ];
    for (body, field) in cases {
        api.post(&path, &api.operator, body).await.names_field(field);
    }
    let listed = api.get(&path, &api.alice.key).await;
    assert_eq!(listed.ok(StatusCode::OK).as_array().unwrap().len(), 0, "nothing was granted");
}

#[tokio::test]
async fn another_accounts_benefits_answer_like_missing_ones() {
    let api = api().await;
    let account = api.alice.account_id.clone();
    let path = format!("/api/v1/accounts/{account}/benefits");
    api.hidden_from_bob(Method::GET, &path, &account, None).await;
    let missing = api.post(
        "/api/v1/accounts/acc_missing/benefits",
        &api.operator,
        json!({"kind": "coupon", "amount": "1", "expires_at": "2026-12-31T23:59:59Z"}),
    );
    missing.await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn a_repeated_paid_purchase_answers_the_order_and_leaves_the_card_charged() {
    let api = api().await;
    let card = api.alice.card_id.clone();
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
        "tenders": [{"method": "card", "payment_method_id": card, "amount": "5.36"}]});
    let first = api.post_idem("/api/v1/orders/plan", &api.alice.key, "buy-once", body.clone()).await;
    assert_eq!(first.ok(StatusCode::CREATED)["order"]["status"], "paid");
    let again = api.post_idem("/api/v1/orders/plan", &api.alice.key, "buy-once", body).await;
    assert_eq!(again.ok(StatusCode::OK)["order"]["status"], "paid");
    let channel = billing_store::SimulatedChannel::new(&api.store, Default::default());
    let log = channel.charge_log().await.unwrap();
    assert_eq!((log.len(), log[0].outcome.as_str(), log[0].amount_minor), (1, "captured", 536));
}
