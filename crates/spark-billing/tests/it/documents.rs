//! Document numbers across replicas: two `serve` processes on one database
//! take payments and confirm unsubscriptions at the same moment, and the
//! invoices and credit notes they issue are numbered 1..N with no gap and
//! no repeat. The CLI lists them and writes a PDF that reads back.

use std::sync::{Arc, Barrier};

use billing_app::Caller;
use billing_domain::ids::InstanceId;
use serde_json::{Value, json};

use crate::serving::{http, serve};
use crate::support::{customer, fresh_databases, open, spark_billing, stderr};

/// Accounts, each paying for one plan and then giving it back: 32 racing
/// purchases, then 32 racing confirmations.
const ACCOUNTS: usize = 32;

/// Sends one request per key at once, half to each server, and returns the
/// answers.
fn at_once(servers: [std::net::SocketAddr; 2], requests: Vec<(String, String, Value, String)>) -> Vec<(u16, Value)> {
    let start = Arc::new(Barrier::new(requests.len()));
    let threads: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, (key, path, body, idem))| {
            let (addr, start) = (servers[i % 2], start.clone());
            std::thread::spawn(move || {
                start.wait();
                http(addr, "POST", &path, &key, Some(&body), Some(&idem))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// The numbers of `kind` as the CLI lists them, oldest first.
fn listed(url: &str, kind: &str) -> Vec<(String, String)> {
    let out = spark_billing(url, &["documents", "list", "--kind", kind, "--limit", "100", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String)> =
        docs.iter().map(|d| (d["number"].as_str().unwrap().to_owned(), d["id"].as_str().unwrap().to_owned())).collect();
    found.sort();
    found
}

/// Asserts `numbers` are `PREFIX-YEAR-000001` up to `n`, in one year.
fn assert_gapless(backend: &str, prefix: &str, numbers: &[(String, String)], n: usize) {
    assert_eq!(numbers.len(), n, "on {backend}: {numbers:?}");
    let year = numbers[0].0.split('-').nth(1).unwrap().to_owned();
    let expected: Vec<String> = (1..=n).map(|i| format!("{prefix}-{year}-{i:06}")).collect();
    let got: Vec<String> = numbers.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(got, expected, "on {backend}: numbered without gaps or repeats");
}

#[test]
fn two_servers_paying_and_refunding_at_once_number_their_documents_without_gaps() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (backend, url) in runtime.block_on(fresh_databases()) {
        let (_store, billing) = runtime.block_on(open(&url));
        let customers: Vec<_> = (0..ACCOUNTS)
            .map(|i| {
                let c = runtime.block_on(customer(&billing, &format!("buyer-{i}"), "0"));
                let (_, key) = runtime
                    .block_on(billing.accounts().create_api_key(&Caller::Operator, Some(&c.account_id), "docs"))
                    .unwrap();
                (c, key)
            })
            .collect();
        let dir_a = std::env::temp_dir().join(billing_app::ids::new_id("docs-a"));
        let dir_b = std::env::temp_dir().join(billing_app::ids::new_id("docs-b"));
        let limits = ["--no-workers", "--rate-limit", "0", "--address-rate-limit", "0"];
        let a = serve(&url, &dir_a, &limits);
        let b = serve(&url, &dir_b, &limits);

        let purchases = customers
            .iter()
            .map(|(c, key)| {
                let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
                    "tenders": [{"method": "card", "payment_method_id": c.card_id, "amount": "5.36"}]});
                (key.clone(), "/api/v1/orders/plan".to_owned(), body, "buy".to_owned())
            })
            .collect();
        let bought = at_once([a.addr, b.addr], purchases);
        assert!(bought.iter().all(|(status, _)| *status == 201), "on {backend}: {bought:?}");
        assert_gapless(backend, "INV", &listed(&url, "invoice"), ACCOUNTS);

        let confirmations = customers
            .iter()
            .zip(&bought)
            .map(|((c, key), (_, answer))| {
                let plan = InstanceId::parse(answer["instance"]["id"].as_str().unwrap()).unwrap();
                let quote =
                    runtime.block_on(billing.unsubscriptions().quote_unsubscription(&c.caller, &plan, None)).unwrap();
                (
                    key.clone(),
                    "/api/v1/unsubscriptions".to_owned(),
                    json!({"quote_id": quote.stored.id}),
                    "give-back".to_owned(),
                )
            })
            .collect();
        let confirmed = at_once([a.addr, b.addr], confirmations);
        assert!(confirmed.iter().all(|(status, _)| *status == 201), "on {backend}: {confirmed:?}");
        let notes = listed(&url, "credit-note");
        assert_gapless(backend, "CN", &notes, ACCOUNTS);

        let file = dir_a.join("note.pdf");
        let out = spark_billing(&url, &["documents", "pdf", &notes[0].1, "--output", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let pdf = lopdf::Document::load(&file).unwrap();
        let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
        let text = pdf.extract_text(&pages).unwrap();
        assert!(text.contains(&notes[0].0) && text.contains("$5.36") && text.contains("USD"), "{text}");
        let again = spark_billing(&url, &["documents", "pdf", &notes[0].1, "--output", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!again.status.success() && stderr(&again).contains("--force"), "an existing file is kept");
        let show = spark_billing(&url, &["documents", "show", &notes[0].1]).output().unwrap();
        let shown: Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!((shown["kind"].as_str(), shown["total"].as_str()), (Some("credit_note"), Some("5.36")));

        // The seller: set from the CLI, read back through a server, which
        // lets only an operator change it.
        let set = ["documents", "seller", "--name", "Spark Cloud Ltd", "--address", "1 Quay", "--address", "Dublin"];
        let out = spark_billing(&url, &set).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let server = format!("http://{}", a.addr);
        let key = &customers[0].1;
        let remote = |extra: &[&str]| {
            let mut args = vec!["--server", &server, "--api-key", key, "documents", "seller"];
            args.extend_from_slice(extra);
            spark_billing(&url, &args).output().unwrap()
        };
        let shown = remote(&[]);
        let seller: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(
            (seller["name"].as_str(), seller["address"].as_str()),
            (Some("Spark Cloud Ltd"), Some("1 Quay\nDublin"))
        );
        let refused = remote(&["--tax-id", "IE123"]);
        assert!(!refused.status.success() && stderr(&refused).contains("operator"), "{}", stderr(&refused));
        let long = "x".repeat(121);
        let bad = spark_billing(&url, &["documents", "seller", "--name", &long]).output().unwrap();
        assert!(!bad.status.success() && stderr(&bad).contains("name"), "{}", stderr(&bad));
        drop((a, b));
    }
}
