//! `spark-billing clock show|advance`: the simulated clock shared by every
//! process on the database.

use std::process::ExitCode;

use billing_app::Caller;
use billing_domain::policy::PolicyDuration;
use clap::Subcommand;

use crate::config::Global;
use crate::remote;

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Print the clock's mode and what time it is on it.
    Show,
    /// Switch the clock every process on this database runs on (servers
    /// started before take it when restarted).
    Mode {
        /// `system` or `simulated`.
        #[arg(value_enum)]
        mode: crate::serve::ClockMode,
    },
    /// Move the simulated clock forward, e.g. `advance 3d` or `advance 12h`.
    Advance {
        /// How far: a number and a unit (s, m, h or d).
        by: PolicyDuration,
    },
}

pub async fn run(global: &Global, command: ClockCommand) -> anyhow::Result<ExitCode> {
    remote::local_only(global, "clock")?;
    let (_, billing) = global.open().await?;
    match command {
        ClockCommand::Show => {
            let (mode, offset) = billing.operations().clock_settings().await?;
            println!("clock: {mode}; now {}; {}s ahead of the machine", billing.now().to_rfc3339(), offset / 1_000_000);
        }
        ClockCommand::Mode { mode } => {
            billing.operations().set_clock_mode(mode == crate::serve::ClockMode::Simulated).await?;
            println!("clock mode set to {}; restart running servers to follow it", crate::serve::mode_name(mode));
        }
        ClockCommand::Advance { by } => {
            let offset = billing.operations().advance_clock(&Caller::Operator, by.as_duration()).await?;
            println!("simulated clock moved {by} forward; it is now {}s ahead of the machine", offset / 1_000_000);
        }
    }
    Ok(ExitCode::SUCCESS)
}
