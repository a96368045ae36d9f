//! Usage batches read and written in bulk: known records mixed with new ones
//! across many statements, late records for many workspace-hours at once,
//! charges to several accounts and currencies in one batch, plan draws across
//! workspaces, and a bad record far into a batch.

use billing_app::model::{BillingMethod, Settlement};
use billing_domain::money::{Currency, Money};
use billing_domain::usage::CuHours;
use chrono::{DateTime, Duration, Utc};

use crate::on_every_backend;
use crate::support::{OPERATOR, balance, usage, usd};

fn cu(text: &str) -> CuHours {
    CuHours::parse(text).unwrap()
}

fn total_usage(lines: &[Settlement]) -> CuHours {
    CuHours::from_milli(lines.iter().map(|l| l.usage.milli()).sum())
}

/// One CU-hour in one of the 24 hours before `hour`, by record number.
fn spread(workspace_id: &str, hour: DateTime<Utc>, i: usize) -> billing_app::model::UsageRecord {
    usage(&format!("r{i:04}"), workspace_id, hour - Duration::hours((i % 24) as i64), "1")
}

#[tokio::test]
async fn known_records_among_new_ones_in_a_batch_of_many_statements_are_skipped_and_the_rest_settled_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        // The even records settle the even hours first.
        let first: Vec<_> = (0..1200).step_by(2).map(|i| spread(&adhoc.id, hour, i)).collect();
        let settled = w.billing.metering().import_usage(&OPERATOR, &first).await.unwrap();
        assert_eq!((settled.imported, settled.settled_hours), (600, 12));

        let all: Vec<_> = (0..1200).map(|i| spread(&adhoc.id, hour, i)).collect();
        let outcome = w.billing.metering().import_usage(&OPERATOR, &all).await.unwrap();

        assert_eq!((outcome.imported, outcome.duplicates), (600, 600));
        assert_eq!((outcome.settled_hours, outcome.adjustments), (12, 0));
        let lines = w.settlements(&adhoc.id).await;
        assert_eq!(lines.len(), 24);
        assert_eq!(total_usage(&lines), cu("1200"));
        let again = w.billing.metering().import_usage(&OPERATOR, &all).await.unwrap();
        assert_eq!((again.imported, again.duplicates, again.settled_hours), (0, 1200, 0));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_known_record_with_other_content_far_into_a_large_batch_refuses_it_whole() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        let known: Vec<_> = (0..700).map(|i| spread(&adhoc.id, hour, i)).collect();
        w.billing.metering().import_usage(&OPERATOR, &known).await.unwrap();
        let before = w.snapshot().await;

        let mut batch: Vec<_> = (0..1300).map(|i| spread(&adhoc.id, hour, i)).collect();
        batch[650].cu_hours = cu("2");
        let result = w.billing.metering().import_usage(&OPERATOR, &batch).await;

        let err = w.assert_refused(&before, result, "DUPLICATE_USAGE_RECORD").await;
        assert!(err.to_string().contains("r0650"), "{err}");
    });
}

#[tokio::test]
async fn an_unknown_workspace_far_into_a_batch_refuses_it_whole_and_is_named() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        let before = w.snapshot().await;
        let mut batch: Vec<_> = (0..900).map(|i| spread(&adhoc.id, hour, i)).collect();
        batch[800].workspace_id = "ws_nowhere".to_owned();

        let result = w.billing.metering().import_usage(&OPERATOR, &batch).await;

        let err = w.assert_refused(&before, result, "NOT_FOUND").await;
        assert!(err.to_string().contains("ws_nowhere"), "{err}");
    });
}

