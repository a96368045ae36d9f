//! Scratch databases: a SQLite file in a temporary directory, or a fresh
//! database on the PostgreSQL server named by [`POSTGRES_ENV`]; both removed
//! when the run ends.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::ValueEnum;
use sqlx::Connection;

/// Environment variable naming the PostgreSQL server to benchmark on.
pub const POSTGRES_ENV: &str = "SPARK_BILLING_BENCH_POSTGRES";
/// The server used when [`POSTGRES_ENV`] is not set.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database a benchmark runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// An embedded SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on a PostgreSQL server.
    Postgres,
}

/// A database made for one benchmark, removed by [`Scratch::remove`].
pub struct Scratch {
    /// Its URL.
    pub url: String,
    /// Where it lives.
    place: Place,
}

enum Place {
    Directory(PathBuf),
    Postgres { server: String, name: String },
}

/// A name unique to this process and moment, usable as a database name.
pub fn unique_name(tag: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("billing_bench_{tag}_{}_{nanos}", std::process::id())
}

/// The PostgreSQL server to use.
pub fn postgres_server() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

/// A temporary directory of this run (created).
pub fn temp_dir(tag: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(unique_name(tag));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

impl Scratch {
    /// A new, empty database on `kind`.
    pub async fn create(kind: BackendKind, tag: &str) -> anyhow::Result<Scratch> {
        match kind {
            BackendKind::Sqlite => {
                let dir = temp_dir(tag)?;
                let url = format!("sqlite://{}", dir.join("bench.sqlite3").display());
                Ok(Scratch { url, place: Place::Directory(dir) })
            }
            BackendKind::Postgres => {
                let server = postgres_server();
                let name = unique_name(tag);
                let url = create_postgres_database(&server, &name).await?;
                Ok(Scratch { url, place: Place::Postgres { server, name } })
            }
        }
    }

    /// Deletes the database (connections to it must be closed or are ended).
    pub async fn remove(self) -> anyhow::Result<()> {
        match self.place {
            Place::Directory(dir) => {
                std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))
            }
            Place::Postgres { server, name } => drop_postgres_database(&server, &name).await,
        }
    }
}

/// Creates database `name` on `server` and returns its URL.
pub async fn create_postgres_database(server: &str, name: &str) -> anyhow::Result<String> {
    let mut admin = sqlx::PgConnection::connect(server).await.with_context(|| {
        format!("cannot reach PostgreSQL at {} (set {POSTGRES_ENV})", billing_store::redact(server))
    })?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    admin.close().await?;
    let mut url = url::Url::parse(server).context("the PostgreSQL URL does not parse")?;
    url.set_path(name);
    Ok(url.to_string())
}

/// Drops database `name` on `server`, ending its sessions.
pub async fn drop_postgres_database(server: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
    admin.close().await?;
    Ok(())
}
