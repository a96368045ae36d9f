//! Bills & usage and the CSV downloads: the page with its chart and rows,
//! and files streamed a page at a time that read back with the csv crate.

use axum::http::StatusCode;
use billing_app::Caller;
use billing_app::model::UsageRecord;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Duration, Utc};

use crate::support::console;

fn rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    (header, reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect())
}

#[tokio::test]
async fn usage_of_more_days_than_one_page_downloads_whole_and_in_order() {
    let c = console().await;
    c.clock.set(DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z").unwrap().with_timezone(&Utc));
    let first = DateTime::parse_from_rfc3339("2026-03-10T10:00:00Z").unwrap().with_timezone(&Utc);
    // One hour on each of 101 days: more rows than one page of the export.
    let records: Vec<UsageRecord> = (0..101)
        .map(|day| UsageRecord {
            record_id: format!("r{day}"),
            workspace_id: c.alice.workspace_id.to_string(),
            hour_start: first + Duration::days(day),
            cu_hours: CuHours::from_whole(30),
        })
        .collect();
    c.billing.metering().import_usage(&Caller::Operator, &records).await.unwrap();
    let alice = c.sign_in(&c.alice.key).await;

    let answer = c.get("/console/bills/usage.csv?from=2026-03-01&to=2026-07-01", &alice).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.headers["content-type"], "text/csv; charset=utf-8");
    assert!(answer.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let (header, usage) = rows(&answer.text);
    assert_eq!(header, billing_app::exports::USAGE_COLUMNS);
    assert_eq!(usage.len(), 101);
    assert_eq!((usage[0][0].as_str(), usage[100][0].as_str()), ("2026-03-10", "2026-06-18"));
    assert!(usage.windows(2).all(|w| w[0][0] < w[1][0]), "one row per day, in order");
    assert!(usage.iter().all(|r| r[2] == "etl" && r[3] == "30.000"));

    let bob = c.sign_in(&c.bob.key).await;
    let theirs = c.get("/console/bills/usage.csv?from=2026-03-01&to=2026-07-01", &bob).await;
    assert_eq!(rows(&theirs.text).1.len(), 0, "another account's usage is not Bob's");
    let bad = c.get("/console/bills/usage.csv?from=2026-02-30", &alice).await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    assert!(bad.text.contains("from"), "the page names the field");
}

#[tokio::test]
async fn the_page_charts_and_lists_usage_and_links_its_downloads() {
    let c = console().await;
    c.clock.advance(Duration::hours(3));
    let hour = DateTime::parse_from_rfc3339("2026-03-10T07:00:00Z").unwrap().with_timezone(&Utc);
    let record = UsageRecord {
        record_id: "r1".into(),
        workspace_id: c.alice.workspace_id.to_string(),
        hour_start: hour,
        cu_hours: CuHours::from_whole(40),
    };
    c.billing.metering().import_usage(&Caller::Operator, &[record]).await.unwrap();
    let alice = c.sign_in(&c.alice.key).await;
    let page = c.get("/console/bills", &alice).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // 25 CUs of quota cover 25 of the 40 CU-hours; the rest is pay-as-you-go.
    assert!(page.text.contains("<svg role=\"img\""), "{}", page.text);
    assert!(page.text.contains("2026-03-10: 25 CU-hours covered by quota"), "{}", page.text);
    assert!(page.text.contains("2026-03-10: 15 CU-hours pay-as-you-go"), "{}", page.text);
    assert!(page.text.contains("href=\"/console/bills/usage.csv?from=2026-03-01&#38;to=2026-04-01\""), "{}", page.text);
    assert!(page.text.contains("aria-current=\"page\">Bills &#38; usage"), "{}", page.text);
    let account = match &c.alice.caller {
        Caller::Customer(id) => id.clone(),
        _ => unreachable!(),
    };
    c.billing.accounts().set_account_locale(&c.alice.caller, &account, Some("zh-CN")).await.unwrap();
    let chinese = c.get("/console/bills", &alice).await.text;
    for words in [
        "2026年3月10日：25 CU 时，配额抵扣",
        "<td data-label=\"日期\">2026年3月10日</td>",
        "2026年3月1日 至 2026年4月1日",
    ] {
        assert!(chinese.contains(words), "the Chinese page lacks {words}: {chinese}");
    }
    c.billing.accounts().set_account_locale(&c.alice.caller, &account, None).await.unwrap();

    let orders = c.get("/console/orders.csv", &alice).await;
    let (header, listed) = rows(&orders.text);
    assert_eq!(header, billing_app::exports::ORDER_COLUMNS);
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0][4].as_str(), listed[0][10].as_str()), ("paid", "80525"));
    let refunds = c.get("/console/refunds.csv", &alice).await;
    assert_eq!(rows(&refunds.text).0, billing_app::exports::REFUND_COLUMNS);
}
