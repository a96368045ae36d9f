//! The operator's integrity checks: the ledger explains every balance and
//! plan capacity after a realistic month, and both checks notice rows
//! changed behind the application's back.

use billing_app::audit::chain_hash;
use billing_app::lifecycle::DueWork;
use billing_app::model::{BenefitKind, BillingMethod, NewAuditEvent};
use billing_app::store::Store;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, Seed, World, at, balance, usage, usd};

/// A month of an account's life: a quota bought with a coupon and split
/// tenders, a plan, usage covered, drawn and charged, an unpaid order
/// cancelled, a top-up, an automatic renewal and an expired plan.
async fn a_realistic_month(w: &World) -> Seed {
    let s = w.seed("acme", "20000.00").await;
    let coupon = w.grant(s.id(), BenefitKind::Coupon, "100.00").await;
    let mut quota = s.quota(100, 1, Some(vec![balance("2000.00"), s.card("1121.00")]));
    quota.auto_renew = true;
    w.buy_quota_with(&s, quota, &[&coupon]).await.unwrap();
    w.billing.purchases().buy_plan(&s.caller, &s.plan(1000, 1, Some(vec![s.card("53.68")]))).await.unwrap();
    let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
    w.clock.advance(Duration::hours(3));
    let hour = w.previous_hour();
    let records = [usage("q1", &s.workspace.id, hour, "150"), usage("p1", &adhoc.id, hour, "1000")];
    w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
    w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, None)).await.unwrap();
    w.clock.advance(Duration::hours(2));
    assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { orders_cancelled: 1, ..DueWork::default() });
    w.billing.purchases().top_up(&s.caller, &s.card_top_up("500.00")).await.unwrap();
    w.clock.set(at("2026-04-02T00:00:00+08:00"));
    assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { renewed: 1, ..DueWork::default() });
    w.clock.set(at("2026-04-11T00:00:00+08:00"));
    assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });
    s
}

async fn count(w: &World, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(w.store.pool()).await.unwrap()
}

#[tokio::test]
async fn the_books_balance_after_a_realistic_month() {
    on_every_backend!(|w| {
        let s = a_realistic_month(&w).await;

        let report = w.assert_books_in_order().await;
        assert_eq!(report.movements as i64, count(&w, "SELECT COUNT(DISTINCT movement_id) FROM ledger_entries").await);
        assert_eq!(report.entries as i64, count(&w, "SELECT COUNT(*) FROM ledger_entries").await);
        let audit = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(audit.events as i64, count(&w, "SELECT MAX(seq) FROM audit_events").await);
        // 20000.00 − 2000.00 (quota, the rest by card) − 3.35 (the plan
        // takes the quota's overflow of 50 and 950 of the pay-as-you-go
        // workspace's 1000 CU-hours; 50 × 0.067106 → 3.35) + 500.00 (top-up)
        // − 3221.00 (automatic renewal).
        assert_eq!(w.balance_of(s.id()).await, usd("15275.65"));
    });
}

#[tokio::test]
async fn events_with_text_beyond_ascii_chain_the_same_on_every_backend() {
    on_every_backend!(|w| {
        // PostgreSQL chains a lone event in SQL; the lengths it hashes must be
        // UTF-8 bytes, as in `chain_hash`, not characters.
        let a = w
            .billing
            .accounts()
            .create_account(&OPERATOR, "Café Zürich — 東京", billing_domain::money::Currency::Usd)
            .await;
        let a = a.unwrap();
        let events = w.store.read().await.unwrap().audit_events(0, 1000).await.unwrap();
        let last = events.last().expect("the account's creation is audited");
        assert_eq!(last.subject, a.id);
        assert!(last.detail.contains("Café Zürich — 東京"), "{}", last.detail);
        let event = NewAuditEvent {
            actor: last.actor.clone(),
            action: last.action.clone(),
            subject: last.subject.clone(),
            detail: last.detail.clone(),
        };
        assert_eq!(last.hash, chain_hash(&last.prev_hash, last.seq, last.at, &event));
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);
    });
}

#[tokio::test]
async fn several_events_of_one_transaction_are_chained_in_order() {
    on_every_backend!(|w| {
        // PostgreSQL chains up to eight events in one statement and more by
        // the general path; both must hash exactly as `chain_hash` does.
        for count in [2_i64, 3, 8, 9] {
            let (before, head_hash) = w.store.read().await.unwrap().audit_head().await.unwrap();
            let mut tx = w.store.begin().await.unwrap();
            for n in 0..count {
                let event = NewAuditEvent {
                    actor: "operator".into(),
                    action: "test.step".into(),
                    subject: format!("step-{n}"),
                    detail: format!(r#"{{"note":"Zürich 東京 {n}"}}"#),
                };
                tx.append_audit(&event, at("2026-04-01T00:00:00Z")).await.unwrap();
            }
            tx.commit().await.unwrap();
            let events = w.store.read().await.unwrap().audit_events(before, 20).await.unwrap();
            let subjects: Vec<_> = events.iter().map(|e| (e.seq - before, e.subject.clone())).collect();
            let expected: Vec<_> = (0..count).map(|n| (n + 1, format!("step-{n}"))).collect();
            assert_eq!(subjects, expected, "{count} events");
            let mut prev_hash = head_hash;
            for e in &events {
                let event = NewAuditEvent {
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    subject: e.subject.clone(),
                    detail: e.detail.clone(),
                };
                assert_eq!(e.prev_hash, prev_hash, "{count} events, event {}", e.seq);
                assert_eq!(e.hash, chain_hash(&e.prev_hash, e.seq, e.at, &event), "{count} events, event {}", e.seq);
                prev_hash = e.hash.clone();
            }
            let last = events.last().unwrap();
            assert_eq!(
                w.store.read().await.unwrap().audit_head().await.unwrap(),
                (before + count, last.hash.clone()),
                "{count} events"
            );
        }
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);
    });
}

