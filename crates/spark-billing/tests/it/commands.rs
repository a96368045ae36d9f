//! Every operator command as a user runs it: the happy path on a seeded
//! database, and bad input answered with a clear message and a non-zero exit.

use std::process::Output;

use billing_app::purchase::QuotaPurchase;
use billing_domain::ids::{InstanceId, WorkspaceId};

use crate::support::{customer, open, spark_billing, stderr};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run(url: &str, args: &[&str]) -> Output {
    spark_billing(url, args).output().unwrap()
}

fn sqlite_url(name: &str) -> String {
    let dir = std::env::temp_dir().join("spark-billing-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}", dir.join(format!("{name}-{}.sqlite3", billing_app::ids::new_id("db"))).display())
}

/// A database with a customer holding a quota with one job; returns the
/// URL, the quota and the workspace.
async fn seeded(name: &str) -> (String, InstanceId, WorkspaceId) {
    let url = sqlite_url(name);
    let (_, billing) = open(&url).await;
    let c = customer(&billing, "acme", "1000.00").await;
    billing.accounts().add_job(&c.caller, &c.workspace_id, "etl.py", "print('hello')").await.unwrap();
    let request = QuotaPurchase {
        account_id: c.account_id.clone(),
        workspace_id: c.workspace_id.clone(),
        cu: 25,
        months: 1,
        benefit_ids: vec![],
        tenders: Some(vec![c.card("805.25")]),
        auto_renew: false,
    };
    let quota = billing.purchases().buy_quota(&c.caller, &request).await.unwrap().instance.id;
    (url, quota, c.workspace_id)
}

