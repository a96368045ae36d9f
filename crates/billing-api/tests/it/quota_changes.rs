//! Downgrades and switches to pay-as-you-go over HTTP: quoted with an
//! action, confirmed at their own route once per key, and refused with a
//! stable code when they do not fit.

use axum::http::StatusCode;
use billing_app::purchase::{QuotaPurchase, TenderInput};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use serde_json::json;

use crate::support::{Api, api, at};

/// Alice's 100-CU quota for one month, paid from her balance.
async fn quota(api: &Api) -> String {
    let request = QuotaPurchase {
        account_id: api.alice.account_id.clone(),
        workspace_id: api.alice.workspace_id.clone(),
        cu: 100,
        months: 1,
        benefit_ids: vec![],
        tenders: Some(vec![TenderInput {
            method: PaymentMethodKind::Balance,
            payment_method_id: None,
            amount: Money::parse(Currency::Usd, "3221.00").unwrap(),
        }]),
        auto_renew: false,
    };
    let caller = billing_app::Caller::Customer(api.alice.account_id.clone());
    api.billing.purchases().buy_quota(&caller, &request).await.unwrap().instance.id.into_string()
}

#[tokio::test]
async fn a_quota_is_downgraded_then_switched_over_http() {
    let api = api().await;
    let instance = quota(&api).await;
    api.clock.set(at("2026-03-12T10:20:00+08:00"));
    let body = json!({"instance_id": instance, "action": "downgrade", "new_quota_cu": 50});
    let quote = api.post("/api/v1/quotes", &api.alice.key, body).await;
    let quote = quote.ok(StatusCode::OK).clone();
    assert_eq!(quote["action"], "downgrade");
    assert_eq!(quote["quota_cu_after"], 50);
    assert_eq!(quote["lines"][0]["removed_cash"], "1610.50");
    assert_eq!(quote["refund"], "1506.60");
    assert!(quote.get("workspace").is_none(), "a downgrade deletes no workspace");
    let confirm = json!({"quote_id": quote["quote_id"]});

    // Its quote is confirmed at its own route, not as an unsubscription.
    let wrong = api.post_idem("/api/v1/unsubscriptions", &api.alice.key, "k0", confirm.clone()).await;
    wrong.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_INPUT");
    wrong.names_field("quote_id");
    let by_bob = api.post_idem("/api/v1/quota-changes", &api.bob.key, "k1", confirm.clone()).await;
    by_bob.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let done = api.post_idem("/api/v1/quota-changes", &api.alice.key, "k1", confirm.clone()).await;
    let done = done.ok(StatusCode::CREATED).clone();
    assert_eq!((done["action"].as_str(), done["quota_cu_after"].as_u64()), (Some("downgrade"), Some(50)));
    assert_eq!(done["refund"], "1506.60");
    assert_eq!(done["refunds"][0]["to"], "balance");
    let again = api.post_idem("/api/v1/quota-changes", &api.alice.key, "k1", confirm).await;
    assert_eq!(again.ok(StatusCode::OK)["id"], done["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // Fewer CUs than the region allows, or not fewer at all.
    for (cu, code) in [(20, "QUOTA_BELOW_MINIMUM"), (50, "NOT_A_DOWNGRADE")] {
        let body = json!({"instance_id": instance, "action": "downgrade", "new_quota_cu": cu});
        let refused = api.post("/api/v1/quotes", &api.alice.key, body).await;
        assert_eq!(refused.ok(StatusCode::OK)["reason"], code);
    }
    let missing =
        api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance, "action": "downgrade"})).await;
    missing.problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_INPUT");
    missing.names_field("new_quota_cu");
    let unknown =
        api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance, "action": "upgrade"})).await;
    unknown.names_field("action");

    let body = json!({"instance_id": instance, "action": "switch_to_pay_as_you_go"});
    let switch = api.post("/api/v1/quotes", &api.alice.key, body).await;
    let switch = switch.ok(StatusCode::OK).clone();
    assert_eq!(switch["action"], "switch_to_pay_as_you_go");
    let confirm = json!({"quote_id": switch["quote_id"]});
    let done = api.post_idem("/api/v1/quota-changes", &api.alice.key, "k2", confirm).await;
    let done = done.ok(StatusCode::CREATED).clone();
    assert_eq!((done["action"].as_str(), done["quota_cu_after"].as_u64()), (Some("switch_to_pay_as_you_go"), Some(0)));
    let workspace = api.get(&format!("/api/v1/workspaces/{}", api.alice.workspace_id), &api.alice.key).await;
    assert_eq!(workspace.ok(StatusCode::OK)["workspace"]["billing_method"], "pay_as_you_go");
    let listed = api.get(&format!("/api/v1/instances/{instance}"), &api.alice.key).await;
    assert_eq!(listed.ok(StatusCode::OK)["state"], "switched_to_pay_as_you_go");
}
