//! `spark-billing`: the command-line entry point.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use billing_app::expect::compare_with_expect;
use billing_app::scenario::parse_scenario;
use billing_app::wire::quote_json;
use clap::{Parser, Subcommand};

/// Sells, meters and takes back prepaid capacity of a serverless Spark platform.
#[derive(Debug, Parser)]
#[command(name = "spark-billing", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Quote the refund for giving a prepaid instance back.
    ///
    /// With --scenario, answers the quote question in a scenario file (the
    /// format of tests/vectors/README.md) and prints the quote as JSON.
    Quote {
        /// A scenario file: an instance, its orders, the policy and `now`.
        #[arg(long, value_name = "FILE")]
        scenario: PathBuf,
        /// Also compare the quote with the file's `expect` block; exit
        /// non-zero and say what differs when they disagree.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Quote { scenario, check } => quote_scenario(&scenario, check),
    }
}

fn quote_scenario(path: &Path, check: bool) -> anyhow::Result<()> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    let scenario = parse_scenario(&text).with_context(|| format!("{shown}"))?;
    let quote = scenario.quote().with_context(|| format!("{shown}: cannot quote"))?;
    let json = quote_json(&quote, scenario.zone);
    println!("{}", serde_json::to_string_pretty(&json)?);
    if check {
        let expect = scenario.expect.as_ref().with_context(|| format!("{shown}: no expect block to check"))?;
        compare_with_expect(expect, &json).map_err(|diff| anyhow::anyhow!("{shown}: {diff}"))?;
    }
    Ok(())
}
