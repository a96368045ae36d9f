//! Read-then-write use cases racing each other: the store must make them
//! behave as if they ran one after the other, on every backend.
//!
//! The races are made certain, not left to timing: a gate transaction holds
//! the audit chain's head row, which every use case updates as it commits,
//! so each racer either queues there or waits behind one that does. On
//! PostgreSQL the gate opens once the racers are seen waiting for the lock;
//! on SQLite writers already queue at `BEGIN IMMEDIATE`, so it opens at once.

use std::future::Future;

use billing_app::clock::Clock;
use billing_app::lifecycle::DueWork;
use billing_app::model::{BillingMethod, InstanceState, NewAuditEvent};
use billing_app::store::Store;
use billing_app::{AppError, Caller};
use billing_domain::ids::InstanceId;
use billing_domain::policy::Policy;
use sqlx::Any;

use crate::on_every_backend;
use crate::support::{OPERATOR, World, at, balance, usage, usd};
use crate::unsubscription::confirm;

/// Most polls of `pg_stat_activity` before the test gives up.
const MAX_POLLS: usize = 50_000;

/// Runs `a` and `b` as separate tasks racing through the gate.
async fn race<T, A, B>(w: &World, a: A, b: B) -> (T, T)
where
    T: Send + 'static,
    A: Future<Output = T> + Send + 'static,
    B: Future<Output = T> + Send + 'static,
{
    let gate = close_gate(w).await;
    let (a, b) = (tokio::spawn(a), tokio::spawn(b));
    if let Some(gate) = gate {
        wait_for_lock_waiters(w, 2).await;
        gate.rollback().await.unwrap();
    }
    (a.await.unwrap(), b.await.unwrap())
}

async fn close_gate(w: &World) -> Option<sqlx::Transaction<'static, Any>> {
    if w.backend != "postgres" {
        return None;
    }
    let mut gate = w.store.pool().begin().await.unwrap();
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *gate).await.unwrap();
    Some(gate)
}

