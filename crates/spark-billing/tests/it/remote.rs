//! The operator commands against a running server (`--server URL --api-key
//! KEY`): each one's happy path through the HTTP API with the same output as
//! on the local database, server errors shown with their code, and clear
//! failures without a key, without a server, and for local-only commands.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{free_port, wait_until_running};

/// The binary with none of the settings of the environment it runs in.
fn bare_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spark-billing"));
    for name in ["DATABASE_URL", "SPARK_BILLING_CONFIG", "SPARK_BILLING_SERVER", "SPARK_BILLING_API_KEY"] {
        command.env_remove(name);
    }
    command.stdin(Stdio::null());
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `serve --demo` on a fresh data directory, killed when dropped.
struct Demo {
    child: Child,
    url: String,
    dir: PathBuf,
    operator: String,
    customer: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start() -> Demo {
        let dir = std::env::temp_dir().join(billing_app::ids::new_id("remote"));
        std::fs::create_dir_all(&dir).unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let mut child = bare_command()
            .args(["serve", "--demo", "--no-workers", "--rate-limit", "0", "--listen", &listen, "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until_running(&mut child);
        let keys: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("demo-keys.json")).unwrap()).unwrap();
        Demo {
            child,
            url: format!("http://{listen}"),
            dir,
            operator: keys["operator"].as_str().unwrap().to_owned(),
            customer: keys["customers"]["acme-analytics"].as_str().unwrap().to_owned(),
        }
    }

    /// The CLI against this server with `key`; its data directory does not
    /// exist, so anything opening the local database would show.
    fn cli(&self, key: &str, args: &[&str]) -> Output {
        let unused = self.dir.join("unused");
        let mut command = bare_command();
        command.args(["--server", &self.url, "--api-key", key, "--data-dir"]).arg(&unused).args(args);
        command.output().unwrap()
    }

    /// The CLI in local mode on the server's own database.
    fn local(&self, args: &[&str]) -> Output {
        bare_command().arg("--data-dir").arg(&self.dir).args(args).output().unwrap()
    }

