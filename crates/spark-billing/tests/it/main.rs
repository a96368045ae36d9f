//! The `spark-billing` binary as a user runs it, and as several processes
//! sharing one database.
#![allow(clippy::unwrap_used)]

mod commands;
mod connections;
mod documents;
mod operating;
mod processes;
mod quota_changes;
mod quote_cli;
mod remote;
mod reports;
mod secrets;
mod serving;
mod stream;
mod support;
mod usage_skip;
mod webhooks;
mod yearly_limit;