#[tokio::test]
async fn quote_unsubscribe_backup_and_checks_work_on_the_local_database() {
    let (url, quota, workspace) = seeded("flow").await;
    let quoted = run(&url, &["quote", "--instance", &quota]);
    assert!(quoted.status.success(), "{}", stderr(&quoted));
    let quote: serde_json::Value = serde_json::from_slice(&quoted.stdout).unwrap();
    assert_eq!(quote["eligible"], true);
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("backup"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("jobs.tar.gz");
    let backup = run(&url, &["backup", "--workspace", &workspace, "--output", archive.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(std::fs::metadata(&archive).unwrap().len() > 0);
    let refused = run(&url, &["unsubscribe", "--instance", &quota]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    let wrong = run(&url, &["unsubscribe", "--instance", &quota, "--yes", "--confirm-workspace", "nope"]);
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("type the workspace's name"), "{}", stderr(&wrong));
    let done = run(&url, &["unsubscribe", "--instance", &quota, "--yes", "--confirm-workspace", "etl"]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stdout(&done).contains("\"workspace_deleted\""));
    let listed = run(&url, &["refunds", "list", "--format", "json"]);
    let refunds: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(refunds.as_array().unwrap().len(), 1);
    let ledger = run(&url, &["ledger", "check"]);
    assert!(ledger.status.success() && stdout(&ledger).starts_with("ledger ok"), "{}", stdout(&ledger));
    let audit = run(&url, &["audit", "verify"]);
    assert!(audit.status.success() && stdout(&audit).starts_with("audit chain ok"), "{}", stdout(&audit));
    let report = run(&url, &["report", "refunds", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "csv"]);
    assert!(stdout(&report).starts_with("currency,status,destination,refunds,amount\n"), "{}", stdout(&report));
}

#[tokio::test]
async fn an_unknown_instance_is_named_and_exits_non_zero() {
    let (url, _, _) = seeded("unknown").await;
    let out = run(&url, &["quote", "--instance", "ins_nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ins_nope"), "{}", stderr(&out));
    let out = run(&url, &["unsubscribe", "--quote", "quo_nope", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("quo_nope"), "{}", stderr(&out));
}

/// The start of the current clock hour: the workspaces of [`seeded`] were
/// created in it or before, and it is not in the future.
fn this_hour() -> String {
    use billing_app::clock::{Clock, SystemClock};
    use chrono::{DurationRound, SecondsFormat};
    let hour = SystemClock.now().duration_trunc(chrono::Duration::hours(1)).unwrap();
    hour.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test]
async fn usage_import_names_the_line_of_a_record_of_an_hour_before_its_workspace_existed() {
    let (url, _, workspace) = seeded("usage-early").await;
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("csv"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("early.csv");
    let hour = this_hour();
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\nr1,{workspace},{hour},1\nr2,{workspace},0001-01-01T00:00:00Z,1\n"
    );
    std::fs::write(&file, text).unwrap();
    let out = run(&url, &["usage", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("line 3: ") && err.contains("hour_start") && err.contains("before"), "{err}");
    let (store, _) = open(&url).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(store.pool()).await.unwrap();
    assert_eq!(count, 0, "the batch of the early record is kept out whole");
}

#[tokio::test]
async fn usage_import_reports_malformed_lines_and_keeps_their_batch_out() {
    let (url, _, workspace) = seeded("usage").await;
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("csv"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    let hour = &this_hour();
    std::fs::write(&good, format!("record_id,workspace_id,hour_start,cu_hours\nr1,{workspace},{hour},30\n")).unwrap();
    let ok = run(&url, &["usage", "import", good.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).starts_with("1 records imported"), "{}", stdout(&ok));
    let bad = dir.join("bad.csv");
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\nr2,{workspace},{hour},1\nr3,{workspace},yesterday,1\nr4,{workspace},{hour},0.0001\n"
    );
    std::fs::write(&bad, text).unwrap();
    let out = run(&url, &["usage", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("line 3: hour_start"), "{err}");
    assert!(err.contains("line 4: cu_hours"), "{err}");
    let (store, _) = open(&url).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(store.pool()).await.unwrap();
    assert_eq!(count, 1, "r2 shared a batch with malformed lines and must not be imported");

    // Well-formed batches are written together, in one transaction; when
    // that is refused, each is written on its own, so a record the store
    // refuses keeps out only its own batch.
    let imports = || async {
        let sql = "SELECT COUNT(*) FROM audit_events WHERE action = 'usage.imported'";
        sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool()).await.unwrap()
    };
    let before = imports().await;
    let lines: String = (10..16).map(|i| format!("r{i},{workspace},{hour},1\n")).collect();
    let grouped = dir.join("grouped.csv");
    std::fs::write(&grouped, format!("record_id,workspace_id,hour_start,cu_hours\n{lines}")).unwrap();
    let out = run(&url, &["usage", "import", grouped.to_str().unwrap(), "--batch", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("6 records imported"), "{}", stdout(&out));
    assert_eq!(imports().await, before + 1, "three batches of two were not written in one transaction");
    let unknown = dir.join("unknown.csv");
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\nr20,{workspace},{hour},1\nr21,{workspace},{hour},1\n\
         r22,{workspace},{hour},1\nr23,ws_nope,{hour},1\nr24,{workspace},{hour},1\nr25,{workspace},{hour},1\n"
    );
    std::fs::write(&unknown, text).unwrap();
    let out = run(&url, &["usage", "import", unknown.to_str().unwrap(), "--batch", "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("4 records imported, 0 already known, 0 malformed lines, 1 batches refused"));
    assert!(stderr(&out).contains("line 5: "), "{}", stderr(&out));
    assert!(stderr(&out).contains("ws_nope"), "{}", stderr(&out));
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(store.pool()).await.unwrap();
    assert_eq!(count, 11, "r22 and r23 shared a batch with an unknown workspace; the rest must be imported");
    let missing = run(&url, &["usage", "import", "/nonexistent/usage.csv"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/usage.csv"));
    let header = dir.join("header.csv");
    std::fs::write(&header, "id,ws,hour,cu\n").unwrap();
    let out = run(&url, &["usage", "import", header.to_str().unwrap()]);
    assert!(stderr(&out).contains("line 1: the header must be record_id,workspace_id,hour_start,cu_hours"));
}

#[tokio::test]
async fn policy_and_clock_commands_change_what_they_say() {
    let (url, _, _) = seeded("policy").await;
    let set = run(&url, &["policy", "set", "quote_ttl=30m", "full_refunds_per_year=2"]);
    assert!(set.status.success(), "{}", stderr(&set));
    let shown = stdout(&run(&url, &["policy", "show"]));
    assert!(shown.contains("version 2") && shown.contains("30m"), "{shown}");
    let bad = run(&url, &["policy", "set", "quote_ttl=soon"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("quote_ttl"), "{}", stderr(&bad));
    for absurd in ["quote_ttl=99999999999d", "quote_ttl=0s", "card_refund_max_age=0s"] {
        let refused = run(&url, &["policy", "set", absurd]);
        assert_eq!(refused.status.code(), Some(1), "{absurd}");
        let setting = absurd.split('=').next().unwrap();
        assert!(stderr(&refused).contains(&format!("{setting}: ")), "{}", stderr(&refused));
    }
    let shown = stdout(&run(&url, &["policy", "show"]));
    assert!(!shown.contains("version 3"), "the refused values were not kept: {shown}");
    let not_simulated = run(&url, &["clock", "advance", "1d"]);
    assert_eq!(not_simulated.status.code(), Some(1));
    assert!(stderr(&not_simulated).contains("not simulated"), "{}", stderr(&not_simulated));
    let (_, billing) = open(&url).await;
    billing.operations().set_clock_mode(true).await.unwrap();
    let advanced = run(&url, &["clock", "advance", "2d"]);
    assert!(advanced.status.success(), "{}", stderr(&advanced));
    let (_, offset) = billing.operations().clock_settings().await.unwrap();
    assert_eq!(offset, 2 * 86_400 * 1_000_000);
    let tick = run(&url, &["tick"]);
    assert!(stdout(&tick).contains("unpaid orders cancelled"), "{}", stdout(&tick));
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["unsubscribe", "--help"],
        vec!["usage", "import", "--help"],
        vec!["refunds", "process", "--help"],
        vec!["report", "refunds", "--help"],
        vec!["policy", "set", "--help"],
        vec!["clock", "advance", "--help"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_spark-billing")).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn a_configuration_file_is_read_and_flags_and_variables_win_over_it() {
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("config"));
    std::fs::create_dir_all(&dir).unwrap();
    let from_file = dir.join("from-file");
    let config = dir.join("spark-billing.toml");
    std::fs::write(&config, format!("data_dir = \"{}\"\nlog_format = \"json\"\n", from_file.display())).unwrap();
    let bin = env!("CARGO_BIN_EXE_spark-billing");
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut command = std::process::Command::new(bin);
        command.env_remove("DATABASE_URL").env_remove("SPARK_BILLING_DATA_DIR").args(args);
        for (k, v) in envs {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    // Only `serve` makes a database: the refusal names the file looked for,
    // which tells which data directory won.
    let looked_in = |out: &std::process::Output, dir: &std::path::Path| {
        let message = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{message}");
        assert!(message.contains(&dir.join("spark-billing.sqlite3").display().to_string()), "{message}");
    };
    let out = run(&["--config", config.to_str().unwrap(), "ledger", "check"], &[]);
    looked_in(&out, &from_file);
    let from_flag = dir.join("from-flag");
    let out =
        run(&["--config", config.to_str().unwrap(), "--data-dir", from_flag.to_str().unwrap(), "ledger", "check"], &[]);
    looked_in(&out, &from_flag);
    let from_env = dir.join("from-env");
    let out = run(
        &["ledger", "check"],
        &[("SPARK_BILLING_CONFIG", config.to_str().unwrap()), ("SPARK_BILLING_DATA_DIR", from_env.to_str().unwrap())],
    );
    looked_in(&out, &from_env);
    std::fs::write(&config, "colour = \"blue\"\n").unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "ledger", "check"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting \"colour\""));
    std::fs::write(&config, format!("data_dir = \"{}\"\ndb_connections = 2\n", from_file.display())).unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "ledger", "check"], &[]);
    looked_in(&out, &from_file);
    std::fs::write(&config, format!("data_dir = \"{}\"\ndb_connections = 0\n", from_file.display())).unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "ledger", "check"], &[]);
    assert_eq!(out.status.code(), Some(2), "a pool of no connections is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db-connections"));
}
