//! The `spark-billing` binary as a user runs it.
#![allow(clippy::unwrap_used)]

mod quote_cli;