async fn wait_for_lock_waiters(w: &World, n: i64) {
    let sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..MAX_POLLS {
        let waiting: i64 = sqlx::query_scalar(sql).fetch_one(w.store.pool()).await.unwrap();
        if waiting >= n {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the racers never queued at the audit head");
}

fn codes<T>(results: [&Result<T, AppError>; 2]) -> Vec<Option<&'static str>> {
    let mut codes: Vec<_> = results.iter().map(|r| r.as_ref().err().map(AppError::code)).collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn two_purchases_racing_for_one_balance_cannot_overdraw_it() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let other = w.workspace(s.id(), "other", BillingMethod::Hybrid).await;
        let first = s.quota(25, 1, Some(vec![balance("805.25")]));
        let mut second = first.clone();
        second.workspace_id = other.id.clone();
        let (b1, b2, c1, c2) = (w.billing.clone(), w.billing.clone(), s.caller.clone(), s.caller.clone());

        let (a, b) = race(&w, async move { b1.purchases().buy_quota(&c1, &first).await.map(|_| ()) }, async move {
            b2.purchases().buy_quota(&c2, &second).await.map(|_| ())
        })
        .await;

        assert_eq!(codes([&a, &b]), vec![None, Some("INSUFFICIENT_BALANCE")]);
        assert_eq!(w.balance_of(s.id()).await, usd("194.75"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_quotas_racing_for_one_workspace_cannot_both_be_bought() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        let request = s.quota(25, 1, Some(vec![balance("805.25")]));
        let (r1, r2) = (request.clone(), request);
        let (b1, b2, c1, c2) = (w.billing.clone(), w.billing.clone(), s.caller.clone(), s.caller.clone());

        let (a, b) = race(&w, async move { b1.purchases().buy_quota(&c1, &r1).await.map(|_| ()) }, async move {
            b2.purchases().buy_quota(&c2, &r2).await.map(|_| ())
        })
        .await;

        assert_eq!(codes([&a, &b]), vec![None, Some("INVALID_STATE")]);
        let quotas = w.instances(s.id()).await;
        assert_eq!(quotas.iter().filter(|i| i.state == InstanceState::Active).count(), 1);
        assert_eq!(w.balance_of(s.id()).await, usd("4194.75"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_schedulers_running_at_once_renew_a_quota_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        let mut request = s.quota(25, 1, Some(vec![balance("805.25")]));
        request.auto_renew = true;
        let bought = w.billing.purchases().buy_quota(&s.caller, &request).await.unwrap();
        w.clock.set(at("2026-04-02T00:00:00+08:00"));
        let (b1, b2) = (w.billing.clone(), w.billing.clone());

        let (a, b) =
            race(&w, async move { b1.purchases().run_due().await }, async move { b2.purchases().run_due().await })
                .await;

        assert_eq!(a.unwrap().renewed + b.unwrap().renewed, 1);
        assert_eq!(w.orders(&bought.instance.id).await.len(), 2);
        let spent = usd("805.25").checked_mul(2).unwrap();
        assert_eq!(w.balance_of(s.id()).await, usd("5000.00").checked_sub(spent).unwrap());
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_imports_of_the_same_new_records_racing_charge_them_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let records = vec![usage("r1", &adhoc.id, w.previous_hour(), "100")];
        let (r1, r2, b1, b2) = (records.clone(), records, w.billing.clone(), w.billing.clone());

        let (a, b) = race(
            &w,
            async move { b1.metering().import_usage(&Caller::Operator, &r1).await.map(|o| o.imported) },
            async move { b2.metering().import_usage(&Caller::Operator, &r2).await.map(|o| o.imported) },
        )
        .await;

        let mut imported = vec![a.unwrap(), b.unwrap()];
        imported.sort();
        assert_eq!(imported, vec![0, 1]);
        // 100 × 0.067106 = 6.7106 → 6.71, once.
        assert_eq!(w.balance_of(s.id()).await, usd("93.29"));
        assert_eq!(w.settlements(&adhoc.id).await.len(), 1);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_full_refunds_racing_under_a_yearly_limit_of_one_grant_one() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let mut policy = Policy::default();
        policy.set("full_refunds_per_year", "1").unwrap();
        w.billing.operations().add_policy_version(&Caller::Operator, w.clock.now(), policy).await.unwrap();
        let first =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let second =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let q1 = w.billing.unsubscriptions().quote_unsubscription(&s.caller, &first.instance.id, None).await.unwrap();
        let q2 = w.billing.unsubscriptions().quote_unsubscription(&s.caller, &second.instance.id, None).await.unwrap();
        assert!(q1.quote.eligible() && q2.quote.eligible(), "both plans are refundable on their own");
        // The second confirmation goes through another service over the same
        // database, as a second replica would.
        let (b1, b2, c1, c2) = (w.billing.clone(), w.replica().await, s.caller.clone(), s.caller.clone());
        let (k1, k2) = (confirm(&q1, "k1", None), confirm(&q2, "k2", None));

        let (a, b) = race(
            &w,
            async move { b1.unsubscriptions().confirm_unsubscription(&c1, &k1).await.map(|_| ()) },
            async move { b2.unsubscriptions().confirm_unsubscription(&c2, &k2).await.map(|_| ()) },
        )
        .await;

        let granted = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(granted, 1, "one full refund of a yearly limit of one: {a:?} {b:?}");
        let refused = if a.is_err() { a } else { b };
        let code = refused.unwrap_err().code();
        assert!(matches!(code, "ANNUAL_LIMIT_REACHED" | "QUOTE_STALE"), "refused with {code}");
        assert_eq!(w.balance_of(s.id()).await, usd("94.64"));
        w.assert_books_in_order().await;
    });
}

/// A quota of 100 CUs for one month paid from the balance, the customer, and
/// a second service over the same database.
async fn quota_for_races(w: &World, name: &str) -> (crate::seed::Seed, InstanceId, billing_app::Billing) {
    let s = w.seed(name, "10000.00").await;
    let bought =
        w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 1, Some(vec![balance("3221.00")]))).await.unwrap();
    w.clock.set(at("2026-03-12T10:20:00+08:00"));
    (s, bought.instance.id, w.replica().await)
}

fn question(cu: Option<u32>) -> billing_app::unsubscription::facts::Question<'static> {
    use billing_domain::change::ActionKind;
    match cu {
        Some(cu) => billing_app::unsubscription::facts::Question {
            action: ActionKind::Downgrade,
            order_id: None,
            new_quota_cu: Some(cu),
        },
        None => billing_app::unsubscription::facts::Question::unsubscribe(None),
    }
}

