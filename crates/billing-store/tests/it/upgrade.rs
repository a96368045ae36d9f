//! A database written before an upgrade reads the same after it: the
//! settlements of a database made before settlements were indexed by hour
//! and kept their plan draws on the row (migrations 7 and 8).

use billing_app::model::BillingMethod;
use billing_app::store::Store;
use billing_domain::usage::CuHours;
use billing_store::{SqlStore, StoreOptions};
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, World, balance, settled_days, usage};

/// Puts the settlements back the way migration 6 left them: draws in their
/// own table, no settled days, the index by workspace.
async fn rewind_to_migration_6(w: &World) {
    let mut conn = w.store.pool().acquire().await.unwrap();
    let pool = &mut *conn;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, draws FROM settlements").fetch_all(&mut *pool).await.unwrap();
    sqlx::query(
        "CREATE TABLE plan_draws (settlement_id TEXT NOT NULL REFERENCES settlements(id), \
         plan_id TEXT NOT NULL REFERENCES instances(id), cu_milli BIGINT NOT NULL, \
         PRIMARY KEY (settlement_id, plan_id))",
    )
    .execute(&mut *pool)
    .await
    .unwrap();
    for (id, draws) in &rows {
        for pair in draws.split(',').filter(|p| !p.is_empty()) {
            let (plan, milli) = pair.rsplit_once(':').unwrap();
            sqlx::query("INSERT INTO plan_draws (settlement_id, plan_id, cu_milli) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(plan)
                .bind(milli.parse::<i64>().unwrap())
                .execute(&mut *pool)
                .await
                .unwrap();
        }
    }
    for sql in [
        "ALTER TABLE settlements DROP COLUMN draws",
        "DROP TABLE settlement_days",
        "DROP INDEX settlements_hour",
        "CREATE INDEX settlements_hour ON settlements(workspace_id, hour_start)",
        "DELETE FROM schema_migrations WHERE version >= 7",
    ] {
        sqlx::query(sql).execute(&mut *pool).await.unwrap();
    }
}

#[tokio::test]
async fn settlements_with_draws_and_adjustments_read_the_same_after_the_upgrade() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let first = w.billing.buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let second = w.billing.buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let quiet = w.workspace(s.id(), "quiet", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::days(2));
        let last = w.previous_hour();
        let records = [
            usage("r0", &adhoc.id, last - Duration::hours(30), "150"),
            usage("r1", &adhoc.id, last - Duration::hours(2), "1"),
            usage("r2", &adhoc.id, last, "1"),
            usage("r3", &quiet.id, last, "1"),
        ];
        w.billing.import_usage(&OPERATOR, &records).await.unwrap();
        w.clock.advance(Duration::minutes(5));
        w.billing.import_usage(&OPERATOR, &[usage("late", &adhoc.id, last - Duration::hours(2), "1")]).await.unwrap();
        let before = w.settlements(&adhoc.id).await;
        // The first hour drew both plans dry and half of the second.
        let both = vec![
            (first.instance.id.clone(), CuHours::from_whole(100)),
            (second.instance.id.clone(), CuHours::from_whole(50)),
        ];
        assert_eq!(before[0].draws, both);
        assert_eq!((before.len(), before.iter().filter(|l| l.adjustment).count()), (4, 1));
        let days = settled_days(w.store.pool()).await;
        let quiet_before = w.settlements(&quiet.id).await;

        rewind_to_migration_6(&w).await;
        let upgraded = SqlStore::connect(&w.url, StoreOptions::default()).await.unwrap();

        let mut tx = upgraded.read().await.unwrap();
        assert_eq!(tx.settlements(&adhoc.id, None, 1000).await.unwrap().unwrap(), before);
        assert_eq!(tx.settlements(&quiet.id, None, 1000).await.unwrap().unwrap(), quiet_before);
        drop(tx);
        assert_eq!(settled_days(upgraded.pool()).await, days);
        // And it goes on settling.
        let billing = billing_app::Billing::new(std::sync::Arc::new(upgraded), w.clock.clone());
        let outcome = billing
            .import_usage(&OPERATOR, &[usage("later", &adhoc.id, last - Duration::hours(30), "1")])
            .await
            .unwrap();
        assert_eq!(outcome.adjustments, 1);
    });
}
