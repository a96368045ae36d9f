//! Bills and usage: settlements summed per local day of the billing zone
//! (Asia/Shanghai, UTC+8, in the seed) and workspace, and an account's
//! orders newest first, read in pages.

use billing_app::AppError;
use billing_app::bills::{UsageCursor, UsageDay, UsageQuery};
use billing_app::model::{BillingMethod, Workspace};
use billing_domain::usage::CuHours;
use chrono::{Duration, NaiveDate};

use crate::on_every_backend;
use crate::support::{OPERATOR, Seed, World, at, balance, customer, usage, usd};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn query(from: &str, to: &str) -> UsageQuery {
    UsageQuery { account_id: None, from: day(from), to: day(to), workspace_id: None, starting_after: None, limit: 100 }
}

/// `(date, workspace, usage, quota, plan, pay-as-you-go, charge in cents)`.
fn summed(rows: &[UsageDay]) -> Vec<(String, String, i64, i64, i64, i64, i64)> {
    let milli = |c: CuHours| c.milli();
    rows.iter()
        .map(|r| {
            let parts = (milli(r.usage), milli(r.quota), milli(r.plan), milli(r.pay_as_you_go));
            (r.date.to_string(), r.workspace_name.clone(), parts.0, parts.1, parts.2, parts.3, r.charge.minor())
        })
        .collect()
}

/// An account with a pay-as-you-go workspace `adhoc` used on both sides of
/// local midnight, and its hybrid workspace `etl` covered by a quota of 100
/// CUs, a plan of 100 CU-hours and 50 CU-hours pay-as-you-go in one hour.
async fn billed(w: &World) -> (Seed, Workspace) {
    let s = w.seed("acme", "20000.00").await;
    w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 1, Some(vec![balance("3221.00")]))).await.unwrap();
    w.clock.advance(Duration::hours(3));
    w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
    w.clock.advance(Duration::hours(2));
    let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
    let records = [
        // 23:00 on 9 March in Shanghai: 10 × 0.067106 = 0.67106 → 0.67.
        usage("a1", &adhoc.id, at("2026-03-09T15:00:00Z"), "10"),
        // Midnight of 10 March there, in the same UTC day: 20 → 1.34.
        usage("a2", &adhoc.id, at("2026-03-09T16:00:00Z"), "20"),
        // 13:00 on 10 March: 30 → 2.01.
        usage("a3", &adhoc.id, at("2026-03-10T05:00:00Z"), "30"),
        // 18:00 on 10 March: 100 quota + 100 plan + 50 → 3.35.
        usage("e1", &s.workspace.id, w.previous_hour(), "250"),
    ];
    w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
    (s, adhoc)
}

#[tokio::test]
async fn usage_is_summed_per_local_day_and_workspace_split_by_how_it_was_covered() {
    on_every_backend!(|w| {
        let (s, adhoc) = billed(&w).await;
        let page = w.billing.metering().usage_days(&s.caller, query("2026-03-09", "2026-03-11")).await.unwrap();
        assert_eq!(page.zone.name(), "Asia/Shanghai");
        let adhoc_row = ("2026-03-10".to_owned(), "adhoc".to_owned(), 50_000, 0, 0, 50_000, 134 + 201);
        let etl_row = ("2026-03-10".to_owned(), "etl".to_owned(), 250_000, 100_000, 100_000, 50_000, 335);
        // Rows of one day come by workspace id.
        let mut expected = if adhoc.id < s.workspace.id { vec![adhoc_row, etl_row] } else { vec![etl_row, adhoc_row] };
        expected.insert(0, ("2026-03-09".to_owned(), "adhoc".to_owned(), 10_000, 0, 0, 10_000, 67));
        assert_eq!(summed(&page.rows), expected);

        // The hour at local midnight belongs to 10 March alone.
        let tenth = w.billing.metering().usage_days(&s.caller, query("2026-03-10", "2026-03-11")).await.unwrap();
        assert_eq!(summed(&tenth.rows), expected[1..]);
        let ninth = w.billing.metering().usage_days(&s.caller, query("2026-03-09", "2026-03-10")).await.unwrap();
        assert_eq!(summed(&ninth.rows), expected[..1]);
        // Charges add up to what the balance lost to usage.
        let charged: i64 = page.rows.iter().map(|r| r.charge.minor()).sum();
        assert_eq!(charged, 737);
        let paid = usd("3221.00").checked_add(usd("5.36")).unwrap().checked_add(usd("7.37")).unwrap();
        assert_eq!(w.balance_of(s.id()).await, usd("20000.00").checked_sub(paid).unwrap());
    });
}

