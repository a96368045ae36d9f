//! `/metrics` over a real socket, on SQLite and PostgreSQL: each route's
//! latency histogram, and the business counters of what committed. Every
//! API has a recorder of its own, so the counts are exact even with other
//! servers running in the same process.

use std::net::SocketAddr;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Api, backends};

/// The API's router served on a local port.
async fn serve(api: &Api) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api.router.clone().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One HTTP/1.1 request on its own connection; the status and the body.
async fn send(addr: SocketAddr, request: &str, key: &str, idem: Option<&str>, body: Option<Value>) -> (u16, String) {
    let (method, path) = request.split_once(' ').unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    head.push_str(&format!("Content-Length: {}\r\nContent-Type: application/json\r\n", body.len()));
    if !key.is_empty() {
        head.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    if let Some(idem) = idem {
        head.push_str(&format!("Idempotency-Key: {idem}\r\n"));
    }
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("{head}\r\n{body}").as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

/// The value of the sample `series` (name and labels, as rendered), or
/// `None` when `/metrics` does not show it.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn balance(amount: &str) -> Value {
    json!([{"method": "balance", "amount": amount}])
}

#[tokio::test]
async fn metrics_show_each_route_in_latency_buckets_and_count_the_quotes_and_confirmations() {
    for api in backends().await {
        let addr = serve(&api).await;
        let alice = api.alice.key.as_str();
        let order = json!({"workspace_id": api.alice.workspace_id, "cu": 100, "months": 6,
            "tenders": balance("19326.00")});
        let (status, bought) = send(addr, "POST /api/v1/orders/quota", alice, Some("q-1"), Some(order)).await;
        assert_eq!(status, 201, "{bought}");
        let bought: Value = serde_json::from_str(&bought).unwrap();
        let instance = bought["instance"]["id"].as_str().unwrap();
        let mut quotes = Vec::new();
        for _ in 0..2 {
            let (status, quote) =
                send(addr, "POST /api/v1/quotes", alice, None, Some(json!({"instance_id": instance}))).await;
            assert_eq!(status, 200, "{quote}");
            let quote: Value = serde_json::from_str(&quote).unwrap();
            quotes.push(quote["quote_id"].as_str().unwrap().to_owned());
        }
        let confirm = |quote: &str| json!({"quote_id": quote, "confirm_workspace_deletion": "etl"});
        let (status, done) =
            send(addr, "POST /api/v1/unsubscriptions", alice, Some("u-1"), Some(confirm(&quotes[0]))).await;
        assert_eq!(status, 201, "{done}");
        let done: Value = serde_json::from_str(&done).unwrap();
        let refunds = done["refunds"].as_array().unwrap();
        let paid = refunds.iter().filter(|r| r["status"] == "succeeded").count();
        assert!(paid >= 1, "a quota paid from the balance is refunded to it at once: {done}");
        // The same request again is a replay; the second quote has gone
        // stale with the first confirmation, so it is refused.
        let (status, _) =
            send(addr, "POST /api/v1/unsubscriptions", alice, Some("u-1"), Some(confirm(&quotes[0]))).await;
        assert_eq!(status, 200, "a replay answers the first result");
        let (status, stale) =
            send(addr, "POST /api/v1/unsubscriptions", alice, Some("u-2"), Some(confirm(&quotes[1]))).await;
        assert!((400..500).contains(&status), "{stale}");

        let (status, text) = send(addr, "GET /metrics", "", None, None).await;
        assert_eq!(status, 200);
        let quotes_route = r#"{method="POST",route="/api/v1/quotes",status_class="2xx""#;
        let histogram = "spark_billing_http_request_duration_seconds";
        assert_eq!(sample(&text, &format!(r#"{histogram}_bucket{quotes_route},le="10"}}"#)), Some(2.0), "{text}");
        assert_eq!(sample(&text, &format!(r#"{histogram}_bucket{quotes_route},le="+Inf"}}"#)), Some(2.0));
        assert_eq!(sample(&text, &format!("{histogram}_count{quotes_route}}}")), Some(2.0));
        let buckets = text.lines().filter(|l| l.starts_with(&format!("{histogram}_bucket{quotes_route}"))).count();
        assert_eq!(buckets, 14, "1 ms to 10 s, and +Inf: {text}");
        assert!(text.contains(&format!(r#"{histogram}_bucket{quotes_route},le="0.001"}}"#)), "{text}");
        let refused_route = r#"{method="POST",route="/api/v1/unsubscriptions",status_class="4xx"}"#;
        assert_eq!(sample(&text, &format!("{histogram}_count{refused_route}")), Some(1.0), "{text}");
        let requests = r#"spark_billing_http_requests_total{method="POST",route="/api/v1/quotes",status="200"}"#;
        assert_eq!(sample(&text, requests), Some(2.0));

        assert_eq!(sample(&text, r#"spark_billing_quotes_issued_total{action="unsubscribe"}"#), Some(2.0), "{text}");
        let confirmations = |outcome: &str| {
            let series = format!(r#"spark_billing_confirmations_total{{kind="unsubscription",outcome="{outcome}"}}"#);
            sample(&text, &series)
        };
        assert_eq!(confirmations("confirmed"), Some(1.0));
        assert_eq!(confirmations("replayed"), Some(1.0));
        assert_eq!(confirmations("refused"), Some(1.0));
        let created = sample(&text, r#"spark_billing_refunds_total{transition="created"}"#);
        assert_eq!(created, Some(refunds.len() as f64));
        assert_eq!(sample(&text, r#"spark_billing_refunds_total{transition="succeeded"}"#), Some(paid as f64));
        let documents =
            |kind: &str| sample(&text, &format!(r#"spark_billing_documents_issued_total{{kind="{kind}"}}"#));
        assert_eq!((documents("invoice"), documents("credit_note")), (Some(1.0), Some(1.0)));
        assert_eq!(sample(&text, "spark_billing_due_work_failures_total"), Some(0.0));
    }
}

#[tokio::test]
async fn usage_records_are_counted_by_source_and_outcome() {
    for api in backends().await {
        let ws = &api.alice.workspace_id;
        let record =
            |id: &str, hour: &str| json!({"record_id": id, "workspace_id": ws, "hour_start": hour, "cu_hours": "1"});
        let batch = json!({"records": [record("r1", "2026-03-10T01:00:00Z"), record("r2", "2026-03-10T02:00:00Z")]});
        api.post("/api/v1/usage", &api.operator, batch).await.ok(StatusCode::OK);
        let csv = format!(
            "record_id,workspace_id,hour_start,cu_hours\nr2,{ws},2026-03-10T02:00:00Z,1\nr3,{ws},2026-03-10T03:00:00Z,1\n"
        );
        let answer = api.send_text(axum::http::Method::POST, "/api/v1/usage.csv", &api.operator, "text/csv", csv).await;
        answer.ok(StatusCode::OK);
        let unknown = json!({"records": [{"record_id": "r4", "workspace_id": "ws_missing",
            "hour_start": "2026-03-10T03:00:00Z", "cu_hours": "1"}]});
        api.post("/api/v1/usage", &api.operator, unknown).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");

        let text = api.get("/metrics", "").await.text;
        let count = |source: &str, outcome: &str| {
            sample(&text, &format!(r#"spark_billing_usage_records_total{{source="{source}",outcome="{outcome}"}}"#))
        };
        assert_eq!(count("api", "settled"), Some(2.0), "{text}");
        assert_eq!(count("file", "settled"), Some(1.0));
        assert_eq!(count("file", "duplicate"), Some(1.0));
        assert_eq!(count("api", "rejected"), Some(1.0));
        assert_eq!(count("api", "duplicate"), None, "nothing counted, nothing shown");
    }
}

#[test]
fn the_usage_stream_shows_its_counters_latency_buckets_and_lag_once_a_consumer_runs() {
    use billing_app::usage_stream::StreamBatchOutcome;
    let exporter = billing_api::Exporter::new();
    assert!(!exporter.render().contains("usage_stream"), "nothing before a consumer runs");
    let meter = exporter.meter();
    let stream = meter.stream();
    stream.started();
    let text = exporter.render();
    assert_eq!(sample(&text, "spark_billing_usage_stream_consumed_total"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "spark_billing_usage_stream_pending"), Some(0.0));
    stream.pending(7);
    stream.taken(3, 1);
    let outcome = StreamBatchOutcome { settled: 1, duplicates: 1, rejected: 1, attempts: 2 };
    stream.settled(&outcome, std::time::Duration::from_millis(30));
    let text = exporter.render();
    let value = |name: &str| sample(&text, &format!("spark_billing_usage_stream_{name}"));
    assert_eq!(value("pending"), Some(7.0), "{text}");
    assert_eq!((value("consumed_total"), value("redelivered_total")), (Some(3.0), Some(1.0)));
    let outcomes = (value("settled_total"), value("duplicates_total"), value("rejected_total"));
    assert_eq!(outcomes, (Some(1.0), Some(1.0), Some(1.0)));
    assert_eq!(value(r#"batch_seconds_bucket{le="0.025"}"#), Some(0.0), "{text}");
    assert_eq!(value(r#"batch_seconds_bucket{le="0.05"}"#), Some(1.0));
    assert_eq!(value(r#"batch_seconds_bucket{le="+Inf"}"#), Some(1.0));
    assert_eq!(value("batch_seconds_count"), Some(1.0));
}
