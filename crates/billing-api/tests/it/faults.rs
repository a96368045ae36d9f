//! An unavailable database answers `503 UNAVAILABLE` with `Retry-After`,
//! never `500 INTERNAL`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sqlx::Connection;

use crate::support::api_on_postgres;

/// Waits (without sleeping: every look is a round trip) until a backend of
/// the database `name` waits for a lock, and returns its process id.
async fn backend_waiting_for_a_lock(admin: &mut sqlx::PgConnection, name: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&mut *admin)
        .await
        .unwrap();
        if let Some(pid) = waiting {
            return pid;
        }
        assert!(Instant::now() < deadline, "the request never reached the database");
    }
}

#[tokio::test]
async fn a_request_whose_database_connection_is_terminated_answers_503_unavailable() {
    let Some((api, url)) = api_on_postgres().await else { return };
    let name = url::Url::parse(&url).unwrap().path().trim_start_matches('/').to_owned();
    // Another session holds the accounts table, so that the request is in
    // flight on its connection when PostgreSQL ends that connection, as a
    // restart does.
    let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let path = format!("/api/v1/accounts/{}", api.alice.account_id);
    let terminate = async {
        let pid = backend_waiting_for_a_lock(&mut admin, &name).await;
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.unwrap();
    };
    let (answer, ()) = tokio::join!(api.get(&path, &api.alice.key), terminate);
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    answer.problem(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE");
    assert_eq!(answer.headers["retry-after"], "1", "{}", answer.text);
    let again = api.get(&path, &api.alice.key).await;
    again.ok(StatusCode::OK);
}