#[tokio::test]
async fn usage_rows_are_read_a_page_at_a_time_and_by_workspace() {
    on_every_backend!(|w| {
        let (s, _) = billed(&w).await;
        let all = w.billing.metering().usage_days(&s.caller, query("2026-03-01", "2026-04-01")).await.unwrap().rows;
        assert_eq!(all.len(), 3);
        let mut paged = Vec::new();
        let mut after: Option<UsageCursor> = None;
        loop {
            let q = UsageQuery { limit: 2, starting_after: after.clone(), ..query("2026-03-01", "2026-04-01") };
            let page = w.billing.metering().usage_days(&s.caller, q).await.unwrap().rows;
            let Some(last) = page.last() else { break };
            after = Some(UsageCursor::parse(&last.cursor()).unwrap());
            paged.extend(page);
        }
        assert_eq!(paged, all);

        let etl = UsageQuery { workspace_id: Some(s.workspace.id.clone()), ..query("2026-03-01", "2026-04-01") };
        let rows = w.billing.metering().usage_days(&s.caller, etl).await.unwrap().rows;
        assert_eq!(rows.iter().map(|r| r.workspace_name.as_str()).collect::<Vec<_>>(), ["etl"]);
    });
}

#[tokio::test]
async fn usage_is_shown_to_its_own_account_and_to_operators_naming_it() {
    on_every_backend!(|w| {
        let (s, _) = billed(&w).await;
        let other = w.seed("other", "0").await;
        let theirs = UsageQuery { account_id: Some(s.id().to_owned()), ..query("2026-03-09", "2026-03-11") };
        let refused = w.billing.metering().usage_days(&other.caller, theirs.clone()).await;
        assert!(matches!(refused, Err(AppError::NotFound { .. })), "{refused:?}");
        let foreign_workspace =
            UsageQuery { workspace_id: Some(s.workspace.id.clone()), ..query("2026-03-09", "2026-03-11") };
        let refused = w.billing.metering().usage_days(&other.caller, foreign_workspace).await;
        assert!(matches!(refused, Err(AppError::NotFound { .. })), "{refused:?}");
        assert_eq!(w.billing.metering().usage_days(&OPERATOR, theirs).await.unwrap().rows.len(), 3);
        let unnamed = w.billing.metering().usage_days(&OPERATOR, query("2026-03-09", "2026-03-11")).await;
        assert!(matches!(unnamed, Err(AppError::Invalid { ref field, .. }) if field == "account_id"), "{unnamed:?}");
        for (from, to) in [("2026-03-10", "2026-03-10"), ("2025-01-01", "2026-03-01")] {
            let bad = w.billing.metering().usage_days(&s.caller, query(from, to)).await;
            assert!(matches!(bad, Err(AppError::Invalid { ref field, .. }) if field == "to"), "{bad:?}");
        }
    });
}

#[tokio::test]
async fn orders_are_listed_newest_first_a_page_at_a_time_within_the_account() {
    on_every_backend!(|w| {
        let (s, _) = billed(&w).await;
        let other = w.seed("other", "100.00").await;
        let theirs = w
            .billing
            .purchases()
            .buy_plan(&other.caller, &other.plan(100, 1, Some(vec![balance("5.36")])))
            .await
            .unwrap();
        let mine = w.billing.metering().account_orders(&s.caller, None, None, 10).await.unwrap();
        assert_eq!(mine.len(), 2);
        assert!(mine[0].created_at > mine[1].created_at);
        assert!(mine.iter().all(|o| o.account_id == *s.id()));
        let first = w.billing.metering().account_orders(&s.caller, None, None, 1).await.unwrap();
        let second = w.billing.metering().account_orders(&s.caller, None, Some(&first[0].id), 1).await.unwrap();
        assert_eq!([first[0].id.clone(), second[0].id.clone()], [mine[0].id.clone(), mine[1].id.clone()]);
        assert!(w.billing.metering().account_orders(&s.caller, None, Some(&second[0].id), 1).await.unwrap().is_empty());

        let refused = w.billing.metering().account_orders(&s.caller, None, Some(&theirs.order.id), 1).await;
        assert!(
            matches!(refused, Err(AppError::Invalid { ref field, .. }) if field == "starting_after"),
            "{refused:?}"
        );
        assert_eq!(w.billing.metering().account_orders(&OPERATOR, None, None, 10).await.unwrap().len(), 3);
        let named = w.billing.metering().account_orders(&OPERATOR, Some(other.id()), None, 10).await.unwrap();
        assert_eq!(named.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), [theirs.order.id.as_str()]);
        assert!(w.billing.metering().account_orders(&customer(s.id()), None, None, 0).await.is_err());
    });
}
