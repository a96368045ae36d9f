//! Several OS processes on one database: racing confirmations make one
//! refund, and a refund worker killed mid-batch loses and doubles nothing.

use std::process::Stdio;
use std::time::{Duration, Instant};

use billing_app::Caller;
use billing_app::purchase::PlanPurchase;
use billing_app::unsubscription::Confirmation;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_domain::ids::AccountId;
use billing_domain::order::PaymentMethodKind;
use billing_domain::usage::CuHours;

use crate::support::{customer, fresh_databases, open, spark_billing, stderr};

async fn scalar(store: &billing_store::SqlStore, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_confirming_one_quote_make_one_refund() {
    for (backend, url) in fresh_databases().await {
        let (store, billing) = open(&url).await;
        let c = customer(&billing, "acme", "1000.00").await;
        let request = billing_app::purchase::QuotaPurchase {
            account_id: c.account_id.clone(),
            workspace_id: c.workspace_id.clone(),
            cu: 25,
            months: 1,
            benefit_ids: vec![],
            tenders: Some(vec![c.card("805.25")]),
            auto_renew: false,
        };
        let quota = billing.purchases().buy_quota(&c.caller, &request).await.unwrap().instance.id;
        let quote = billing.unsubscriptions().quote_unsubscription(&c.caller, &quota, None).await.unwrap().stored.id;
        let children: Vec<_> = (0..4)
            .map(|i| {
                let key = format!("process-{i}");
                let args = [
                    "unsubscribe",
                    "--quote",
                    &quote,
                    "--idempotency-key",
                    &key,
                    "--confirm-workspace",
                    "etl",
                    "--yes",
                ];
                spark_billing(&url, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
            })
            .collect();
        let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        let succeeded = outputs.iter().filter(|o| o.status.success()).count();
        assert_eq!(succeeded, 1, "on {backend}: exactly one process wins");
        for loser in outputs.iter().filter(|o| !o.status.success()) {
            assert!(stderr(loser).contains("already been unsubscribed"), "on {backend}: {}", stderr(loser));
        }
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM unsubscriptions").await, 1, "on {backend}");
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM refunds").await, 1, "on {backend}");
        assert!(billing.operations().ledger_check(&Caller::Operator).await.unwrap().ok(), "on {backend}");
    }
}

/// Buys and gives back `n` plans paid by card, leaving `n` card refunds
/// pending.
async fn pending_card_refunds(billing: &billing_app::Billing, n: usize) -> (AccountId, Vec<String>) {
    let c = customer(billing, "refund-heavy", "0").await;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let request = PlanPurchase {
            account_id: c.account_id.clone(),
            region_id: "ap-southeast-1".to_owned(),
            capacity: CuHours::from_whole(1000),
            months: 6,
            benefit_ids: vec![],
            tenders: Some(vec![c.card("53.68")]),
        };
        let plan = billing.purchases().buy_plan(&c.caller, &request).await.unwrap().instance.id;
        let quote = billing.unsubscriptions().quote_unsubscription(&c.caller, &plan, None).await.unwrap().stored.id;
        let confirmation =
            Confirmation { quote_id: quote, idempotency_key: format!("k{i}"), confirm_workspace_deletion: None };
        let done = billing.unsubscriptions().confirm_unsubscription(&c.caller, &confirmation).await.unwrap();
        ids.push(done.refunds[0].id.to_string());
    }
    (c.account_id, ids)
}

const WORKER: &[&str] = &[
    "refunds",
    "process",
    "--channel-delay",
    "0s",
    "--failures-per-mille",
    "300",
    "--lease",
    "1s",
    "--interval-ms",
    "20",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice() {
    for (backend, url) in fresh_databases().await {
        let (store, billing) = open(&url).await;
        let (account_id, refund_ids) = pending_card_refunds(&billing, 40).await;
        let mut args = WORKER.to_vec();
        args.extend(["--watch", "--worker", "doomed", "--channel-latency-ms", "25"]);
        let mut doomed = spark_billing(&url, &args).stderr(Stdio::null()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while scalar(&store, "SELECT COUNT(*) FROM channel_requests").await < 5 {
            assert!(Instant::now() < deadline, "on {backend}: the worker never reached the channel");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        doomed.kill().unwrap(); // SIGKILL: no chance to clean up
        doomed.wait().unwrap();
        let pending = scalar(&store, "SELECT COUNT(*) FROM refunds WHERE status = 'pending'").await;
        assert!(pending > 0, "on {backend}: the worker was to be killed mid-batch");
        let deadline = Instant::now() + Duration::from_secs(120);
        while scalar(&store, "SELECT COUNT(*) FROM refunds WHERE status = 'pending'").await > 0 {
            assert!(Instant::now() < deadline, "on {backend}: refunds stayed pending after the restart");
            let mut args = WORKER.to_vec();
            args.extend(["--worker", "successor"]);
            let status = spark_billing(&url, &args).stderr(Stdio::null()).status().unwrap();
            assert!(status.success(), "on {backend}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        check_every_refund_settled_once(&store, &billing, &account_id, &refund_ids, backend).await;
    }
}

async fn check_every_refund_settled_once(
    store: &billing_store::SqlStore,
    billing: &billing_app::Billing,
    account_id: &AccountId,
    refund_ids: &[String],
    backend: &str,
) {
    let all = billing
        .unsubscriptions()
        .refunds(&Caller::Operator, RefundFilter { limit: 1000, ..RefundFilter::default() })
        .await
        .unwrap();
    let mut rerouted_minor = 0;
    for id in refund_ids {
        let refund = all.iter().find(|r| &r.id == id).unwrap();
        let replacements: Vec<_> = all.iter().filter(|r| r.rerouted_from.as_deref() == Some(id.as_str())).collect();
        match refund.status {
            RefundStatus::Succeeded => assert!(replacements.is_empty(), "on {backend}: {id}"),
            RefundStatus::Failed => {
                assert_eq!(replacements.len(), 1, "on {backend}: {id} must be re-routed exactly once");
                assert_eq!(replacements[0].destination, PaymentMethodKind::Balance);
                rerouted_minor += refund.amount.minor();
            }
            RefundStatus::Pending => panic!("on {backend}: {id} is still pending"),
        }
    }
    let channel_rows = scalar(store, "SELECT COUNT(*) FROM channel_requests").await;
    let distinct = scalar(store, "SELECT COUNT(DISTINCT refund_id) FROM channel_requests").await;
    assert_eq!((channel_rows, distinct), (refund_ids.len() as i64, refund_ids.len() as i64), "on {backend}");
    let balance = billing.accounts().account(&Caller::Operator, account_id).await.unwrap().balance;
    assert_eq!(balance.minor(), rerouted_minor, "on {backend}: each refused refund reaches the balance once");
    assert!(billing.operations().ledger_check(&Caller::Operator).await.unwrap().ok(), "on {backend}");
    assert_eq!(billing.operations().audit_verify(&Caller::Operator).await.unwrap().problem, None, "on {backend}");
}

/// Lets connections to the database of `url` in or keeps them out, cutting
/// those it has; as a database being restarted does, but to this test's
/// database alone.
async fn set_database_reachable(url: &str, reachable: bool) {
    use sqlx::Connection;
    let parsed = url::Url::parse(url).unwrap();
    let name = parsed.path().trim_start_matches('/').to_owned();
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut admin = sqlx::PgConnection::connect(admin_url.as_str()).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}")).execute(&mut admin).await.unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watching_refund_worker_rides_through_its_database_going_away() {
    // Only PostgreSQL can go away under a running process; CI always runs
    // with it (see billing-store's `ci_runs_the_suite_on_postgres_too`).
    for (_, url) in fresh_databases().await.into_iter().filter(|(backend, _)| *backend == "postgres") {
        let (store, billing) = open(&url).await;
        let mut args = WORKER.to_vec();
        args.extend(["--watch", "--worker", "steadfast"]);
        let mut worker = spark_billing(&url, &args).stderr(Stdio::piped()).spawn().unwrap();
        let lines = read_lines(worker.stderr.take().unwrap());
        wait_for_line(&lines, &mut worker, "pass 1:");
        set_database_reachable(&url, false).await;
        wait_for_line(&lines, &mut worker, "pass failed");
        set_database_reachable(&url, true).await;
        let (account_id, refund_ids) = pending_card_refunds(&billing, 5).await;
        let deadline = Instant::now() + Duration::from_secs(120);
        while scalar(&store, "SELECT COUNT(*) FROM refunds WHERE status = 'pending'").await > 0 {
            assert!(worker.try_wait().unwrap().is_none(), "the worker stopped");
            assert!(Instant::now() < deadline, "the refunds stayed pending after the database came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(worker.try_wait().unwrap().is_none(), "the worker stopped");
        worker.kill().unwrap();
        worker.wait().unwrap();
        check_every_refund_settled_once(&store, &billing, &account_id, &refund_ids, "postgres").await;
    }
}

/// The lines `from` prints, as they come.
fn read_lines(from: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(from).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Waits for a line containing `text`, failing if the child exits first or
/// a minute goes by.
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, child: &mut std::process::Child, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no line with {text:?} within a minute");
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("the worker exited ({status}) before printing {text:?}");
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the worker exited ({:?}) before printing {text:?}", child.wait().unwrap());
            }
        }
    }
}
