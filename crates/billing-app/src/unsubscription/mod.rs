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

pub use backup::Backup;
pub use confirm::{Confirmation, UnsubscriptionResult};
pub use processing::{ChannelAnswer, ChannelRefund, PaymentChannel, ProcessReport};
pub use quoting::QuoteView;