/// What the quota's orders gave back in all, checked against what they
/// were paid in cash; the books balance.
async fn assert_within_cash_paid(w: &World, s: &crate::seed::Seed, quota: &InstanceId) {
    let filter = billing_app::unsubscription::records::RefundFilter {
        account_id: Some(s.id().to_owned()),
        limit: 1000,
        ..Default::default()
    };
    let refunds = w.tx().await.refunds(&filter).await.unwrap();
    for order in w.orders(quota).await {
        let refunded: i64 = refunds.iter().filter(|r| r.order_id == order.id).map(|r| r.amount.minor()).sum();
        assert!(refunded <= order.charges.cash_due().unwrap().minor(), "order {} over-refunded", order.id);
    }
    w.assert_books_in_order().await;
}

#[tokio::test]
async fn a_downgrade_racing_an_unsubscription_or_another_downgrade_lets_one_win() {
    on_every_backend!(|w| {
        for (name, rival) in [("unsubscribes", None), ("downgrades", Some(40))] {
            let (s, quota, replica) = quota_for_races(&w, name).await;
            let q1 = w.billing.unsubscriptions().quote_action(&s.caller, &quota, &question(Some(50))).await.unwrap();
            let q2 = replica.unsubscriptions().quote_action(&s.caller, &quota, &question(rival)).await.unwrap();
            let name = q2.deletes.as_ref().map(|t| t.name.as_str());
            let (k1, k2) = (confirm(&q1, "k1", None), confirm(&q2, "k2", name));
            let (b1, c1, c2) = (w.billing.clone(), s.caller.clone(), s.caller.clone());
            let unsubscribes = rival.is_none();
            let (a, b) = race(
                &w,
                async move { b1.unsubscriptions().confirm_quota_change(&c1, &k1).await.map(|_| ()) },
                async move {
                    if unsubscribes {
                        replica.unsubscriptions().confirm_unsubscription(&c2, &k2).await.map(|_| ())
                    } else {
                        replica.unsubscriptions().confirm_quota_change(&c2, &k2).await.map(|_| ())
                    }
                },
            )
            .await;
            assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "exactly one wins: {a:?} {b:?}");
            let code = if a.is_err() { a } else { b }.unwrap_err().code();
            assert!(matches!(code, "QUOTE_STALE" | "ALREADY_UNSUBSCRIBED"), "the loser is told why: {code}");
            assert_within_cash_paid(&w, &s, &quota).await;
            // Each round works on its own account; the clock goes back.
            w.clock.set(at("2026-03-10T14:23:05+08:00"));
        }
    });
}

#[tokio::test]
async fn a_downgrade_racing_a_renewal_lets_one_win() {
    on_every_backend!(|w| {
        let (s, quota, replica) = quota_for_races(&w, "acme").await;
        let q = w.billing.unsubscriptions().quote_action(&s.caller, &quota, &question(Some(50))).await.unwrap();
        let k = confirm(&q, "k1", None);
        let (b1, c1, c2, id) = (w.billing.clone(), s.caller.clone(), s.caller.clone(), quota.clone());
        let (a, b) =
            race(&w, async move { b1.unsubscriptions().confirm_quota_change(&c1, &k).await.map(|_| ()) }, async move {
                replica.purchases().renew(&c2, &id, 1, &[], Some(&[balance("3221.00")])).await.map(|_| ())
            })
            .await;
        // Either the renewal went first (the quote went stale) or the
        // downgrade did (and the renewal, still asking for 100 CUs' price,
        // is refused for not adding up).
        assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "exactly one wins: {a:?} {b:?}");
        let codes = codes([&a, &b]);
        assert!(
            codes.contains(&Some("QUOTE_STALE")) || codes.contains(&Some("TENDERS_DO_NOT_ADD_UP")),
            "the loser is told why: {codes:?}"
        );
        assert_within_cash_paid(&w, &s, &quota).await;
    });
}

