//! What happens with time alone: quotas and plans expire when their period
//! ends, and due work is done once however often it runs.

use billing_app::lifecycle::DueWork;
use billing_app::model::{BillingMethod, InstanceState, QueueStatus, WorkspaceStatus};
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, at, balance, usage, usd};

#[tokio::test]
async fn a_quota_expires_when_its_period_ends_and_its_workspace_stays_with_everything_in_it() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();
        w.billing
            .accounts()
            .add_job(&s.caller, &s.workspace.id, "nightly", "spark.read.parquet('s3://x')")
            .await
            .unwrap();
        w.billing.accounts().add_data_object(&s.caller, &s.workspace.id, "events.parquet", 1 << 20).await.unwrap();
        let end = w.periods(&bought.instance.id).await[0].end;
        assert_eq!(end, at("2026-04-11T00:00:00+08:00"));

        w.clock.set(end - Duration::seconds(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);

        w.clock.set(end);
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });

        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Expired);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Stopped);
        let details = w.billing.accounts().workspace_details(&s.caller, &s.workspace.id).await.unwrap();
        assert_eq!(details.workspace.status, WorkspaceStatus::Active);
        assert_eq!(details.jobs.len(), 1);
        assert_eq!(details.data_objects.len(), 1);
        let default_queue = details.queues.iter().find(|q| !q.subscription).unwrap();
        assert_eq!(default_queue.status, QueueStatus::Running);
        assert_eq!(w.billing.accounts().workspaces(&s.caller, s.id()).await.unwrap().len(), 1);
        assert_eq!(w.balance_of(s.id()).await, usd("194.75"));

        let before = w.snapshot().await;
        let renewal =
            w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], Some(&[balance("805.25")])).await;
        w.assert_refused(&before, renewal, "INVALID_STATE").await;
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_workspace_whose_quota_expired_can_get_a_new_quota_that_restarts_its_queue() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "2000.00").await;
        let first =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();
        w.clock.set(w.periods(&first.instance.id).await[0].end);
        w.billing.purchases().run_due().await.unwrap();
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Stopped);

        let second =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();

        assert_ne!(second.instance.id, first.instance.id);
        assert_eq!(w.instance(&second.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.instance(&first.instance.id).await.state, InstanceState::Expired);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_resource_plan_expires_at_the_end_of_its_validity_and_its_unused_capacity_is_written_off() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let plan =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(1000, 1, Some(vec![balance("53.68")]))).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::hours(2));
        let hour = w.previous_hour();
        w.billing.metering().import_usage(&OPERATOR, &[usage("r1", &adhoc.id, hour, "100")]).await.unwrap();
        let remaining = format!("plan:{}:remaining", plan.instance.id);
        assert_eq!(w.ledger_sum(&remaining, "CUH").await, 900_000);

        let end = at("2026-04-11T00:00:00+08:00");
        w.clock.set(end - Duration::seconds(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        w.clock.set(end);
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });

        assert_eq!(w.instance(&plan.instance.id).await.state, InstanceState::Expired);
        assert_eq!(w.ledger_sum(&remaining, "CUH").await, 0);
        assert_eq!(w.ledger_sum("capacity:expired", "CUH").await, 900_000);
        w.assert_books_in_order().await;

        // Usage after the end is charged pay-as-you-go: 10 × 0.067106 → 0.67.
        let before = w.balance_of(s.id()).await;
        let late = usage("r2", &adhoc.id, end, "10");
        w.clock.advance(Duration::hours(1));
        w.billing.metering().import_usage(&OPERATOR, &[late]).await.unwrap();
        assert_eq!(w.balance_of(s.id()).await, before.checked_sub(usd("0.67")).unwrap());
        assert_eq!(w.instance(&plan.instance.id).await.used.milli(), 100_000);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn running_due_work_twice_does_each_thing_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "20000.00").await;
        let mut renewing = s.quota(25, 1, Some(vec![balance("805.25")]));
        renewing.auto_renew = true;
        w.billing.purchases().buy_quota(&s.caller, &renewing).await.unwrap();
        let other = w.workspace(s.id(), "other", BillingMethod::Subscription).await;
        let mut expiring = s.quota(25, 1, Some(vec![balance("805.25")]));
        expiring.workspace_id = other.id.clone();
        w.billing.purchases().buy_quota(&s.caller, &expiring).await.unwrap();
        w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, None)).await.unwrap();

        w.clock.set(at("2026-04-05T00:00:00+08:00"));
        let first = w.billing.purchases().run_due().await.unwrap();
        assert_eq!(first, DueWork { orders_cancelled: 1, renewed: 1, ..DueWork::default() });
        let after_first = w.snapshot().await;
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.snapshot().await, after_first);

        w.clock.set(at("2026-04-11T00:00:00+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });
        let after_expiry = w.snapshot().await;
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.snapshot().await, after_expiry);
        assert_eq!(w.balance_of(s.id()).await, usd("17584.25"));
    });
}

#[tokio::test]
async fn a_plan_used_up_before_it_expires_leaves_no_empty_movement_in_the_ledger() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![balance("5.36")]))).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        w.clock.advance(Duration::hours(2));
        w.billing
            .metering()
            .import_usage(&OPERATOR, &[usage("r1", &adhoc.id, w.previous_hour(), "100")])
            .await
            .unwrap();

        w.clock.set(at("2026-04-11T00:00:00+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });

        // Nothing was left to write off: a movement without entries would
        // be invisible to the ledger check yet counted in the ledger.
        let empty: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ledger_movements m \
             WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.movement_id = m.id)",
        )
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        assert_eq!(empty, 0, "movements without entries");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_instance_whose_due_work_fails_is_recorded_and_the_others_still_renew_and_expire() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "20000.00").await;
        // The oldest instance comes first; its stored order runs past the
        // end of the calendar, so working out its period fails.
        let poisoned =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();
        w.sql(&format!("UPDATE orders SET months = 2147483647 WHERE instance_id = '{}'", poisoned.instance.id)).await;
        let mut renewing = s.quota(25, 1, Some(vec![balance("805.25")]));
        renewing.auto_renew = true;
        renewing.workspace_id = w.workspace(s.id(), "renewing", BillingMethod::Subscription).await.id;
        let renewing = w.billing.purchases().buy_quota(&s.caller, &renewing).await.unwrap();
        let mut expiring = s.quota(25, 1, Some(vec![balance("805.25")]));
        expiring.workspace_id = w.workspace(s.id(), "expiring", BillingMethod::Subscription).await.id;
        let expiring = w.billing.purchases().buy_quota(&s.caller, &expiring).await.unwrap();

        w.clock.set(at("2026-04-05T00:00:00+08:00"));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { renewed: 1, failed: 1, ..DueWork::default() }
        );
        assert_eq!(w.billing.purchases().orders(&s.caller, &renewing.instance.id).await.unwrap().len(), 2);
        w.clock.set(at("2026-04-11T00:00:00+08:00"));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { expired: 1, failed: 1, ..DueWork::default() }
        );

        assert_eq!(w.instance(&expiring.instance.id).await.state, InstanceState::Expired);
        assert_eq!(w.instance(&renewing.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.instance(&poisoned.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.audited("due_work.failed").await, 1, "the same failure is audited once, not every pass");
        assert_eq!(w.billing.purchases().due_failures_total(), 2, "every failure is counted");
        let chain = w.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(chain.problem, None);
    });
}
