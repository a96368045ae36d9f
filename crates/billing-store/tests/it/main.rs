//! The store conformance suite: every use case against SQLite and, when
//! `SPARK_BILLING_TEST_POSTGRES` names a server, against PostgreSQL too.
#![allow(clippy::unwrap_used, dead_code)]

mod seed;
mod support;

mod accounts;
mod purchases;
mod unsubscription;
mod lifecycle;
mod renewals;
mod usage;
mod refunds;
