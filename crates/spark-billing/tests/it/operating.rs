//! Operating the binary: a server that cannot start writes nothing, the
//! shared clock mode is changed only on purpose, a clock advance is in force
//! for the next request, commands outside a data directory refuse, logs in
//! a pipe carry no colour codes, and a backup never replaces a file unasked.

use std::process::Stdio;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::serving::{http, serve};
use crate::support::{fresh_databases, open, spark_billing, stderr};

fn data_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spark-billing-operating-{name}-{}", billing_app::ids::new_id("d")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_serve_that_cannot_listen_leaves_the_running_servers_clock_alone() {
    for (backend, url) in fresh_databases().await {
        let dir = data_dir("listen");
        let running = serve(&url, &dir, &["--clock", "simulated"]);
        let listen = running.addr.to_string();
        let second =
            spark_billing(&url, &["serve", "--listen", &listen, "--data-dir", dir.to_str().unwrap()]).output().unwrap();
        assert!(!second.status.success(), "{backend}");
        assert!(stderr(&second).contains("cannot listen"), "{backend}: {}", stderr(&second));
        let (_, billing) = open(&url).await;
        assert_eq!(billing.operations().clock_settings().await.unwrap().0, "simulated", "{backend}");
        // Another mode asked for explicitly is refused, not switched under
        // the running server.
        let other_dir = dir.to_str().unwrap();
        let args = ["serve", "--listen", "127.0.0.1:0", "--clock", "system", "--data-dir", other_dir];
        let other = spark_billing(&url, &args).output().unwrap();
        assert!(!other.status.success(), "{backend}");
        assert!(stderr(&other).contains("clock mode system"), "{backend}: {}", stderr(&other));
        assert_eq!(billing.operations().clock_settings().await.unwrap().0, "simulated", "{backend}");
        let advanced = spark_billing(&url, &["clock", "advance", "1d"]).output().unwrap();
        assert!(advanced.status.success(), "{backend}: {}", stderr(&advanced));
    }
}

#[tokio::test]
async fn a_clock_advance_is_in_force_for_the_very_next_request() {
    for (backend, url) in fresh_databases().await {
        let dir = data_dir("advance");
        let server = serve(&url, &dir, &["--clock", "simulated"]);
        let key = std::fs::read_to_string(dir.join("operator-key")).unwrap().trim().to_owned();
        for round in 0..3 {
            let advanced = spark_billing(&url, &["clock", "advance", "10d"]).output().unwrap();
            assert!(advanced.status.success(), "{backend}: {}", stderr(&advanced));
            let body = json!({"name": format!("acct-{round}"), "currency": "USD"});
            let (status, account) = http(server.addr, "POST", "/api/v1/accounts", &key, Some(&body), None);
            assert_eq!(status, 201, "{backend}: {account}");
            let created: DateTime<Utc> = account["created_at"].as_str().unwrap().parse().unwrap();
            let ahead = created - billing_app::clock::Clock::now(&billing_app::clock::SystemClock);
            let expected = chrono::Duration::days(10 * (round + 1));
            assert!(ahead > expected - chrono::Duration::minutes(1), "{backend}: round {round}, {ahead}");
        }
    }
}

#[test]
fn a_command_outside_a_data_directory_refuses_saying_where_it_looked() {
    let cwd = data_dir("nowhere");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spark-billing"))
        .args(["refunds", "list"])
        .current_dir(&cwd)
        .env_remove("DATABASE_URL")
        .env_remove("SPARK_BILLING_DATA_DIR")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains(&cwd.join("data").join("spark-billing.sqlite3").display().to_string()), "{message}");
    assert!(message.contains("only `spark-billing serve` creates a database"), "{message}");
    assert!(!cwd.join("data").exists(), "an empty data directory was made");
}

#[tokio::test]
async fn logs_written_to_a_file_carry_no_colour_codes() {
    let (_, url) = fresh_databases().await.remove(0);
    let dir = data_dir("logs");
    let log = dir.join("serve.log");
    let listen = format!("127.0.0.1:{}", crate::support::free_port());
    let mut child = spark_billing(&url, &["serve", "--listen", &listen, "--data-dir", dir.to_str().unwrap()])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    crate::support::wait_until_running(&mut child);
    let _ = http(listen.parse().unwrap(), "GET", "/healthz", "none", None, None);
    child.kill().unwrap();
    child.wait().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("DEBUG") || logs.contains("INFO"), "nothing was logged: {logs}");
    assert!(!logs.contains('\u{1b}'), "{logs}");
}

#[tokio::test]
async fn a_backup_does_not_replace_an_existing_file_unless_forced() {
    let (_, url) = fresh_databases().await.remove(0);
    let (_, billing) = open(&url).await;
    let c = crate::support::customer(&billing, "acme", "0").await;
    billing.accounts().add_job(&c.caller, &c.workspace_id, "a.py", "print(1)").await.unwrap();
    let dir = data_dir("backup");
    let target = dir.join("keep.tar.gz");
    std::fs::write(&target, b"precious").unwrap();
    let path = target.to_str().unwrap();
    let refused = spark_billing(&url, &["backup", "--workspace", &c.workspace_id, "--output", path]).output().unwrap();
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("exists already"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    let forced =
        spark_billing(&url, &["backup", "--workspace", &c.workspace_id, "--output", path, "--force"]).output().unwrap();
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_ne!(std::fs::read(&target).unwrap(), b"precious");
}
