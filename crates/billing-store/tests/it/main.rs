//! The store conformance suite: every use case against SQLite and, when
//! `SPARK_BILLING_TEST_POSTGRES` names a server, against PostgreSQL too.
#![allow(clippy::unwrap_used, dead_code)]

mod seed;
mod support;

mod access;
mod accounts;
mod bad_input;
mod bills;
mod bounds;
mod charges;
mod checkpoints;
mod confirmed_again;
mod directory;
mod documents;
mod events;
mod held_writes;
mod integrity;
mod keys_and_sessions;
mod lifecycle;
mod outages;
mod paging;
mod private_files;
mod purchases;
mod quota_changes;
mod quote_cache;
mod races;
mod refund_polling;
mod refunds;
mod renewals;
mod unsubscription;
mod upgrade;
mod usage;
mod usage_batches;
mod workspace_deletion;
