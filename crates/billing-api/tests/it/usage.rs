//! Usage import over HTTP, as JSON and as CSV: idempotent per record id,
//! operators only, and errors that name the record or line.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Api, api};

fn record(id: &str, workspace: &str, hour: &str, cu_hours: &str) -> Value {
    json!({"record_id": id, "workspace_id": workspace, "hour_start": hour, "cu_hours": cu_hours})
}

async fn csv(api: &Api, key: &str, text: &str) -> crate::support::Answer {
    api.send_text(Method::POST, "/api/v1/usage.csv", key, "text/csv", text.to_owned()).await
}

async fn alice_balance(api: &Api) -> String {
    let account = api.get(&format!("/api/v1/accounts/{}", api.alice.account_id), &api.alice.key).await;
    account.body["balance"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_json_batch_is_settled_once_per_record_id() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let batch = json!({"records": [
        record("r1", &ws, "2026-03-10T01:00:00Z", "10"),
        record("r2", &ws, "2026-03-10T02:00:00Z", "5.5"),
    ]});
    let first = api.post("/api/v1/usage", &api.operator, batch.clone()).await;
    let outcome = first.ok(StatusCode::OK);
    assert_eq!((outcome["imported"].as_u64(), outcome["settled_hours"].as_u64()), (Some(2), Some(2)));
    assert_eq!(outcome["charged"][0]["amount"], "1.03", "0.671 + 0.369 CU-hour bills, each truncated");
    let again = api.post("/api/v1/usage", &api.operator, batch).await;
    assert_eq!((again.body["imported"].as_u64(), again.body["duplicates"].as_u64()), (Some(0), Some(2)));
    assert_eq!(alice_balance(&api).await, "49998.97", "charged once");
    let late = json!({"records": [record("r3", &ws, "2026-03-10T01:00:00Z", "1")]});
    let adjusted = api.post("/api/v1/usage", &api.operator, late).await;
    assert_eq!(adjusted.ok(StatusCode::OK)["adjustments"], 1);
}

#[tokio::test]
async fn a_csv_upload_is_imported_with_quoted_fields_and_crlf_lines() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\r\n\"r,1\",{ws},2026-03-10T01:00:00Z,10\r\nr2,{ws},2026-03-10T02:00:00+08:00,0.125\r\n"
    );
    let answer = csv(&api, &api.operator, &text).await;
    assert_eq!(answer.ok(StatusCode::OK)["imported"], 2);
    let settlements = api.get(&format!("/api/v1/workspaces/{ws}/settlements"), &api.alice.key).await;
    assert_eq!(settlements.body.as_array().unwrap().len(), 2);
    // Page by page: the second page starts after the first page's last.
    let first = api.get(&format!("/api/v1/workspaces/{ws}/settlements?limit=1"), &api.alice.key).await;
    let first_id = first.ok(StatusCode::OK)[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(first_id, settlements.body[0]["id"].as_str().unwrap());
    let next = format!("/api/v1/workspaces/{ws}/settlements?limit=1&starting_after={first_id}");
    assert_eq!(api.get(&next, &api.alice.key).await.ok(StatusCode::OK)[0]["id"], settlements.body[1]["id"]);
    let unknown = format!("/api/v1/workspaces/{ws}/settlements?starting_after=set_nope");
    let made_up = api.get(&unknown, &api.alice.key).await;
    made_up.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    made_up.names_field("starting_after");
    let plain =
        api.send_text(Method::POST, "/api/v1/usage.csv", &api.operator, "text/plain; charset=utf-8", text).await;
    assert_eq!(plain.ok(StatusCode::OK)["duplicates"], 2);
}

#[tokio::test]
async fn only_operators_import_usage() {
    let api = api().await;
    let batch = json!({"records": [record("r1", &api.alice.workspace_id, "2026-03-10T01:00:00Z", "1")]});
    api.post("/api/v1/usage", &api.alice.key, batch).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let text =
        format!("record_id,workspace_id,hour_start,cu_hours\nr1,{},2026-03-10T01:00:00Z,1\n", api.alice.workspace_id);
    csv(&api, &api.alice.key, &text).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(alice_balance(&api).await, "50000.00");
}

