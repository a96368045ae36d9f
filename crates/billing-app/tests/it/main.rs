//! Integration tests of the use-case layer.

mod scenario_errors;
mod vectors;
