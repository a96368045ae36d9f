//! `spark-billing serve` as operators run it: the demo starts with its keys
//! written down, two servers on one database confirm one quote once, and
//! SIGTERM stops a server cleanly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{free_port, fresh_databases, spark_billing, wait_until_running};

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` on a free port of `url`'s database with `extra` flags, running.
pub fn serve(url: &str, data_dir: &std::path::Path, extra: &[&str]) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--listen", &listen, "--data-dir", data_dir.to_str().unwrap()];
    args.extend(extra);
    let mut child = spark_billing(url, &args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    wait_until_running(&mut child);
    Server { child, addr: listen.parse().unwrap() }
}

/// One HTTP/1.1 request; returns the status and the body as JSON (or Null).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
    idem: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let idem = idem.map(|k| format!("Idempotency-Key: {k}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         {idem}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let payload = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(payload).unwrap_or(Value::Null))
}

pub fn demo_keys(data_dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join("demo-keys.json")).unwrap()).unwrap()
}

#[test]
fn two_servers_on_one_database_confirm_one_quote_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (backend, url) in runtime.block_on(fresh_databases()) {
        let dir_a = std::env::temp_dir().join(billing_app::ids::new_id("serve-a"));
        let dir_b = std::env::temp_dir().join(billing_app::ids::new_id("serve-b"));
        let a = serve(&url, &dir_a, &["--demo", "--no-workers"]);
        let b = serve(&url, &dir_b, &["--no-workers"]);
        let key = demo_keys(&dir_a)["customers"]["acme-analytics"].as_str().unwrap().to_owned();
        let (_, instances) = http(a.addr, "GET", "/api/v1/instances?kind=subscription_quota", &key, None, None);
        let quota = instances
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["refund_type"] == "partial_refund")
            .unwrap_or_else(|| panic!("on {backend}: a refundable quota in the demo: {instances}"));
        let instance = json!({"instance_id": quota["id"]});
        let (status, quote) = http(a.addr, "POST", "/api/v1/quotes", &key, Some(&instance), None);
        assert_eq!(status, 200, "on {backend}: {quote}");
        let name = quote["workspace"]["name"].clone();
        let confirm = json!({"quote_id": quote["quote_id"], "confirm_workspace_deletion": name});
        let threads: Vec<_> = [(a.addr, "key-a"), (b.addr, "key-b")]
            .into_iter()
            .map(|(addr, idem)| {
                let (key, confirm) = (key.clone(), confirm.clone());
                std::thread::spawn(move || {
                    http(addr, "POST", "/api/v1/unsubscriptions", &key, Some(&confirm), Some(idem))
                })
            })
            .collect();
        let answers: Vec<(u16, Value)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let created = answers.iter().filter(|(status, _)| *status == 201).count();
        assert_eq!(created, 1, "on {backend}: {answers:?}");
        let loser = answers.iter().find(|(status, _)| *status != 201).unwrap();
        assert_eq!(loser.1["code"], "ALREADY_UNSUBSCRIBED", "on {backend}: {answers:?}");
        let operator = demo_keys(&dir_a)["operator"].as_str().unwrap().to_owned();
        let (_, refunds) = http(b.addr, "GET", "/api/v1/refunds?limit=100", &operator, None, None);
        let for_quote = refunds
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["unsubscription_id"] == answers.iter().find(|(s, _)| *s == 201).unwrap().1["id"])
            .count();
        assert!(for_quote >= 1, "on {backend}: {refunds}");
        drop((a, b));
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("serve-term"));
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = serve(&url, &dir, &[]);
    let (status, _) = http(server.addr, "GET", "/healthz", "", None, None);
    assert_eq!(status, 200);
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "a clean stop exits 0: {code:?}");
    assert!(dir.join("operator-key").exists(), "the first start keeps its operator key");
}
