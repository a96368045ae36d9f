//! Workspaces, their jobs, data objects, backups and settlements over HTTP.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::api;

#[tokio::test]
async fn a_customer_creates_and_lists_workspaces() {
    let api = api().await;
    let body = json!({"region_id": "ap-southeast-1", "name": "adhoc", "billing_method": "pay_as_you_go"});
    let created = api.post("/api/v1/workspaces", &api.alice.key, body).await;
    assert_eq!(created.ok(StatusCode::CREATED)["account_id"], json!(api.alice.account_id));
    assert_eq!(created.body["billing_method"], "pay_as_you_go");
    let listed = api.get("/api/v1/workspaces", &api.alice.key).await;
    let names: Vec<&str> =
        listed.ok(StatusCode::OK).as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"etl") && names.contains(&"adhoc"));
    let by_operator = api.get(&format!("/api/v1/workspaces?account_id={}", api.bob.account_id), &api.operator).await;
    assert_eq!(by_operator.ok(StatusCode::OK).as_array().unwrap().len(), 1);
    api.get("/api/v1/workspaces", &api.operator).await.names_field("account_id");
}

#[tokio::test]
async fn a_workspace_shows_its_jobs_data_objects_and_queues() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let job = api
        .post(
            &format!("/api/v1/workspaces/{ws}/jobs"),
            &api.alice.key,
            json!({"name": "daily.py", "script": "print(1)\n"}),
        )
        .await;
    assert_eq!(job.ok(StatusCode::CREATED)["script_bytes"], 9);
    let object = json!({"name": "events.parquet", "size_bytes": 2048});
    let added = api.post(&format!("/api/v1/workspaces/{ws}/data-objects"), &api.alice.key, object).await;
    assert_eq!(added.ok(StatusCode::CREATED)["size_bytes"], 2048);
    let details = api.get(&format!("/api/v1/workspaces/{ws}"), &api.alice.key).await;
    let body = details.ok(StatusCode::OK);
    assert_eq!(body["workspace"]["name"], "etl");
    assert_eq!(body["jobs"][0]["name"], "daily.py");
    assert_eq!(body["data_objects"][0]["name"], "events.parquet");
    let queues: Vec<&str> = body["queues"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(queues, ["default", "reserved"]);
}

#[tokio::test]
async fn a_backup_is_a_gzip_attachment_with_every_script() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    for (name, script) in [("a.py", "print('a')"), ("b.sql", "select 1")] {
        let job = api
            .post(&format!("/api/v1/workspaces/{ws}/jobs"), &api.alice.key, json!({"name": name, "script": script}))
            .await;
        job.ok(StatusCode::CREATED);
    }
    let backup = api.get(&format!("/api/v1/workspaces/{ws}/backup"), &api.alice.key).await;
    assert_eq!(backup.status, StatusCode::OK);
    assert_eq!(backup.content_type, "application/gzip");
    assert_eq!(backup.bytes[..2], [0x1f, 0x8b], "gzip magic");
    let disposition = backup.disposition.clone().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"etl-jobs-") && disposition.ends_with(".tar.gz\""),
        "{disposition}"
    );
    let caller = billing_app::Caller::Customer(api.alice.account_id.clone());
    let archive = api
        .billing
        .unsubscriptions()
        .backup_workspace(&caller, &billing_domain::ids::WorkspaceId::parse(&ws).unwrap())
        .await
        .unwrap();
    assert_eq!(backup.bytes, archive.bytes, "the use case's archive, byte for byte");
    assert_eq!(archive.jobs, 2);
}

#[tokio::test]
async fn settlements_of_a_workspace_are_listed_after_usage_is_imported() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let record = json!({"records": [{"record_id": "r1", "workspace_id": ws, "hour_start": "2026-03-10T01:00:00Z", "cu_hours": "10"}]});
    api.post("/api/v1/usage", &api.operator, record).await.ok(StatusCode::OK);
    let listed = api.get(&format!("/api/v1/workspaces/{ws}/settlements?limit=10"), &api.alice.key).await;
    let line = &listed.ok(StatusCode::OK)[0];
    assert_eq!((line["usage_cu_hours"].as_str(), line["bill"].as_str()), (Some("10.000"), Some("0.671")));
    assert_eq!((line["charge"].as_str(), line["currency"].as_str()), (Some("0.67"), Some("USD")));
    for (limit, field) in [("0", "limit"), ("101", "limit"), ("x", "query")] {
        let answer = api.get(&format!("/api/v1/workspaces/{ws}/settlements?limit={limit}"), &api.alice.key).await;
        answer.names_field(field);
    }
}

