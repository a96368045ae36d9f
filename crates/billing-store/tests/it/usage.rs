//! Usage import and hourly settlement: idempotency by record id, quota
//! coverage, resource plan draws, pay-as-you-go charges and late records.

use std::collections::BTreeMap;

use billing_app::model::BillingMethod;
use billing_domain::ids::InstanceId;
use billing_domain::money::{Currency, Money};
use billing_domain::usage::CuHours;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, Seed, World, balance, usage, usd};

fn cu(text: &str) -> CuHours {
    CuHours::parse(text).unwrap()
}

/// A seed whose hybrid workspace holds a paid quota of `quota_cu` CUs, with
/// the clock three hours past activation, so that the two hours before the
/// current one lie wholly in the quota's period.
async fn with_quota(w: &World, quota_cu: u32) -> Seed {
    let s = w.seed("acme", "20000.00").await;
    let price = usd("32.21").checked_mul(i64::from(quota_cu)).unwrap().to_string();
    w.billing.purchases().buy_quota(&s.caller, &s.quota(quota_cu, 1, Some(vec![balance(&price)]))).await.unwrap();
    w.clock.advance(Duration::hours(3));
    s
}

#[tokio::test]
async fn pay_as_you_go_usage_is_charged_the_floor_of_cu_hours_times_the_hourly_price() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        // 1234.567 × 0.067106 = 82.846853102 → bill line 82.846 → charge 82.84
        let outcome =
            w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "1234.567")]).await.unwrap();

        assert_eq!((outcome.imported, outcome.settled_hours, outcome.adjustments), (1, 1, 0));
        assert_eq!(outcome.charged.get(s.id()), Some(&usd("82.84")));
        assert_eq!(w.balance_of(s.id()).await, usd("17.16"));
        let lines = w.settlements(&adhoc.id).await;
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].covered, lines[0].pay_as_you_go), (CuHours::ZERO, cu("1234.567")));
        assert_eq!((lines[0].bill_milli_major, lines[0].charge), (82_846, usd("82.84")));
        assert!(lines[0].draws.is_empty());
        assert_eq!(w.ledger_sum("revenue:usage", "USD").await, 8_284);

        // 0.999 × 0.067106 = 0.067038894 → 0.067 → 0.06, never rounded up.
        let earlier = hour - Duration::hours(1);
        w.billing.metering().import_usage(&OPERATOR, &[usage("r2", &adhoc.id, earlier, "0.999")]).await.unwrap();
        assert_eq!(w.balance_of(s.id()).await, usd("17.10"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn records_of_one_workspace_hour_are_settled_together() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        // 10.5 + 10.5 = 21 × 0.067106 = 1.409226 → 1.40 (each alone would be 0.70).
        let records = [usage("a", &adhoc.id, hour, "10.5"), usage("b", &adhoc.id, hour, "10.5")];
        let outcome = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        assert_eq!((outcome.imported, outcome.settled_hours), (2, 1));
        let lines = w.settlements(&adhoc.id).await;
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].usage, lines[0].charge), (cu("21"), usd("1.40")));
        assert_eq!(w.balance_of(s.id()).await, usd("98.60"));
    });
}

#[tokio::test]
async fn importing_the_same_records_again_changes_nothing() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        let records = [
            usage("r1", &adhoc.id, hour, "100"),
            usage("r2", &adhoc.id, hour - Duration::hours(1), "50"),
            usage("r2", &adhoc.id, hour - Duration::hours(1), "50"),
        ];
        let first = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        assert_eq!((first.imported, first.duplicates, first.settled_hours), (2, 1, 2));
        let balance_after_first = w.balance_of(s.id()).await;
        assert_eq!(
            balance_after_first,
            usd("100.00").checked_sub(usd("6.71")).unwrap().checked_sub(usd("3.35")).unwrap()
        );
        let before = w.snapshot().await;

        let again = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        assert_eq!((again.imported, again.duplicates, again.settled_hours, again.adjustments), (0, 3, 0, 0));
        assert!(again.charged.is_empty());
        let after = w.snapshot().await;
        assert_eq!(after.states, before.states);
        assert_eq!(after.ledger, before.ledger);
        // Only the record of the import itself is added to the audit trail.
        let counts = |s: &crate::support::Snapshot| {
            s.counts.iter().filter(|(table, _)| *table != "audit_events").copied().collect::<Vec<_>>()
        };
        assert_eq!(counts(&after), counts(&before));
        assert_eq!(after.audit_events, before.audit_events + 1);
        assert_eq!(w.balance_of(s.id()).await, balance_after_first);
    });
}

