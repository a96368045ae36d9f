//! Events and webhooks on SQLite and PostgreSQL: every use case writes its
//! events in its own transaction, an event exists if and only if its change
//! committed, the API lists them per account, and the delivery worker
//! follows the retry schedule on a manual clock.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use billing_app::webhooks::delivery::{RETRY_SCHEDULE, WebhookAnswer, WebhookRequest, WebhookSender};
use billing_app::webhooks::signature;
use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Api, backends};

fn balance(amount: &str) -> Value {
    json!([{"method": "balance", "amount": amount}])
}

/// Alice's events of `types` (comma-separated), newest first, as the API lists them.
async fn events_of(api: &Api, key: &str, query: &str) -> Vec<Value> {
    let listed = api.get(&format!("/api/v1/events?limit=100&{query}"), key).await;
    listed.ok(StatusCode::OK).as_array().unwrap().clone()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// A paid quota of 100 CUs on Alice's workspace; its instance id.
async fn paid_quota(api: &Api) -> String {
    let body = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6, "tenders": balance("19326.00")});
    let done = api.post_idem("/api/v1/orders/quota", &api.alice.key, "quota-1", body).await;
    done.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned()
}

/// Confirms a fresh quote for `instance` with `idem`.
async fn unsubscribe(api: &Api, instance: &str, idem: &str, confirm: Option<&str>) -> crate::support::Answer {
    let quote = api.post("/api/v1/quotes", &api.alice.key, json!({"instance_id": instance})).await;
    let quote_id = quote.ok(StatusCode::OK)["quote_id"].as_str().unwrap().to_owned();
    let body = json!({"quote_id": quote_id, "confirm_workspace_deletion": confirm});
    api.post_idem("/api/v1/unsubscriptions", &api.alice.key, idem, body).await
}

#[tokio::test]
async fn every_use_case_writes_its_events_with_the_resource_as_the_api_shows_it() {
    for api in backends().await {
        let quota = paid_quota(&api).await;
        let order = api.get(&format!("/api/v1/instances/{quota}/orders"), &api.alice.key).await;
        let order = order.ok(StatusCode::OK)[0].clone();
        let paid = events_of(&api, &api.alice.key, &format!("resource_id={}", order["id"].as_str().unwrap())).await;
        assert_eq!(types(&paid), ["order.paid"]);
        assert_eq!(paid[0]["data"], order, "the data is the order as GET shows it");
        let activated = events_of(&api, &api.alice.key, "type=instance.activated").await;
        assert_eq!(activated[0]["data"]["id"], json!(quota));
        assert_eq!(activated[0]["data"]["state"], "active");

        let renewal = json!({"months": 1, "tenders": balance("3221.00")});
        api.post_idem(&format!("/api/v1/instances/{quota}/renewals"), &api.alice.key, "r1", renewal)
            .await
            .ok(StatusCode::CREATED);
        assert_eq!(types(&events_of(&api, &api.alice.key, "type=instance.renewed").await), ["instance.renewed"]);

        let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "1000", "months": 1});
        let placed = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan-u", body).await;
        let unpaid = placed.ok(StatusCode::CREATED)["order"]["id"].as_str().unwrap().to_owned();
        let cancel = api.post(&format!("/api/v1/orders/{unpaid}/cancellation"), &api.alice.key, json!({})).await;
        assert!(cancel.status.is_success(), "{}", cancel.text);
        let cancelled = events_of(&api, &api.alice.key, "type=order.cancelled").await;
        assert_eq!((cancelled.len(), cancelled[0]["data"]["status"].as_str()), (1, Some("cancelled")));

        let name = "etl";
        let done = unsubscribe(&api, &quota, "u1", Some(name)).await;
        let unsubscription = done.ok(StatusCode::CREATED).clone();
        let confirmed = events_of(&api, &api.alice.key, "type=unsubscription.confirmed").await;
        assert_eq!(confirmed[0]["data"]["id"], unsubscription["id"]);
        let refunds = events_of(&api, &api.alice.key, "type=refund.created").await;
        assert_eq!(refunds.len(), unsubscription["refunds"].as_array().unwrap().len());
        let deleted = events_of(&api, &api.alice.key, "type=workspace.deleted").await;
        assert_eq!(deleted[0]["data"]["id"], json!(api.alice.workspace_id));

        let body =
            json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1, "tenders": balance("5.36")});
        let plan = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan-e", body).await;
        let plan = plan.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned();
        api.clock.advance(Duration::days(62));
        api.billing.purchases().run_due().await.unwrap();
        let expired = events_of(&api, &api.alice.key, "type=instance.expired").await;
        assert_eq!(
            (expired[0]["data"]["id"].as_str(), expired[0]["data"]["state"].as_str()),
            (Some(plan.as_str()), Some("expired"))
        );
    }
}

