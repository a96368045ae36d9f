//! `spark-billing quote`: from a scenario file, or for a stored instance.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use billing_app::Caller;
use billing_app::expect::compare_with_expect;
use billing_app::scenario::parse_scenario;
use billing_app::wire::quote_json;
use billing_domain::ids::{InstanceId, OrderId};
use clap::Args;

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

/// What to quote.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["scenario", "instance"]))]
pub struct QuoteArgs {
    /// A scenario file (see docs/scenarios.md): prints its quote as JSON.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// With --scenario: compare the quote with the file's `expect` block and
    /// exit non-zero, saying what differs, when they disagree.
    #[arg(long, requires = "scenario")]
    check: bool,
    /// A stored instance id: quotes it now and stores the binding quote
    /// (on the server with --server; --scenario always works locally).
    #[arg(long, value_name = "ID")]
    instance: Option<InstanceId>,
    /// With --instance: quote only this pending renewal order.
    #[arg(long, value_name = "ORDER_ID", requires = "instance")]
    order: Option<OrderId>,
}

pub async fn run(global: &Global, args: QuoteArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.scenario {
        quote_scenario(path, args.check)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(instance) = args.instance else { anyhow::bail!("give --scenario FILE or --instance ID") };
    if let Some(remote) = Remote::from_global(global)? {
        let (_, json) = remote.quote(&instance, args.order.as_deref()).await?;
        output::json(&json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (_, billing) = global.open().await?;
    let view =
        billing.unsubscriptions().quote_unsubscription(&Caller::Operator, &instance, args.order.as_ref()).await?;
    output::json(&view.json()?)?;
    Ok(ExitCode::SUCCESS)
}

fn quote_scenario(path: &Path, check: bool) -> anyhow::Result<()> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    let scenario = parse_scenario(&text).with_context(|| format!("{shown}"))?;
    let quote = scenario.quote().with_context(|| format!("{shown}: cannot quote"))?;
    let json = quote_json(&quote, scenario.zone).with_context(|| format!("{shown}: cannot write the quote"))?;
    output::json(&json)?;
    if check {
        let expect = scenario.expect.as_ref().with_context(|| format!("{shown}: no expect block to check"))?;
        compare_with_expect(expect, &json).map_err(|diff| anyhow::anyhow!("{shown}: {diff}"))?;
    }
    Ok(())
}
