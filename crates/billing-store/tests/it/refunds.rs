//! Refund processing and racing confirmations: exactly one refund set, card
//! refunds settled by the channel, refused ones re-routed to the balance,
//! and nothing sent twice.

use std::collections::BTreeSet;

use billing_app::AppResult;
use billing_app::clock::Clock;
use billing_app::store::Store;
use billing_app::unsubscription::UnsubscriptionResult;
use billing_app::unsubscription::processing::CLAIM_LEASE;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::balance;
use crate::support::{OPERATOR, World, usd};
use crate::unsubscription::confirm;

fn channel(w: &World, delay: Duration, failures_per_mille: u32) -> SimulatedChannel {
    SimulatedChannel::new(&w.store, SimulatedChannelSettings { delay, failures_per_mille, ..Default::default() })
}

async fn count(w: &World, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(w.store.pool()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_racing_confirmations_make_exactly_one_refund_set() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "1000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(25, 1, Some(vec![balance("805.25")])))
            .await
            .unwrap();
        w.clock.advance(Duration::days(10));
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &bought.instance.id, None).await.unwrap();
        let before = w.balance_of(seed.id()).await;
        let mut tasks = Vec::new();
        for i in 0..32 {
            let billing = w.billing.clone();
            let caller = seed.caller.clone();
            let key = if i % 2 == 0 { "shared".to_owned() } else { format!("own-{i}") };
            let request = confirm(&quote, &key, Some("etl"));
            tasks.push(tokio::spawn(async move {
                billing.unsubscriptions().confirm_unsubscription(&caller, &request).await
            }));
        }
        let mut winners = BTreeSet::new();
        for task in tasks {
            let result: AppResult<UnsubscriptionResult> = task.await.unwrap();
            match result {
                Ok(done) => {
                    winners.insert(done.unsubscription.id);
                }
                Err(e) => assert_eq!(e.code(), "ALREADY_UNSUBSCRIBED", "{e}"),
            }
        }
        assert_eq!(winners.len(), 1, "every success must be the same unsubscription");
        assert_eq!(count(&w, "unsubscriptions").await, 1);
        assert_eq!(count(&w, "refunds").await, quote.quote.destinations.len() as i64);
        let refunded = w.balance_of(seed.id()).await.checked_sub(before).unwrap();
        assert_eq!(refunded, quote.quote.refund);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_card_refund_waits_for_the_channel_and_then_arrives() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let plan = w
            .billing
            .purchases()
            .buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![seed.card("53.68")])))
            .await
            .unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &plan.instance.id, None).await.unwrap();
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "k", None))
            .await
            .unwrap();
        let channel = channel(&w, Duration::hours(2), 0);
        let first = w.billing.unsubscriptions().process_refunds("worker-a", &channel, CLAIM_LEASE).await.unwrap();
        assert_eq!((first.claimed, first.pending, first.succeeded), (1, 1, 0));
        assert_eq!(
            w.billing.unsubscriptions().refund(&seed.caller, &done.refunds[0].id).await.unwrap().status,
            RefundStatus::Pending
        );
        w.clock.advance(Duration::hours(2));
        let second = w.billing.unsubscriptions().process_refunds("worker-b", &channel, CLAIM_LEASE).await.unwrap();
        assert_eq!((second.claimed, second.succeeded), (1, 1));
        assert_eq!(
            w.billing.unsubscriptions().refund(&seed.caller, &done.refunds[0].id).await.unwrap().status,
            RefundStatus::Succeeded
        );
        let third = w.billing.unsubscriptions().process_refunds("worker-a", &channel, CLAIM_LEASE).await.unwrap();
        assert_eq!(third.claimed, 0, "a settled refund is not taken up again");
        let log = channel.log().await.unwrap();
        assert_eq!(log.len(), 1, "one request per refund in the channel's log");
        assert_eq!(log[0].repeats, 1, "the second ask was a status check, not a second refund");
        assert_eq!(w.ledger_sum("refund:payable:card", "USD").await, 0);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_refused_card_refund_is_rerouted_to_the_balance_as_a_linked_refund() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let plan = w
            .billing
            .purchases()
            .buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![seed.card("53.68")])))
            .await
            .unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &plan.instance.id, None).await.unwrap();
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "k", None))
            .await
            .unwrap();
        let report = w
            .billing
            .unsubscriptions()
            .process_refunds("worker", &channel(&w, Duration::zero(), 1000), CLAIM_LEASE)
            .await
            .unwrap();
        assert_eq!(report.rerouted, 1);
        let original = w.billing.unsubscriptions().refund(&seed.caller, &done.refunds[0].id).await.unwrap();
        assert_eq!(original.status, RefundStatus::Failed);
        assert!(original.failure.is_some());
        let all = w
            .billing
            .unsubscriptions()
            .refunds(&OPERATOR, RefundFilter { limit: 10, ..RefundFilter::default() })
            .await
            .unwrap();
        let replacement = all.iter().find(|r| r.rerouted_from.as_deref() == Some(original.id.as_str())).unwrap();
        assert_eq!(
            (replacement.destination, replacement.status),
            (PaymentMethodKind::Balance, RefundStatus::Succeeded)
        );
        assert_eq!(w.balance_of(seed.id()).await, usd("53.68"));
        let again = w
            .billing
            .unsubscriptions()
            .process_refunds("worker", &channel(&w, Duration::zero(), 1000), CLAIM_LEASE)
            .await
            .unwrap();
        assert_eq!(again.claimed, 0);
        assert_eq!(w.balance_of(seed.id()).await, usd("53.68"), "the money comes back once");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn customers_see_only_their_own_refunds() {
    on_every_backend!(|w| {
        let a = w.seed("a", "0").await;
        let b = w.seed("b", "0").await;
        let plan =
            w.billing.purchases().buy_plan(&a.caller, &a.plan(1000, 6, Some(vec![a.card("53.68")]))).await.unwrap();
        let quote = w.billing.unsubscriptions().quote_unsubscription(&a.caller, &plan.instance.id, None).await.unwrap();
        let done =
            w.billing.unsubscriptions().confirm_unsubscription(&a.caller, &confirm(&quote, "k", None)).await.unwrap();
        let listed = w
            .billing
            .unsubscriptions()
            .refunds(&b.caller, RefundFilter { limit: 10, ..RefundFilter::default() })
            .await
            .unwrap();
        assert!(listed.is_empty());
        assert_eq!(
            w.billing.unsubscriptions().refund(&b.caller, &done.refunds[0].id).await.unwrap_err().code(),
            "NOT_FOUND"
        );
        let bad_page =
            w.billing.unsubscriptions().refunds(&a.caller, RefundFilter { limit: 0, ..RefundFilter::default() }).await;
        assert_eq!(bad_page.unwrap_err().code(), "INVALID_INPUT");
    });
}

