//! Usage from a real NATS JetStream stream (the server at 127.0.0.1:4222, or
//! `SPARK_BILLING_TEST_NATS`), settled by `usage consume` processes: every
//! record settles once whatever is repeated, killed or refused. Each test
//! uses a stream and subjects of its own.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use billing_app::{Billing, Caller};
use chrono::{DurationRound, TimeDelta, Utc};

use crate::support::{customer, fresh_databases, open, spark_billing, stderr};

fn nats_url() -> String {
    std::env::var("SPARK_BILLING_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A stream of this test's own: its name, the subject published on and the
/// subjects consumed.
struct TestStream {
    name: String,
    subject: String,
    filter: String,
}

fn test_stream(tag: &str) -> TestStream {
    let id = uuid::Uuid::now_v7().simple().to_string();
    TestStream { name: format!("T_{tag}_{id}"), subject: format!("t{id}.{tag}.records"), filter: format!("t{id}.>") }
}

/// A usage CSV of `count` records `{prefix}-{i}` of half a CU-hour each, in
/// the current hour.
fn usage_csv(name: &str, workspace_id: &str, prefix: &str, range: std::ops::Range<usize>) -> PathBuf {
    let dir = std::env::temp_dir().join("spark-billing-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.csv", uuid::Uuid::now_v7().simple()));
    let hour = chrono::DateTime::<Utc>::from(std::time::SystemTime::now())
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();
    let mut text = String::from("record_id,workspace_id,hour_start,cu_hours\n");
    for i in range {
        text.push_str(&format!("{prefix}-{i},{workspace_id},{hour},0.5\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn publish(url: &str, s: &TestStream, file: &std::path::Path) -> Output {
    let file = file.to_str().unwrap();
    let nats = nats_url();
    let args = ["usage", "publish", file, "--nats", &nats, "--stream", &s.name, "--subject", &s.subject];
    let args = [&args[..], &["--stream-max-mb", "64"]].concat();
    let output = spark_billing(url, &args).output().unwrap();
    assert!(output.status.success(), "publish failed: {}", stderr(&output));
    output
}

fn consume(url: &str, s: &TestStream, durable: &str, extra: &[&str]) -> std::process::Command {
    consume_waiting(url, s, durable, "2s", extra)
}

/// `usage consume` on a durable consumer made with `ack_wait`.
fn consume_waiting(url: &str, s: &TestStream, durable: &str, ack_wait: &str, extra: &[&str]) -> std::process::Command {
    let nats = nats_url();
    let mut args = vec!["usage", "consume", "--nats", &nats, "--stream", &s.name, "--subject", &s.filter];
    args.extend(["--durable", durable, "--ack-wait", ack_wait, "--stream-max-mb", "64"]);
    args.extend(extra);
    let mut command = spark_billing(url, &args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// `(settled, rejected, seen twice)` as `usage consume --exit-when-idle`
/// prints them.
fn totals(output: &Output) -> (u64, u64, u64) {
    assert!(output.status.success(), "consume failed: {}", stderr(output));
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains(" settled, ")).unwrap_or_else(|| panic!("no totals in {text:?}"));
    let numbers: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    (numbers[0], numbers[1], numbers[2])
}

/// CU-hours (in thousandths) settled for the workspace, over every
/// settlement and adjustment.
async fn settled_milli(billing: &Billing, workspace_id: &billing_domain::ids::WorkspaceId) -> i64 {
    let settlements = billing.purchases().settlements(&Caller::Operator, workspace_id, None, 1000).await.unwrap();
    settlements.iter().map(|s| s.usage.milli()).sum()
}

/// Deletes the test's stream (what a failed test leaves is small: 64 MB
/// at most, reserved).
async fn delete_stream(s: &TestStream) {
    let client = async_nats::connect(nats_url()).await.unwrap();
    async_nats::jetstream::new(client).delete_stream(&s.name).await.unwrap();
}

/// Publishes `bodies` as they are, without message ids, making the stream
/// when missing.
async fn publish_raw(s: &TestStream, bodies: &[String]) {
    let client = async_nats::connect(nats_url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let config = async_nats::jetstream::stream::Config {
        name: s.name.clone(),
        subjects: vec![s.filter.clone()],
        max_bytes: 64 * 1024 * 1024,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.unwrap();
    for body in bodies {
        js.publish(s.subject.clone(), body.clone().into()).await.unwrap().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_published_twice_settle_once() {
    for (backend, url) in fresh_databases().await {
        let (_, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("twice");
        let file = usage_csv("twice", &c.workspace_id, "r", 0..300);
        publish(&url, &s, &file);
        let again = publish(&url, &s, &file);
        assert!(String::from_utf8_lossy(&again.stdout).starts_with("0 published, 300 dropped"), "on {backend}");
        let first = consume(&url, &s, "billing", &["--exit-when-idle", "2s", "--batch", "70"]).output().unwrap();
        assert_eq!(totals(&first), (300, 0, 0), "on {backend}");
        // Published again without message ids (past the stream's own check
        // for repeats): the record ids still settle each once.
        let text = std::fs::read_to_string(&file).unwrap();
        let bodies: Vec<String> = text
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                format!(
                    r#"{{"record_id":"{}","workspace_id":"{}","hour_start":"{}","cu_hours":{}}}"#,
                    f[0], f[1], f[2], f[3]
                )
            })
            .collect();
        publish_raw(&s, &bodies).await;
        let second = consume(&url, &s, "billing", &["--exit-when-idle", "2s"]).output().unwrap();
        assert_eq!(totals(&second).0, 0, "on {backend}: nothing settles twice");
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 150_000, "on {backend}");
        delete_stream(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_between_good_ones_is_refused_alone() {
    for (backend, url) in fresh_databases().await {
        let (_, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("poison");
        let hour =
            chrono::DateTime::<Utc>::from(std::time::SystemTime::now()).duration_trunc(TimeDelta::hours(1)).unwrap();
        let record = |id: &str, ws: &str, at: chrono::DateTime<Utc>, cu: &str| {
            format!(
                r#"{{"record_id":"{id}","workspace_id":"{ws}","hour_start":"{}","cu_hours":"{cu}"}}"#,
                at.to_rfc3339()
            )
        };
        let future = hour + TimeDelta::hours(5);
        let bodies = [
            record("g1", &c.workspace_id, hour, "1"),
            "this is not JSON".to_owned(),
            record("g2", &c.workspace_id, hour, "2"),
            record("bad-cu", &c.workspace_id, hour, "1.2345"),
            record("nobody", "ws_does_not_exist", hour, "1"),
            record("later", &c.workspace_id, future, "1"),
            record("g3", &c.workspace_id, hour, "4"),
        ];
        publish_raw(&s, &bodies).await;
        let output = consume(&url, &s, "billing", &["--exit-when-idle", "2s"]).output().unwrap();
        assert_eq!(totals(&output), (3, 4, 0), "on {backend}");
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 7000, "on {backend}: every good record settled");
        let listed = spark_billing(&url, &["usage", "rejections", "--csv"]).output().unwrap();
        assert!(listed.status.success(), "{}", stderr(&listed));
        let csv = String::from_utf8_lossy(&listed.stdout).into_owned();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5, "on {backend}: {csv}");
        assert_eq!(csv.matches("MALFORMED_MESSAGE").count(), 2, "on {backend}: {csv}");
        assert!(csv.contains("nobody,NOT_FOUND"), "on {backend}: {csv}");
        assert!(csv.contains("later,INVALID_INPUT,record.hour_start: lies in the future"), "on {backend}: {csv}");
        // Delivered again, nothing is refused or settled twice.
        let again = consume(&url, &s, "other", &["--exit-when-idle", "2s"]).output().unwrap();
        assert_eq!(totals(&again), (0, 4, 3), "on {backend}");
        let listed = spark_billing(&url, &["usage", "rejections", "--csv"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 5, "on {backend}");
        delete_stream(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_from_the_stream_and_a_file_import_settle_once() {
    for (backend, url) in fresh_databases().await {
        let (_, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("file");
        let imported = usage_csv("file", &c.workspace_id, "f", 0..100);
        let out = spark_billing(&url, &["usage", "import", imported.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        publish(&url, &s, &usage_csv("file-stream", &c.workspace_id, "f", 0..150));
        let output = consume(&url, &s, "billing", &["--exit-when-idle", "2s"]).output().unwrap();
        assert_eq!(totals(&output), (50, 0, 100), "on {backend}");
        // And the other way round: a file of records the stream settled.
        let out = spark_billing(&url, &["usage", "import", imported.to_str().unwrap()]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 records imported, 100 already known"));
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 75_000, "on {backend}");
        delete_stream(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_at_once_share_the_records() {
    for (backend, url) in fresh_databases().await {
        let (_, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("two");
        publish(&url, &s, &usage_csv("two", &c.workspace_id, "t", 0..6000));
        let extra = ["--exit-when-idle", "3s", "--batch", "100"];
        let children: Vec<_> = (0..2).map(|_| consume(&url, &s, "billing", &extra).spawn().unwrap()).collect();
        let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        let settled: Vec<u64> = outputs.iter().map(|o| totals(o).0).collect();
        assert_eq!(settled.iter().sum::<u64>(), 6000, "on {backend}: {settled:?}");
        assert!(settled.iter().all(|n| *n > 0), "on {backend}: both consumers took part: {settled:?}");
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 3_000_000, "on {backend}");
        assert!(billing.operations().ledger_check(&Caller::Operator).await.unwrap().ok(), "on {backend}");
        delete_stream(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_mid_stream_and_restarted_settles_everything_once() {
    for (backend, url) in fresh_databases().await {
        let (_, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("kill");
        publish(&url, &s, &usage_csv("kill", &c.workspace_id, "k", 0..20_000));
        let mut first = consume(&url, &s, "billing", &["--batch", "500"]).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while settled_milli(&billing, &c.workspace_id).await == 0 {
            assert!(Instant::now() < deadline, "on {backend}: nothing was settled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.kill().unwrap();
        let status = first.wait().unwrap();
        assert!(!status.success(), "on {backend}: the consumer was killed, not finished");
        let before = settled_milli(&billing, &c.workspace_id).await;
        assert!(before < 10_000_000, "on {backend}: killed mid-stream ({before})");
        // The killed consumer's unacknowledged messages come back once its
        // ack wait (2 s) has passed; a loaded machine can take longer to
        // hand them out, so the second waits well beyond that before it
        // calls the stream idle.
        let second = consume(&url, &s, "billing", &["--exit-when-idle", "12s"]).output().unwrap();
        let (settled, _, _) = totals(&second);
        assert_eq!(before + settled as i64 * 500, 10_000_000, "on {backend}");
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 10_000_000, "on {backend}");
        assert!(billing.operations().ledger_check(&Caller::Operator).await.unwrap().ok(), "on {backend}");
        delete_stream(&s).await;
    }
}

/// Makes every insert of a usage record fail (`refuse`) or lets them
/// through again.
async fn refuse_usage_records(store: &billing_store::SqlStore, backend: &str, refuse: bool) {
    let statements: &[&str] = match (backend, refuse) {
        ("sqlite", true) => {
            &["CREATE TRIGGER refuse_usage BEFORE INSERT ON usage_records BEGIN SELECT RAISE(ABORT, 'refused'); END"]
        }
        ("sqlite", false) => &["DROP TRIGGER refuse_usage"],
        (_, true) => &[
            "CREATE FUNCTION refuse_usage() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse_usage BEFORE INSERT ON usage_records FOR EACH ROW EXECUTE FUNCTION refuse_usage()",
        ],
        (_, false) => &["DROP TRIGGER refuse_usage ON usage_records"],
    };
    for sql in statements {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_stopped_while_its_store_fails_hands_its_messages_back() {
    use std::io::BufRead;
    for (backend, url) in fresh_databases().await {
        let (store, billing) = open(&url).await;
        let c = customer(&billing, "acme", "100.00").await;
        let s = test_stream("stop");
        publish(&url, &s, &usage_csv("stop", &c.workspace_id, "s", 0..50));
        refuse_usage_records(&store, backend, true).await;
        // An ack wait of an hour: only a message handed back comes again
        // within this test.
        let extra = ["--batch", "10"];
        let mut first = consume_waiting(&url, &s, "billing", "1h", &extra).spawn().unwrap();
        let lines = std::io::BufReader::new(first.stderr.take().unwrap()).lines();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(|line| drop(tx.send(line))));
        let retrying = std::iter::from_fn(|| rx.recv_timeout(Duration::from_secs(120)).ok())
            .any(|line| line.contains("settling a batch failed"));
        assert!(retrying, "on {backend}: the consumer was to retry a failing batch");
        let pid = first.id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let stopped = first.wait_with_output().unwrap();
        assert_eq!(totals(&stopped), (0, 0, 0), "on {backend}: nothing settled while the store failed");
        refuse_usage_records(&store, backend, false).await;
        let again = ["--batch", "10", "--exit-when-idle", "5s"];
        let second = consume_waiting(&url, &s, "billing", "1h", &again).output().unwrap();
        assert_eq!(totals(&second), (50, 0, 0), "on {backend}: every message came back at once");
        assert_eq!(settled_milli(&billing, &c.workspace_id).await, 25_000, "on {backend}");
        assert!(billing.operations().ledger_check(&Caller::Operator).await.unwrap().ok(), "on {backend}");
        delete_stream(&s).await;
    }
}

#[test]
fn the_stream_settings_of_a_configuration_file_reach_usage_consume() {
    let dir = std::env::temp_dir().join("spark-billing-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(format!("stream-{}.toml", uuid::Uuid::now_v7().simple()));
    std::fs::write(&config, "nats = \"nats://127.0.0.1:9\"\nstream_batch = 200\n").unwrap();
    let url = format!("sqlite://{}", dir.join(format!("{}.sqlite3", uuid::Uuid::now_v7().simple())).display());
    let args = ["--config", config.to_str().unwrap(), "usage", "consume", "--exit-when-idle", "1s"];
    let output = spark_billing(&url, &args).output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot reach the NATS server at nats://127.0.0.1:9"), "{}", stderr(&output));
    // A flag wins over the file.
    std::fs::write(&config, "stream_batch = 0\n").unwrap();
    let output = spark_billing(&url, &args).output().unwrap();
    assert!(stderr(&output).contains("--batch"), "the file's batch is checked: {}", stderr(&output));
    let output =
        spark_billing(&url, &[&args[..], &["--nats", "nats://127.0.0.1:9", "--batch", "5"]].concat()).output().unwrap();
    assert!(stderr(&output).contains("cannot reach the NATS server"), "{}", stderr(&output));
}