#[tokio::test]
async fn two_quotas_racing_for_the_last_reserved_cus_of_a_region_activate_one() {
    on_every_backend!(|w| {
        let mut region = w.billing.operations().region("ap-southeast-1").await.unwrap();
        region.reserved_cu_capacity = Some(150);
        w.billing.operations().set_region(&Caller::Operator, region).await.unwrap();
        let (a, b) = (w.seed("a", "5000.00").await, w.seed("b", "5000.00").await);
        let (ra, rb) =
            (a.quota(100, 1, Some(vec![balance("3221.00")])), b.quota(100, 1, Some(vec![balance("3221.00")])));
        let (b1, b2, ca, cb) = (w.billing.clone(), w.replica().await, a.caller.clone(), b.caller.clone());
        let (x, y) = race(&w, async move { b1.purchases().buy_quota(&ca, &ra).await }, async move {
            b2.purchases().buy_quota(&cb, &rb).await
        })
        .await;
        let states = [x.unwrap().instance.state, y.unwrap().instance.state];
        assert_eq!(states.iter().filter(|s| **s == InstanceState::Active).count(), 1, "{states:?}");
        assert_eq!(states.iter().filter(|s| **s == InstanceState::ActivationFailed).count(), 1, "{states:?}");
        // The refused one got its money back on the balance it paid from.
        let balances = [w.balance_of(a.id()).await, w.balance_of(b.id()).await];
        assert!(balances.contains(&usd("5000.00")) && balances.contains(&usd("1779.00")), "{balances:?}");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn transactions_chaining_several_events_at_once_keep_one_unbroken_chain() {
    on_every_backend!(|w| {
        // On PostgreSQL the racers all queue at the held audit head, so
        // each goes on from a snapshot older than the chain it extends.
        const RACERS: i64 = 5;
        let before = w.store.read().await.unwrap().audit_head().await.unwrap().0;
        let gate = close_gate(&w).await;
        let mut racing = tokio::task::JoinSet::new();
        for t in 0..RACERS {
            let store = w.store.clone();
            racing.spawn(async move {
                let mut tx = store.begin().await.unwrap();
                for n in 0..3 {
                    let event = NewAuditEvent {
                        actor: "operator".into(),
                        action: "test.race".into(),
                        subject: format!("tx-{t}"),
                        detail: format!(r#"{{"step":{n}}}"#),
                    };
                    tx.append_audit(&event, at("2026-04-01T00:00:00Z")).await.unwrap();
                }
                tx.commit().await.unwrap();
            });
        }
        if let Some(gate) = gate {
            wait_for_lock_waiters(&w, RACERS).await;
            gate.rollback().await.unwrap();
        }
        while let Some(done) = racing.join_next().await {
            done.unwrap();
        }
        let events = w.store.read().await.unwrap().audit_events(before, 100).await.unwrap();
        assert_eq!(events.len() as i64, 3 * RACERS);
        // Each transaction's three events stay together and in order.
        for three in events.chunks(3) {
            let steps: Vec<_> = three.iter().map(|e| (e.subject.as_str(), e.detail.as_str())).collect();
            let subject = three[0].subject.as_str();
            assert_eq!(steps, [(subject, r#"{"step":0}"#), (subject, r#"{"step":1}"#), (subject, r#"{"step":2}"#)]);
        }
        let last = events.last().unwrap();
        let head: (i64, String, String) = sqlx::query_as("SELECT seq, prev_hash, hash FROM audit_head WHERE id = 1")
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        assert_eq!(head, (last.seq, last.prev_hash.clone(), last.hash.clone()));
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);
    });
}
