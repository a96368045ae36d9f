//! Use cases of spark-billing, shared by the command line, the HTTP API and
//! the console. Today: answering quote questions from scenario files, and the
//! JSON form of a quote.

pub mod expect;
pub mod scenario;
pub mod wire;
