//! `spark-billing keys list|revoke|roll`: API keys, on the local database
//! or, with `--server`, through the API. Rolling prints the new secret once.

use billing_domain::ids::{AccountId, ApiKeyId};
use std::process::ExitCode;

use billing_api::routes::api_keys::{ApiKeyDto, ApiKeyRolled};
use billing_app::Caller;
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List API keys (never their secrets), by id.
    List(ListArgs),
    /// Revoke a key: it stops working at once (within a second on every
    /// server sharing the database).
    Revoke(KeyArg),
    /// Revoke a key and make a new one for the same account with the same
    /// label; prints the new secret, which is not shown again.
    Roll(KeyArg),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this account's keys.
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Args)]
pub struct KeyArg {
    /// The key's id, `key_…` (see `keys list`).
    #[arg(value_name = "KEY_ID")]
    id: ApiKeyId,
}

pub async fn run(global: &Global, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let remote = Remote::from_global(global)?;
    match command {
        KeysCommand::List(args) => {
            let keys = match &remote {
                Some(remote) => remote.api_keys(args.account.as_deref()).await?,
                None => {
                    let billing = global.open().await?.1;
                    let keys = billing.accounts().api_keys(&Caller::Operator, args.account.as_ref()).await?;
                    keys.iter().map(ApiKeyDto::from).collect()
                }
            };
            print_keys(&keys, args.format)?;
        }
        KeysCommand::Revoke(KeyArg { id }) => {
            let key = match &remote {
                Some(remote) => remote.revoke_api_key(&id).await?,
                None => {
                    ApiKeyDto::from(&global.open().await?.1.accounts().revoke_api_key(&Caller::Operator, &id).await?)
                }
            };
            println!("revoked {} at {}", key.id, key.revoked_at.as_deref().unwrap_or("-"));
        }
        KeysCommand::Roll(KeyArg { id }) => {
            let rolled = match &remote {
                Some(remote) => remote.roll_api_key(&id).await?,
                None => {
                    let (key, secret) = global.open().await?.1.accounts().roll_api_key(&Caller::Operator, &id).await?;
                    ApiKeyRolled {
                        id: key.id.into_string(),
                        account_id: key.account_id.map(String::from),
                        label: key.label,
                        key: secret,
                        replaces: id.into_string(),
                    }
                }
            };
            eprintln!("revoked {}; its replacement {} is shown this once:", rolled.replaces, rolled.id);
            println!("{}", rolled.key);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_keys(keys: &[ApiKeyDto], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&serde_json::to_value(keys)?),
        Format::Table => {
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    vec![
                        k.id.clone(),
                        k.account_id.clone().unwrap_or_else(|| "operator".to_owned()),
                        k.label.clone(),
                        k.created_at.clone(),
                        k.revoked_at.clone().unwrap_or_else(|| "-".to_owned()),
                    ]
                })
                .collect();
            output::table(&["id", "account", "label", "created_at", "revoked_at"], &rows)
        }
    }
}
