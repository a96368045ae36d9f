//! `spark-billing policy show|set`: the refund policy versions.

use std::process::ExitCode;

use anyhow::Context;
use billing_app::Caller;
use billing_domain::policy::{Policy, policy_in_force};
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Every policy version, and the one in force now.
    Show,
    /// Add a policy version: the one in force with the given settings
    /// changed, e.g. `policy set quote_ttl=30m full_refunds_per_year=2`.
    Set {
        /// SETTING=VALUE pairs.
        #[arg(required = true, value_name = "SETTING=VALUE")]
        settings: Vec<String>,
        /// When it takes effect (RFC 3339; default: now — with --server, this
        /// machine's now, so pass it when the server's clock is simulated).
        #[arg(long)]
        effective_from: Option<DateTime<Utc>>,
    },
}

pub async fn run(global: &Global, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    if let Some(remote) = Remote::from_global(global)? {
        return run_remote(&remote, command).await;
    }
    let (_, billing) = global.open().await?;
    match command {
        PolicyCommand::Show => {
            let versions = billing.operations().policy_versions().await?;
            let in_force = policy_in_force(&versions, billing.now()).map(|v| v.version);
            for v in &versions {
                let settings = v.policy.settings().map(|(k, val)| (k.to_owned(), val));
                show_version(v.version, &v.effective_from.to_rfc3339(), Some(v.version) == in_force, &settings)?;
            }
        }
        PolicyCommand::Set { settings, effective_from } => {
            let now = billing.now();
            let versions = billing.operations().policy_versions().await?;
            let mut policy = policy_in_force(&versions, now).map(|v| v.policy).unwrap_or_default();
            for pair in &settings {
                let (name, value) = pair.split_once('=').with_context(|| format!("{pair:?}: write SETTING=VALUE"))?;
                policy.set(name, value)?;
            }
            let added = billing
                .operations()
                .add_policy_version(&Caller::Operator, effective_from.unwrap_or(now), policy)
                .await?;
            println!("policy version {} takes effect {}", added.version, added.effective_from.to_rfc3339());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_version(
    version: u32,
    effective_from: &str,
    in_force: bool,
    settings: &[(String, String)],
) -> anyhow::Result<()> {
    let marker = if in_force { " (in force)" } else { "" };
    println!("version {version} from {effective_from}{marker}");
    let rows: Vec<Vec<String>> = settings.iter().map(|(k, val)| vec![format!("  {k}"), val.clone()]).collect();
    output::table(&["  SETTING", "VALUE"], &rows)
}

/// `run` through the server: `GET` or `POST /api/v1/policy-versions`.
async fn run_remote(remote: &Remote, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Show => {
            for v in remote.policy_versions().await? {
                let serde_json::Value::Object(map) = serde_json::to_value(&v.settings)? else {
                    anyhow::bail!("policy version {}: the settings are not an object", v.version);
                };
                let settings: Vec<(String, String)> =
                    map.into_iter().map(|(k, val)| (k, val.as_str().unwrap_or_default().to_owned())).collect();
                show_version(v.version, &v.effective_from, v.in_force, &settings)?;
            }
        }
        PolicyCommand::Set { settings, effective_from } => {
            let mut pairs = Vec::new();
            for pair in &settings {
                let (name, value) = pair.split_once('=').with_context(|| format!("{pair:?}: write SETTING=VALUE"))?;
                // Refuse unknown settings and bad values here, with the
                // same words as local mode; the server checks them again.
                Policy::default().set(name, value)?;
                pairs.push((name, value));
            }
            let at = effective_from.unwrap_or_else(|| DateTime::<Utc>::from(std::time::SystemTime::now())).to_rfc3339();
            let added = remote.add_policy_version(&at, &pairs).await?;
            println!("policy version {} takes effect {}", added.version, added.effective_from);
        }
    }
    Ok(ExitCode::SUCCESS)
}
