//! Where the data lives: options shared by every subcommand, and opening
//! the store they name.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use billing_app::Billing;
use billing_app::clock::SystemClock;
use billing_store::{SqlStore, StoreOptions, redact};
use clap::Args;

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Log format.
    #[arg(long, global = true, env = "SPARK_BILLING_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Directory of the embedded SQLite database and demo files.
    #[arg(long, global = true, env = "SPARK_BILLING_DATA_DIR", default_value = "data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// A `postgres://` (or `sqlite://`) URL; overrides the data directory's
    /// SQLite file.
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl Global {
    /// The database URL in force.
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create the data directory {}", self.data_dir.display()))?;
                Ok(format!("sqlite://{}", self.data_dir.join("spark-billing.sqlite3").display()))
            }
        }
    }

    /// Opens the store, applying migrations.
    pub async fn open_store(&self) -> anyhow::Result<Arc<SqlStore>> {
        let url = self.url()?;
        let store = SqlStore::connect(&url, StoreOptions::default())
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        Ok(Arc::new(store))
    }

    /// Opens the store and the use cases over it, on the clock the service
    /// runs on (the simulated one, when `serve` was started with it).
    pub async fn open(&self) -> anyhow::Result<(Arc<SqlStore>, Billing)> {
        let store = self.open_store().await?;
        let billing = Billing::new(store.clone(), Arc::new(SystemClock));
        billing.ensure_catalog().await?;
        let (mode, offset) = billing.clock_settings().await?;
        if mode == "simulated" {
            let clock = Arc::new(billing_app::clock::SimulatedClock::new(offset));
            return Ok((store.clone(), Billing::new(store, clock)));
        }
        Ok((store, billing))
    }
}
