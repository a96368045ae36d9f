//! Storage of spark-billing on SQLite (embedded, the default) or PostgreSQL
//! (production), through one SQL dialect both understand.
//!
//! [`SqlStore::connect`] takes a `sqlite://…` or `postgres://…` URL, applies
//! the migrations and returns a [`billing_app::store::Store`]. Money is kept
//! as integer minor units beside its currency, instants as microseconds since
//! the Unix epoch in UTC.
#![forbid(unsafe_code)]

mod accounts;
mod api_keys;
mod bills;
mod catalog;
mod channel;
mod channel_charges;
mod charges;
mod directory;
mod documents;
mod error;
mod events;
mod files;
mod held;
mod instances;
mod ledger;
mod migrate;
mod refunds;
mod rejections;
mod rows;
mod sessions;
mod settlements;
mod tx;
mod usage;
mod workspaces;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use billing_app::store::{Store, StoreResult, StoreTx};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

pub use channel::{ChannelLogEntry, SimulatedChannel, SimulatedChannelSettings};
pub use channel_charges::ChargeLogEntry;
pub use error::map_err;
pub use files::{sqlite_file, sqlite_files};
pub use tx::SqlTx;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL names, or `None` for an unknown scheme.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A connection pool to the database, with the schema in place.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Queueing this process's writers here
    /// is fair and prompt, where SQLite's busy handler would make them poll
    /// with growing sleeps; other processes still meet the busy timeout.
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// The checkpointer of a SQLite file.
    checkpointer: Option<Arc<Checkpointer>>,
}

/// The checkpointer task: woken after writes commit, stopped by
/// [`SqlStore::close`] (or with the runtime it was started on).
#[derive(Debug)]
struct Checkpointer {
    wake: tokio::sync::mpsc::Sender<()>,
    stop: std::sync::Mutex<Option<(tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)>>,
}

/// Pool and timeout settings.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// Most connections held open; `None` takes the backend's default
    /// ([`Backend::default_connections`]).
    pub max_connections: Option<u32>,
    /// How long a write waits for SQLite's lock before giving up.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: None, busy_timeout: Duration::from_secs(10) }
    }
}

impl Backend {
    /// Connections a pool holds unless told otherwise.
    ///
    /// SQLite: 16, so that reads run side by side on their own snapshots
    /// (writes queue at the write gate whatever the size).
    ///
    /// PostgreSQL: 8. A server runs best with about twice as many busy
    /// connections as it has cores; beyond that, transactions queueing for
    /// the same rows (every write updates the audit chain's head) hold their
    /// locks longer while they wait for a core, and throughput falls. Requests
    /// beyond the pool wait for a connection instead. Raise it (`--db-connections`)
    /// for a database server with more cores.
    pub fn default_connections(self) -> u32 {
        match self {
            Backend::Sqlite => 16,
            Backend::Postgres => 8,
        }
    }
}

/// Page cache of each SQLite connection, in KiB.
const SQLITE_CACHE_KIB: u32 = 256;

/// Pages the write-ahead log may hold before the writer that commits
/// copies them into the database itself. The checkpointer does that
/// copying beside the writers; this bound holds only if it falls behind.
const SQLITE_WAL_BOUND_PAGES: u32 = 8192;

