//! Unsubscription end to end: binding quotes, the atomic confirmation, the
//! workspace deleted with a tombstone, plans released, renewals refunded
//! alone, idempotency and stale quotes.

use billing_app::clock::Clock;
use billing_app::unsubscription::records::RefundStatus;
use billing_app::unsubscription::{Confirmation, QuoteView};
use billing_app::{AppError, Billing, Caller};
use billing_domain::ids::InstanceId;
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use billing_domain::policy::Policy;
use billing_domain::quote::RefundType;
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::{Seed, balance};
use crate::support::{OPERATOR, World, at, usd};

/// The Singapore quota of the reference scenario: 100 CU for 6 months paid
/// from the balance on 2026-03-10 14:23:05 (the suite's clock start).
async fn singapore_quota(w: &World) -> (Seed, InstanceId) {
    let seed = w.seed("acme", "20000.00").await;
    let bought = w
        .billing
        .purchases()
        .buy_quota(&seed.caller, &seed.quota(100, 6, Some(vec![balance("19326.00")])))
        .await
        .unwrap();
    w.billing.accounts().add_job(&seed.caller, &seed.workspace.id, "daily-etl.py", "print('etl')").await.unwrap();
    w.billing.accounts().add_job(&seed.caller, &seed.workspace.id, "report.sql", "SELECT 1").await.unwrap();
    w.billing.accounts().add_data_object(&seed.caller, &seed.workspace.id, "events.parquet", 4096).await.unwrap();
    (seed, bought.instance.id)
}

pub fn confirm(quote: &QuoteView, key: &str, name: Option<&str>) -> Confirmation {
    Confirmation {
        quote_id: quote.stored.id.clone(),
        idempotency_key: key.to_owned(),
        confirm_workspace_deletion: name.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_quota_is_refunded_pro_rata_and_its_workspace_deleted_for_good() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        w.clock.set(at("2026-05-01T09:00:00+08:00"));
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(quote.quote.refund.to_string(), "13864.31");
        assert_eq!(quote.quote.refund_type, RefundType::PartialRefund);
        assert_eq!(quote.deletes.as_ref().map(|t| (t.jobs, t.data_objects)), Some((2, 1)));
        let before = w.balance_of(seed.id()).await;
        let wrong =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&quote, "k1", Some("ETL"))).await;
        assert_eq!(wrong.unwrap_err().code(), "CONFIRMATION_MISMATCH");
        let missing =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&quote, "k1", None)).await;
        assert_eq!(missing.unwrap_err().code(), "CONFIRMATION_MISMATCH");
        assert_eq!(w.instance(&quota).await.state.as_str(), "active", "a refused confirmation changed the quota");

        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "k1", Some("etl")))
            .await
            .unwrap();
        assert_eq!(done.unsubscription.refund.to_string(), "13864.31");
        assert_eq!(done.refunds.len(), 1);
        assert_eq!(done.refunds[0].status, RefundStatus::Succeeded);
        assert_eq!(w.balance_of(seed.id()).await, before.checked_add(usd("13864.31")).unwrap());
        let tombstone = done.tombstone.expect("a tombstone");
        assert_eq!((tombstone.jobs, tombstone.data_objects, tombstone.queues), (2, 1, 2));
        let gone = w.billing.accounts().workspace_details(&seed.caller, &seed.workspace.id).await.unwrap_err();
        assert_eq!(gone.code(), "NOT_FOUND");
        let mut tx = w.store.pool().begin().await.unwrap();
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs").fetch_one(&mut *tx).await.unwrap();
        assert_eq!(jobs, 0, "job scripts must be removed for good");
        drop(tx);
        assert_eq!(w.instance(&quota).await.state.as_str(), "unsubscribed");
        assert!(w.orders(&quota).await.iter().all(|o| o.status == OrderStatus::Refunded));
        w.assert_books_in_order().await;
        let again = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(again.quote.reason.map(|r| r.code()), Some("ALREADY_UNSUBSCRIBED"));
    });
}

