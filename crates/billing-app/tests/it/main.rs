//! Integration tests of the use-case layer.
#![allow(clippy::unwrap_used)]

mod documents;
mod scenario_errors;
mod unpaid;
mod vectors;
