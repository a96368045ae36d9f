//! Where the data lives: options shared by every subcommand, and opening
//! the store they name.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use billing_app::Billing;
use billing_app::clock::SystemClock;
use billing_app::keyring::Keyring;
use billing_store::{SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions, redact};
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
    /// A TOML file of settings: `listen`, `database_url`, `db_connections`, `data_dir`, `clock`,
    /// `rate_limit`, `address_rate_limit`, `header_timeout`, `body_timeout`, `max_connections`,
    /// `metrics_token`, `log_format`, `channel_delay`, `channel_failures`, `channel_declines`,
    /// `quote_key_file`, `cookie_key_file`, `public_url`, `secure_cookies`; for `serve` and
    /// `usage consume`: `nats`, `stream`, `stream_subject`, `stream_durable`, `stream_batch`,
    /// `stream_ack_wait`, `stream_max_mb`.
    /// Flags and `SPARK_BILLING_*` variables win over it.
    #[arg(long, global = true, env = "SPARK_BILLING_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    /// Most database connections held open [default: 16 on SQLite, 8 on
    /// PostgreSQL; about twice the database server's cores suits PostgreSQL].
    #[arg(long, global = true, env = "SPARK_BILLING_DB_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_connections: Option<u32>,
    /// Work against a running server's HTTP API at this URL instead of the
    /// local database, e.g. `http://127.0.0.1:8080`; needs --api-key.
    /// `serve`, `clock`, `tick` and `refunds process` are local only.
    #[arg(long, global = true, env = "SPARK_BILLING_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The API key to send with --server: an operator key (a customer key
    /// is refused by operator-only routes). Never printed.
    #[arg(long, global = true, env = "SPARK_BILLING_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<ApiKey>,
    /// A file (readable by its owner alone) of the keys quote ids are
    /// signed with, instead of the key kept in the database: the first
    /// signs, each other one still verifies (`KEY until 2026-12-03T18:00:00Z`
    /// stops it then). The list may also be given in SPARK_BILLING_QUOTE_KEY.
    #[arg(long, global = true, env = "SPARK_BILLING_QUOTE_KEY_FILE", value_name = "FILE")]
    pub quote_key_file: Option<PathBuf>,
}

/// An API key, kept out of `Debug` output.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

impl std::str::FromStr for ApiKey {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ApiKey(s.to_owned()))
    }
}

impl Global {
    /// The database URL in force. `serve` (`create`) makes the data
    /// directory, which also holds keys and demo files when the database is
    /// elsewhere; every other command refuses a SQLite database that is not
    /// there, saying where it looked, rather than starting an empty one.
    pub fn url(&self, create: bool) -> anyhow::Result<String> {
        if create {
            crate::files::create_private_dir(&self.data_dir)?;
        }
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                let file = self.data_dir.join("spark-billing.sqlite3");
                if !create && !file.exists() {
                    let shown = std::path::absolute(&file).unwrap_or(file);
                    anyhow::bail!(
                        "no database at {}: give the data directory of a service with --data-dir (or \
                         SPARK_BILLING_DATA_DIR), or a DATABASE_URL; only `spark-billing serve` creates a database",
                        shown.display()
                    );
                }
                Ok(format!("sqlite://{}", file.display()))
            }
        }
    }

    /// Opens the store, applying migrations; refuses a SQLite database that
    /// others can read. Only `serve` passes `create`.
    pub async fn open_store(&self, create: bool) -> anyhow::Result<Arc<SqlStore>> {
        let url = self.url(create)?;
        crate::files::require_private_database(&url)?;
        let options = StoreOptions { max_connections: self.db_connections, ..StoreOptions::default() };
        let store = SqlStore::connect(&url, options)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        Ok(Arc::new(store))
    }

    /// Opens the store and the use cases over it, on the clock the service
    /// runs on (the simulated one, when `serve` was started with it).
    pub async fn open(&self) -> anyhow::Result<(Arc<SqlStore>, Billing)> {
        let quote_keys = self.quote_keys()?;
        let store = self.open_store(false).await?;
        let channel = Arc::new(SimulatedChannel::new(&store, SimulatedChannelSettings::default()));
        let billing = Billing::new(store.clone(), Arc::new(SystemClock)).with_channel(channel);
        billing.operations().ensure_catalog().await?;
        let (mode, offset) = billing.operations().clock_settings().await?;
        let billing = match mode.as_str() {
            "simulated" => billing.with_clock(Arc::new(billing_app::clock::SimulatedClock::new(offset))),
            _ => billing,
        };
        Ok((store, with_quote_keys(billing, quote_keys.as_ref())))
    }

    /// The quote signing keys given from outside the database, if any.
    pub fn quote_keys(&self) -> anyhow::Result<Option<Keyring>> {
        crate::secrets::keyring(crate::secrets::QUOTE_KEY_ENV, self.quote_key_file.as_deref(), "--quote-key-file")
    }
}

/// `billing` signing quotes with `keys` when they are given.
pub fn with_quote_keys(billing: Billing, keys: Option<&Keyring>) -> Billing {
    match keys {
        Some(keys) => billing.with_quote_keys(keys),
        None => billing,
    }
}