#[tokio::test]
async fn the_same_key_returns_the_first_result_and_another_request_with_it_is_refused() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        w.clock.advance(Duration::days(3));
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let first = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "same", Some("etl")))
            .await
            .unwrap();
        let second = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "same", Some("etl")))
            .await
            .unwrap();
        assert!(second.replayed);
        assert_eq!(second.unsubscription, first.unsubscription);
        assert_eq!(second.refunds.len(), first.refunds.len());
        let other = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let reused = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&other, "same", Some("etl")))
            .await;
        assert!(matches!(reused, Err(AppError::IdempotencyKeyReused { .. })));
        let fresh_key = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "other", Some("etl")))
            .await;
        assert_eq!(fresh_key.unwrap_err().code(), "ALREADY_UNSUBSCRIBED");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_quote_goes_stale_when_it_expires_or_its_facts_change() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        w.clock.advance(Duration::minutes(16));
        let late =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&quote, "a", Some("etl"))).await;
        assert_eq!(late.unwrap_err().code(), "QUOTE_STALE");
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        w.billing.purchases().renew(&seed.caller, &quota, 1, &[], Some(&[seed.card("3221.00")])).await.unwrap();
        let changed =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&quote, "b", Some("etl"))).await;
        assert_eq!(changed.unwrap_err().code(), "QUOTE_STALE");
        assert_eq!(w.instance(&quota).await.state.as_str(), "active");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_policy_version_added_by_another_server_is_used_by_the_next_quote() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        let first = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(
            (first.stored.policy_version, first.stored.expires_at - first.stored.created_at),
            (1, Duration::minutes(15))
        );
        // A second service over the same database, as another replica; its
        // writes are seen here at the next read of the audit chain.
        let other = Billing::new(w.store.clone(), w.clock.clone());
        w.billing.changes().set_poll_interval(std::time::Duration::ZERO);
        w.clock.advance(Duration::minutes(1));
        let mut policy = Policy::default();
        policy.set("quote_ttl", "5m").unwrap();
        other.operations().add_policy_version(&OPERATOR, w.clock.now(), policy).await.unwrap();
        let second = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(second.stored.policy_version, 2, "the first replica still quoted under the old version");
        assert_eq!(second.stored.expires_at - second.stored.created_at, Duration::minutes(5));
        // The first quote was made under version 1 and is still binding.
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&first, "p", Some("etl")))
            .await
            .unwrap();
        assert_eq!(done.unsubscription.quote_id, first.stored.id);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_confirmation_that_would_refund_more_than_the_cash_paid_is_refused_whole() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        w.clock.advance(Duration::days(3));
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let other = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        // A refund of the whole order that the flow could never have made,
        // written behind the service's back; it changes nothing the quote
        // depends on.
        let order = w.orders(&quota).await.remove(0);
        let now = w.clock.now().timestamp_micros();
        sqlx::query(
            "INSERT INTO quotes (id, account_id, instance_id, created_at, expires_at, policy_version, digest, \
             eligible, currency, refund_minor, body) VALUES ($1, $2, $3, 0, 0, 1, '', 1, 'USD', 0, '')",
        )
        .bind(other.stored.id.as_str())
        .bind(seed.id().as_str())
        .bind(quota.as_str())
        .execute(w.store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO unsubscriptions (id, account_id, instance_id, order_id, quote_id, commodity, currency, \
             refund_minor, full_refund, created_at) VALUES ('uns_stray', $1, $2, $3, $4, 'spark_reserved', 'USD', \
             1932600, 0, $5)",
        )
        .bind(seed.id().as_str())
        .bind(quota.as_str())
        .bind(order.id.as_str())
        .bind(other.stored.id.as_str())
        .bind(now)
        .execute(w.store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO refunds (id, unsubscription_id, account_id, order_id, tender_index, from_method, \
             destination, rule, currency, amount_minor, status, attempts, created_at, updated_at, expected_by) \
             VALUES ('ref_stray', 'uns_stray', $1, $2, 0, 'balance', 'balance', 'stray', 'USD', 1932600, \
             'succeeded', 0, $3, $3, $3)",
        )
        .bind(seed.id().as_str())
        .bind(order.id.as_str())
        .bind(now)
        .execute(w.store.pool())
        .await
        .unwrap();
        let before = w.balance_of(seed.id()).await;
        let refused = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "over", Some("etl")))
            .await;
        let error = refused.unwrap_err();
        assert_eq!(error.code(), "INTERNAL");
        assert!(error.to_string().contains("would refund"), "{error}");
        assert_eq!(w.instance(&quota).await.state.as_str(), "active");
        assert_eq!(w.orders(&quota).await[0].status, OrderStatus::Paid);
        assert_eq!(w.balance_of(seed.id()).await, before);
    });
}