#[tokio::test]
async fn quota_changes_and_a_failed_activation_write_their_events() {
    for api in backends().await {
        let quota = paid_quota(&api).await;
        let key = &api.alice.key;
        let body = json!({"instance_id": quota, "action": "downgrade", "new_quota_cu": 50});
        let quote = api.post("/api/v1/quotes", key, body).await.ok(StatusCode::OK)["quote_id"].clone();
        let done = api.post_idem("/api/v1/quota-changes", key, "d1", json!({"quote_id": quote})).await;
        let downgrade = done.ok(StatusCode::CREATED).clone();
        let events = events_of(&api, key, &format!("resource_id={}", downgrade["id"].as_str().unwrap())).await;
        assert_eq!(types(&events), ["quota.downgraded"]);
        assert_eq!(
            (events[0]["data"]["action"].as_str(), events[0]["data"]["quota_cu_after"].as_u64()),
            (Some("downgrade"), Some(50))
        );
        let refund = downgrade["refunds"][0]["id"].as_str().unwrap();
        assert_eq!(types(&events_of(&api, key, &format!("resource_id={refund}")).await), ["refund.created"]);

        let body = json!({"instance_id": quota, "action": "switch_to_pay_as_you_go"});
        let quote = api.post("/api/v1/quotes", key, body).await.ok(StatusCode::OK)["quote_id"].clone();
        let done = api.post_idem("/api/v1/quota-changes", key, "s1", json!({"quote_id": quote})).await;
        let switch = done.ok(StatusCode::CREATED).clone();
        let events = events_of(&api, key, "type=quota.switched_to_pay_as_you_go").await;
        assert_eq!((events.len(), &events[0]["data"]["id"]), (1, &switch["id"]));
        assert!(events_of(&api, key, "type=workspace.deleted").await.is_empty(), "a switch keeps the workspace");

        // Bob's quota finds the region full: paid, then refunded whole.
        let mut region = api.billing.operations().region("ap-southeast-1").await.unwrap();
        region.reserved_cu_capacity = Some(60);
        api.billing.operations().set_region(&billing_app::Caller::Operator, region).await.unwrap();
        let body = json!({"workspace_id": api.bob.workspace_id, "cu": 100, "months": 1, "tenders": balance("3221.00")});
        let bought = api.post_idem("/api/v1/orders/quota", &api.bob.key, "bob-q", body).await;
        let bought = bought.ok(StatusCode::CREATED).clone();
        assert_eq!(bought["instance"]["state"], "activation_failed");
        let events = events_of(&api, &api.bob.key, "").await;
        let expected =
            ["refund.created", "instance.activation_failed", "document.issued", "order.paid", "document.issued"];
        assert_eq!(types(&events), expected);
        assert_eq!(events[1]["data"]["id"], bought["instance"]["id"]);
        assert_eq!(events[2]["data"]["kind"], "credit_note", "the refund's credit note");
        assert_eq!(events[3]["data"]["status"], "paid", "order.paid shows the order as it was paid");
        assert_eq!(events[4]["data"]["kind"], "invoice", "the payment's invoice");
        assert!(events_of(&api, &api.bob.key, "type=instance.activated").await.is_empty());
    }
}

