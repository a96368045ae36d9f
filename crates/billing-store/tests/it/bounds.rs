//! Input and stored figures at the edges: usage of hours a workspace did not
//! exist in, and CU-hour sums past the largest quantity, are errors, never a
//! charge or a panic.

use billing_app::AppError;
use billing_app::model::BillingMethod;
use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::on_every_backend;
use crate::support::{OPERATOR, at, balance, customer, usage};

#[tokio::test]
async fn usage_of_hours_before_the_workspace_was_created_or_still_to_come_is_refused_naming_the_record() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let created = w.billing.now();
        let fresh = w
            .billing
            .accounts()
            .create_workspace(&customer(s.id()), s.id(), "ap-southeast-1", "fresh", BillingMethod::PayAsYouGo)
            .await
            .unwrap();
        let creation_hour = created.duration_trunc(Duration::hours(1)).unwrap();
        w.clock.advance(Duration::hours(2));
        let good = usage("ok", &fresh.id, creation_hour, "1");
        let before = w.snapshot().await;
        let cases: [(DateTime<Utc>, &str); 3] = [
            (at("0001-01-01T00:00:00Z"), "records[1].hour_start"),
            (creation_hour - Duration::hours(1), "records[1].hour_start"),
            (w.billing.now().duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1), "records[1].hour_start"),
        ];
        for (hour, field) in cases {
            let batch = [good.clone(), usage("bad", &fresh.id, hour, "1")];
            let err = w
                .assert_refused(&before, w.billing.metering().import_usage(&OPERATOR, &batch).await, "INVALID_INPUT")
                .await;
            assert!(matches!(&err, AppError::Invalid { field: f, .. } if f == field), "{hour}: {err:?}");
        }
        let outcome = w.billing.metering().import_usage(&OPERATOR, &[good]).await.unwrap();
        assert_eq!(outcome.imported, 1, "the hour the workspace was created in is its own");
    });
}

#[tokio::test]
async fn settled_cu_hours_that_add_up_past_the_largest_quantity_are_an_error_not_a_panic() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let hour = w.previous_hour();
        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "1")]).await.unwrap();
        // Two settlement lines of the hour whose usage sums past i64.
        let lines: String = sqlx::query_scalar("SELECT lines FROM settlement_packs WHERE workspace_id = $1")
            .bind(adhoc.id.as_str())
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        let mut fields: Vec<&str> = lines.split(' ').collect();
        fields[2] = "9223372036854775000";
        let huge = fields.join(" ");
        w.sql(&format!("UPDATE settlement_packs SET lines = '{huge};{huge}' WHERE workspace_id = '{}'", adhoc.id))
            .await;
        let balance = w.balance_of(s.id()).await;

        let late = w.billing.metering().import_usage(&OPERATOR, &[usage("r2", &adhoc.id, hour, "1")]).await;

        let err = late.unwrap_err();
        assert!(err.to_string().contains("settlement_packs.lines"), "{err}");
        assert_eq!(w.balance_of(s.id()).await, balance, "nothing was charged");
    });
}

#[tokio::test]
async fn a_quote_ttl_stored_before_the_bounds_that_leaves_the_calendar_fails_the_quote_without_a_panic() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();
        w.sql(r#"UPDATE policy_versions SET settings = '{"quote_ttl":"99999999999d"}' WHERE version = 1"#).await;
        let replica = w.replica().await;

        let quoted = replica.unsubscriptions().quote_unsubscription(&s.caller, &bought.instance.id, None).await;

        let err = quoted.expect_err("no quote can be binding that long");
        assert_eq!(err.code(), "INTERNAL", "{err}");
        assert_eq!(
            replica.operations().policy_versions().await.unwrap()[0].policy.quote_ttl.to_string(),
            "99999999999d"
        );
    });
}
