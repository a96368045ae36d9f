//! The operator's look-ups over HTTP: the account list with search and
//! paging, one account with its counts, and the audit trail's filters.

use axum::http::{Method, StatusCode};

use crate::support::api;

#[tokio::test]
async fn operators_list_accounts_by_name_with_counts_search_and_pages() {
    let api = api().await;
    let all = api.get("/api/v1/accounts", &api.operator).await;
    let all = all.ok(StatusCode::OK).as_array().unwrap().clone();
    let names: Vec<_> = all.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(all.iter().all(|a| a["active_instances"].is_i64() && a["pending_refunds"] == 0), "{all:?}");

    let found = api.get("/api/v1/accounts?q=ALI", &api.operator).await;
    let found = found.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(found.iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(), [api.alice.account_id.as_str()]);
    let by_id = api.get(&format!("/api/v1/accounts?q={}", api.bob.account_id), &api.operator).await;
    assert_eq!(by_id.ok(StatusCode::OK)[0]["name"], "bob");

    let first = api.get("/api/v1/accounts?limit=1", &api.operator).await;
    let last = first.ok(StatusCode::OK)[0]["id"].as_str().unwrap().to_owned();
    let second = api.get(&format!("/api/v1/accounts?limit=1&starting_after={last}"), &api.operator).await;
    assert_eq!(second.ok(StatusCode::OK)[0]["name"], "bob");

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("starting_after=acc_nope", "starting_after"),
        ("q=%01", "q"),
        ("colour=red", ""),
    ] {
        let bad = api.get(&format!("/api/v1/accounts?{query}"), &api.operator).await;
        bad.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        if !field.is_empty() {
            bad.names_field(field);
        }
    }
    let long = "x".repeat(101);
    api.get(&format!("/api/v1/accounts?q={long}"), &api.operator).await.names_field("q");
}

#[tokio::test]
async fn a_customer_sees_only_its_own_account_and_others_answer_like_missing_ones() {
    let api = api().await;
    let own = api.get("/api/v1/accounts", &api.alice.key).await;
    let own = own.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["id"], api.alice.account_id.as_str());
    let searched = api.get("/api/v1/accounts?q=bob", &api.alice.key).await;
    assert_eq!(searched.ok(StatusCode::OK).as_array().unwrap().len(), 0, "bob is not hers to find");
    let cursor = api.get(&format!("/api/v1/accounts?starting_after={}", api.bob.account_id), &api.alice.key).await;
    cursor.names_field("starting_after");

    let one = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    let one = one.ok(StatusCode::OK);
    assert_eq!((one["name"].as_str(), one["pending_refunds"].as_i64()), (Some("alice"), Some(0)));
    assert!(one["active_instances"].is_i64());
    let path = format!("/api/v1/accounts/{}", api.alice.account_id);
    api.hidden_from_bob(Method::GET, &path, &api.alice.account_id, None).await;
    let by_operator = api.get(&path, &api.operator).await;
    assert_eq!(by_operator.ok(StatusCode::OK)["id"], api.alice.account_id.as_str());
}

#[tokio::test]
async fn the_audit_trail_is_filtered_by_actor_account_type_and_time_and_refuses_bad_filters() {
    let api = api().await;
    let alice = &api.alice.account_id;
    let of_alice = api.get(&format!("/api/v1/audit?account_id={alice}&limit=100"), &api.operator).await;
    let of_alice = of_alice.ok(StatusCode::OK).as_array().unwrap().clone();
    let subjects: Vec<_> = of_alice.iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert!(subjects.contains(&alice.as_str()) && subjects.contains(&api.alice.card_id.as_str()), "{subjects:?}");
    assert!(!subjects.contains(&api.bob.account_id.as_str()) && !subjects.contains(&api.bob.card_id.as_str()));
    assert!(of_alice.windows(2).all(|p| p[0]["seq"].as_i64() < p[1]["seq"].as_i64()), "chain order");

    let created = api.get("/api/v1/audit?action=account.created", &api.operator).await;
    let created = created.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(created.len(), 2);
    let after = created[0]["seq"].as_i64().unwrap();
    let rest = api.get(&format!("/api/v1/audit?action=account.created&after={after}"), &api.operator).await;
    assert_eq!(rest.ok(StatusCode::OK).as_array().unwrap().len(), 1, "paging keeps the filter");
    let by_operator = api.get("/api/v1/audit?actor=operator&limit=100", &api.operator).await;
    let by_operator = by_operator.ok(StatusCode::OK).as_array().unwrap().clone();
    assert!(!by_operator.is_empty() && by_operator.iter().all(|e| e["actor"] == "operator"));
    let at = created[1]["at"].as_str().unwrap().replace('+', "%2B");
    let before = api.get(&format!("/api/v1/audit?action=account.created&to={at}"), &api.operator).await;
    assert_eq!(before.ok(StatusCode::OK).as_array().unwrap().len(), usize::from(created[0]["at"] != created[1]["at"]));

    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("actor=%07", "actor"),
        ("after=-1", "after"),
    ] {
        let bad = api.get(&format!("/api/v1/audit?{query}"), &api.operator).await;
        bad.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
        bad.names_field(field);
    }
    let customer = api.get(&format!("/api/v1/audit?account_id={alice}"), &api.alice.key).await;
    customer.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
}