#[tokio::test]
async fn bad_workspace_requests_are_refused_and_create_nothing() {
    let api = api().await;
    let cases = [
        (json!({"region_id": "ap-southeast-1", "name": "x", "billing_method": "free"}), "billing_method"),
        (json!({"region_id": "ap-southeast-1", "name": "etl", "billing_method": "hybrid"}), "name"),
        (json!({"region_id": "ap-southeast-1", "name": " x", "billing_method": "hybrid"}), "name"),
        (json!({"region_id": "ap-southeast-1", "name": "x", "billing_method": "hybrid", "size": 1}), "body"),
    ];
    for (body, field) in cases {
        api.post("/api/v1/workspaces", &api.alice.key, body).await.names_field(field);
    }
    let unknown_region = json!({"region_id": "mars-1", "name": "x", "billing_method": "hybrid"});
    api.post("/api/v1/workspaces", &api.alice.key, unknown_region).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let ws = api.alice.workspace_id.clone();
    let jobs = format!("/api/v1/workspaces/{ws}/jobs");
    api.post(&jobs, &api.alice.key, json!({"name": "big", "script": "x".repeat(300 * 1024)}))
        .await
        .names_field("script");
    api.post(&jobs, &api.alice.key, json!({"name": "j", "script": 5})).await.names_field("body");
    let objects = format!("/api/v1/workspaces/{ws}/data-objects");
    api.post(&objects, &api.alice.key, json!({"name": "o", "size_bytes": -1})).await.names_field("size_bytes");
    api.post(&objects, &api.alice.key, json!({"name": "o", "size_bytes": "1"})).await.names_field("body");
    let details = api.get(&format!("/api/v1/workspaces/{ws}"), &api.alice.key).await;
    assert_eq!(details.body["jobs"].as_array().unwrap().len(), 0);
    assert_eq!(details.body["data_objects"].as_array().unwrap().len(), 0);
    assert_eq!(api.get("/api/v1/workspaces", &api.alice.key).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_accounts_workspaces_answer_like_missing_ones() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    api.hidden_from_bob(Method::GET, &format!("/api/v1/workspaces/{ws}"), &ws, None).await;
    let job = json!({"name": "evil", "script": "x"});
    api.hidden_from_bob(Method::POST, &format!("/api/v1/workspaces/{ws}/jobs"), &ws, Some(job)).await;
    let object = json!({"name": "evil", "size_bytes": 1});
    api.hidden_from_bob(Method::POST, &format!("/api/v1/workspaces/{ws}/data-objects"), &ws, Some(object)).await;
    api.hidden_from_bob(Method::GET, &format!("/api/v1/workspaces/{ws}/backup"), &ws, None).await;
    api.hidden_from_bob(Method::GET, &format!("/api/v1/workspaces/{ws}/settlements"), &ws, None).await;
    let account = api.alice.account_id.clone();
    api.hidden_from_bob(Method::GET, &format!("/api/v1/workspaces?account_id={account}"), &account, None).await;
    let create = json!({"account_id": account, "region_id": "ap-southeast-1", "name": "x", "billing_method": "hybrid"});
    let answer = api.post("/api/v1/workspaces", &api.bob.key, create).await;
    answer.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let details = api.get(&format!("/api/v1/workspaces/{ws}"), &api.alice.key).await;
    assert_eq!(details.body["jobs"].as_array().unwrap().len(), 0, "Bob added nothing");
}

#[tokio::test]
async fn names_with_bidi_controls_or_invisible_formatting_are_refused_naming_the_field() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let jobs = format!("/api/v1/workspaces/{ws}/jobs");
    let objects = format!("/api/v1/workspaces/{ws}/data-objects");
    let alice_keys = format!("/api/v1/accounts/{}/api-keys", api.alice.account_id);
    let hidden = ["\u{202E}", "\u{061C}", "\u{200E}", "\u{200F}", "\u{202A}", "\u{2066}", "\u{2069}", "\u{200B}"];
    let hidden = hidden.into_iter().chain(["\u{FEFF}", "\u{2028}", "\u{7}", "\u{85}"]);
    for c in hidden {
        let name = format!("invoice{c}fdp.exe");
        let workspace = json!({"region_id": "ap-southeast-1", "name": name, "billing_method": "hybrid"});
        api.post("/api/v1/workspaces", &api.alice.key, workspace).await.names_field("name");
        api.post(&jobs, &api.alice.key, json!({"name": name, "script": "print(1)"})).await.names_field("name");
        api.post(&objects, &api.alice.key, json!({"name": name, "size_bytes": 1})).await.names_field("name");
        let account = json!({"name": name, "currency": "USD"});
        api.post("/api/v1/accounts", &api.operator, account).await.names_field("name");
        api.post(&alice_keys, &api.operator, json!({"label": name})).await.names_field("label");
    }
    let listed = api.get("/api/v1/workspaces", &api.alice.key).await;
    assert_eq!(listed.ok(StatusCode::OK).as_array().unwrap().len(), 1, "nothing was created");
    // Letters of any script, and emoji joined with a zero-width joiner, stay.
    for name in ["Zürich 東京 ملف", "team \u{1F469}\u{200D}\u{1F4BB}"] {
        let workspace = json!({"region_id": "ap-southeast-1", "name": name, "billing_method": "hybrid"});
        let created = api.post("/api/v1/workspaces", &api.alice.key, workspace).await;
        assert_eq!(created.ok(StatusCode::CREATED)["name"], name);
    }
}

