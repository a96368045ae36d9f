//! The JSON the API writes is exactly the shape the OpenAPI document
//! promises: the quote (made once for the API, the CLI and the stored
//! confirmation), orders, refunds and unsubscriptions read back into the
//! API's DTOs, which refuse unknown fields, and write out again unchanged;
//! so does every event's `data`, which the app writes from its views in the
//! change's own transaction, and it equals the API's answer for the same
//! resource.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use billing_api::dto::{
    OrderDto, PurchaseDto, PurchasedInstanceDto, QuoteDto, RefundDto, UnsubscriptionDto, WorkspaceDeletionDto,
};
use billing_app::events::EventType;
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use chrono::Duration;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::support::{Answer, Api, api, at, backends};

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

/// `answer` has `status`, and its body round-trips through `T`.
fn answered<T: DeserializeOwned + Serialize>(what: &str, answer: &Answer, status: StatusCode) -> Value {
    let body = answer.ok(status).clone();
    round_trips::<T>(what, &body);
    body
}

/// Reads `data` of an event of `event_type` into its resource's DTO and
/// back; `None` for a type whose data is none of these resources.
fn event_data_round_trips(event_type: &str) -> Option<fn(&str, &Value)> {
    let read: fn(&str, &Value) = match event_type {
        "order.paid" | "order.cancelled" => round_trips::<OrderDto>,
        "instance.activated" | "instance.activation_failed" | "instance.renewed" | "instance.expired" => {
            round_trips::<PurchasedInstanceDto>
        }
        "unsubscription.confirmed" | "quota.downgraded" | "quota.switched_to_pay_as_you_go" => {
            round_trips::<UnsubscriptionDto>
        }
        "workspace.deleted" => round_trips::<WorkspaceDeletionDto>,
        "refund.created" | "refund.succeeded" | "refund.failed" | "refund.rerouted" => round_trips::<RefundDto>,
        _ => return None,
    };
    Some(read)
}

