//! `downgrade` and `switch` as an operator runs them, locally and against a
//! server, and quota changes racing across two `serve` processes on one
//! database: exactly one wins and no order gives back more than it was paid.

use std::sync::{Arc, Barrier};

use billing_app::purchase::QuotaPurchase;
use billing_app::unsubscription::facts::Question;
use billing_app::{Billing, Caller};
use billing_domain::change::ActionKind;
use billing_domain::ids::InstanceId;
use serde_json::{Value, json};

use crate::serving::{http, serve};
use crate::support::{customer, fresh_databases, open, spark_billing, stderr};

/// A customer with a 100-CU quota for one month paid by card; the quota, the
/// customer's API key and the customer.
async fn quota(billing: &Billing, name: &str) -> (InstanceId, String, crate::support::Customer) {
    let c = customer(billing, name, "0").await;
    let request = QuotaPurchase {
        account_id: c.account_id.clone(),
        workspace_id: c.workspace_id.clone(),
        cu: 100,
        months: 1,
        benefit_ids: vec![],
        tenders: Some(vec![c.card("3221.00")]),
        auto_renew: false,
    };
    let quota = billing.purchases().buy_quota(&c.caller, &request).await.unwrap().instance.id;
    let (_, key) = billing.accounts().create_api_key(&Caller::Operator, Some(&c.account_id), "changes").await.unwrap();
    (quota, key, c)
}

/// The last JSON document a successful command printed (the quote comes
/// first, then what the change did).
fn json_of(output: &std::process::Output, what: &str) -> Value {
    assert!(output.status.success(), "{what}: {}", stderr(output));
    let documents: Vec<Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(documents.len(), 2, "{what}: the quote, then the result");
    documents.into_iter().last().unwrap()
}

#[tokio::test]
async fn downgrade_and_switch_quote_ask_and_confirm_locally_and_through_a_server() {
    for (backend, url) in fresh_databases().await {
        let (_store, billing) = open(&url).await;
        let (local, _, c) = quota(&billing, "local").await;
        let asked = spark_billing(&url, &["downgrade", "--instance", &local, "--cu", "50"]).output().unwrap();
        assert!(!asked.status.success(), "on {backend}: confirmed without asking");
        assert!(stderr(&asked).contains("--yes"), "on {backend}: {}", stderr(&asked));
        assert_eq!(
            billing
                .unsubscriptions()
                .quote_action(&c.caller, &local, &Question::unsubscribe(None))
                .await
                .unwrap()
                .quote
                .lines[0]
                .cash_paid
                .to_string(),
            "3221.00"
        );
        let below = spark_billing(&url, &["downgrade", "--instance", &local, "--cu", "10", "--yes"]).output().unwrap();
        assert!(!below.status.success() && stderr(&below).contains("minimum"), "on {backend}: {}", stderr(&below));
        let done = spark_billing(&url, &["downgrade", "--instance", &local, "--cu", "50", "--yes"]).output().unwrap();
        let done = json_of(&done, "downgrade");
        assert_eq!((done["action"].as_str(), done["quota_cu_after"].as_u64()), (Some("downgrade"), Some(50)), "{done}");
        let switched = spark_billing(&url, &["switch", "--instance", &local, "--yes"]).output().unwrap();
        assert_eq!(json_of(&switched, "switch")["action"], "switch_to_pay_as_you_go");

        let (remote, key, _) = quota(&billing, "remote").await;
        let dir = std::env::temp_dir().join(billing_app::ids::new_id("changes"));
        let server = serve(&url, &dir, &["--no-workers"]);
        let server_url = format!("http://{}", server.addr);
        let unused = dir.join("unused");
        let run = |args: &[&str]| {
            let mut command = spark_billing(&url, &["--server", &server_url, "--api-key", &key, "--data-dir"]);
            command.arg(&unused).args(args).output().unwrap()
        };
        let done = json_of(&run(&["downgrade", "--instance", &remote, "--cu", "40", "--yes"]), "remote downgrade");
        assert_eq!(done["quota_cu_after"], 40, "on {backend}: {done}");
        let done = json_of(&run(&["switch", "--instance", &remote, "--yes"]), "remote switch");
        assert_eq!(done["quota_cu_after"], 0, "on {backend}: {done}");
        assert!(!unused.exists(), "remote mode opened a local database");
        drop(server);
    }
}

#[test]
fn quota_changes_racing_across_two_servers_let_exactly_one_win() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (backend, url) in runtime.block_on(fresh_databases()) {
        let (_store, billing) = runtime.block_on(open(&url));
        let dir_a = std::env::temp_dir().join(billing_app::ids::new_id("changes-a"));
        let dir_b = std::env::temp_dir().join(billing_app::ids::new_id("changes-b"));
        let a = serve(&url, &dir_a, &["--no-workers"]);
        let b = serve(&url, &dir_b, &["--no-workers"]);
        // A downgrade against an unsubscription, and against another
        // downgrade, three times each.
        for round in 0..6 {
            let (instance, key, c) = runtime.block_on(quota(&billing, &format!("racer-{round}")));
            let down = Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: Some(50) };
            let first = runtime.block_on(billing.unsubscriptions().quote_action(&c.caller, &instance, &down)).unwrap();
            let (path, rival) = if round % 2 == 0 {
                let q = runtime
                    .block_on(billing.unsubscriptions().quote_unsubscription(&c.caller, &instance, None))
                    .unwrap();
                let name = q.deletes.as_ref().map(|t| t.name.clone());
                ("/api/v1/unsubscriptions", json!({"quote_id": q.stored.id, "confirm_workspace_deletion": name}))
            } else {
                let other = Question { new_quota_cu: Some(30), ..down };
                let q = runtime.block_on(billing.unsubscriptions().quote_action(&c.caller, &instance, &other)).unwrap();
                ("/api/v1/quota-changes", json!({"quote_id": q.stored.id}))
            };
            let start = Arc::new(Barrier::new(2));
            let calls = [
                (a.addr, "/api/v1/quota-changes", json!({"quote_id": first.stored.id}), "k-a"),
                (b.addr, path, rival, "k-b"),
            ];
            let threads: Vec<_> = calls
                .into_iter()
                .map(|(addr, path, body, idem)| {
                    let (key, start) = (key.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        http(addr, "POST", path, &key, Some(&body), Some(idem))
                    })
                })
                .collect();
            let answers: Vec<(u16, Value)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 1, "on {backend}: {answers:?}");
            let loser = answers.iter().find(|(s, _)| *s != 201).unwrap();
            let code = loser.1["code"].as_str().unwrap_or_default();
            assert!(matches!(code, "QUOTE_STALE" | "ALREADY_UNSUBSCRIBED"), "on {backend}: {answers:?}");
            let orders =
                runtime.block_on(async { billing.store().read().await.unwrap().orders(&instance).await.unwrap() });
            let refunded: i64 = answers
                .iter()
                .filter(|(s, _)| *s == 201)
                .map(|(_, v)| {
                    v["refunds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            billing_domain::money::Money::parse(
                                billing_domain::money::Currency::Usd,
                                r["amount"].as_str().unwrap(),
                            )
                            .unwrap()
                            .minor()
                        })
                        .sum::<i64>()
                })
                .sum();
            assert!(refunded <= orders[0].charges.cash_due().unwrap().minor(), "on {backend}: refunded {refunded}");
        }
        let check = spark_billing(&url, &["ledger", "check"]).output().unwrap();
        assert!(check.status.success(), "on {backend}: {}", stderr(&check));
        drop((a, b));
    }
}
