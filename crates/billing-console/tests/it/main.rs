//! The console's pure parts (session cookies, CSRF tokens) and its routes
//! through `tower::ServiceExt::oneshot` over a fresh SQLite database.
#![allow(clippy::unwrap_used)]

mod bills;
mod developers;
mod i18n;
mod operator;
mod pages;
mod server_sessions;
mod session;
mod support;
