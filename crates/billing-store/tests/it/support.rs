//! Test harness: fresh databases per test, a hand-moved clock, and a world
//! with one account and workspace to start from.

use std::sync::Arc;

use billing_app::clock::ManualClock;
use billing_app::{Billing, Caller};
use billing_domain::ids::AccountId;
use billing_domain::money::{Currency, Money};
use billing_store::{SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions};
use chrono::{DateTime, Utc};
use sqlx::Connection;

pub use crate::seed::*;

/// Environment variable naming a PostgreSQL server for the suite, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Each test creates its own
/// database there.
pub const POSTGRES_ENV: &str = "SPARK_BILLING_TEST_POSTGRES";

/// A use-case layer over a fresh database, with its clock.
pub struct World {
    pub backend: &'static str,
    pub billing: Billing,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqlStore>,
    pub url: String,
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

pub fn usd(text: &str) -> Money {
    Money::parse(Currency::Usd, text).unwrap()
}

fn unique_name() -> String {
    format!("sb_test_{}", uuid::Uuid::now_v7().simple())
}

async fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join("spark-billing-tests");
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}", dir.join(format!("{}.sqlite3", unique_name())).display())
}

async fn postgres_url(server: &str) -> String {
    let name = unique_name();
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// A fresh world on every configured backend: SQLite always, PostgreSQL when
/// [`POSTGRES_ENV`] is set.
pub async fn worlds() -> Vec<World> {
    let mut urls = vec![("sqlite", sqlite_url().await)];
    if let Ok(server) = std::env::var(POSTGRES_ENV) {
        urls.push(("postgres", postgres_url(&server).await));
    }
    let mut worlds = Vec::new();
    for (backend, url) in urls {
        worlds.push(world(backend, url).await);
    }
    worlds
}

/// A fresh world on SQLite alone, for what only SQLite has.
pub async fn sqlite_world() -> World {
    world("sqlite", sqlite_url().await).await
}

async fn world(backend: &'static str, url: String) -> World {
    let store = Arc::new(SqlStore::connect(&url, StoreOptions::default()).await.unwrap());
    let clock = Arc::new(ManualClock::new(at("2026-03-10T14:23:05+08:00")));
    let billing = Billing::new(store.clone(), clock.clone()).with_channel(channel(&store));
    billing.operations().ensure_catalog().await.unwrap();
    World { backend, billing, clock, store, url }
}

impl World {
    /// Another service over the same database with its own connections and
    /// memory, as a second replica or process would be.
    pub async fn replica(&self) -> Billing {
        let store = Arc::new(SqlStore::connect(&self.url, StoreOptions::default()).await.unwrap());
        Billing::new(store.clone(), self.clock.clone()).with_channel(channel(&store))
    }
}

/// The simulated payment channel over `store`'s database, taking every
/// charge but those of the test cards that always decline.
pub fn channel(store: &SqlStore) -> Arc<SimulatedChannel> {
    Arc::new(SimulatedChannel::new(store, SimulatedChannelSettings::default()))
}

/// Runs `case` on every configured backend, naming the backend on failure.
#[macro_export]
macro_rules! on_every_backend {
    (|$world:ident| $body:block) => {
        for $world in $crate::support::worlds().await {
            let backend = $world.backend;
            // A panic inside the body cannot name the backend; this line,
            // printed with the failing test's output, does.
            eprintln!("running on {backend}");
            let result: Result<(), String> = async {
                $body;
                Ok(())
            }
            .await;
            if let Err(e) = result {
                panic!("on {backend}: {e}");
            }
        }
    };
}

pub const OPERATOR: Caller = Caller::Operator;

pub fn customer(account_id: &AccountId) -> Caller {
    Caller::Customer(account_id.clone())
}

#[test]
fn ci_runs_the_suite_on_postgres_too() {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(std::env::var(POSTGRES_ENV).is_ok(), "CI must set {POSTGRES_ENV} so the suite runs on PostgreSQL");
    }
}
