//! Live usage for the demo (`serve --demo --usage-stream`): every few
//! seconds each live workspace of the demo world uses a little capacity in
//! the current hour of the billing clock, published to the stream the
//! server consumes, so the console's plan and quota bars move.

use std::time::Duration;

use async_nats::jetstream;
use billing_app::model::{UsageRecord, WorkspaceStatus};
use billing_app::{Billing, Caller};
use billing_domain::usage::CuHours;
use chrono::{DurationRound, TimeDelta};
use tokio::sync::watch;

use super::{StreamArgs, connect, ensure_stream, publish::stream_subjects};
use billing_app::usage_stream::message_of;

/// Time between two rounds of demo usage.
const EVERY: Duration = Duration::from_secs(10);
/// CU-hours each workspace uses per round.
const PER_ROUND: &str = "0.250";

/// Publishes demo usage until `stop` turns true.
pub async fn feed(billing: Billing, args: StreamArgs, mut stop: watch::Receiver<bool>) {
    let subject = demo_subject(&args.subject);
    let mut round: u64 = 0;
    loop {
        if let Err(e) = publish_round(&billing, &args, &subject, round).await {
            tracing::warn!(error = format!("{e:#}"), "demo usage not published; retrying");
        }
        round += 1;
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// A concrete subject the consumed subjects cover: `usage.>` → `usage.demo`.
fn demo_subject(filter: &str) -> String {
    match filter.strip_suffix(">").or_else(|| filter.strip_suffix("*")) {
        Some(prefix) => format!("{prefix}demo"),
        None => filter.to_owned(),
    }
}

async fn publish_round(billing: &Billing, args: &StreamArgs, subject: &str, round: u64) -> anyhow::Result<()> {
    let js: jetstream::Context = connect(&args.nats).await?;
    ensure_stream(&js, &args.stream, &stream_subjects(subject), &args.limits).await?;
    let hour = billing.now().duration_trunc(TimeDelta::hours(1))?;
    let cu_hours = CuHours::parse(PER_ROUND).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stamp = billing.now().timestamp();
    for account in billing.accounts().accounts(&Caller::Operator).await? {
        for ws in billing.accounts().workspaces(&Caller::Operator, &account.id).await? {
            if ws.status != WorkspaceStatus::Active {
                continue;
            }
            let record = UsageRecord {
                record_id: format!("demo-{}-{stamp}-{round}", ws.id),
                workspace_id: ws.id.to_string(),
                hour_start: hour,
                cu_hours,
            };
            js.publish(subject.to_owned(), message_of(&record).into()).await?.await?;
        }
    }
    Ok(())
}