#[tokio::test]
async fn a_bad_json_record_is_named_and_keeps_the_whole_batch_out() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let good = record("ok", &ws, "2026-03-10T01:00:00Z", "1");
    let cases = [
        (record("r", &ws, "2026-03-10T01:00:00Z", "1.0001"), "records[1].cu_hours"),
        (record("r", &ws, "yesterday", "1"), "records[1].hour_start"),
        (record("r", &ws, "2026-03-10T01:30:00Z", "1"), "records[1].hour_start"),
        (record("r", &ws, "2027-01-01T00:00:00Z", "1"), "records[1].hour_start"),
        (record("", &ws, "2026-03-10T01:00:00Z", "1"), "records[1].record_id"),
        (json!({"record_id": "r", "workspace_id": ws, "hour_start": "2026-03-10T01:00:00Z", "cu_hours": 1}), "body"),
    ];
    for (bad, field) in cases {
        let answer = api.post("/api/v1/usage", &api.operator, json!({"records": [good, bad]})).await;
        answer.names_field(field);
    }
    api.post("/api/v1/usage", &api.operator, json!({"records": []})).await.names_field("records");
    api.post("/api/v1/usage", &api.operator, json!({"records": [], "dry_run": true})).await.names_field("body");
    let unknown = json!({"records": [record("r", "ws_missing", "2026-03-10T01:00:00Z", "1")]});
    api.post("/api/v1/usage", &api.operator, unknown).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
    let settlements = api.get(&format!("/api/v1/workspaces/{ws}/settlements"), &api.alice.key).await;
    assert_eq!(settlements.body.as_array().unwrap().len(), 0, "nothing was settled");
}

#[tokio::test]
async fn a_changed_record_id_is_a_conflict() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let first = json!({"records": [record("r1", &ws, "2026-03-10T01:00:00Z", "1")]});
    api.post("/api/v1/usage", &api.operator, first).await.ok(StatusCode::OK);
    let changed = json!({"records": [record("r1", &ws, "2026-03-10T01:00:00Z", "2")]});
    let answer = api.post("/api/v1/usage", &api.operator, changed).await;
    answer.problem(StatusCode::CONFLICT, "DUPLICATE_USAGE_RECORD");
    assert!(answer.body["detail"].as_str().unwrap().contains("r1"));
}

#[tokio::test]
async fn a_bad_csv_line_is_named_and_keeps_the_whole_upload_out() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    let header = "record_id,workspace_id,hour_start,cu_hours";
    let good = format!("ok,{ws},2026-03-10T01:00:00Z,1");
    let cases = [
        (format!("{header}\n{good}\nr,{ws},2026-03-10T01:00:00Z,1.0001\n"), "line 3: cu_hours"),
        (format!("{header}\n{good}\nr,{ws},soon,1\n"), "line 3: hour_start"),
        (format!("{header}\n{good}\n\nr,{ws},2027-01-01T00:00:00Z,1\n"), "line 4: hour_start"),
        (format!("{header}\n{good}\nr,{ws},2026-03-10T01:00:00Z\n"), "line 3"),
        (format!("{header}\n{good}\n\"r,{ws},2026-03-10T01:00:00Z,1\n"), "line 3"),
        (format!("id,ws,hour,cu\n{good}\n"), "line 1"),
        (format!("{header}\n"), "records"),
    ];
    for (text, field) in cases {
        csv(&api, &api.operator, &text).await.names_field(field);
    }
    let as_json =
        api.send_text(Method::POST, "/api/v1/usage.csv", &api.operator, "application/json", good.clone()).await;
    as_json.names_field("body");
    let settlements = api.get(&format!("/api/v1/workspaces/{ws}/settlements"), &api.alice.key).await;
    assert_eq!(settlements.body.as_array().unwrap().len(), 0, "nothing was settled");
}

#[tokio::test]
async fn usage_of_an_hour_before_the_workspace_existed_is_refused_naming_the_record_or_line() {
    let api = api().await;
    let ws = api.alice.workspace_id.clone();
    // Alice's workspace was made at 2026-03-03T06:23:05Z.
    let good = record("ok", &ws, "2026-03-03T06:00:00Z", "1");
    for hour in ["0001-01-01T00:00:00Z", "2026-03-03T05:00:00Z"] {
        let batch = json!({"records": [good, record("old", &ws, hour, "1")]});
        let answer = api.post("/api/v1/usage", &api.operator, batch).await;
        answer.names_field("records[1].hour_start");
        assert!(answer.body["detail"].as_str().unwrap().contains(ws.as_str()), "{}", answer.text);
        let text =
            format!("record_id,workspace_id,hour_start,cu_hours\nok,{ws},2026-03-03T06:00:00Z,1\nold,{ws},{hour},1\n");
        csv(&api, &api.operator, &text).await.names_field("line 3: hour_start");
    }
    let settlements = api.get(&format!("/api/v1/workspaces/{ws}/settlements"), &api.alice.key).await;
    assert_eq!(settlements.body.as_array().unwrap().len(), 0, "nothing was settled");
    api.post("/api/v1/usage", &api.operator, json!({"records": [good]})).await.ok(StatusCode::OK);
}
