//! `spark-billing policy show|set`: the refund policy versions.

use std::process::ExitCode;

use anyhow::Context;
use billing_app::Caller;
use billing_domain::policy::policy_in_force;
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::config::Global;
use crate::output;

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
        /// When it takes effect (RFC 3339; default: now).
        #[arg(long)]
        effective_from: Option<DateTime<Utc>>,
    },
}

pub async fn run(global: &Global, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let (_, billing) = global.open().await?;
    match command {
        PolicyCommand::Show => {
            let versions = billing.policy_versions().await?;
            let in_force = policy_in_force(&versions, billing.now()).map(|v| v.version);
            for v in &versions {
                let marker = if Some(v.version) == in_force { " (in force)" } else { "" };
                println!("version {} from {}{marker}", v.version, v.effective_from.to_rfc3339());
                let rows: Vec<Vec<String>> =
                    v.policy.settings().iter().map(|(k, val)| vec![format!("  {k}"), val.clone()]).collect();
                output::table(&["  SETTING", "VALUE"], &rows)?;
            }
        }
        PolicyCommand::Set { settings, effective_from } => {
            let now = billing.now();
            let versions = billing.policy_versions().await?;
            let mut policy = policy_in_force(&versions, now).map(|v| v.policy).unwrap_or_default();
            for pair in &settings {
                let (name, value) = pair.split_once('=').with_context(|| format!("{pair:?}: write SETTING=VALUE"))?;
                policy.set(name, value)?;
            }
            let added = billing.add_policy_version(&Caller::Operator, effective_from.unwrap_or(now), policy).await?;
            println!("policy version {} takes effect {}", added.version, added.effective_from.to_rfc3339());
        }
    }
    Ok(ExitCode::SUCCESS)
}