/// Settings a configuration file may hold: the key, the argument it stands
/// for, its flag, and whether it belongs to `serve` (else to every command).
const FILE_SETTINGS: [(&str, &str, &str, bool); 19] = [
    ("data_dir", "data_dir", "--data-dir", false),
    ("database_url", "database_url", "--database-url", false),
    ("db_connections", "db_connections", "--db-connections", false),
    ("log_format", "log_format", "--log-format", false),
    ("listen", "listen", "--listen", true),
    ("clock", "clock", "--clock", true),
    ("rate_limit", "rate_limit", "--rate-limit", true),
    ("address_rate_limit", "address_rate_limit", "--address-rate-limit", true),
    ("header_timeout", "header_timeout", "--header-timeout", true),
    ("body_timeout", "body_timeout", "--body-timeout", true),
    ("max_connections", "max_connections", "--max-connections", true),
    ("metrics_token", "metrics_token", "--metrics-token", true),
    ("channel_delay", "channel_delay", "--channel-delay", true),
    ("channel_failures", "failures_per_mille", "--failures-per-mille", true),
    ("channel_declines", "charge_declines_per_mille", "--charge-declines-per-mille", true),
    ("quote_key_file", "quote_key_file", "--quote-key-file", false),
    ("cookie_key_file", "cookie_key_file", "--cookie-key-file", true),
    ("public_url", "public_url", "--public-url", true),
    ("secure_cookies", "secure_cookies", "--secure-cookies", true),
];

/// Settings of the usage stream a configuration file may hold, for `serve`
/// and `usage consume`: the key, the argument and its flag.
const STREAM_SETTINGS: [(&str, &str, &str); 7] = [
    ("nats", "nats", "--nats"),
    ("stream", "stream", "--stream"),
    ("stream_subject", "subject", "--subject"),
    ("stream_durable", "durable", "--durable"),
    ("stream_batch", "batch", "--batch"),
    ("stream_ack_wait", "ack_wait", "--ack-wait"),
    ("stream_max_mb", "stream_max_mb", "--stream-max-mb"),
];

/// The command line with the configuration file's settings added for every
/// argument given neither as a flag nor through its variable: flags >
/// environment > file. The file is named by `--config` or
/// `SPARK_BILLING_CONFIG`.
pub fn args_with_config(command: clap::Command, args: Vec<String>) -> anyhow::Result<Vec<String>> {
    let from_flag = args.iter().position(|a| a == "--config").and_then(|i| args.get(i + 1)).cloned();
    let from_flag = from_flag.or_else(|| args.iter().find_map(|a| a.strip_prefix("--config=").map(str::to_owned)));
    let Some(path) = from_flag.or_else(|| std::env::var("SPARK_BILLING_CONFIG").ok()) else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the configuration file {path}"))?;
    let table: toml::Table = text.parse().with_context(|| format!("{path}: not valid TOML"))?;
    let Ok(matches) = command.try_get_matches_from(&args) else { return Ok(args) };
    let serve = matches.subcommand_matches("serve");
    let consume = matches.subcommand_matches("usage").and_then(|m| m.subcommand_matches("consume"));
    let mut global_extra = Vec::new();
    let mut serve_extra = Vec::new();
    for (key, value) in &table {
        let stream_setting = STREAM_SETTINGS.iter().find(|(name, ..)| name == key);
        let Some((_, id, flag, for_serve)) = FILE_SETTINGS
            .iter()
            .copied()
            .find(|(name, ..)| name == key)
            .or_else(|| stream_setting.map(|(name, id, flag)| (*name, *id, *flag, true)))
        else {
            let known: Vec<_> =
                FILE_SETTINGS.iter().map(|(name, ..)| *name).chain(STREAM_SETTINGS.iter().map(|s| s.0)).collect();
            anyhow::bail!("{path}: unknown setting {key:?} (known: {})", known.join(", "));
        };
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => anyhow::bail!("{path}: {key} must be a string, a number or a boolean, not {}", other.type_str()),
        };
        let scope = match (for_serve, stream_setting.is_some()) {
            (true, true) => serve.or(consume),
            (true, false) => serve,
            (false, _) => Some(&matches),
        };
        let Some(scope) = scope else { continue };
        let explicit = matches!(
            scope.value_source(id),
            Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
        );
        if !explicit {
            let extra = if for_serve { &mut serve_extra } else { &mut global_extra };
            extra.push(flag.to_string());
            extra.push(text);
        }
    }
    let mut out = Vec::with_capacity(args.len() + global_extra.len() + serve_extra.len());
    out.push(args.first().cloned().unwrap_or_default());
    out.extend(global_extra);
    // Serve's settings (and the stream's) follow the subcommand they belong
    // to: `serve`, or `consume` of `usage consume`.
    let mut previous = String::new();
    for arg in args.into_iter().skip(1) {
        let takes_extra = arg == "serve" || (arg == "consume" && previous == "usage");
        previous.clone_from(&arg);
        out.push(arg);
        if takes_extra {
            out.append(&mut serve_extra);
        }
    }
    Ok(out)
}
