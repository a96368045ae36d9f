//! Deleting a workspace that has nothing to refund: pay-as-you-go, an ended
//! quota, a quota that refunds nothing; a refundable quota is unsubscribed
//! instead.

use billing_app::model::BillingMethod;
use billing_app::workspace_deletion::WorkspaceDeletion;
use billing_domain::ids::AccountId;
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::balance;
use crate::support::{World, at};

fn deletion(workspace_id: &billing_domain::ids::WorkspaceId, name: &str, key: &str) -> WorkspaceDeletion {
    WorkspaceDeletion {
        workspace_id: workspace_id.to_owned(),
        confirm_workspace_deletion: name.to_owned(),
        idempotency_key: key.to_owned(),
    }
}

async fn count(w: &World, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(w.store.pool()).await.unwrap()
}

#[tokio::test]
async fn a_pay_as_you_go_workspace_is_deleted_without_a_refund_once_its_name_is_typed() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(seed.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        w.billing.accounts().add_job(&seed.caller, &adhoc.id, "q.sql", "SELECT 1").await.unwrap();
        w.billing.accounts().add_data_object(&seed.caller, &adhoc.id, "a.csv", 10).await.unwrap();
        let preview = w.billing.unsubscriptions().workspace_deletion_preview(&seed.caller, &adhoc.id).await.unwrap();
        assert_eq!((preview.deletes.jobs, preview.deletes.data_objects, preview.deletes.queues), (1, 1, 1));
        assert_eq!(preview.quota, None);

        let before = w.snapshot().await;
        let wrong =
            w.billing.unsubscriptions().delete_workspace(&seed.caller, &deletion(&adhoc.id, "ad hoc", "k1")).await;
        w.assert_refused(&before, wrong, "CONFIRMATION_MISMATCH").await;
        let other = w
            .billing
            .unsubscriptions()
            .delete_workspace(
                &crate::support::customer(&AccountId::trusted("acc_other")),
                &deletion(&adhoc.id, "adhoc", "k9"),
            )
            .await;
        w.assert_refused(&before, other, "NOT_FOUND").await;

        let done = w
            .billing
            .unsubscriptions()
            .delete_workspace(&seed.caller, &deletion(&adhoc.id, "adhoc", "k1"))
            .await
            .unwrap();
        assert!(!done.replayed);
        assert_eq!((done.tombstone.name.as_str(), done.tombstone.jobs, done.tombstone.data_objects), ("adhoc", 1, 1));
        assert_eq!(
            w.billing.accounts().workspace_details(&seed.caller, &adhoc.id).await.unwrap_err().code(),
            "NOT_FOUND"
        );
        assert_eq!(count(&w, "SELECT COUNT(*) FROM jobs WHERE name = 'q.sql'").await, 0);
        assert_eq!(count(&w, "SELECT COUNT(*) FROM unsubscriptions").await, 0);
        assert_eq!(count(&w, "SELECT COUNT(*) FROM refunds").await, 0);
        assert_eq!(w.balance_of(seed.id()).await, seed.account.balance);
        assert_eq!(w.audited("workspace.deleted").await, 1);

        let again = w
            .billing
            .unsubscriptions()
            .delete_workspace(&seed.caller, &deletion(&adhoc.id, "adhoc", "k1"))
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.tombstone, done.tombstone);
        assert_eq!(w.audited("workspace.deleted").await, 1);
        let reused = w
            .billing
            .unsubscriptions()
            .delete_workspace(&seed.caller, &deletion(&seed.workspace.id, "etl", "k1"))
            .await;
        assert_eq!(reused.unwrap_err().code(), "IDEMPOTENCY_KEY_REUSED");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_workspace_whose_quota_can_be_refunded_points_to_the_unsubscription() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "20000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 6, Some(vec![balance("19326.00")])))
            .await
            .unwrap();
        w.clock.advance(Duration::days(3));
        let preview =
            w.billing.unsubscriptions().workspace_deletion_preview(&seed.caller, &seed.workspace.id).await.unwrap_err();
        assert_eq!(preview.code(), "QUOTA_REFUNDABLE");
        assert!(preview.to_string().contains(bought.instance.id.as_str()), "{preview}");
        let before = w.snapshot().await;
        let refused = w
            .billing
            .unsubscriptions()
            .delete_workspace(&seed.caller, &deletion(&seed.workspace.id, "etl", "k1"))
            .await;
        w.assert_refused(&before, refused, "QUOTA_REFUNDABLE").await;
    });
}

#[tokio::test]
async fn the_workspace_of_an_ended_quota_is_deleted_and_the_quota_no_longer_counts_as_active() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "20000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 1, Some(vec![balance("3221.00")])))
            .await
            .unwrap();
        // Past the end of its month; the lifecycle has not marked it yet.
        w.clock.set(at("2026-04-20T09:00:00+08:00"));
        assert_eq!(w.instance(&bought.instance.id).await.state.as_str(), "active");
        let preview =
            w.billing.unsubscriptions().workspace_deletion_preview(&seed.caller, &seed.workspace.id).await.unwrap();
        assert_eq!(preview.quota.as_ref().and_then(|q| q.reason).map(|r| r.code()), Some("EXPIRED"));
        let balance_before = w.balance_of(seed.id()).await;
        let done = w
            .billing
            .unsubscriptions()
            .delete_workspace(&seed.caller, &deletion(&seed.workspace.id, "etl", "k1"))
            .await
            .unwrap();
        assert_eq!(done.tombstone.queues, 2);
        assert_eq!(w.instance(&bought.instance.id).await.state.as_str(), "expired");
        assert_eq!(w.balance_of(seed.id()).await, balance_before);
        assert_eq!(count(&w, "SELECT COUNT(*) FROM refunds").await, 0);
        // Nothing is left to run out later.
        let report = w.billing.purchases().run_due().await;
        assert!(report.is_ok(), "{report:?}");
        w.assert_books_in_order().await;
    });
}