/// Shortest time between two checkpoints: writes that commit meanwhile are
/// copied together, in one pass and one sync of the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// How long a pooled connection may sit idle before it is pinged again when
/// it is lent: a database restarted meanwhile has closed it.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl SqlStore {
    /// Connects to `url` and applies any migrations not yet applied.
    pub async fn connect(url: &str, options: StoreOptions) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| {
            billing_app::store::StoreError::Database(format!(
                "unsupported database URL (expected sqlite:// or postgres://): {}",
                redact(url)
            ))
        })?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        if backend == Backend::Sqlite {
            files::create_private_sqlite_file(&url)?;
        }
        let busy_ms = options.busy_timeout.as_millis();
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.unwrap_or(backend.default_connections()))
            .acquire_timeout(Duration::from_secs(30))
            // A connection going back to the pool is always pinged (sqlx
            // does it on release, and closes one that does not answer).
            // Pinging it again when it is lent costs every transaction one
            // more round trip; only a connection that sat idle long enough
            // for the server to have gone away meanwhile is asked again.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str()).await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Each connection keeps its own page cache (2 MiB by
                        // default), all of them copies of the same file's
                        // pages, which the operating system caches once
                        // anyway: 256 KiB each keeps a full pool's share of the
                        // server's memory to 4 MiB.
                        conn.execute(format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}").as_str()).await?;
                        conn.execute(format!("PRAGMA wal_autocheckpoint = {SQLITE_WAL_BOUND_PAGES}").as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(map_err)?;
        let checkpointer = match backend == Backend::Sqlite && !is_memory(&url) {
            true => Some(Arc::new(spawn_checkpointer(url.clone(), busy_ms))),
            false => None,
        };
        let store = SqlStore { pool, backend, write_gate: Arc::new(tokio::sync::Mutex::new(())), checkpointer };
        migrate::migrate(&store.pool, backend).await?;
        Ok(store)
    }

    /// Closes the pool's connections and stops the checkpointer, waiting
    /// for both; the store cannot be used afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
        let stop = self.checkpointer.as_ref().and_then(|c| c.stop.lock().ok()?.take());
        if let Some((stop, task)) = stop {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// The pool, for benchmarks and checks that need raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn kind(&self) -> Backend {
        self.backend
    }

    /// Opens a write transaction typed as this store's own.
    pub async fn begin_sql(&self) -> StoreResult<SqlTx> {
        let begin = match self.backend {
            // Take SQLite's write lock up front, so a transaction that reads
            // before it writes never fails to upgrade its lock.
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN ISOLATION LEVEL READ COMMITTED",
        };
        let gate = match self.backend {
            Backend::Sqlite => Some(self.write_gate.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let tx = self.begin_on(begin).await?;
        Ok(SqlTx::new(tx, self.backend).holding(gate).waking(self.checkpointer.as_ref().map(|c| c.wake.clone())))
    }

    /// Opens a transaction with `begin`. A pooled connection the server
    /// closed since it was last used (a restart, an operator ending
    /// sessions) fails at `BEGIN`, before anything happened: sqlx closes it
    /// as it goes back, and the next connection is tried, up to once per
    /// connection the pool holds (and one new). Waiting for a connection in
    /// vain is not tried again.
    async fn begin_on(&self, begin: &'static str) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        let attempts = self.pool.options().get_max_connections() + 1;
        let mut tried = 0;
        loop {
            match self.pool.begin_with(begin).await {
                Ok(tx) => return Ok(tx),
                Err(e) => {
                    tried += 1;
                    let gone = !matches!(e, sqlx::Error::PoolTimedOut);
                    let e = map_err(e);
                    if !(gone && matches!(e, billing_app::store::StoreError::Unavailable(_))) || tried >= attempts {
                        return Err(e);
                    }
                }
            }
        }
    }
}

/// Whether a SQLite URL names a database in memory, which only its own
/// connection sees.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Starts the checkpointer of a SQLite file: on a connection of its own, so
/// on a thread of its own, it copies what the write-ahead log holds into the
/// database after writes commit, instead of the writer that happens to
/// cross the log's bound doing it inside its commit. A passive checkpoint
/// waits for nobody and nobody waits for it.
fn spawn_checkpointer(url: String, busy_ms: u128) -> Checkpointer {
    let (wake, mut woken) = tokio::sync::mpsc::channel(1);
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let connected = async {
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await?;
            conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str()).await?;
            Ok::<_, sqlx::Error>(conn)
        };
        let mut conn = match connected.await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "no checkpointer: writers copy the write-ahead log themselves");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                woke = woken.recv() => if woke.is_none() { break },
            }
            if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::warn!(error = %e, "checkpoint failed; the next one copies what this one left");
            }
            tokio::select! {
                _ = &mut stopped => break,
                () = tokio::time::sleep(CHECKPOINT_INTERVAL) => {}
            }
        }
        let _ = sqlx::Connection::close(conn).await;
    });
    Checkpointer { wake, stop: std::sync::Mutex::new(Some((stop, task))) }
}

#[async_trait]
impl Store for SqlStore {
    async fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
        Ok(Box::new(self.begin_sql().await?))
    }

    async fn read(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
        // One snapshot for every statement of the transaction: SQLite's
        // deferred BEGIN gives it; PostgreSQL needs REPEATABLE READ.
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        };
        let tx = self.begin_on(begin).await?;
        Ok(Box::new(SqlTx::new(tx, self.backend)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A URL with any password replaced by `***`, safe to print.
pub fn redact(url: &str) -> String {
    match url::Url::from_str(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