    /// `GET path` with `key`, as JSON.
    fn get(&self, path: &str, key: &str) -> Value {
        let mut stream = TcpStream::connect(self.url.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n",
            self.url.trim_start_matches("http://")
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {answer}"))
    }
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", stderr(out));
    stdout(out)
}

fn json(out: &Output, what: &str) -> Value {
    serde_json::from_str(&ok(out, what)).unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn operator_commands_work_against_a_server_like_on_the_database() {
    let demo = Demo::start();
    let op = demo.operator.as_str();
    let instances = demo.get("/api/v1/instances?kind=subscription_quota", &demo.customer);
    let quota = instances
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["refund_type"] == "partial_refund")
        .unwrap_or_else(|| panic!("a refundable quota in the demo: {instances}"));
    let (instance, workspace) = (quota["id"].as_str().unwrap(), quota["workspace_id"].as_str().unwrap());

    // quote: the local key order, eligible, naming the workspace it deletes.
    let quote = json(&demo.cli(op, &["quote", "--instance", instance]), "quote");
    assert_eq!(quote.as_object().unwrap().keys().next().map(String::as_str), Some("eligible"), "{quote}");
    assert_eq!(quote["eligible"], true, "{quote}");
    let name = quote["workspace"]["name"].as_str().unwrap().to_owned();

    // backup: the archive of the quota's workspace, before it goes.
    let files = std::env::temp_dir().join(billing_app::ids::new_id("remote-files"));
    std::fs::create_dir_all(&files).unwrap();
    let archive = files.join("jobs.tar.gz");
    let out = demo.cli(op, &["backup", "--workspace", workspace, "--output", archive.to_str().unwrap()]);
    ok(&out, "backup");
    assert!(stderr(&out).contains("job scripts"), "{}", stderr(&out));
    assert!(std::fs::read(&archive).unwrap().starts_with(&[0x1f, 0x8b]), "a gzip archive");

    // unsubscribe: refused without --yes off a terminal, then confirmed; the
    // same Idempotency-Key answers the first result again.
    let refused = demo.cli(op, &["unsubscribe", "--instance", instance]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    let quote = json(&demo.cli(op, &["quote", "--instance", instance]), "second quote");
    let quote_id = quote["quote_id"].as_str().unwrap();
    let confirm = ["unsubscribe", "--quote", quote_id, "--yes", "--confirm-workspace", &name, "--idempotency-key"];
    let key = billing_app::ids::new_id("it");
    let done = json(&demo.cli(op, &[&confirm[..], &[key.as_str()]].concat()), "unsubscribe");
    assert_eq!(done["instance_id"], instance, "{done}");
    assert_eq!(done["replayed"], false, "{done}");
    assert_eq!(done["workspace_deleted"]["name"], name.as_str(), "{done}");
    let refund_ids: Vec<&str> = done["refunds"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(!refund_ids.is_empty(), "{done}");
    let again = json(&demo.cli(op, &[&confirm[..], &[key.as_str()]].concat()), "repeated unsubscribe");
    assert_eq!(again["replayed"], true, "{again}");
    assert_eq!(again["unsubscription_id"], done["unsubscription_id"]);

    // refunds list and report refunds: every refund, totalled.
    let listed = json(&demo.cli(op, &["refunds", "list", "--limit", "100", "--format", "json"]), "refunds list");
    let listed = listed.as_array().unwrap();
    assert!(refund_ids.iter().all(|id| listed.iter().any(|r| r["id"] == *id)), "{listed:?}");
    let pending = json(&demo.cli(op, &["refunds", "list", "--status", "pending", "--format", "json"]), "pending");
    assert!(pending.as_array().unwrap().iter().all(|r| r["status"] == "pending"), "{pending}");
    // One refund per page, each after the last one shown: the same list.
    let mut paged: Vec<serde_json::Value> = Vec::new();
    for _ in 0..=listed.len() {
        let mut args = vec!["refunds", "list", "--limit", "1", "--format", "json"];
        let last = paged.last().map(|r| r["id"].as_str().unwrap().to_owned());
        if let Some(last) = &last {
            args.extend(["--starting-after", last.as_str()]);
        }
        let page = json(&demo.cli(op, &args), "refunds page");
        let Some(refund) = page.as_array().unwrap().first() else { break };
        paged.push(refund.clone());
    }
    assert_eq!(&paged, listed, "paging through the refunds gave another list");
    let table = ok(&demo.cli(op, &["refunds", "list"]), "refunds table");
    assert!(table.starts_with("ID") && table.contains("FROM → TO"), "{table}");
    let period = ["report", "refunds", "--from", "2000-01-01", "--to", "2100-01-01", "--format"];
    let report = json(&demo.cli(op, &[&period[..], &["json"]].concat()), "report");
    let counted: u64 = report["totals"].as_array().unwrap().iter().map(|t| t["refunds"].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, listed.len(), "{report}");
    let csv = ok(&demo.cli(op, &[&period[..], &["csv"]].concat()), "report csv");
    assert!(csv.starts_with("currency,status,destination,refunds,amount\n"), "{csv}");

    // report usage and report orders: the customer's own, one CSV row each,
    // read a page at a time from the server.
    let now = billing_app::clock::Clock::now(&billing_app::clock::SystemClock);
    let day = |days: i64| (now + chrono::Duration::days(days)).date_naive().to_string();
    let (from, to) = (day(-7), day(2));
    let usage_args = ["report", "usage", "--from", &from, "--to", &to, "--format", "csv"];
    let usage = ok(&demo.cli(&demo.customer, &usage_args), "report usage");
    let mut lines = usage.lines();
    assert_eq!(lines.next(), Some(billing_app::exports::USAGE_COLUMNS.join(",").as_str()), "{usage}");
    assert!(lines.count() >= 2, "the demo's usage of the last days: {usage}");
    let orders = ok(&demo.cli(&demo.customer, &["report", "orders", "--format", "csv"]), "report orders");
    assert!(orders.starts_with("id,created_at,instance_id,kind,status,"), "{orders}");
    assert!(orders.lines().skip(1).all(|l| l.starts_with("ord_")) && orders.lines().count() > 2, "{orders}");

    // ledger check, audit verify, policy show and set.
    let ledger = ok(&demo.cli(op, &["ledger", "check"]), "ledger check");
    assert!(ledger.starts_with("ledger ok"), "{ledger}");
    let audit = ok(&demo.cli(op, &["audit", "verify"]), "audit verify");
    assert!(audit.starts_with("audit chain ok"), "{audit}");
    let set = ok(&demo.cli(op, &["policy", "set", "quote_ttl=30m", "full_refunds_per_year=2"]), "policy set");
    assert!(set.starts_with("policy version 2 takes effect"), "{set}");
    let shown = ok(&demo.cli(op, &["policy", "show"]), "policy show");
    assert!(shown.contains("version 2 from") && shown.contains("(in force)") && shown.contains("30m"), "{shown}");
    let bad = demo.cli(op, &["policy", "set", "quote_ttl=soon"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("quote_ttl"), "{}", stderr(&bad));

    // The same commands on the server's database print the same.
    for args in [
        vec!["refunds", "list"],
        vec!["refunds", "list", "--format", "json"],
        vec!["refunds", "list", "--format", "csv", "--status", "pending"],
        [&period[..], &["json"]].concat(),
        [&period[..], &["table"]].concat(),
        vec!["ledger", "check"],
        vec!["audit", "verify"],
        vec!["policy", "show"],
    ] {
        let (remote, local) = (demo.cli(op, &args), demo.local(&args));
        assert_eq!(ok(&remote, "remote"), ok(&local, "local"), "{args:?}");
    }

    // usage import: parsed here, valid batches uploaded; a malformed line
    // keeps its batch out, and a record the server refuses is named by its
    // line in the file.
    let workspaces = demo.get("/api/v1/workspaces", &demo.customer);
    let payg = workspaces
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["billing_method"] == "pay_as_you_go")
        .unwrap_or_else(|| panic!("a pay-as-you-go workspace in the demo: {workspaces}"));
    let ws = payg["id"].as_str().unwrap();
    // Two days ago: after the demo made its workspaces, months back.
    let hour = {
        use billing_app::clock::{Clock, SystemClock};
        use chrono::{DurationRound, SecondsFormat};
        let now = SystemClock.now().duration_trunc(chrono::Duration::hours(1)).unwrap();
        (now - chrono::Duration::days(2)).to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let future = "2100-01-01T00:00:00Z";
    let id = billing_app::ids::new_id("u");
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\n{id}-1,{ws},{hour},1\n{id}-2,{ws},{hour},2\n\
         {id}-3,{ws},{hour},3\n{id}-4,{ws},{hour},0.0001\n{id}-5,{ws},{future},1\n{id}-6,{ws},{hour},1\n"
    );
    let file = write(&files, "usage.csv", &text);
    let out = demo.cli(op, &["usage", "import", file.to_str().unwrap(), "--batch", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("2 records imported, 0 already known, 1 malformed lines, 2 batches refused"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("usage.csv: line 5: cu_hours"), "{err}");
    assert!(err.contains("usage.csv: line 6: hour_start: lies in the future (INVALID_INPUT)"), "{err}");
    let rest = format!("record_id,workspace_id,hour_start,cu_hours\n{id}-3,{ws},{hour},3\n{id}-6,{ws},{hour},1\n");
    let out = demo.cli(op, &["usage", "import", write(&files, "rest.csv", &rest).to_str().unwrap()]);
    assert!(
        ok(&out, "usage import").starts_with("2 records imported, 0 already known"),
        "the refused batches were kept out: {}",
        stdout(&out)
    );
    let out = demo.cli(op, &["usage", "import", file.to_str().unwrap(), "--batch", "2"]);
    assert!(stdout(&out).starts_with("0 records imported, 2 already known"), "{}", stdout(&out));

    assert!(!demo.dir.join("unused").exists(), "remote mode never opens the local database");
}

#[test]
fn server_errors_are_shown_with_their_code() {
    let demo = Demo::start();
    let forbidden = demo.cli(&demo.customer, &["ledger", "check"]);
    assert_eq!(forbidden.status.code(), Some(1));
    assert!(
        stderr(&forbidden).starts_with("error: this route needs an operator key (FORBIDDEN)"),
        "{}",
        stderr(&forbidden)
    );
    let unknown = demo.cli(&demo.operator, &["quote", "--instance", "ins_nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("\"ins_nope\" not found (NOT_FOUND)"), "{}", stderr(&unknown));
    let unknown = demo.cli(&demo.operator, &["backup", "--workspace", "ws_nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("ws_nope"), "{}", stderr(&unknown));
    let wrong_key = demo.cli("sbk_wrong", &["audit", "verify"]);
    assert_eq!(wrong_key.status.code(), Some(1));
    assert!(stderr(&wrong_key).contains("(UNAUTHENTICATED)"), "{}", stderr(&wrong_key));
    let too_many = demo.cli(&demo.operator, &["refunds", "list", "--limit", "500"]);
    assert_eq!(too_many.status.code(), Some(1));
    assert!(stderr(&too_many).contains("limit: must be between 1 and 100 (INVALID_INPUT)"), "{}", stderr(&too_many));
}

#[test]
fn remote_mode_needs_a_key_a_reachable_server_and_a_command_the_api_has() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let run = |args: &[&str]| bare_command().args(args).output().unwrap();

    let no_key = run(&["--server", &url, "ledger", "check"]);
    assert_eq!(no_key.status.code(), Some(1));
    assert!(stderr(&no_key).contains("--api-key"), "{}", stderr(&no_key));

    let unreachable = run(&["--server", &url, "--api-key", "sbk_secret", "audit", "verify"]);
    assert_eq!(unreachable.status.code(), Some(1));
    let err = stderr(&unreachable);
    assert!(err.contains(&format!("cannot reach the server at {url}")), "{err}");
    assert!(!err.contains("sbk_secret"), "the key is never printed: {err}");

    let by_env = bare_command()
        .args(["refunds", "list"])
        .env("SPARK_BILLING_SERVER", &url)
        .env("SPARK_BILLING_API_KEY", "sbk_secret")
        .output()
        .unwrap();
    assert_eq!(by_env.status.code(), Some(1));
    assert!(stderr(&by_env).contains(&url), "{}", stderr(&by_env));

    for args in [&["serve"][..], &["tick"], &["clock", "show"], &["refunds", "process"]] {
        let out = run(&[&["--server", &url, "--api-key", "k"][..], args].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("works on the local database only"), "{args:?}: {}", stderr(&out));
    }

    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let vector = std::fs::read_dir(scenario)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let local = run(&["--server", &url, "--api-key", "k", "quote", "--scenario", vector.to_str().unwrap()]);
    assert!(local.status.success(), "--scenario stays local: {}", stderr(&local));

    let help = bare_command().arg("--help").env("SPARK_BILLING_API_KEY", "sbk_secret").output().unwrap();
    assert!(stdout(&help).contains("--api-key") && !stdout(&help).contains("sbk_secret"), "{}", stdout(&help));
}
