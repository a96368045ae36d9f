//! `spark-billing downgrade` and `spark-billing switch`: quota changes that
//! keep the workspace, quoted, shown and confirmed as unsubscriptions are.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use billing_api::dto::UnsubscriptionDto;
use billing_app::Caller;
use billing_app::unsubscription::Confirmation;
use billing_app::unsubscription::facts::Question;
use billing_app::views::UnsubscriptionView;
use billing_domain::change::ActionKind;
use billing_domain::ids::InstanceId;
use clap::Args;
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

/// Which quota keeps how many CUs.
#[derive(Debug, Args)]
pub struct DowngradeArgs {
    /// The subscription quota.
    #[arg(long, value_name = "ID")]
    instance: InstanceId,
    /// The CUs it keeps: fewer than now, at least the region's smallest
    /// quota.
    #[arg(long, value_name = "CU", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    cu: u32,
    #[command(flatten)]
    confirm: ConfirmArgs,
}

/// Which quota to switch to pay-as-you-go.
#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The subscription quota; its workspace stays and is billed by the
    /// hour from the next clock hour on.
    #[arg(long, value_name = "ID")]
    instance: InstanceId,
    #[command(flatten)]
    confirm: ConfirmArgs,
}

/// How the change is confirmed.
#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Repeating a request with the same key returns the first result
    /// (default: a new key).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// Do not ask; required when not run from a terminal.
    #[arg(long)]
    yes: bool,
}

pub async fn downgrade(global: &Global, args: DowngradeArgs) -> anyhow::Result<ExitCode> {
    let question = Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: Some(args.cu) };
    let prompt = format!("Keep {} CUs and refund as quoted above? Type yes to confirm: ", args.cu);
    change(global, &args.instance, question, &args.confirm, &prompt).await
}

pub async fn switch(global: &Global, args: SwitchArgs) -> anyhow::Result<ExitCode> {
    let question = Question { action: ActionKind::SwitchToPayAsYouGo, order_id: None, new_quota_cu: None };
    let prompt = "End the quota, refund as quoted above and bill the workspace by the hour? Type yes to confirm: ";
    change(global, &args.instance, question, &args.confirm, prompt).await
}

async fn change(
    global: &Global,
    instance: &InstanceId,
    question: Question<'_>,
    confirm: &ConfirmArgs,
    prompt: &str,
) -> anyhow::Result<ExitCode> {
    let key = confirm.idempotency_key.clone().unwrap_or_else(|| billing_app::ids::new_id("cli"));
    let refused = |reason: Option<String>| {
        anyhow::anyhow!("{instance} cannot be changed ({}): {}", question.action, reason.unwrap_or_default())
    };
    let result = match Remote::from_global(global)? {
        Some(remote) => {
            let (quote, json) = remote.quote_action(instance, question.action, question.new_quota_cu).await?;
            output::json(&json)?;
            if !quote.eligible {
                return Err(refused(quote.reason_message));
            }
            ask(confirm.yes, prompt)?;
            remote.change_quota(&quote.quote_id, &key).await?
        }
        None => {
            let (_, billing) = global.open().await?;
            let caller = Caller::Operator;
            let view = billing.unsubscriptions().quote_action(&caller, instance, &question).await?;
            output::json(&view.json()?)?;
            if !view.quote.eligible() {
                return Err(refused(view.quote.reason.map(|r| r.message().to_owned())));
            }
            ask(confirm.yes, prompt)?;
            let c = Confirmation {
                quote_id: view.stored.id.clone(),
                idempotency_key: key,
                confirm_workspace_deletion: None,
            };
            let result = billing.unsubscriptions().confirm_quota_change(&caller, &c).await?;
            UnsubscriptionDto::from(UnsubscriptionView::from(&result))
        }
    };
    output::json(&result_json(&result))?;
    Ok(ExitCode::SUCCESS)
}

/// Asks the person at the terminal to type `yes`, unless `--yes` was given.
fn ask(yes: bool, prompt: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("not a terminal: pass --yes to confirm without asking");
    }
    let mut err = std::io::stderr().lock();
    write!(err, "{prompt}")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer")?;
    if answer.trim() != "yes" {
        bail!("not confirmed; nothing was changed");
    }
    Ok(())
}

/// What a change did, from the database or from the server.
fn result_json(u: &UnsubscriptionDto) -> serde_json::Value {
    json!({
        "change_id": u.id,
        "action": u.action,
        "instance_id": u.instance_id,
        "quota_cu_after": u.quota_cu_after,
        "refund": u.refund,
        "currency": u.currency,
        "replayed": u.replayed,
        "refunds": u.refunds.iter().map(crate::refunds::refund_json).collect::<Vec<_>>(),
    })
}
