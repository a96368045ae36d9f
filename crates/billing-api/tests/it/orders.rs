//! Buying, paying, cancelling and renewing over HTTP: once per idempotency
//! key, nothing written on bad input, and other accounts' orders hidden.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Api, api};

fn balance(amount: &str) -> Value {
    json!([{"method": "balance", "amount": amount}])
}

/// A paid quota of 100 CUs for 6 months on Alice's workspace; its instance id.
pub async fn paid_quota(api: &Api) -> String {
    let body = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6, "tenders": balance("19326.00")});
    let done = api.post_idem("/api/v1/orders/quota", &api.alice.key, "quota-1", body).await;
    done.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned()
}

/// An unpaid plan of 1000 CU-hours for Alice; its order id.
async fn unpaid_plan(api: &Api, idem: &str) -> String {
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "1000", "months": 1});
    let placed = api.post_idem("/api/v1/orders/plan", &api.alice.key, idem, body).await;
    placed.ok(StatusCode::CREATED)["order"]["id"].as_str().unwrap().to_owned()
}

async fn alice_balance(api: &Api) -> String {
    let account = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    account.body["balance"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_quota_is_bought_and_paid_from_the_balance_once_per_key() {
    let api = api().await;
    let body = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6, "tenders": balance("19326.00")});
    let first = api.post_idem("/api/v1/orders/quota", &api.alice.key, "k1", body.clone()).await;
    let order = &first.ok(StatusCode::CREATED)["order"];
    assert_eq!((order["status"].as_str(), order["cash_due"].as_str()), (Some("paid"), Some("19326.00")));
    assert_eq!(order["tenders"][0]["amount"], "19326.00");
    assert_eq!(first.body["instance"]["state"], "active");
    let again = api.post_idem("/api/v1/orders/quota", &api.alice.key, "k1", body.clone()).await;
    assert_eq!(again.ok(StatusCode::OK)["order"]["id"], order["id"]);
    assert_eq!(alice_balance(&api).await, "30674.00", "charged once");
    let other = json!({"workspace_id": api.alice.workspace_id, "cu": 50, "months": 6});
    let reused = api.post_idem("/api/v1/orders/quota", &api.alice.key, "k1", other).await;
    reused.problem(StatusCode::CONFLICT, "IDEMPOTENCY_KEY_REUSED");
    api.post("/api/v1/orders/quota", &api.alice.key, body).await.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
}

#[tokio::test]
async fn an_operator_orders_for_a_named_account_and_must_name_it() {
    let api = api().await;
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1});
    let unnamed = api.post_idem("/api/v1/orders/plan", &api.operator, "op-1", body.clone()).await;
    unnamed.names_field("account_id");
    let mut named = body;
    named["account_id"] = json!(api.bob.account_id);
    let placed = api.post_idem("/api/v1/orders/plan", &api.operator, "op-1", named).await;
    assert_eq!(placed.ok(StatusCode::CREATED)["order"]["account_id"], json!(api.bob.account_id));
    assert_eq!(placed.body["order"]["cash_due"], "5.36");
}

#[tokio::test]
async fn an_unpaid_plan_order_is_paid_later_and_a_repeat_pays_nothing_more() {
    let api = api().await;
    let order_id = unpaid_plan(&api, "plan-1").await;
    let order = api.get(&format!("/api/v1/orders/{order_id}"), &api.alice.key).await;
    assert_eq!(order.ok(StatusCode::OK)["status"], "unpaid");
    assert_eq!(order.body["cash_due"], "53.68");
    let path = format!("/api/v1/orders/{order_id}/payment");
    let payment = json!({"tenders": balance("53.68")});
    let paid = api.post_idem(&path, &api.alice.key, "pay-1", payment.clone()).await;
    assert_eq!(paid.ok(StatusCode::CREATED)["order"]["status"], "paid");
    assert_eq!(paid.body["instance"]["capacity_cu_hours"], "1000.000");
    let again = api.post_idem(&path, &api.alice.key, "pay-1", payment.clone()).await;
    assert_eq!(again.ok(StatusCode::OK)["order"]["paid_at"], paid.body["order"]["paid_at"]);
    assert_eq!(alice_balance(&api).await, "49946.32");
    let twice = api.post_idem(&path, &api.alice.key, "pay-2", payment).await;
    twice.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_STATE");
    let instance_id = paid.body["instance"]["id"].as_str().unwrap();
    let orders = api.get(&format!("/api/v1/instances/{instance_id}/orders"), &api.alice.key).await;
    assert_eq!(orders.ok(StatusCode::OK).as_array().unwrap().len(), 1);
    assert_eq!(orders.body[0]["id"], json!(order_id));
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_with_its_instance() {
    let api = api().await;
    let order_id = unpaid_plan(&api, "plan-1").await;
    let path = format!("/api/v1/orders/{order_id}/cancellation");
    let cancelled = api.call(Method::POST, &path, Some(&api.alice.key), None, &[]).await;
    assert_eq!(cancelled.ok(StatusCode::OK)["status"], "cancelled");
    let again = api.call(Method::POST, &path, Some(&api.alice.key), None, &[]).await;
    again.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_STATE");
    let instance_id = cancelled.body["instance_id"].as_str().unwrap();
    let instance = api.get(&format!("/api/v1/instances/{instance_id}"), &api.alice.key).await;
    assert_eq!(instance.body["state"], "cancelled");
}

#[tokio::test]
async fn a_quota_is_renewed_once_per_key_and_a_failed_renewal_leaves_no_unpaid_order() {
    let api = api().await;
    let instance = paid_quota(&api).await;
    let path = format!("/api/v1/instances/{instance}/renewals");
    let short = api.post_idem(&path, &api.alice.key, "r0", json!({"months": 1, "tenders": balance("1.00")})).await;
    short.problem(StatusCode::UNPROCESSABLE_ENTITY, "TENDERS_DO_NOT_ADD_UP");
    let body = json!({"months": 1, "tenders": balance("3221.00")});
    let renewed = api.post_idem(&path, &api.alice.key, "r1", body.clone()).await;
    let order = &renewed.ok(StatusCode::CREATED)["order"];
    assert_eq!((order["kind"].as_str(), order["status"].as_str()), (Some("renewal"), Some("paid")));
    let again = api.post_idem(&path, &api.alice.key, "r1", body).await;
    assert_eq!(again.ok(StatusCode::OK)["order"]["id"], order["id"]);
    assert_eq!(alice_balance(&api).await, "27453.00", "19326.00 and 3221.00, once each");
    let orders = api.get(&format!("/api/v1/instances/{instance}/orders"), &api.alice.key).await;
    let statuses: Vec<&str> = orders.body.as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "paid").count(), 2, "{statuses:?}");
    assert!(!statuses.contains(&"unpaid"), "{statuses:?}");
}

