//! Use cases of spark-billing, shared by the command line, the HTTP API and
//! the console: accounts, purchases, renewals, usage settlement, the ledger
//! and the audit trail, behind a [`store::Store`] and a [`clock::Clock`];
//! plus scenario files and the JSON form of a quote.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod activation;
pub mod audit;
pub mod bills;
pub mod catalog;
pub mod changes;
pub mod channel;
pub mod charges;
pub mod checks;
pub mod clock;
pub mod core;
pub mod directory;
pub mod documents;
pub mod error;
pub mod events;
pub mod expect;
pub mod exports;
pub mod idempotency;
pub mod ids;
pub mod keyed;
pub mod keyring;
pub mod keys;
pub mod ledger;
pub mod lifecycle;
pub mod metering;
pub mod model;
pub mod operations;
pub mod order_payment;
pub mod payment;
pub mod periods;
pub mod purchase;
pub mod queries;
pub mod scenario;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod topups;
pub mod unsubscription;
pub mod usage_stream;
pub mod views;
pub mod webhooks;
pub mod wire;
pub mod workspace_deletion;
pub mod workspaces;

pub use core::Caller;
pub use error::{AppError, AppResult};
pub use service::Billing;