#[tokio::test]
async fn a_plan_unused_within_five_days_comes_back_whole_to_the_card_and_the_workspace_stays() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let plan = w
            .billing
            .purchases()
            .buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![seed.card("53.68")])))
            .await
            .unwrap();
        w.clock.advance(Duration::days(3));
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &plan.instance.id, None).await.unwrap();
        assert_eq!(quote.quote.refund_type, RefundType::UnusedMoneyBack);
        assert!(quote.deletes.is_none());
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "p", None))
            .await
            .unwrap();
        assert_eq!(done.refunds.len(), 1);
        let refund = &done.refunds[0];
        assert_eq!(
            (refund.destination, refund.status, refund.amount),
            (PaymentMethodKind::Card, RefundStatus::Pending, usd("53.68"))
        );
        assert!(refund.expected_by > w.billing.now() + Duration::days(30));
        assert!(w.billing.accounts().workspace_details(&seed.caller, &seed.workspace.id).await.is_ok());
        assert_eq!(w.ledger_sum(&format!("plan:{}:remaining", plan.instance.id), "CUH").await, 0);
        // Later usage is charged pay-as-you-go: the released plan is not drawn.
        let hour = w.billing.now() - Duration::hours(1);
        let hour = hour - Duration::seconds(hour.timestamp().rem_euclid(3600));
        let record = crate::seed::usage("u1", &seed.workspace.id, hour, "10");
        w.billing.metering().import_usage(&OPERATOR, &[record]).await.unwrap();
        assert_eq!(w.instance(&plan.instance.id).await.used.milli(), 0);
        assert_eq!(w.balance_of(seed.id()).await.to_string(), "-0.67");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_pending_renewal_alone_comes_back_whole_and_puts_the_end_back() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "10000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(25, 1, Some(vec![balance("805.25")])))
            .await
            .unwrap();
        let quota = bought.instance.id;
        let end_before = w.periods(&quota).await.last().unwrap().end;
        let renewal =
            w.billing.purchases().renew(&seed.caller, &quota, 2, &[], Some(&[balance("1610.50")])).await.unwrap();
        assert!(w.periods(&quota).await.last().unwrap().end > end_before);
        let quote = w
            .billing
            .unsubscriptions()
            .quote_unsubscription(&seed.caller, &quota, Some(&renewal.order.id))
            .await
            .unwrap();
        assert_eq!(quote.quote.refund.to_string(), "1610.50");
        assert!(quote.deletes.is_none());
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "r", None))
            .await
            .unwrap();
        assert_eq!(done.refunds[0].amount, usd("1610.50"));
        assert!(done.tombstone.is_none());
        assert_eq!(w.instance(&quota).await.state.as_str(), "active");
        assert_eq!(w.order(&renewal.order.id).await.status, OrderStatus::Refunded);
        assert_eq!(w.periods(&quota).await.last().unwrap().end, end_before);
        assert!(w.billing.accounts().workspace_details(&seed.caller, &seed.workspace.id).await.is_ok());
        let not_renewal =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, Some(&bought.order.id)).await;
        assert_eq!(not_renewal.unwrap_err().code(), "INVALID_INPUT");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn another_accounts_quote_cannot_be_seen_or_confirmed() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        let intruder = w.seed("intruder", "0").await;
        let seen = w.billing.unsubscriptions().quote_unsubscription(&intruder.caller, &quota, None).await;
        assert_eq!(seen.unwrap_err().code(), "NOT_FOUND");
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let confirmed = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&intruder.caller, &confirm(&quote, "x", Some("etl")))
            .await;
        assert_eq!(confirmed.unwrap_err().code(), "NOT_FOUND");
        let backup = w.billing.unsubscriptions().backup_workspace(&intruder.caller, &seed.workspace.id).await;
        assert_eq!(backup.unwrap_err().code(), "NOT_FOUND");
        assert_eq!(w.instance(&quota).await.state.as_str(), "active");
    });
}

