//! The `spark-billing` binary as a user runs it, and as several processes
//! sharing one database.
#![allow(clippy::unwrap_used)]

mod commands;
mod connections;
mod processes;
mod quote_cli;
mod remote;
mod secrets;
mod serving;
mod support;
mod webhooks;
mod yearly_limit;