#[tokio::test]
async fn a_balance_changed_behind_the_ledgers_back_is_reported() {
    on_every_backend!(|w| {
        let s = a_realistic_month(&w).await;

        w.sql(&format!("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = '{}'", s.id())).await;

        let report = w.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].contains(s.id().as_str()), "{:?}", report.problems);
    });
}

#[tokio::test]
async fn a_ledger_entry_changed_in_place_unbalances_its_movement_and_the_balance_it_explains() {
    on_every_backend!(|w| {
        let s = a_realistic_month(&w).await;
        let movement: String =
            sqlx::query_scalar("SELECT id FROM ledger_movements WHERE kind = 'balance.top_up' ORDER BY at, id LIMIT 1")
                .fetch_one(w.store.pool())
                .await
                .unwrap();

        // Line 1 of a top-up is the customer's side.
        w.sql(&format!("UPDATE ledger_entries SET amount = amount + 1 WHERE movement_id = '{movement}' AND line = 1"))
            .await;

        let report = w.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
        assert!(report.problems.iter().any(|p| p.contains(&movement) && p.contains("off by 1 USD")));
        assert!(report.problems.iter().any(|p| p.contains(s.id().as_str())));
    });
}

#[tokio::test]
async fn a_plans_used_capacity_changed_behind_the_ledgers_back_is_reported() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let plan =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(1000, 1, Some(vec![balance("53.68")]))).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::hours(2));
        w.billing
            .metering()
            .import_usage(&OPERATOR, &[usage("r1", &adhoc.id, w.previous_hour(), "100")])
            .await
            .unwrap();
        w.assert_books_in_order().await;

        w.sql(&format!("UPDATE instances SET used_milli = used_milli - 1000 WHERE id = '{}'", plan.instance.id)).await;

        let report = w.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].contains(plan.instance.id.as_str()), "{:?}", report.problems);
    });
}

#[tokio::test]
async fn an_audit_event_whose_detail_was_edited_breaks_the_chain_there() {
    on_every_backend!(|w| {
        a_realistic_month(&w).await;
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);

        w.sql("UPDATE audit_events SET detail = '{\"amount\":\"0.01\"}' WHERE seq = 3").await;

        let report = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(report.events, 2);
        let problem = report.problem.expect("an edited event must not verify");
        assert!(problem.contains("event 3"), "{problem}");
    });
}

#[tokio::test]
async fn an_audit_event_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next_one() {
    on_every_backend!(|w| {
        a_realistic_month(&w).await;
        let third = w.store.read().await.unwrap().audit_events(2, 1).await.unwrap().remove(0);
        let forged = NewAuditEvent {
            actor: third.actor.clone(),
            action: third.action.clone(),
            subject: third.subject.clone(),
            detail: "{}".to_owned(),
        };
        let hash = chain_hash(&third.prev_hash, third.seq, third.at, &forged);

        w.sql(&format!("UPDATE audit_events SET detail = '{{}}', hash = '{hash}' WHERE seq = 3")).await;

        let report = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(report.events, 3);
        let problem = report.problem.expect("the next event still names the old hash");
        assert!(problem.contains("event 4"), "{problem}");
    });
}

#[tokio::test]
async fn deleting_the_last_audit_event_is_detected() {
    on_every_backend!(|w| {
        a_realistic_month(&w).await;
        let last = count(&w, "SELECT MAX(seq) FROM audit_events").await;

        w.sql(&format!("DELETE FROM audit_events WHERE seq = {last}")).await;

        let report = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(report.events as i64, last - 1);
        let problem = report.problem.expect("a shortened chain must not verify");
        assert!(problem.contains(&last.to_string()), "{problem}");
    });
}

#[tokio::test]
async fn deleting_an_audit_event_in_the_middle_or_all_of_them_is_detected() {
    on_every_backend!(|w| {
        a_realistic_month(&w).await;

        w.sql("DELETE FROM audit_events WHERE seq = 5").await;
        let report = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(report.events, 4);
        assert!(report.problem.expect("a gap must not verify").contains("event 5"));

        w.sql("DELETE FROM audit_events").await;
        let report = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(report.events, 0);
        assert!(report.problem.is_some(), "an emptied trail must not verify");
    });
}