#[tokio::test]
async fn the_backup_holds_every_job_script_with_a_manifest() {
    on_every_backend!(|w| {
        let (seed, _) = singapore_quota(&w).await;
        let backup = w.billing.unsubscriptions().backup_workspace(&seed.caller, &seed.workspace.id).await.unwrap();
        assert_eq!(backup.jobs, 2);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(backup.bytes.as_slice()));
        let mut files = std::collections::BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            files.insert(path, text);
        }
        assert_eq!(files.get("jobs/daily-etl.py").map(String::as_str), Some("print('etl')"));
        assert_eq!(files.get("jobs/report.sql").map(String::as_str), Some("SELECT 1"));
        let manifest: serde_json::Value = serde_json::from_str(&files["manifest.json"]).unwrap();
        assert_eq!(manifest["jobs"].as_array().unwrap().len(), 2);
        assert_eq!(manifest["workspace"]["name"], "etl");
    });
}

#[tokio::test]
async fn deleting_a_pay_as_you_go_workspace_has_nothing_to_refund() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0").await;
        let payg = w.workspace(seed.id(), "adhoc", billing_app::model::BillingMethod::PayAsYouGo).await;
        let quote = w.billing.unsubscriptions().quote_workspace_deletion(&seed.caller, &payg.id).await;
        assert_eq!(quote.unwrap_err().code(), "NOT_PREPAID");
        let operator_sees =
            w.billing.unsubscriptions().quote_workspace_deletion(&Caller::Operator, &seed.workspace.id).await;
        assert_eq!(operator_sees.unwrap_err().code(), "NOT_PREPAID");
    });
}

#[tokio::test]
async fn quotes_asked_for_at_once_each_carry_their_own_id_and_only_the_confirmed_one_is_stored() {
    on_every_backend!(|w| {
        let (seed, quota) = singapore_quota(&w).await;
        w.clock.set(at("2026-05-01T09:00:00+08:00"));
        // A quote's id carries the quote, signed; quoting writes nothing.
        let asks = (0..40).map(|_| {
            let (billing, caller, quota) = (w.billing.clone(), seed.caller.clone(), quota.clone());
            tokio::spawn(async move { billing.unsubscriptions().quote_unsubscription(&caller, &quota, None).await })
        });
        let mut ids = Vec::new();
        for ask in asks.collect::<Vec<_>>() {
            let quote = ask.await.unwrap().unwrap();
            let stored = w.billing.unsubscriptions().stored_quote(&seed.caller, &quote.stored.id).await.unwrap();
            assert_eq!(stored.refund, quote.quote.refund);
            ids.push(quote.stored.id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 40);
        let count = || async {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quotes").fetch_one(w.store.pool()).await.unwrap();
            n
        };
        assert_eq!(count().await, 0);
        let last = w.billing.unsubscriptions().stored_quote(&seed.caller, &ids[39]).await.unwrap();
        let view = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let name = view.deletes.as_ref().map(|t| t.name.clone());
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&view, "k", name.as_deref()))
            .await;
        assert_eq!(done.unwrap().unsubscription.refund, last.refund);
        // The confirmed quote is kept with its lines, as it was shown.
        assert_eq!(count().await, 1);
        let kept = w.tx().await.quote(&view.stored.id).await.unwrap().expect("the confirmed quote is stored");
        assert_eq!((kept.refund, kept.digest.as_str()), (view.stored.refund, view.stored.digest.as_str()));
        let kept: serde_json::Value = serde_json::from_str(&kept.body).unwrap();
        assert_eq!(kept["refund"], view.json().unwrap()["refund"]);
        assert_eq!(kept["lines"], view.json().unwrap()["lines"]);
        w.assert_books_in_order().await;
    });
}
