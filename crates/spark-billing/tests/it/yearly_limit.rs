//! The yearly limit of full refunds holds when two `serve` processes on one
//! database confirm two unused plans of one account at the same moment.

use std::sync::{Arc, Barrier};

use billing_app::Caller;
use billing_app::purchase::PlanPurchase;
use billing_domain::policy::Policy;
use billing_domain::usage::CuHours;
use serde_json::{Value, json};

use crate::serving::{http, serve};
use crate::support::{customer, fresh_databases, open};

/// Accounts that each race two confirmations.
const ACCOUNTS: usize = 6;

/// Quote ids of two unused plans paid by card, and a key, for a new account.
async fn two_unused_plans(billing: &billing_app::Billing, name: &str) -> (String, [String; 2]) {
    let c = customer(billing, name, "0").await;
    let mut quotes = Vec::new();
    for _ in 0..2 {
        let request = PlanPurchase {
            account_id: c.account_id.clone(),
            region_id: "ap-southeast-1".to_owned(),
            capacity: CuHours::from_whole(100),
            months: 1,
            benefit_ids: vec![],
            tenders: Some(vec![c.card("5.36")]),
        };
        let plan = billing.purchases().buy_plan(&c.caller, &request).await.unwrap().instance.id;
        quotes.push(billing.unsubscriptions().quote_unsubscription(&c.caller, &plan, None).await.unwrap().stored.id);
    }
    let (_, key) = billing.accounts().create_api_key(&Caller::Operator, Some(&c.account_id), "race").await.unwrap();
    (key, [quotes[0].to_string(), quotes[1].to_string()])
}

#[test]
fn two_servers_confirming_two_full_refunds_at_once_under_a_limit_of_one_grant_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (backend, url) in runtime.block_on(fresh_databases()) {
        let (_store, billing) = runtime.block_on(open(&url));
        let mut policy = Policy::default();
        policy.set("full_refunds_per_year", "1").unwrap();
        runtime.block_on(billing.operations().add_policy_version(&Caller::Operator, billing.now(), policy)).unwrap();
        let accounts: Vec<_> =
            (0..ACCOUNTS).map(|i| runtime.block_on(two_unused_plans(&billing, &format!("racer-{i}")))).collect();
        let dir_a = std::env::temp_dir().join(billing_app::ids::new_id("limit-a"));
        let dir_b = std::env::temp_dir().join(billing_app::ids::new_id("limit-b"));
        let a = serve(&url, &dir_a, &["--no-workers"]);
        let b = serve(&url, &dir_b, &["--no-workers"]);
        for (key, quotes) in accounts {
            let start = Arc::new(Barrier::new(2));
            let threads: Vec<_> = [(a.addr, &quotes[0], "k-a"), (b.addr, &quotes[1], "k-b")]
                .into_iter()
                .map(|(addr, quote, idem)| {
                    let (key, body, start) = (key.clone(), json!({"quote_id": quote}), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        http(addr, "POST", "/api/v1/unsubscriptions", &key, Some(&body), Some(idem))
                    })
                })
                .collect();
            let answers: Vec<(u16, Value)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let granted = answers.iter().filter(|(status, _)| *status == 201).count();
            assert_eq!(granted, 1, "on {backend}: one full refund of a yearly limit of one: {answers:?}");
            let refused = answers.iter().find(|(status, _)| *status != 201).unwrap();
            let code = refused.1["code"].as_str().unwrap_or_default();
            assert!(matches!(code, "ANNUAL_LIMIT_REACHED" | "QUOTE_STALE"), "on {backend}: {answers:?}");
        }
        drop((a, b));
    }
}
