//! `report usage` and `report orders`: one CSV row per day and workspace or
//! per order, quoted by the csv crate and read back with it, and bad input
//! named in the message.

use billing_app::model::{BillingMethod, UsageRecord};
use billing_app::purchase::QuotaPurchase;
use billing_domain::usage::CuHours;
use chrono::{Duration, DurationRound};

use crate::support::{customer, open, spark_billing, stderr};

fn records(csv_text: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(csv_text);
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

#[tokio::test]
async fn usage_and_orders_are_reported_one_csv_row_each_and_read_back() {
    let dir = std::env::temp_dir().join("spark-billing-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join(format!("{}.sqlite3", billing_app::ids::new_id("reports"))).display());
    let (_, billing) = open(&url).await;
    let c = customer(&billing, "acme", "1000.00").await;
    let name = "adhoc, \"nightly\"";
    let adhoc = billing
        .accounts()
        .create_workspace(&c.caller, &c.account_id, "ap-southeast-1", name, BillingMethod::PayAsYouGo)
        .await
        .unwrap();
    let quota = QuotaPurchase {
        account_id: c.account_id.clone(),
        workspace_id: c.workspace_id.clone(),
        cu: 25,
        months: 1,
        benefit_ids: vec![],
        tenders: Some(vec![c.card("805.25")]),
        auto_renew: false,
    };
    let order = billing.purchases().buy_quota(&c.caller, &quota).await.unwrap().order.id;
    let hour = billing.now().duration_trunc(Duration::hours(1)).unwrap();
    let record = UsageRecord {
        record_id: "r1".into(),
        workspace_id: adhoc.id.to_string(),
        hour_start: hour,
        cu_hours: CuHours::from_whole(10),
    };
    billing.metering().import_usage(&billing_app::Caller::Operator, &[record]).await.unwrap();
    let (from, to) =
        ((hour - Duration::days(1)).date_naive().to_string(), (hour + Duration::days(2)).date_naive().to_string());

    let args = ["report", "usage", "--account", &c.account_id, "--from", &from, "--to", &to, "--format", "csv"];
    let out = spark_billing(&url, &args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (header, rows) = records(&out.stdout);
    assert_eq!(header, billing_app::exports::USAGE_COLUMNS);
    assert_eq!(rows.len(), 1, "{rows:?}");
    // 10 × 0.067106 = 0.67106 → 0.67, all pay-as-you-go.
    assert_eq!(rows[0][1..], [&adhoc.id, name, "10.000", "0.000", "0.000", "10.000", "67", "USD"]);
    let local_day = (hour + Duration::hours(8)).date_naive().to_string();
    assert_eq!(rows[0][0], local_day, "the day in Asia/Shanghai");
    let table = spark_billing(&url, &args[..8]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(text.starts_with("DATE") && text.contains(name) && text.contains("10.000"), "{text}");

    let out =
        spark_billing(&url, &["report", "orders", "--account", &c.account_id, "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (header, rows) = records(&out.stdout);
    assert_eq!(header, billing_app::exports::ORDER_COLUMNS);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0][0].as_str(), rows[0][4].as_str(), rows[0][10].as_str()), (order.as_str(), "paid", "80525"));
    assert!(rows[0][1].ends_with("+08:00"), "{}", rows[0][1]);
}

#[tokio::test]
async fn a_usage_report_names_what_is_wrong_with_its_input() {
    let url = "sqlite::memory:";
    for (args, named) in [
        (vec!["report", "usage", "--from", "2026-03-01", "--to", "2026-04-01"], "--account"),
        (vec!["report", "usage", "--account", "acc_x", "--from", "2026-04-01", "--to", "2026-03-01"], "--to"),
        (vec!["report", "usage", "--account", "acc_x", "--from", "2026-02-30", "--to", "2026-04-01"], "--from"),
    ] {
        let out = spark_billing(url, &args).output().unwrap();
        assert!(!out.status.success());
        assert!(stderr(&out).contains(named), "{args:?}: {}", stderr(&out));
    }
}
