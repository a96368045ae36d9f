//! The API through `tower::ServiceExt::oneshot`: every route, its errors,
//! and tenant isolation.
#![allow(clippy::unwrap_used, dead_code)]

mod support;

mod accounts;
mod api_keys;
mod basics;
mod bills;
mod catalog;
mod directory;
mod documents;
mod errors;
mod events;
mod faults;
mod headers;
mod integrity;
mod layering;
mod limits;
mod metrics;
mod openapi;
mod orders;
mod payments;
mod quota_changes;
mod usage;
mod wire;
mod workspaces;
