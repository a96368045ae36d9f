//! The refund worker asks the channel about a pending refund when the
//! channel expects to answer, or on a backoff, and counts real calls only.

use billing_app::unsubscription::processing::{CLAIM_LEASE, retry_at};
use billing_app::unsubscription::records::RefundStatus;
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use chrono::Duration;

use crate::on_every_backend;
use crate::support::at;
use crate::unsubscription::confirm;

#[tokio::test]
async fn a_pending_card_refund_is_asked_again_when_the_channel_expects_to_answer_not_every_poll() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(25, 1, Some(vec![seed.card("805.25")])))
            .await
            .unwrap();
        w.clock.advance(Duration::days(3));
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &bought.instance.id, None).await.unwrap();
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "k", Some("etl")))
            .await
            .unwrap();
        let refund_id = done.refunds[0].id.clone();
        assert_eq!(done.refunds[0].status, RefundStatus::Pending);
        let settings =
            SimulatedChannelSettings { delay: Duration::hours(2), failures_per_mille: 0, ..Default::default() };
        let channel = SimulatedChannel::new(&w.store, settings);

        // Let go unasked (the worker stopping): no call, nothing counted.
        let stopped =
            w.billing.unsubscriptions().process_refunds_until("w", &channel, CLAIM_LEASE, &|| true).await.unwrap();
        assert_eq!(stopped.claimed, 1);
        assert_eq!(w.billing.unsubscriptions().refund(&seed.caller, &refund_id).await.unwrap().attempts, 0);

        // A worker polling every minute for two hours asks the channel twice:
        // once now, once when it said it would answer.
        let mut calls = 0;
        for _ in 0..=121 {
            let report = w.billing.unsubscriptions().process_refunds("w", &channel, CLAIM_LEASE).await.unwrap();
            calls += report.claimed;
            w.clock.advance(Duration::minutes(1));
        }
        let refund = w.billing.unsubscriptions().refund(&seed.caller, &refund_id).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Succeeded);
        assert_eq!((calls, refund.attempts), (2, 2));
        w.assert_books_in_order().await;
    });
}

#[test]
fn the_retry_waits_for_the_channels_expected_time_else_backs_off() {
    let now = at("2026-03-10T12:00:00Z");
    assert_eq!(retry_at(now, 1, Some(now + Duration::hours(2))).unwrap(), now + Duration::hours(2));
    assert_eq!(retry_at(now, 1, Some(now - Duration::hours(2))).unwrap(), now + Duration::seconds(30));
    assert_eq!(retry_at(now, 3, None).unwrap(), now + Duration::minutes(2));
    assert_eq!(retry_at(now, 40, None).unwrap(), now + Duration::hours(1));
    assert_eq!(retry_at(now, 1, Some(now + Duration::days(30))).unwrap(), now + Duration::days(2));
}

#[tokio::test]
async fn a_worker_with_nothing_due_only_reads() {
    on_every_backend!(|w| {
        let channel = SimulatedChannel::new(&w.store, SimulatedChannelSettings::default());
        // Another writer holds the refunds: a claim would have to wait for it.
        let mut other = w.store.pool().acquire().await.unwrap();
        let lock = if w.backend == "postgres" {
            vec!["BEGIN", "LOCK TABLE refunds IN EXCLUSIVE MODE"]
        } else {
            vec!["BEGIN IMMEDIATE"]
        };
        for sql in lock {
            sqlx::query(sql).execute(&mut *other).await.unwrap();
        }
        let pass = w.billing.unsubscriptions().process_refunds("idle", &channel, CLAIM_LEASE);
        let report = tokio::time::timeout(std::time::Duration::from_secs(2), pass).await;
        sqlx::query("ROLLBACK").execute(&mut *other).await.unwrap();
        let report = report.expect("an idle pass waited for a write lock").unwrap();
        assert_eq!(report.claimed, 0);
    });
}