#[tokio::test]
async fn a_known_record_id_with_other_content_refuses_the_whole_batch() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "100")]).await.unwrap();
        let before = w.snapshot().await;

        let fresh = usage("r2", &adhoc.id, hour - Duration::hours(1), "40");
        let changed = usage("r1", &adhoc.id, hour, "101");
        let result = w.billing.metering().import_usage(&OPERATOR, &[fresh.clone(), changed]).await;

        let err = w.assert_refused(&before, result, "DUPLICATE_USAGE_RECORD").await;
        assert!(err.to_string().contains("r1"), "{err}");
        // The fresh record was not kept: importing it alone settles it now.
        let outcome = w.billing.metering().import_usage(&OPERATOR, &[fresh]).await.unwrap();
        assert_eq!((outcome.imported, outcome.settled_hours), (1, 1));
    });
}

#[tokio::test]
async fn one_record_id_with_two_contents_in_one_batch_is_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        let before = w.snapshot().await;
        let records = [usage("r1", &adhoc.id, hour, "1"), usage("r1", &adhoc.id, hour - Duration::hours(1), "1")];

        let result = w.billing.metering().import_usage(&OPERATOR, &records).await;

        w.assert_refused(&before, result, "DUPLICATE_USAGE_RECORD").await;
    });
}

#[tokio::test]
async fn a_quota_covers_its_cus_for_each_hour_and_only_the_rest_is_charged() {
    on_every_backend!(|w| {
        let s = with_quota(&w, 100).await;
        let before = w.balance_of(s.id()).await;
        let hour = w.previous_hour();
        let records = [
            usage("over", &s.workspace.id, hour, "120"),
            usage("under", &s.workspace.id, hour - Duration::hours(1), "80"),
        ];

        let outcome = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        assert_eq!(outcome.settled_hours, 2);
        let lines = w.settlements(&s.workspace.id).await;
        let facts: Vec<_> = lines.iter().map(|l| (l.usage, l.covered, l.pay_as_you_go, l.charge)).collect();
        assert_eq!(
            facts,
            vec![
                (cu("80"), cu("80"), CuHours::ZERO, usd("0.00")),
                // 20 × 0.067106 = 1.34212 → 1.34
                (cu("120"), cu("100"), cu("20"), usd("1.34")),
            ]
        );
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("1.34")).unwrap());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn late_usage_for_a_settled_hour_is_an_adjustment_that_never_covers_the_quota_twice() {
    on_every_backend!(|w| {
        let s = with_quota(&w, 100).await;
        let before = w.balance_of(s.id()).await;
        let hour = w.previous_hour();
        let ws = &s.workspace.id;
        w.billing.metering().import_usage(&OPERATOR, &[usage("first", ws, hour, "60")]).await.unwrap();

        let late = w.billing.metering().import_usage(&OPERATOR, &[usage("late", ws, hour, "60")]).await.unwrap();
        assert_eq!((late.settled_hours, late.adjustments), (0, 1));
        let later = w.billing.metering().import_usage(&OPERATOR, &[usage("later", ws, hour, "30")]).await.unwrap();
        assert_eq!((later.settled_hours, later.adjustments), (0, 1));

        let lines = w.settlements(ws).await;
        let facts: Vec<_> = lines.iter().map(|l| (l.adjustment, l.covered, l.pay_as_you_go, l.charge)).collect();
        assert_eq!(
            facts,
            vec![
                (false, cu("60"), CuHours::ZERO, usd("0.00")),
                // 40 CU-hours of quota were left for the hour; 20 × 0.067106 → 1.34
                (true, cu("40"), cu("20"), usd("1.34")),
                // 30 × 0.067106 = 2.01318 → 2.01
                (true, CuHours::ZERO, cu("30"), usd("2.01")),
            ]
        );
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("3.35")).unwrap());
        w.assert_books_in_order().await;
    });
}

