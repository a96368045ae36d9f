//! The console's pages, one module per area. Handlers stay thin: they read
//! the request, call the use cases, build a view and render it.

pub mod bills;
pub mod bills_chart;
pub mod change;
pub mod delete_workspace;
pub mod developers;
pub mod documents;
pub mod exports;
pub mod operator;
pub mod operator_accounts;
pub mod operator_audit;
pub mod plans;
pub mod policy;
pub mod refunds;
pub mod renew;
pub mod review;
pub mod review_view;
pub mod sign_in;
pub mod unsubscribe;
pub mod workspaces;