#[tokio::test]
async fn an_unpaid_renewal_is_answered_again_for_its_key() {
    let api = api().await;
    let instance = paid_quota(&api).await;
    let path = format!("/api/v1/instances/{instance}/renewals");
    let placed = api.post_idem(&path, &api.alice.key, "r1", json!({"months": 2})).await;
    assert_eq!(placed.ok(StatusCode::CREATED)["order"]["status"], "unpaid");
    let again = api.post_idem(&path, &api.alice.key, "r1", json!({"months": 2})).await;
    assert_eq!(again.ok(StatusCode::OK)["order"]["id"], placed.body["order"]["id"]);
    let other = api.post_idem(&path, &api.alice.key, "r2", json!({"months": 2})).await;
    other.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_STATE");
}

#[tokio::test]
async fn bad_order_requests_are_refused_naming_the_field_and_buy_nothing() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let cases = [
        (json!({"workspace_id": ws, "cu": 100, "months": 6, "tenders": balance("19326.001")}), "tenders[0].amount"),
        (
            json!({"workspace_id": ws, "cu": 100, "months": 6, "tenders": [{"method": "cash", "amount": "1"}]}),
            "tenders[0].method",
        ),
        (json!({"workspace_id": ws, "cu": "100", "months": 6}), "body"),
        (json!({"workspace_id": ws, "cu": 100, "months": 6, "coupon": "x"}), "body"),
        (json!({"workspace_id": ws, "cu": 100, "months": 6, "benefit_ids": vec!["b"; 21]}), "benefit_ids"),
    ];
    for (body, field) in cases {
        api.post_idem("/api/v1/orders/quota", &api.alice.key, "bad", body).await.names_field(field);
    }
    let too_few = json!({"workspace_id": ws, "cu": 10, "months": 6});
    let answer = api.post_idem("/api/v1/orders/quota", &api.alice.key, "bad", too_few).await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "TOO_FEW_CU");
    let months = json!({"workspace_id": ws, "cu": 100, "months": 10});
    let answer = api.post_idem("/api/v1/orders/quota", &api.alice.key, "bad", months).await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "MONTHS_OUT_OF_RANGE");
    let plan = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100.0001", "months": 1});
    api.post_idem("/api/v1/orders/plan", &api.alice.key, "bad", plan).await.names_field("capacity_cu_hours");
    let plan = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "50", "months": 1});
    api.post_idem("/api/v1/orders/plan", &api.alice.key, "bad", plan).await.names_field("capacity_cu_hours");
    let listed = api.get("/api/v1/instances", &api.alice.key).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 0, "nothing was bought");
    assert_eq!(alice_balance(&api).await, "50000.00");
}

#[tokio::test]
async fn another_accounts_orders_and_instances_answer_like_missing_ones() {
    let api = api().await;
    let instance = paid_quota(&api).await;
    let order_id = unpaid_plan(&api, "plan-1").await;
    let payment = json!({"tenders": balance("53.68")});
    api.hidden_from_bob(Method::GET, &format!("/api/v1/orders/{order_id}"), &order_id, None).await;
    let pay = format!("/api/v1/orders/{order_id}/payment");
    api.hidden_from_bob(Method::POST, &pay, &order_id, Some(payment)).await;
    let cancel = format!("/api/v1/orders/{order_id}/cancellation");
    api.hidden_from_bob(Method::POST, &cancel, &order_id, None).await;
    let orders = format!("/api/v1/instances/{instance}/orders");
    api.hidden_from_bob(Method::GET, &orders, &instance, None).await;
    let renew = format!("/api/v1/instances/{instance}/renewals");
    api.hidden_from_bob(Method::POST, &renew, &instance, Some(json!({"months": 1}))).await;
    let on_alice = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 1});
    let answer = api.post_idem("/api/v1/orders/quota", &api.bob.key, "steal", on_alice).await;
    answer.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let for_alice = json!({"account_id": api.alice.account_id, "region_id": "ap-southeast-1",
        "capacity_cu_hours": "100", "months": 1});
    let answer = api.post_idem("/api/v1/orders/plan", &api.bob.key, "steal", for_alice).await;
    answer.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let order = api.get(&format!("/api/v1/orders/{order_id}"), &api.alice.key).await;
    assert_eq!(order.body["status"], "unpaid", "Bob changed nothing");
}
