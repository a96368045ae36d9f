//! A database written before an upgrade reads the same after it: the
//! settlements of a database made before settlements were kept in packs
//! (migrations 7 to 9), and its usage records, kept by id since
//! (migration 10).

use billing_app::AppError;
use billing_app::model::{BillingMethod, Settlement};
use billing_app::store::Store;
use billing_domain::usage::CuHours;
use billing_store::{SqlStore, StoreOptions};
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, World, balance, usage};

/// Puts the settlements back the way migration 6 left them: a row per
/// settlement with the index by workspace, its draws in their own table;
/// and the usage records as migration 1 made them.
async fn rewind_to_migration_6(w: &World, settlements: &[Settlement]) {
    let mut conn = w.store.pool().acquire().await.unwrap();
    let pool = &mut *conn;
    for sql in [
        // Undoes migration 13.
        "DROP TABLE settlement_packs",
        "CREATE TABLE settlements (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, account_id TEXT NOT NULL, \
         hour_start BIGINT NOT NULL, adjustment BIGINT NOT NULL, usage_milli BIGINT NOT NULL, \
         covered_milli BIGINT NOT NULL, payg_milli BIGINT NOT NULL, bill_milli_major BIGINT NOT NULL, \
         currency TEXT NOT NULL, charge_minor BIGINT NOT NULL, settled_at BIGINT NOT NULL)",
        "CREATE INDEX settlements_hour ON settlements(workspace_id, hour_start)",
        "CREATE TABLE plan_draws (settlement_id TEXT NOT NULL REFERENCES settlements(id), \
         plan_id TEXT NOT NULL REFERENCES instances(id), cu_milli BIGINT NOT NULL, \
         PRIMARY KEY (settlement_id, plan_id))",
        "CREATE TABLE usage_records_before (record_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, \
         hour_start BIGINT NOT NULL, cu_milli BIGINT NOT NULL)",
        "INSERT INTO usage_records_before SELECT record_id, workspace_id, hour_start, cu_milli FROM usage_records",
        "DROP TABLE usage_records",
        "ALTER TABLE usage_records_before RENAME TO usage_records",
        "DELETE FROM schema_migrations WHERE version BETWEEN 7 AND 10",
    ] {
        sqlx::query(sql).execute(&mut *pool).await.unwrap();
    }
    for s in settlements {
        sqlx::query(
            "INSERT INTO settlements (id, workspace_id, account_id, hour_start, adjustment, usage_milli, \
             covered_milli, payg_milli, bill_milli_major, currency, charge_minor, settled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&s.id)
        .bind(s.workspace_id.as_str())
        .bind(s.account_id.as_str())
        .bind(s.hour_start.timestamp_micros())
        .bind(i64::from(s.adjustment))
        .bind(s.usage.milli())
        .bind(s.covered.milli())
        .bind(s.pay_as_you_go.milli())
        .bind(s.bill_milli_major)
        .bind(s.charge.currency().code())
        .bind(s.charge.minor())
        .bind(s.settled_at.timestamp_micros())
        .execute(&mut *pool)
        .await
        .unwrap();
        for (plan, cu) in &s.draws {
            sqlx::query("INSERT INTO plan_draws (settlement_id, plan_id, cu_milli) VALUES ($1, $2, $3)")
                .bind(&s.id)
                .bind(plan.as_str())
                .bind(cu.milli())
                .execute(&mut *pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn settlements_with_draws_and_adjustments_read_the_same_after_the_upgrade() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let first =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let second =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let quiet = w.workspace(s.id(), "quiet", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::days(2));
        let last = w.previous_hour();
        let records_before = [
            usage("r0", &adhoc.id, last - Duration::hours(30), "150"),
            usage("r1", &adhoc.id, last - Duration::hours(2), "1"),
            usage("r2", &adhoc.id, last, "1"),
            usage("r3", &quiet.id, last, "1"),
        ];
        w.billing.metering().import_usage(&OPERATOR, &records_before).await.unwrap();
        w.clock.advance(Duration::minutes(5));
        let late_record = usage("late", &adhoc.id, last - Duration::hours(2), "1");
        w.billing.metering().import_usage(&OPERATOR, std::slice::from_ref(&late_record)).await.unwrap();
        let before = w.settlements(&adhoc.id).await;
        // The first hour drew both plans dry and half of the second.
        let both = vec![
            (first.instance.id.clone(), CuHours::from_whole(100)),
            (second.instance.id.clone(), CuHours::from_whole(50)),
        ];
        assert_eq!(before[0].draws, both);
        assert_eq!((before.len(), before.iter().filter(|l| l.adjustment).count()), (4, 1));
        let quiet_before = w.settlements(&quiet.id).await;

        rewind_to_migration_6(&w, &[before.clone(), quiet_before.clone()].concat()).await;
        let upgraded = SqlStore::connect(&w.url, StoreOptions::default()).await.unwrap();
        // Migration 10 laid the records out by id.
        let (layout, expected) = match w.backend {
            "sqlite" => ("SELECT sql FROM sqlite_master WHERE name = 'usage_records'", "WITHOUT ROWID"),
            _ => (
                "SELECT CAST(collation_name AS TEXT) FROM information_schema.columns \
                 WHERE table_name = 'usage_records' AND column_name = 'record_id'",
                "C",
            ),
        };
        let layout: String = sqlx::query_scalar(layout).fetch_one(upgraded.pool()).await.unwrap();
        assert!(layout.ends_with(expected), "{layout}");

        let mut tx = upgraded.read().await.unwrap();
        assert_eq!(tx.settlements(&adhoc.id, None, 1000).await.unwrap().unwrap(), before);
        assert_eq!(tx.settlements(&quiet.id, None, 1000).await.unwrap().unwrap(), quiet_before);
        // Each settlement is a cursor under its old id.
        for (i, s) in before.iter().enumerate() {
            let after = tx.settlements(&adhoc.id, Some(&s.id), 1000).await.unwrap().unwrap();
            assert_eq!(after, before[i + 1..], "after {}", s.id);
        }
        drop(tx);
        // And it goes on settling: a late record adds to what the upgraded
        // rows settled (drawing from what is left of the second plan), a new
        // hour is settled for the first time.
        w.clock.advance(Duration::hours(1));
        let upgraded = std::sync::Arc::new(upgraded);
        let billing = billing_app::Billing::new(upgraded.clone(), w.clock.clone());
        let records = [
            usage("later", &adhoc.id, last - Duration::hours(30), "1"),
            usage("newer", &quiet.id, last + Duration::hours(1), "1"),
        ];
        let outcome = billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        assert_eq!((outcome.adjustments, outcome.settled_hours), (1, 1));
        let mut tx = upgraded.read().await.unwrap();
        let (late, kept): (Vec<Settlement>, Vec<Settlement>) = tx
            .settlements(&adhoc.id, None, 1000)
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .partition(|l| !before.contains(l));
        assert_eq!(kept, before);
        assert_eq!(late.len(), 1);
        let late = &late[0];
        assert!(late.adjustment && late.hour_start == last - Duration::hours(30), "{late:?}");
        let drawn = vec![(second.instance.id.clone(), CuHours::from_whole(1))];
        assert_eq!((late.usage, late.covered, &late.draws), (CuHours::from_whole(1), CuHours::ZERO, &drawn));
        drop(tx);
        // The records stored before are still known by their ids: sent
        // again they are skipped, and one with the same id but other
        // content is refused.
        let again = [records_before.as_slice(), std::slice::from_ref(&late_record)].concat();
        let outcome = billing.metering().import_usage(&OPERATOR, &again).await.unwrap();
        assert_eq!((outcome.imported, outcome.duplicates), (0, 5));
        let changed = usage("r0", &adhoc.id, last - Duration::hours(30), "151");
        let refused = billing.metering().import_usage(&OPERATOR, &[changed]).await.unwrap_err();
        assert!(matches!(&refused, AppError::DuplicateUsageRecord { record_id } if record_id == "r0"), "{refused:?}");
    });
}