fn drawn(line: &billing_app::model::Settlement) -> BTreeMap<InstanceId, CuHours> {
    line.draws.iter().cloned().collect()
}

#[tokio::test]
async fn billable_usage_draws_plans_by_earliest_expiry_then_earliest_purchase() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let long =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 3, Some(vec![balance("5.36")]))).await.unwrap();
        w.clock.advance(Duration::seconds(1));
        let short =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        w.clock.advance(Duration::seconds(1));
        let short_later =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let (long, short, short_later) = (long.instance.id, short.instance.id, short_later.instance.id);
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::hours(2));
        let before = w.balance_of(s.id()).await;

        let hour = w.previous_hour();
        let outcome =
            w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "150")]).await.unwrap();

        assert!(outcome.charged.is_empty());
        let lines = w.settlements(&adhoc.id).await;
        let expected = BTreeMap::from([(short.clone(), cu("100")), (short_later.clone(), cu("50"))]);
        assert_eq!(drawn(&lines[0]), expected);
        assert_eq!(lines[0].pay_as_you_go, CuHours::ZERO);
        assert_eq!(w.instance(&short).await.used, cu("100"));
        assert_eq!(w.instance(&short_later).await.used, cu("50"));
        assert_eq!(w.instance(&long).await.used, CuHours::ZERO);
        assert_eq!(w.balance_of(s.id()).await, before);

        // The next hour empties both remaining plans and the rest is
        // charged: 50 × 0.067106 = 3.3553 → 3.35.
        w.clock.advance(Duration::hours(1));
        let next = w.previous_hour();
        w.billing.metering().import_usage(&OPERATOR, &[usage("r2", &adhoc.id, next, "200")]).await.unwrap();
        let lines = w.settlements(&adhoc.id).await;
        assert_eq!(drawn(&lines[1]), BTreeMap::from([(short_later.clone(), cu("50")), (long.clone(), cu("100"))]));
        assert_eq!((lines[1].pay_as_you_go, lines[1].charge), (cu("50"), usd("3.35")));
        assert_eq!(w.instance(&short_later).await.used, cu("100"));
        assert_eq!(w.instance(&long).await.used, cu("100"));
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("3.35")).unwrap());
        assert_eq!(w.ledger_sum("capacity:consumed", "CUH").await, 300_000);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_quota_covers_first_then_plans_then_pay_as_you_go() {
    on_every_backend!(|w| {
        let s = with_quota(&w, 100).await;
        let plan =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        w.clock.advance(Duration::hours(2));
        let before = w.balance_of(s.id()).await;
        let hour = w.previous_hour();

        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &s.workspace.id, hour, "250")]).await.unwrap();

        let line = &w.settlements(&s.workspace.id).await[0];
        assert_eq!(line.covered, cu("100"));
        assert_eq!(drawn(line), BTreeMap::from([(plan.instance.id.clone(), cu("100"))]));
        // 50 × 0.067106 = 3.3553 → 3.35
        assert_eq!((line.pay_as_you_go, line.bill_milli_major, line.charge), (cu("50"), 3_355, usd("3.35")));
        assert_eq!(w.instance(&plan.instance.id).await.used, cu("100"));
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("3.35")).unwrap());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_plan_is_not_drawn_for_hours_before_it_was_bought() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let plan =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let hour = w.previous_hour();

        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "10")]).await.unwrap();

        assert_eq!(w.instance(&plan.instance.id).await.used, CuHours::ZERO);
        // 10 × 0.067106 = 0.67106 → 0.67
        assert_eq!(w.balance_of(s.id()).await, usd("94.64").checked_sub(usd("0.67")).unwrap());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_batch_larger_than_one_insert_statement_is_stored_and_recognised_whole() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        // One milli-CU-hour each, past the 500 rows one statement takes.
        let records: Vec<_> = (0..1201).map(|i| usage(&format!("r{i}"), &adhoc.id, hour, "0.001")).collect();

        let first = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        let again = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();

        assert_eq!((first.imported, first.settled_hours), (1201, 1));
        assert_eq!((again.imported, again.duplicates), (0, 1201));
        let lines = w.settlements(&adhoc.id).await;
        assert_eq!(lines.len(), 1);
        // 1.201 × 0.067106 = 0.080594… → 0.080 → 0.08
        assert_eq!((lines[0].usage, lines[0].bill_milli_major, lines[0].charge), (cu("1.201"), 80, usd("0.08")));
    });
}

