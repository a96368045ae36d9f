//! Integration tests of the use-case layer.
#![allow(clippy::unwrap_used)]

mod scenario_errors;
mod unpaid;
mod vectors;