#[tokio::test]
async fn late_records_for_many_workspaces_of_one_hour_are_each_an_adjustment() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let hour = w.previous_hour();
        let mut workspaces = Vec::new();
        for i in 0..12 {
            workspaces.push(w.workspace(s.id(), &format!("w{i}"), BillingMethod::PayAsYouGo).await.id);
        }
        let first: Vec<_> =
            workspaces.iter().enumerate().map(|(i, ws)| usage(&format!("a{i}"), ws, hour, "10")).collect();
        w.billing.metering().import_usage(&OPERATOR, &first).await.unwrap();

        // Every workspace late in the same hour, and one in a new hour too.
        let mut late: Vec<_> =
            workspaces.iter().enumerate().map(|(i, ws)| usage(&format!("b{i}"), ws, hour, "5")).collect();
        late.push(usage("c0", &workspaces[0], hour - Duration::hours(1), "5"));
        let outcome = w.billing.metering().import_usage(&OPERATOR, &late).await.unwrap();

        assert_eq!((outcome.settled_hours, outcome.adjustments), (1, 12));
        for ws in &workspaces[1..] {
            let lines = w.settlements(ws).await;
            let facts: Vec<_> = lines.iter().map(|l| (l.adjustment, l.usage, l.charge)).collect();
            // 10 × 0.067106 → 0.67; 5 × 0.067106 → 0.33
            assert_eq!(facts, vec![(false, cu("10"), usd("0.67")), (true, cu("5"), usd("0.33"))]);
        }
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn late_records_for_many_hours_of_one_workspace_never_cover_the_quota_twice() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "10000.00").await;
        w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 1, Some(vec![balance("3221.00")]))).await.unwrap();
        w.clock.advance(Duration::hours(40));
        let hour = w.previous_hour();
        let ws = &s.workspace.id;
        let hours = 30;
        let first: Vec<_> = (0..hours).map(|h| usage(&format!("a{h}"), ws, hour - Duration::hours(h), "60")).collect();
        w.billing.metering().import_usage(&OPERATOR, &first).await.unwrap();
        let before = w.balance_of(s.id()).await;

        let late: Vec<_> = (0..hours).map(|h| usage(&format!("b{h}"), ws, hour - Duration::hours(h), "60")).collect();
        let outcome = w.billing.metering().import_usage(&OPERATOR, &late).await.unwrap();

        assert_eq!((outcome.settled_hours, outcome.adjustments), (0, 30));
        let adjustments: Vec<_> = w.settlements(ws).await.into_iter().filter(|l| l.adjustment).collect();
        assert_eq!(adjustments.len(), 30);
        // 40 CU-hours of the quota were left in each hour; 20 × 0.067106 → 1.34
        assert!(
            adjustments.iter().all(|l| (l.covered, l.pay_as_you_go, l.charge) == (cu("40"), cu("20"), usd("1.34")))
        );
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("40.20")).unwrap());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn one_batch_charges_accounts_in_different_currencies_each_in_its_own() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let yen = |text: &str| Money::parse(Currency::Jpy, text).unwrap();
        let tokyo = w.billing.accounts().create_account(&OPERATOR, "tokyo kk", Currency::Jpy).await.unwrap();
        w.billing.purchases().record_transfer(&OPERATOR, &tokyo.id, yen("1000")).await.unwrap();
        let batch_ws = w.workspace_in(&tokyo.id, "ap-northeast-1", "batch", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();

        let records = [usage("r1", &adhoc.id, hour, "100"), usage("r2", &batch_ws.id, hour, "12.345")];
        let outcome = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        // 100 × 0.067106 → 6.71 USD; 12.345 × JPY 10 → 123 JPY
        assert_eq!(outcome.charged.get(s.id()), Some(&usd("6.71")));
        assert_eq!(outcome.charged.get(&tokyo.id), Some(&yen("123")));
        assert_eq!(w.balance_of(s.id()).await, usd("93.29"));
        assert_eq!(w.balance_of(&tokyo.id).await, yen("877"));
        assert_eq!(w.ledger_sum("revenue:usage", "USD").await, 671);
        assert_eq!(w.ledger_sum("revenue:usage", "JPY").await, 123);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn one_batch_draws_an_accounts_plan_hour_by_hour_then_workspace_by_workspace() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let plan =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let first = w.workspace(s.id(), "first", BillingMethod::PayAsYouGo).await;
        let second = w.workspace(s.id(), "second", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::hours(3));
        let (hour, earlier) = (w.previous_hour(), w.previous_hour() - Duration::hours(1));

        // Listed in another order than the one they are settled in.
        let records = [
            usage("r1", &second.id, hour, "30"),
            usage("r2", &first.id, hour, "30"),
            usage("r3", &second.id, earlier, "30"),
            usage("r4", &first.id, earlier, "30"),
        ];
        let outcome = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        assert_eq!(outcome.settled_hours, 4);
        let (a, b) = (w.settlements(&first.id).await, w.settlements(&second.id).await);
        let plan_id = &plan.instance.id;
        assert_eq!(
            a.iter().map(|l| l.draws.clone()).collect::<Vec<_>>(),
            vec![vec![(plan_id.clone(), cu("30"))], vec![(plan_id.clone(), cu("30"))],]
        );
        assert_eq!(b[0].draws, vec![(plan_id.clone(), cu("30"))]);
        // The plan runs dry in the last workspace-hour: 20 × 0.067106 → 1.34
        assert_eq!(
            (b[1].draws.clone(), b[1].pay_as_you_go, b[1].charge),
            (vec![(plan_id.clone(), cu("10"))], cu("20"), usd("1.34"))
        );
        assert_eq!(w.instance(plan_id).await.used, cu("100"));
        assert_eq!(w.ledger_sum("capacity:consumed", "CUH").await, 100_000);
        w.assert_books_in_order().await;
    });
}