#[tokio::test]
async fn a_yen_account_is_charged_whole_yen_rounded_down() {
    on_every_backend!(|w| {
        let account = w.billing.accounts().create_account(&OPERATOR, "tokyo kk", Currency::Jpy).await.unwrap();
        let yen = |text: &str| Money::parse(Currency::Jpy, text).unwrap();
        w.billing.purchases().record_transfer(&OPERATOR, &account.id, yen("1000")).await.unwrap();
        let ws = w.workspace_in(&account.id, "ap-northeast-1", "batch", BillingMethod::PayAsYouGo).await;

        // 12.345 CU-hours × JPY 10 = 123.45 → bill line 123.450 → charge 123
        w.billing
            .metering()
            .import_usage(&OPERATOR, &[usage("r1", &ws.id, w.previous_hour(), "12.345")])
            .await
            .unwrap();

        let line = &w.settlements(&ws.id).await[0];
        assert_eq!((line.bill_milli_major, line.charge), (123_450, yen("123")));
        assert_eq!(w.balance_of(&account.id).await, yen("877"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn workspaces_of_two_accounts_old_and_new_are_each_charged_to_their_own_account() {
    on_every_backend!(|w| {
        let acme = w.seed("acme", "100.00").await;
        let globex = w.seed("globex", "100.00").await;
        let adhoc = w.workspace(acme.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let reports = w.workspace(globex.id(), "reports", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        let earlier = hour - Duration::hours(1);
        // 100 CU-hours × 0.067106 = 6.7106 → 6.71 each.
        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, earlier, "100")]).await.unwrap();
        assert_eq!(w.balance_of(acme.id()).await, usd("93.29"));

        // A workspace imported for before, one not yet, and one made since.
        let later = w.workspace(globex.id(), "later", BillingMethod::PayAsYouGo).await;
        let records = [
            usage("r2", &adhoc.id, hour, "100"),
            usage("r3", &reports.id, hour, "100"),
            usage("r4", &later.id, hour, "100"),
        ];
        let outcome = w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        assert_eq!((outcome.imported, outcome.settled_hours), (3, 3));
        assert_eq!(outcome.charged.get(acme.id()), Some(&usd("6.71")));
        assert_eq!(outcome.charged.get(globex.id()), Some(&usd("13.42")));
        assert_eq!(w.balance_of(acme.id()).await, usd("86.58"));
        assert_eq!(w.balance_of(globex.id()).await, usd("86.58"));

        // A workspace that does not exist is still refused beside known
        // ones, and nothing of the batch is written.
        let before = w.snapshot().await;
        let records = [usage("r5", &adhoc.id, hour, "1"), usage("r6", "ws_missing", hour, "1")];
        w.assert_refused(&before, w.billing.metering().import_usage(&OPERATOR, &records).await, "NOT_FOUND").await;

        // Another process over the same database settles the same way.
        let replica = w.replica().await;
        let records =
            [usage("r7", &later.id, earlier, "100"), usage("r8", &adhoc.id, hour - Duration::hours(2), "100")];
        let outcome = replica.metering().import_usage(&OPERATOR, &records).await.unwrap();
        assert_eq!(outcome.charged.get(acme.id()), Some(&usd("6.71")));
        assert_eq!(outcome.charged.get(globex.id()), Some(&usd("6.71")));
        w.assert_books_in_order().await;
    });
}