/// What the API answered for a resource when an event about it was written:
/// the event's type, the resource's id and the answer.
#[derive(Default)]
struct Answers(Vec<(&'static str, String, Value)>);

impl Answers {
    fn expect(&mut self, event_type: &'static str, resource: &Value) {
        let id = resource["id"].as_str().unwrap_or_else(|| panic!("no id: {resource:#}")).to_owned();
        self.0.push((event_type, id, resource.clone()));
    }

    /// The purchase's order as `order.paid` and its instance as `activated`
    /// (or `instance.renewed`), and the order as `GET` shows it.
    async fn purchase(&mut self, api: &Api, key: &str, purchase: &Value, instance_event: &'static str) {
        self.expect("order.paid", &purchase["order"]);
        self.expect(instance_event, &purchase["instance"]);
        let id = purchase["order"]["id"].as_str().unwrap();
        let order =
            answered::<OrderDto>("an order", &api.get(&format!("/api/v1/orders/{id}"), key).await, StatusCode::OK);
        self.expect("order.paid", &order);
    }

    /// A confirmation as `event`, each of its refunds as `refund.created`
    /// (and as `GET` shows it), its deleted workspace as `workspace.deleted`.
    async fn confirmation(&mut self, api: &Api, key: &str, done: &Value, event: &'static str) {
        self.expect(event, done);
        let id = done["id"].as_str().unwrap();
        let again = api.get(&format!("/api/v1/unsubscriptions/{id}"), key).await;
        self.expect(event, &answered::<UnsubscriptionDto>("an unsubscription", &again, StatusCode::OK));
        for refund in done["refunds"].as_array().unwrap() {
            self.expect("refund.created", refund);
            let id = refund["id"].as_str().unwrap();
            let again = api.get(&format!("/api/v1/refunds/{id}"), key).await;
            self.expect("refund.created", &answered::<RefundDto>("a refund", &again, StatusCode::OK));
        }
        if !done["workspace_deleted"].is_null() {
            self.expect("workspace.deleted", &done["workspace_deleted"]);
        }
    }
}

fn balance(amount: &str) -> Value {
    json!([{"method": "balance", "amount": amount}])
}

async fn buy(api: &Api, key: &str, path: &str, idem: &str, body: Value) -> Value {
    answered::<PurchaseDto>(path, &api.post_idem(path, key, idem, body).await, StatusCode::CREATED)
}

/// Quotes `body` and confirms the quote at `path` with `confirm`.
async fn confirm(api: &Api, key: &str, body: Value, path: &str, idem: &str, confirm: Option<&str>) -> Value {
    let quote = api.post("/api/v1/quotes", key, body).await.ok(StatusCode::OK)["quote_id"].clone();
    let body = match confirm {
        Some(name) => json!({"quote_id": quote, "confirm_workspace_deletion": name}),
        None => json!({"quote_id": quote}),
    };
    answered::<UnsubscriptionDto>(path, &api.post_idem(path, key, idem, body).await, StatusCode::CREATED)
}

/// Alice's quota on `etl`: bought, renewed, downgraded, then given back
/// with its workspace; a second quota, paid by card, switched to
/// pay-as-you-go.
async fn quota_flows(api: &Api, answers: &mut Answers) {
    let key = &api.alice.key;
    let body = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6, "tenders": balance("19326.00")});
    let bought = buy(api, key, "/api/v1/orders/quota", "q1", body).await;
    answers.purchase(api, key, &bought, "instance.activated").await;
    let quota = bought["instance"]["id"].as_str().unwrap().to_owned();
    let body = json!({"months": 1, "tenders": balance("3221.00")});
    let renewed = buy(api, key, &format!("/api/v1/instances/{quota}/renewals"), "r1", body).await;
    answers.purchase(api, key, &renewed, "instance.renewed").await;
    let orders = api.get(&format!("/api/v1/instances/{quota}/orders"), key).await;
    answered::<Vec<OrderDto>>("an instance's orders", &orders, StatusCode::OK);

    let body = json!({"instance_id": quota, "action": "downgrade", "new_quota_cu": 50});
    let downgraded = confirm(api, key, body, "/api/v1/quota-changes", "d1", None).await;
    answers.confirmation(api, key, &downgraded, "quota.downgraded").await;
    let body = json!({"instance_id": quota});
    let unsubscribed = confirm(api, key, body, "/api/v1/unsubscriptions", "u1", Some("etl")).await;
    assert!(unsubscribed["workspace_deleted"].is_object(), "{unsubscribed:#}");
    answers.confirmation(api, key, &unsubscribed, "unsubscription.confirmed").await;

    let body = json!({"region_id": "ap-southeast-1", "name": "ml", "billing_method": "hybrid"});
    let workspace = api.post("/api/v1/workspaces", key, body).await.ok(StatusCode::CREATED)["id"].clone();
    let card = json!([{"method": "card", "payment_method_id": api.alice.card_id, "amount": "3221.00"}]);
    let body = json!({"workspace_id": workspace, "cu": 100, "months": 1, "tenders": card});
    let bought = buy(api, key, "/api/v1/orders/quota", "q2", body).await;
    answers.purchase(api, key, &bought, "instance.activated").await;
    let body = json!({"instance_id": bought["instance"]["id"], "action": "switch_to_pay_as_you_go"});
    let switched = confirm(api, key, body, "/api/v1/quota-changes", "s1", None).await;
    answers.confirmation(api, key, &switched, "quota.switched_to_pay_as_you_go").await;
}

/// Alice's plans: one paid by card and given back, one left unpaid and
/// cancelled, one paid from the balance and left to expire.
async fn plan_flows(api: &Api, answers: &mut Answers) {
    let key = &api.alice.key;
    let card = json!([{"method": "card", "payment_method_id": api.alice.card_id, "amount": "5.36"}]);
    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1, "tenders": card});
    let bought = buy(api, key, "/api/v1/orders/plan", "p1", body).await;
    answers.purchase(api, key, &bought, "instance.activated").await;
    let body = json!({"instance_id": bought["instance"]["id"]});
    let unsubscribed = confirm(api, key, body, "/api/v1/unsubscriptions", "u2", None).await;
    answers.confirmation(api, key, &unsubscribed, "unsubscription.confirmed").await;

    let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "1000", "months": 1});
    let placed = buy(api, key, "/api/v1/orders/plan", "p2", body).await;
    let order = placed["order"]["id"].as_str().unwrap();
    let cancelled = api.post(&format!("/api/v1/orders/{order}/cancellation"), key, json!({})).await;
    answers.expect("order.cancelled", &answered::<OrderDto>("a cancelled order", &cancelled, StatusCode::OK));

    let body =
        json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1, "tenders": balance("5.36")});
    let bought = buy(api, key, "/api/v1/orders/plan", "p3", body).await;
    answers.purchase(api, key, &bought, "instance.activated").await;
}

