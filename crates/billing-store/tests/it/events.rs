//! Events and the webhook deliveries queued with them.

use billing_app::events::{Event, EventType};
use billing_app::store::Store;
use billing_app::webhooks::{EndpointStatus, WebhookEndpoint};
use billing_domain::ids::{AccountId, EventId};
use chrono::{DateTime, Utc};

use crate::on_every_backend;
use crate::support::at;

fn endpoint(id: &str, account_id: Option<&str>, event_types: &[EventType], now: DateTime<Utc>) -> WebhookEndpoint {
    WebhookEndpoint {
        id: billing_domain::ids::WebhookEndpointId::trusted(id),
        account_id: account_id.map(AccountId::trusted),
        url: format!("https://example.com/{id}"),
        event_types: event_types.to_vec(),
        description: String::new(),
        secret: "whsec_test".to_owned(),
        previous_secret: None,
        previous_secret_until: None,
        status: EndpointStatus::Enabled,
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    }
}

fn event(id: &str, event_type: EventType, account_id: &str, now: DateTime<Utc>) -> Event {
    Event {
        id: EventId::trusted(id),
        event_type,
        account_id: AccountId::trusted(account_id),
        resource_id: format!("res_{id}"),
        occurred_at: now,
        data: serde_json::json!({ "id": id, "name": "Zoë" }),
    }
}

#[tokio::test]
async fn the_events_of_one_transaction_are_written_with_a_delivery_per_endpoint_that_wants_them() {
    on_every_backend!(|w| {
        let account = w.seed("events", "0.00").await;
        let now = at("2026-03-02T10:00:00Z");
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&endpoint("whe_all", None, &[], now)).await.unwrap();
        let refunds_only = endpoint("whe_refunds", Some(account.id()), &[EventType::RefundCreated], now);
        tx.insert_webhook_endpoint(&refunds_only).await.unwrap();
        tx.insert_webhook_endpoint(&endpoint("whe_other", Some("acc_other"), &[], now)).await.unwrap();
        tx.insert_event(&event("evt_a", EventType::RefundCreated, account.id(), now)).await.unwrap();
        tx.insert_event(&event("evt_b", EventType::UnsubscriptionConfirmed, account.id(), now)).await.unwrap();
        // The transaction reads its own events back before it commits.
        let found =
            tx.event(&EventId::trusted("evt_b")).await.unwrap().expect("the event is visible in its transaction");
        assert_eq!(found.data["name"], "Zoë");
        tx.insert_event(&event("evt_c", EventType::RefundCreated, account.id(), now)).await.unwrap();
        tx.commit().await.unwrap();

        let mut ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM webhook_deliveries").fetch_all(w.store.pool()).await.unwrap();
        ids.sort();
        assert_eq!(ids, ["evt_a.whe_all", "evt_a.whe_refunds", "evt_b.whe_all", "evt_c.whe_all", "evt_c.whe_refunds"]);
        let read = w.store.begin().await.unwrap().event(&EventId::trusted("evt_c")).await.unwrap().expect("committed");
        assert_eq!(
            (read.event_type, read.occurred_at, read.resource_id.as_str()),
            (EventType::RefundCreated, now, "res_evt_c")
        );

        // A transaction that rolls back writes none of its events.
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_event(&event("evt_d", EventType::RefundCreated, account.id(), now)).await.unwrap();
        drop(tx);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE id = 'evt_d'")
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        assert_eq!(count, 0);
    });
}

#[tokio::test]
async fn an_event_that_cannot_be_written_fails_the_commit_even_after_its_error_was_caught() {
    on_every_backend!(|w| {
        let account = w.seed("events-dup", "0.00").await;
        let now = at("2026-03-02T10:00:00Z");
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_event(&event("evt_once", EventType::RefundCreated, account.id(), now)).await.unwrap();
        tx.commit().await.unwrap();

        // The same id again, then one more event behind it: the read that
        // writes them fails, and so does the commit that follows.
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_event(&event("evt_once", EventType::RefundCreated, account.id(), now)).await.unwrap();
        tx.insert_event(&event("evt_after", EventType::RefundCreated, account.id(), now)).await.unwrap();
        assert!(
            tx.event(&EventId::trusted("evt_after")).await.is_err(),
            "{}: the duplicate is refused when written",
            w.backend
        );
        assert!(tx.commit().await.is_err(), "{}: a commit must not leave the waiting event out", w.backend);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE id = 'evt_after'")
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        assert_eq!(count, 0, "{}", w.backend);
    });
}