#[tokio::test]
async fn a_card_refund_reports_success_or_failure_and_reroute() {
    for api in backends().await {
        let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
            "tenders": [{"method": "card", "payment_method_id": api.alice.card_id, "amount": "5.36"}]});
        let bought = api.post_idem("/api/v1/orders/plan", &api.alice.key, "plan", body).await;
        let plan = bought.ok(StatusCode::CREATED)["instance"]["id"].as_str().unwrap().to_owned();
        unsubscribe(&api, &plan, "u-plan", None).await.ok(StatusCode::CREATED);
        let channel = billing_store::SimulatedChannel::new(&api.store, Default::default());
        api.billing.unsubscriptions().process_refunds("t", &channel, Duration::seconds(60)).await.unwrap();
        api.clock.advance(Duration::days(30));
        api.billing.unsubscriptions().process_refunds("t", &channel, Duration::seconds(60)).await.unwrap();
        let settled = events_of(&api, &api.alice.key, "type=refund.succeeded,refund.failed,refund.rerouted").await;
        let settled = types(&settled);
        assert!(
            settled == ["refund.succeeded"] || settled == ["refund.rerouted", "refund.failed"],
            "a card refund either arrives or is re-routed: {settled:?}"
        );
        let metrics = api.get("/metrics", "").await.text;
        let refunds = |transition: &str| format!(r#"spark_billing_refunds_total{{transition="{transition}"}} 1"#);
        assert!(metrics.contains(&refunds("created")), "{metrics}");
        let counted = match settled.as_slice() {
            ["refund.succeeded"] => vec!["succeeded"],
            _ => vec!["failed", "rerouted"],
        };
        for transition in counted {
            assert!(metrics.contains(&refunds(transition)), "{transition}: {metrics}");
        }
    }
}

