//! Quotes reuse the facts they were computed from until a write could have
//! changed them: at once for the writes of the same service, within the poll
//! interval for another replica's.

use std::time::Duration as StdDuration;

use billing_domain::ids::InstanceId;
use billing_domain::money::Currency;
use billing_domain::quote::RefundType;

use crate::on_every_backend;
use crate::seed::{Seed, balance};
use crate::support::{OPERATOR, World};
use crate::unsubscription::confirm;

async fn quota(w: &World, seed: &Seed) -> InstanceId {
    let bought = w
        .billing
        .purchases()
        .buy_quota(&seed.caller, &seed.quota(100, 6, Some(vec![balance("19326.00")])))
        .await
        .unwrap();
    bought.instance.id
}

#[tokio::test]
async fn facts_are_reused_until_their_account_or_the_operator_writes() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "20000.00").await;
        let other = w.seed("globex", "0.00").await;
        let quota = quota(&w, &seed).await;
        let first = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(first.quote.refund_type, RefundType::PartialRefund);
        // Changed behind the service's back, without an audit event: the
        // service cannot know, and keeps quoting from what it read.
        w.sql(&format!("UPDATE instances SET promotion_non_refundable = 1 WHERE id = '{quota}'")).await;
        let cached = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(cached.quote.refund_type, RefundType::PartialRefund, "the second quote read the store again");
        assert_eq!(cached.stored.digest, first.stored.digest);
        // Another customer's write touches only that customer's account.
        w.billing.accounts().add_job(&other.caller, &other.workspace.id, "other.py", "pass").await.unwrap();
        let still = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(still.quote.refund_type, RefundType::PartialRefund, "another account's write dropped the facts");
        // The owner's own write is seen by the very next quote.
        w.billing.accounts().add_job(&seed.caller, &seed.workspace.id, "etl.py", "pass").await.unwrap();
        let fresh = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(fresh.quote.refund_type, RefundType::NonRefundable);
        assert_ne!(fresh.stored.digest, first.stored.digest);
        // The operator's writes may touch any account.
        w.sql(&format!("UPDATE instances SET promotion_non_refundable = 0 WHERE id = '{quota}'")).await;
        w.billing.accounts().create_account(&OPERATOR, "initech", Currency::Usd).await.unwrap();
        let after = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(after.quote.refund_type, RefundType::PartialRefund, "an operator's write left the facts in use");
        assert_eq!(after.stored.digest, first.stored.digest);
    });
}

#[tokio::test]
async fn another_replicas_write_is_seen_once_the_poll_interval_has_passed() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "30000.00").await;
        let quota = quota(&w, &seed).await;
        let replica = w.replica().await;
        replica.changes().set_poll_interval(StdDuration::from_secs(3600));
        let before = replica.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        // The first service renews the quota: the refund now covers the
        // renewal's month too.
        w.billing.purchases().renew(&seed.caller, &quota, 1, &[], Some(&[balance("3221.00")])).await.unwrap();
        let own = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_ne!(own.stored.digest, before.stored.digest);
        // Within the interval the replica has not looked at the chain yet.
        let unseen = replica.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(unseen.stored.digest, before.stored.digest);
        // Once the interval has passed, it reads the chain before quoting.
        replica.changes().set_poll_interval(StdDuration::ZERO);
        let seen = replica.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(seen.stored.digest, own.stored.digest);
        assert_eq!(seen.quote.refund, own.quote.refund);
        assert!(seen.quote.refund.minor() > before.quote.refund.minor());
        // A quote made from the stale facts is refused when confirmed.
        let stale =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&unseen, "k", Some("etl"))).await;
        assert_eq!(stale.unwrap_err().code(), "QUOTE_STALE");
    });
}

/// A quote's outcome, comparable across services: the quote and the digest
/// of its facts, or the error's code.
type Outcome = Result<(billing_domain::quote::Quote, String), &'static str>;