/// Bob's quota finds the region full: paid, then refunded whole.
async fn failed_activation(api: &Api, answers: &mut Answers) {
    let mut region = api.billing.operations().region("ap-southeast-1").await.unwrap();
    region.reserved_cu_capacity = Some(60);
    api.billing.operations().set_region(&billing_app::Caller::Operator, region).await.unwrap();
    let body = json!({"workspace_id": api.bob.workspace_id, "cu": 100, "months": 1, "tenders": balance("3221.00")});
    let bought = buy(api, &api.bob.key, "/api/v1/orders/quota", "bob-q", body).await;
    assert_eq!(bought["instance"]["state"], "activation_failed");
    // Its order.paid shows the order as it was paid, before the refund.
    answers.expect("instance.activation_failed", &bought["instance"]);
}

/// Sends the pending refunds to a channel that refuses `failures_per_mille`
/// of them, and a day later takes its answers.
async fn settle_refunds(api: &Api, failures_per_mille: u32) {
    let settings = SimulatedChannelSettings { failures_per_mille, ..SimulatedChannelSettings::default() };
    let channel = SimulatedChannel::new(&api.store, settings);
    let lease = Duration::seconds(60);
    api.billing.unsubscriptions().process_refunds("t", &channel, lease).await.unwrap();
    api.clock.advance(Duration::days(1));
    api.billing.unsubscriptions().process_refunds("t", &channel, lease).await.unwrap();
}

/// Every event, oldest first, as the operator lists them.
async fn all_events(api: &Api) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let page = api.get(&format!("/api/v1/events?limit=100{after}"), &api.operator).await;
        let page = page.ok(StatusCode::OK).as_array().unwrap().clone();
        let Some(last) = page.last() else { break };
        after = format!("&starting_after={}", last["id"].as_str().unwrap());
        let full = page.len() == 100;
        events.extend(page);
        if !full {
            break;
        }
    }
    events.reverse();
    events
}

#[tokio::test]
async fn every_event_carries_its_resource_as_the_api_answers_it() {
    for api in backends().await {
        let mut answers = Answers::default();
        plan_flows(&api, &mut answers).await;
        // The plan's card refund is refused, and goes to the balance instead.
        settle_refunds(&api, 1000).await;
        quota_flows(&api, &mut answers).await;
        failed_activation(&api, &mut answers).await;
        // The switched quota's card refund arrives.
        settle_refunds(&api, 0).await;
        // The plan paid from the balance expires.
        api.clock.advance(Duration::days(62));
        api.billing.purchases().run_due().await.unwrap();
        let refunds = api.get("/api/v1/refunds?limit=100", &api.operator).await;
        let refunds = answered::<Vec<RefundDto>>("the refunds", &refunds, StatusCode::OK);
        assert!(refunds.as_array().unwrap().len() >= 5, "{refunds:#}");
        let orders = api.get("/api/v1/orders?limit=100", &api.operator).await;
        answered::<Vec<OrderDto>>("the orders", &orders, StatusCode::OK);

        let events = all_events(&api).await;
        let mut seen = BTreeSet::new();
        for event in &events {
            let event_type = event["type"].as_str().unwrap();
            let Some(round_trips) = event_data_round_trips(event_type) else { continue };
            round_trips(&format!("the data of {event_type} {}", event["id"]), &event["data"]);
            seen.insert(event_type);
        }
        let carrying = EventType::ALL.iter().map(|t| t.as_str()).filter(|t| event_data_round_trips(t).is_some());
        assert_eq!(seen, carrying.collect::<BTreeSet<_>>(), "the flows write every type that carries these resources");

        for (event_type, id, answer) in &answers.0 {
            let event = events.iter().find(|e| e["type"] == *event_type && e["resource_id"] == id.as_str());
            let event = event.unwrap_or_else(|| panic!("no {event_type} event of {id}"));
            assert_eq!(&event["data"], answer, "{event_type} of {id} carries what the API answered");
        }
    }
}
