//! The API through `tower::ServiceExt::oneshot`: every route, its errors,
//! and tenant isolation.
#![allow(clippy::unwrap_used, dead_code)]

mod support;

mod basics;
mod openapi;