#[tokio::test]
async fn a_workspace_with_nothing_to_refund_is_deleted_over_http_once_per_key() {
    let api = api().await;
    let body = json!({"region_id": "ap-southeast-1", "name": "adhoc", "billing_method": "pay_as_you_go"});
    let created = api.post("/api/v1/workspaces", &api.alice.key, body).await;
    let ws = created.ok(StatusCode::CREATED)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/workspaces/{ws}/deletion");
    let no_key = api.post(&path, &api.alice.key, json!({"confirm_workspace_deletion": "adhoc"})).await;
    no_key.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let wrong = api.post_idem(&path, &api.alice.key, "d1", json!({"confirm_workspace_deletion": "adhok"})).await;
    wrong.problem(StatusCode::UNPROCESSABLE_ENTITY, "CONFIRMATION_MISMATCH");
    let by_bob = api.post_idem(&path, &api.bob.key, "d1", json!({"confirm_workspace_deletion": "adhoc"})).await;
    by_bob.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let done = api.post_idem(&path, &api.alice.key, "d1", json!({"confirm_workspace_deletion": "adhoc"})).await;
    let body = done.ok(StatusCode::CREATED);
    assert_eq!(body["workspace_deleted"]["name"], "adhoc");
    assert_eq!(body["workspace_deleted"]["queues"], 1);
    let again = api.post_idem(&path, &api.alice.key, "d1", json!({"confirm_workspace_deletion": "adhoc"})).await;
    assert_eq!(again.ok(StatusCode::OK)["deleted_at"], body["deleted_at"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    api.get(&format!("/api/v1/workspaces/{ws}"), &api.alice.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let events = api.get(&format!("/api/v1/events?resource_id={ws}"), &api.alice.key).await;
    let events = events.ok(StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(events.len(), 1, "one event for one deletion, however often it is asked: {events:?}");
    assert_eq!(
        (events[0]["type"].as_str(), events[0]["data"]["name"].as_str()),
        (Some("workspace.deleted"), Some("adhoc"))
    );
}

#[tokio::test]
async fn deleting_a_workspace_whose_quota_can_be_refunded_answers_409_naming_the_quota() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let instance = crate::basics::quota(&api).await;
    let path = format!("/api/v1/workspaces/{ws}/deletion");
    let refused = api.post_idem(&path, &api.alice.key, "d1", json!({"confirm_workspace_deletion": "etl"})).await;
    refused.problem(StatusCode::CONFLICT, "QUOTA_REFUNDABLE");
    assert!(refused.body["detail"].as_str().unwrap().contains(&instance), "{}", refused.text);
    api.get(&format!("/api/v1/workspaces/{ws}"), &api.alice.key).await.ok(StatusCode::OK);
}
