//! `spark-billing unsubscribe` and `spark-billing backup`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use billing_api::dto::UnsubscriptionDto;
use billing_app::unsubscription::Confirmation;
use billing_app::views::UnsubscriptionView;
use billing_app::{Billing, Caller};
use billing_domain::ids::{InstanceId, OrderId, QuoteId, WorkspaceId};
use clap::Args;
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

/// What to give back and how to confirm it.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["instance", "quote"]))]
pub struct UnsubscribeArgs {
    /// The instance to give back: it is quoted now, shown, and confirmed.
    #[arg(long, value_name = "ID")]
    instance: Option<InstanceId>,
    /// With --instance: give back only this pending renewal order.
    #[arg(long, value_name = "ORDER_ID", requires = "instance")]
    order: Option<OrderId>,
    /// Confirm an existing quote instead (from `quote --instance`).
    #[arg(long, value_name = "QUOTE_ID")]
    quote: Option<QuoteId>,
    /// For a quota: the name of the workspace that will be deleted.
    #[arg(long, value_name = "NAME")]
    confirm_workspace: Option<String>,
    /// Repeating a request with the same key returns the first result
    /// (default: a new key).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// Do not ask; required when not run from a terminal.
    #[arg(long)]
    yes: bool,
}

/// Which workspace to back up.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The workspace.
    #[arg(long, value_name = "ID")]
    workspace: WorkspaceId,
    /// Where to write the archive (default: its suggested name in the
    /// current directory).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file if it exists (else an existing file is kept
    /// and the command fails).
    #[arg(long)]
    force: bool,
}

pub async fn run(global: &Global, args: UnsubscribeArgs) -> anyhow::Result<ExitCode> {
    if let Some(remote) = Remote::from_global(global)? {
        return run_remote(&remote, &args).await;
    }
    let (_, billing) = global.open().await?;
    let caller = Caller::Operator;
    let (quote_id, workspace) = match (&args.quote, &args.instance) {
        (Some(quote_id), _) => (quote_id.clone(), None),
        (None, Some(instance)) => {
            let view = billing.unsubscriptions().quote_unsubscription(&caller, instance, args.order.as_ref()).await?;
            output::json(&view.json()?)?;
            if !view.quote.eligible() {
                let reason = view.quote.reason_message().unwrap_or_default();
                bail!("{instance} cannot be unsubscribed: {reason}");
            }
            (view.stored.id.clone(), view.deletes.map(|t| t.name))
        }
        (None, None) => bail!("name --instance or --quote"),
    };
    let typed = confirm_interactively(&args, workspace.as_deref())?;
    let confirmation = Confirmation {
        quote_id,
        idempotency_key: args.idempotency_key.clone().unwrap_or_else(|| billing_app::ids::new_id("cli")),
        confirm_workspace_deletion: typed.or(args.confirm_workspace.clone()),
    };
    let result = billing.unsubscriptions().confirm_unsubscription(&caller, &confirmation).await?;
    output::json(&result_json(&UnsubscriptionDto::from(UnsubscriptionView::from(&result))))?;
    Ok(ExitCode::SUCCESS)
}

/// `run` through the server: quote, show, confirm, then
/// `POST /api/v1/unsubscriptions`.
async fn run_remote(remote: &Remote, args: &UnsubscribeArgs) -> anyhow::Result<ExitCode> {
    let (quote_id, workspace) = match (&args.quote, &args.instance) {
        (Some(quote_id), _) => (quote_id.to_string(), None),
        (None, Some(instance)) => {
            let (quote, json) = remote.quote(instance, args.order.as_deref()).await?;
            output::json(&json)?;
            if !quote.eligible {
                let reason = quote.reason_message.unwrap_or_default();
                bail!("{instance} cannot be unsubscribed: {reason}");
            }
            (quote.quote_id, quote.workspace.map(|t| t.name))
        }
        (None, None) => bail!("name --instance or --quote"),
    };
    let typed = confirm_interactively(args, workspace.as_deref())?;
    let key = args.idempotency_key.clone().unwrap_or_else(|| billing_app::ids::new_id("cli"));
    let confirm = typed.or(args.confirm_workspace.clone());
    let result = remote.unsubscribe(&quote_id, confirm.as_deref(), &key).await?;
    output::json(&result_json(&result))?;
    Ok(ExitCode::SUCCESS)
}

/// Asks the person at the terminal to confirm; returns the workspace name
/// typed, if one was asked for.
fn confirm_interactively(args: &UnsubscribeArgs, workspace: Option<&str>) -> anyhow::Result<Option<String>> {
    if args.yes {
        return Ok(None);
    }
    if !std::io::stdin().is_terminal() {
        bail!("not a terminal: pass --yes (and --confirm-workspace NAME for a quota) to unsubscribe without asking");
    }
    let mut err = std::io::stderr().lock();
    match workspace {
        Some(name) => write!(
            err,
            "This deletes workspace {name:?} with all its jobs and data, for good. Type its name to confirm: "
        )?,
        None => write!(err, "Unsubscribe and refund as quoted above? Type yes to confirm: ")?,
    }
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer")?;
    let answer = answer.trim().to_owned();
    match workspace {
        Some(_) => Ok(Some(answer)),
        None if answer == "yes" => Ok(None),
        None => bail!("not confirmed; nothing was changed"),
    }
}

/// What an unsubscription did, from the database or from the server.
fn result_json(u: &UnsubscriptionDto) -> serde_json::Value {
    json!({
        "unsubscription_id": u.id,
        "instance_id": u.instance_id,
        "order_id": u.order_id,
        "refund": u.refund,
        "currency": u.currency,
        "replayed": u.replayed,
        "workspace_deleted": u.workspace_deleted.as_ref().map(|t| json!({"id": t.id, "name": t.name,
            "jobs": t.jobs, "data_objects": t.data_objects, "queues": t.queues})),
        "refunds": u.refunds.iter().map(crate::refunds::refund_json).collect::<Vec<_>>(),
    })
}

pub async fn backup(global: &Global, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let backup = match Remote::from_global(global)? {
        Some(remote) => remote.backup(&args.workspace).await?,
        None => download(&global.open().await?.1, &args.workspace).await?,
    };
    let path = args.output.unwrap_or_else(|| PathBuf::from(&backup.file_name));
    write_new(&path, &backup.bytes, args.force)?;
    eprintln!("wrote {} ({} job scripts, {} bytes)", path.display(), backup.jobs, backup.bytes.len());
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path`, which must not exist unless `force`.
pub fn write_new(path: &std::path::Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!("{} exists already; nothing was written (give --force to replace it)", path.display())
        }
        _ => anyhow::Error::new(e).context(format!("cannot write {}", path.display())),
    })?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))
}

async fn download(billing: &Billing, workspace: &WorkspaceId) -> anyhow::Result<billing_app::unsubscription::Backup> {
    Ok(billing.unsubscriptions().backup_workspace(&Caller::Operator, workspace).await?)
}