async fn outcome(billing: &billing_app::Billing, caller: &billing_app::Caller, id: &InstanceId) -> Outcome {
    billing
        .unsubscriptions()
        .quote_unsubscription(caller, id, None)
        .await
        .map(|v| (v.quote, v.stored.digest))
        .map_err(|e| e.code())
}

#[tokio::test]
async fn misses_asked_for_at_once_are_read_together_and_quote_as_reads_one_by_one_do() {
    on_every_backend!(|w| {
        let acme = w.seed("acme", "30000.00").await;
        let globex = w.seed("globex", "1000.00").await;
        let mut asks = vec![(acme.caller.clone(), quota(&w, &acme).await)];
        // Plans of two accounts, paid by card (whose validity is a fact)
        // and from the balance, and one left unpaid.
        for (i, seed) in [&acme, &acme, &globex, &globex].into_iter().enumerate() {
            let tender = if i % 2 == 0 { seed.card("53.68") } else { balance("53.68") };
            let bought =
                w.billing.purchases().buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![tender]))).await.unwrap();
            asks.push((seed.caller.clone(), bought.instance.id));
        }
        let unpaid =
            w.billing.purchases().buy_plan(&globex.caller, &globex.plan(1000, 1, None)).await.unwrap().instance.id;
        asks.push((globex.caller.clone(), unpaid.clone()));
        // What each quote is when read alone, on a service of its own.
        let mut expected = Vec::new();
        for (caller, id) in &asks {
            expected.push(outcome(&w.replica().await, caller, id).await);
        }
        assert!(expected.iter().all(Result::is_ok), "{expected:?}");
        // Another customer's instance, and one that does not exist.
        asks.push((acme.caller.clone(), unpaid));
        expected.push(Err("NOT_FOUND"));
        asks.push((acme.caller.clone(), InstanceId::trusted("ins_missing")));
        expected.push(Err("NOT_FOUND"));
        // A service that has read nothing yet, asked for all of them at
        // once, three times over: the misses wait for shared reads.
        let fresh = w.replica().await;
        let tasks: Vec<_> = (0..3)
            .flat_map(|_| asks.iter().cloned())
            .map(|(caller, id)| {
                let billing = fresh.clone();
                tokio::spawn(async move { outcome(&billing, &caller, &id).await })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), expected[i % expected.len()], "ask {i}: {:?}", asks[i % asks.len()]);
        }
    });
}

#[tokio::test]
async fn instances_and_their_orders_are_read_many_at_once() {
    on_every_backend!(|w| {
        let acme = w.seed("acme", "30000.00").await;
        let quota = quota(&w, &acme).await;
        w.billing.purchases().renew(&acme.caller, &quota, 1, &[], Some(&[balance("3221.00")])).await.unwrap();
        let plan = w
            .billing
            .purchases()
            .buy_plan(&acme.caller, &acme.plan(1000, 6, Some(vec![acme.card("53.68")])))
            .await
            .unwrap();
        let plan = plan.instance.id;
        let mut tx = w.tx().await;
        let missing = InstanceId::trusted("ins_missing");
        let found = tx.instances_by_ids(&[&plan, &missing, &quota]).await.unwrap();
        let mut ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
        ids.sort_unstable();
        let mut want = vec![quota.as_str(), plan.as_str()];
        want.sort_unstable();
        assert_eq!(ids, want);
        for record in &found {
            assert_eq!(Some(record), tx.instance(&record.id).await.unwrap().as_ref());
        }
        let orders = tx.orders_of_instances(&[&quota, &plan, &missing]).await.unwrap();
        assert_eq!(orders.len(), 3, "the quota's purchase and renewal, the plan's purchase");
        for id in [&quota, &plan] {
            let own: Vec<_> = orders.iter().filter(|o| &o.instance_id == id).cloned().collect();
            assert!(own.iter().all(|o| !o.tenders.is_empty()), "tenders are read with their orders");
            assert_eq!(own, tx.orders(id).await.unwrap(), "oldest first, as one instance's read gives them");
        }
        assert!(tx.instances_by_ids(&[]).await.unwrap().is_empty());
        assert!(tx.orders_of_instances(&[]).await.unwrap().is_empty());
    });
}
