//! Where the data lives: options shared by every subcommand, and opening
//! the store they name.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use billing_app::Billing;
use billing_app::clock::SystemClock;
use billing_store::{SqlStore, StoreOptions, redact};
use clap::Args;

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
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

    /// Opens the store (applying migrations) and the use cases over it.
    pub async fn open(&self) -> anyhow::Result<(Arc<SqlStore>, Billing)> {
        let url = self.url()?;
        let store = SqlStore::connect(&url, StoreOptions::default())
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        let store = Arc::new(store);
        let billing = Billing::new(store.clone(), Arc::new(SystemClock));
        billing.ensure_catalog().await?;
        Ok((store, billing))
    }
}
