//! Giving prepaid capacity back: binding quotes, one atomic confirmation,
//! workspace backups, and refund processing through a payment channel.

pub mod backup;
pub(crate) mod cache;
pub mod confirm;
pub mod facts;
pub mod processing;
pub mod quoting;
/// What unsubscription keeps, defined with the rest of the stored records.
pub use crate::model::refunds as records;
pub mod token;

use crate::core::Core;
pub use backup::Backup;
pub use confirm::{Confirmation, UnsubscriptionResult};
pub use processing::{ChannelAnswer, ChannelRefund, PaymentChannel, ProcessReport};
pub use quoting::QuoteView;
use std::sync::Arc;

/// Giving capacity back: quotes, confirmations, quota changes, refunds and
/// the deletion of a quota's workspace.
#[derive(Clone)]
pub struct Unsubscriptions {
    pub(crate) core: Core,
    pub(crate) policies: Arc<crate::catalog::PolicyCache>,
    pub(crate) facts_cache: Arc<cache::FactsCache>,
    pub(crate) quote_key: Arc<tokio::sync::OnceCell<token::QuoteKeys>>,
}