/// Buys `n` plans by card and gives each back: `n` pending card refunds.
async fn pending_card_refunds(w: &World, seed: &crate::seed::Seed, keys: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let plan = w
            .billing
            .purchases()
            .buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![seed.card("53.68")])))
            .await
            .unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &plan.instance.id, None).await.unwrap();
        let key = format!("{keys}-{i}");
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, &key, None))
            .await
            .unwrap();
        ids.extend(done.refunds.into_iter().map(|r| r.id.into_string()));
    }
    ids
}

#[tokio::test]
async fn every_one_of_a_hundred_slow_refunds_reaches_the_channel_before_any_is_asked_twice() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let ids = pending_card_refunds(&w, &seed, "old", 100).await;
        assert_eq!(ids.len(), 100);
        // The channel answers only after two hours: every answer is "pending".
        let channel = channel(&w, Duration::hours(2), 0);
        let mut passes = 0;
        loop {
            let report = w.billing.unsubscriptions().process_refunds("worker", &channel, CLAIM_LEASE).await.unwrap();
            if report.claimed == 0 {
                break;
            }
            assert_eq!(report.pending, report.claimed);
            passes += 1;
            assert!(passes <= 4, "100 refunds take four batches of 32, not more");
        }
        let log = channel.log().await.unwrap();
        let sent: BTreeSet<_> = log.iter().map(|e| e.refund_id.clone()).collect();
        assert_eq!(sent, ids.iter().cloned().collect::<BTreeSet<_>>(), "each refund reached the channel");
        assert!(log.iter().all(|e| e.repeats == 0), "none was asked twice before the others were asked once");

        // A new refund goes before the old ones once they are due again.
        let newer = pending_card_refunds(&w, &seed, "new", 1).await;
        w.clock.advance(Duration::hours(3));
        let now = w.clock.now();
        let mut tx = w.store.begin().await.unwrap();
        let first = tx.claim_refunds("worker", now, now + CLAIM_LEASE, 1).await.unwrap();
        assert_eq!(first.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newer);
        drop(tx);

        // Once the answers are in, they all settle: the old ones now, the new
        // one two hours after it was first sent.
        let mut settled = 0;
        for hours in [0, 3] {
            w.clock.advance(Duration::hours(hours));
            for _ in 0..5 {
                settled += w
                    .billing
                    .unsubscriptions()
                    .process_refunds("worker", &channel, CLAIM_LEASE)
                    .await
                    .unwrap()
                    .succeeded;
            }
        }
        assert_eq!(settled, 101);
        w.assert_books_in_order().await;
    });
}