#[tokio::test]
async fn a_confirmation_rolled_back_at_commit_leaves_no_event() {
    for api in backends().await {
        let quota = paid_quota(&api).await;
        let before = events_of(&api, &api.alice.key, "").await.len();
        // The audit chain is written when the transaction commits, after the
        // events: refusing the confirmation's audit row rolls back the
        // whole transaction at its very end.
        let trigger = match api.store.kind() {
            billing_store::Backend::Sqlite => vec![
                "CREATE TRIGGER refuse_confirmation BEFORE INSERT ON audit_events \
                 WHEN NEW.action = 'unsubscription.confirmed' BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
            ],
            billing_store::Backend::Postgres => vec![
                "CREATE FUNCTION refuse_confirmation() RETURNS trigger AS $$ BEGIN \
                 IF NEW.action = 'unsubscription.confirmed' THEN RAISE EXCEPTION 'refused by test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_confirmation BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION refuse_confirmation()",
            ],
        };
        for sql in trigger {
            sqlx::query(sql).execute(api.store.pool()).await.unwrap();
        }
        let failed = unsubscribe(&api, &quota, "u-rolled-back", Some("etl")).await;
        assert!(failed.status.is_server_error(), "{}", failed.text);
        let metrics = api.get("/metrics", "").await.text;
        assert!(!metrics.contains(r#"outcome="confirmed""#), "a rolled-back confirmation is not counted: {metrics}");
        let refused = r#"spark_billing_confirmations_total{kind="unsubscription",outcome="refused"} 1"#;
        assert!(metrics.contains(refused), "{metrics}");
        assert!(!metrics.contains("spark_billing_refunds_total{"), "nor are its refunds: {metrics}");
        assert!(!metrics.contains(r#"kind="credit_note""#), "nor its credit note: {metrics}");
        assert!(metrics.contains(r#"spark_billing_documents_issued_total{kind="invoice"} 1"#), "{metrics}");
        assert_eq!(events_of(&api, &api.alice.key, "").await.len(), before, "no event of a change that did not commit");
        let instance = api.get(&format!("/api/v1/instances/{quota}"), &api.alice.key).await;
        assert_eq!(instance.ok(StatusCode::OK)["state"], "active");
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries").fetch_one(api.store.pool()).await.unwrap();
        assert_eq!(queued, 0);
    }
}

#[tokio::test]
async fn customers_see_only_their_events_and_endpoints_and_the_secret_once() {
    for api in backends().await {
        paid_quota(&api).await;
        assert!(events_of(&api, &api.bob.key, "").await.is_empty(), "Bob sees none of Alice's events");
        let alice_events = events_of(&api, &api.alice.key, "").await;
        let id = alice_events[0]["id"].as_str().unwrap().to_owned();
        api.hidden_from_bob(Method::GET, &format!("/api/v1/events/{id}"), &id, None).await;
        assert_eq!(events_of(&api, &api.operator, "").await.len(), alice_events.len());
        let page = api.get(&format!("/api/v1/events?limit=1&starting_after={id}"), &api.alice.key).await;
        assert_eq!(page.ok(StatusCode::OK)[0]["id"], alice_events[1]["id"], "cursor paging");
        api.get("/api/v1/events?type=order.nope", &api.alice.key).await.names_field("type");

        let body = json!({"url": "https://hooks.example.com/billing", "event_types": ["order.paid"]});
        let created = api.post("/api/v1/webhook-endpoints", &api.alice.key, body).await;
        let endpoint = created.ok(StatusCode::CREATED).clone();
        assert!(endpoint["secret"].as_str().unwrap().starts_with("whsec_"));
        let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
        let read = api.get(&format!("/api/v1/webhook-endpoints/{endpoint_id}"), &api.alice.key).await;
        assert!(read.ok(StatusCode::OK).get("secret").is_none(), "the secret is shown once");
        api.hidden_from_bob(Method::GET, &format!("/api/v1/webhook-endpoints/{endpoint_id}"), &endpoint_id, None).await;
        let listed = api.get("/api/v1/webhook-endpoints", &api.bob.key).await;
        assert_eq!(listed.ok(StatusCode::OK), &json!([]));
        let rotated = api
            .post(&format!("/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"), &api.alice.key, json!({}))
            .await;
        let rotated = rotated.ok(StatusCode::OK);
        assert_ne!(rotated["secret"], endpoint["secret"]);
        assert!(rotated["previous_secret_until"].is_string());
        for bad in ["http://hooks.example.com/x", "ftp://x", "https://", "not a url"] {
            api.post("/api/v1/webhook-endpoints", &api.alice.key, json!({"url": bad})).await.names_field("url");
        }
        let disabled =
            api.post(&format!("/api/v1/webhook-endpoints/{endpoint_id}/disable"), &api.alice.key, json!({})).await;
        assert_eq!(disabled.ok(StatusCode::OK)["status"], "disabled");
        let deleted = api
            .call(Method::DELETE, &format!("/api/v1/webhook-endpoints/{endpoint_id}"), Some(&api.alice.key), None, &[])
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    }
}

/// A sender that answers from a script and records what it was sent.
#[derive(Default)]
struct Scripted {
    answers: Mutex<Vec<WebhookAnswer>>,
    sent: Mutex<Vec<WebhookRequest>>,
}

#[async_trait]
impl WebhookSender for Scripted {
    async fn send(&self, request: &WebhookRequest) -> WebhookAnswer {
        self.sent.lock().unwrap().push(request.clone());
        let mut answers = self.answers.lock().unwrap();
        if answers.is_empty() { ok() } else { answers.remove(0) }
    }
}

fn ok() -> WebhookAnswer {
    WebhookAnswer::Status { code: 200, retry_after: None, excerpt: "ok".to_owned() }
}

fn failing(code: u16) -> WebhookAnswer {
    WebhookAnswer::Status { code, retry_after: None, excerpt: "no".to_owned() }
}

/// Alice's endpoint for the two events a paid quota makes besides its
/// invoice's (order.paid, instance.activated); its id and secret.
async fn alice_endpoint(api: &Api) -> (String, String) {
    let body = json!({"url": "https://hooks.example.com/billing", "event_types": ["order.paid", "instance.activated"]});
    let created = api.post("/api/v1/webhook-endpoints", &api.alice.key, body).await;
    let created = created.ok(StatusCode::CREATED);
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn failed_deliveries_are_retried_on_the_schedule_and_each_attempt_is_signed() {
    for api in backends().await {
        let (_, secret) = alice_endpoint(&api).await;
        let quota = paid_quota(&api).await;
        let script = Arc::new(Scripted::default());
        *script.answers.lock().unwrap() = vec![failing(500); 3];
        let sender: Arc<dyn WebhookSender> = script.clone();
        // order.paid and instance.activated: two deliveries, failing thrice
        // between them, then succeeding.
        let mut report = api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap();
        assert_eq!((report.claimed, report.retrying), (2, 2));
        for wait in &RETRY_SCHEDULE[..1] {
            assert_eq!(
                api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap().claimed,
                0,
                "nothing due early"
            );
            api.clock.advance(*wait + *wait / 10 + Duration::milliseconds(1));
            report = api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap();
        }
        assert_eq!((report.claimed, report.succeeded, report.retrying), (2, 1, 1));
        api.clock.advance(Duration::seconds(4));
        assert_eq!(
            api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap().claimed,
            0,
            "5 min after the 2nd"
        );
        api.clock.advance(RETRY_SCHEDULE[1] + RETRY_SCHEDULE[1] / 10);
        assert_eq!(api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap().succeeded, 1);
        let sent = script.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 5);
        let metrics = api.get("/metrics", "").await.text;
        let deliveries =
            |outcome: &str, n: u32| format!("spark_billing_webhook_deliveries_total{{outcome=\"{outcome}\"}} {n}\n");
        assert!(metrics.contains(&deliveries("retrying", 3)), "{metrics}");
        assert!(metrics.contains(&deliveries("succeeded", 2)), "{metrics}");
        assert!(!metrics.contains(r#"outcome="failed""#), "{metrics}");
        let now = api.billing.now().timestamp();
        for request in &sent {
            signature::verify(
                &secret,
                &request.id,
                request.timestamp,
                &request.signature,
                &request.body,
                request.timestamp,
            )
            .unwrap();
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(body["id"], json!(request.id), "webhook-id is the event id");
            assert!(request.timestamp <= now);
        }
        let event_id = &sent[0].id;
        assert!(sent.iter().filter(|r| &r.id == event_id).count() >= 2, "a retry carries the same webhook-id");
        let attempts = api.get(&format!("/api/v1/events/{event_id}/attempts"), &api.alice.key).await;
        let attempts = attempts.ok(StatusCode::OK).as_array().unwrap().clone();
        assert!(attempts.iter().any(|a| a["status_code"] == 500) && attempts.iter().any(|a| a["succeeded"] == true));
        let _ = quota;
    }
}

#[tokio::test]
async fn a_410_disables_the_endpoint_with_an_event_and_redelivery_sends_again() {
    for api in backends().await {
        let (endpoint, _) = alice_endpoint(&api).await;
        paid_quota(&api).await;
        let script = Arc::new(Scripted::default());
        *script.answers.lock().unwrap() = vec![failing(410)];
        let sender: Arc<dyn WebhookSender> = script.clone();
        let report = api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap();
        assert_eq!(report.failed, 2, "gone: the first fails and the second is not sent");
        assert_eq!(script.sent.lock().unwrap().len(), 1);
        let read = api.get(&format!("/api/v1/webhook-endpoints/{endpoint}"), &api.alice.key).await;
        let read = read.ok(StatusCode::OK);
        assert_eq!((read["status"].as_str(), read["disabled_reason"].as_str()), (Some("disabled"), Some("gone")));
        let notice = events_of(&api, &api.alice.key, "type=webhook_endpoint.disabled").await;
        assert_eq!(notice[0]["data"]["id"], json!(endpoint));

        let update = json!({"url": "https://hooks.example.com/billing", "status": "enabled"});
        api.put(&format!("/api/v1/webhook-endpoints/{endpoint}"), &api.alice.key, update).await.ok(StatusCode::OK);
        let event = events_of(&api, &api.alice.key, "type=order.paid").await[0]["id"].as_str().unwrap().to_owned();
        let queued = api.post(&format!("/api/v1/events/{event}/redeliver"), &api.alice.key, json!({})).await;
        assert_eq!(queued.ok(StatusCode::ACCEPTED).as_array().unwrap().len(), 1);
        assert_eq!(api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap().succeeded, 1);
        let bob = api.post(&format!("/api/v1/events/{event}/redeliver"), &api.bob.key, json!({})).await;
        bob.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn an_endpoint_failing_for_three_days_is_disabled_and_retry_after_is_honoured() {
    for api in backends().await {
        let (endpoint, _) = alice_endpoint(&api).await;
        paid_quota(&api).await;
        let script = Arc::new(Scripted::default());
        let later = WebhookAnswer::Status {
            code: 503,
            retry_after: Some(StdDuration::from_secs(3600)),
            excerpt: String::new(),
        };
        *script.answers.lock().unwrap() = vec![later; 2];
        let sender: Arc<dyn WebhookSender> = script.clone();
        api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap();
        api.clock.advance(Duration::minutes(30));
        assert_eq!(
            api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap().claimed,
            0,
            "Retry-After: 1 h"
        );
        *script.answers.lock().unwrap() = vec![failing(500); 20];
        let mut waited = Duration::zero();
        while waited < Duration::days(4) {
            api.clock.advance(Duration::hours(1));
            waited += Duration::hours(1);
            api.billing.webhooks().deliver_webhooks("w", &sender, 1).await.unwrap();
        }
        let read = api.get(&format!("/api/v1/webhook-endpoints/{endpoint}"), &api.alice.key).await;
        let read = read.ok(StatusCode::OK);
        assert_eq!((read["status"].as_str(), read["disabled_reason"].as_str()), (Some("disabled"), Some("failing")));
    }
}
