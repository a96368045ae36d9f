//! The quote's JSON, made once for the API, the CLI and the stored
//! confirmation, is exactly the shape the OpenAPI document promises: every
//! answer reads back into the API's DTOs, which refuse unknown fields, and
//! writes out again unchanged.

use axum::http::StatusCode;
use billing_api::dto::{QuoteDto, UnsubscriptionDto};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::support::{Api, api, at};

/// `body` read into `T` and written out again is `body`.
fn round_trips<T: DeserializeOwned + Serialize>(what: &str, body: &Value) {
    let dto: T = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{what}: {e}\n{body:#}"));
    let again = serde_json::to_value(&dto).unwrap();
    assert_eq!(&again, body, "{what} changes on the way through its DTO");
}

async fn quote(api: &Api, body: Value) -> Value {
    api.post("/api/v1/quotes", &api.alice.key, body).await.ok(StatusCode::OK).clone()
}

#[tokio::test]
async fn every_kind_of_quote_reads_into_the_quote_dto_and_back() {
    let api = api().await;
    let body = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6,
        "tenders": [{"method": "balance", "amount": "19326.00"}]});
    let bought = api.post_idem("/api/v1/orders/quota", &api.alice.key, "quota", body).await;
    let quota = bought.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned();
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 12,
        "tenders": [{"method": "card", "payment_method_id": api.alice.card_id, "amount": "5.36"}]});
    let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan", body).await;
    let plan = bought.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned();
    let plan_quote = quote(&api, json!({"instance_id": plan})).await;
    assert_eq!(plan_quote["destinations"][0]["to"], "card", "{plan_quote:#}");
    round_trips::<QuoteDto>("a plan's quote", &plan_quote);

    let confirm = json!({"quote_id": plan_quote["quote_id"]});
    let done = api.post_idem("/api/v1/unsubscriptions", &api.alice.key, "u1", confirm).await;
    round_trips::<UnsubscriptionDto>("an unsubscription", done.ok(StatusCode::CREATED));

    api.clock.set(at("2026-05-01T09:00:00+08:00"));

    let unsubscribe = quote(&api, json!({"instance_id": quota})).await;
    assert!(unsubscribe["workspace"].is_object() && unsubscribe["lines"][0]["unit"] == "day", "{unsubscribe:#}");
    round_trips::<QuoteDto>("a quota's quote", &unsubscribe);
    let downgrade = quote(&api, json!({"instance_id": quota, "action": "downgrade", "new_quota_cu": 50})).await;
    assert_eq!(downgrade["action"], "downgrade");
    round_trips::<QuoteDto>("a downgrade's quote", &downgrade);
    let switch = quote(&api, json!({"instance_id": quota, "action": "switch_to_pay_as_you_go"})).await;
    round_trips::<QuoteDto>("a switch's quote", &switch);
}
