//! Errors of the use cases: business outcomes with stable machine codes, plus
//! one opaque kind for failures of the machinery underneath.

use billing_domain::ReasonCode;
use billing_domain::ids::InstanceId;
use thiserror::Error;

use crate::store::StoreError;

/// What a use case can answer instead of a result.
///
/// Every variant but [`AppError::Internal`] is something the caller can act
/// on; its [`AppError::code`] is stable and documented. Internal errors carry
/// detail for the logs only.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AppError {
    /// No such thing in the caller's account.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// The kind of thing.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A field of the request is malformed or out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Amounts in a currency other than the account's.
    #[error("{message}")]
    CurrencyMismatch {
        /// Which currencies disagree.
        message: String,
    },
    /// Cash tenders do not add up to the cash due.
    #[error("{message}")]
    TendersDoNotAddUp {
        /// The sums that disagree.
        message: String,
    },
    /// Fewer CUs than the region's minimum.
    #[error("{message}")]
    TooFewCu {
        /// The limit and the request.
        message: String,
    },
    /// Months outside the region's range.
    #[error("{message}")]
    MonthsOutOfRange {
        /// The range and the request.
        message: String,
    },
    /// The account's balance is below zero: it may not buy or renew.
    #[error("the account is overdue (balance {balance}); settle it before buying or renewing")]
    AccountOverdue {
        /// The balance, as a decimal string.
        balance: String,
    },
    /// A balance tender larger than the balance.
    #[error("the balance ({balance}) does not cover {needed}")]
    InsufficientBalance {
        /// The balance.
        balance: String,
        /// What the tender needs.
        needed: String,
    },
    /// A payment method that cannot be charged.
    #[error("payment method {id:?} cannot be used: {message}")]
    PaymentMethodUnusable {
        /// The method.
        id: String,
        /// Why.
        message: String,
    },
    /// A voucher or coupon that cannot be applied.
    #[error("benefit {id:?} cannot be used: {message}")]
    BenefitUnusable {
        /// The benefit.
        id: String,
        /// Why.
        message: String,
    },
    /// An operator-only action asked for by a customer.
    #[error("only operators may do this")]
    Forbidden,
    /// An action that the thing's current state does not allow.
    #[error("{message}")]
    InvalidState {
        /// What state forbids it.
        message: String,
    },
    /// A usage record id seen before with different content.
    #[error("usage record {record_id:?} was already imported with different content")]
    DuplicateUsageRecord {
        /// The record's id.
        record_id: String,
    },
    /// The instance cannot be refunded; the quote says why.
    #[error("{}", reason.message())]
    NotEligible {
        /// The quote's reason.
        reason: ReasonCode,
    },
    /// The quote expired or something it depended on changed.
    #[error("the quote is no longer valid: {message}; ask for a new one")]
    QuoteStale {
        /// What changed.
        message: String,
    },
    /// The workspace name typed to confirm deletion does not match.
    #[error("type the workspace's name ({expected:?}) to confirm that it will be deleted")]
    ConfirmationMismatch {
        /// The name that must be typed.
        expected: String,
    },
    /// A workspace whose quota can still be refunded: it is deleted by
    /// unsubscribing that quota, whose quote shows the refund.
    #[error(
        "the workspace's quota {instance_id} can still be refunded: unsubscribe it instead (quote it, then confirm the quote), which deletes the workspace"
    )]
    QuotaRefundable {
        /// The quota to unsubscribe.
        instance_id: InstanceId,
    },
    /// An idempotency key reused with a different request.
    #[error("idempotency key {key:?} was used before with a different request")]
    IdempotencyKeyReused {
        /// The key.
        key: String,
    },
    /// The payment channel refused to take the money.
    #[error("the payment was declined: {message}")]
    PaymentDeclined {
        /// The channel's reason.
        message: String,
    },
    /// The payment channel could not be reached or did not answer in time;
    /// what was asked of it is asked again later.
    #[error("the payment channel is unavailable: {message}")]
    ChannelUnavailable {
        /// What went wrong.
        message: String,
    },
    /// The database was too busy to answer in time; safe to retry.
    #[error("the service is busy; retry shortly")]
    Busy,
    /// The database cannot be reached right now (a restart, a network
    /// failure); safe to retry later. Detail is for the logs.
    #[error("the database is unavailable; retry shortly")]
    Unavailable(String),
    /// Anything else: a bug or an outage. Detail is for the logs.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Invalid { .. } => "INVALID_INPUT",
            AppError::CurrencyMismatch { .. } => "CURRENCY_MISMATCH",
            AppError::TendersDoNotAddUp { .. } => "TENDERS_DO_NOT_ADD_UP",
            AppError::TooFewCu { .. } => "TOO_FEW_CU",
            AppError::MonthsOutOfRange { .. } => "MONTHS_OUT_OF_RANGE",
            AppError::AccountOverdue { .. } => "ACCOUNT_OVERDUE",
            AppError::InsufficientBalance { .. } => "INSUFFICIENT_BALANCE",
            AppError::PaymentMethodUnusable { .. } => "PAYMENT_METHOD_UNUSABLE",
            AppError::BenefitUnusable { .. } => "BENEFIT_UNUSABLE",
            AppError::Forbidden => "FORBIDDEN",
            AppError::InvalidState { .. } => "INVALID_STATE",
            AppError::DuplicateUsageRecord { .. } => "DUPLICATE_USAGE_RECORD",
            AppError::NotEligible { reason } => reason.code(),
            AppError::QuoteStale { .. } => "QUOTE_STALE",
            AppError::ConfirmationMismatch { .. } => "CONFIRMATION_MISMATCH",
            AppError::QuotaRefundable { .. } => "QUOTA_REFUNDABLE",
            AppError::IdempotencyKeyReused { .. } => "IDEMPOTENCY_KEY_REUSED",
            AppError::PaymentDeclined { .. } => "PAYMENT_DECLINED",
            AppError::ChannelUnavailable { .. } => "PAYMENT_CHANNEL_UNAVAILABLE",
            AppError::Busy => "BUSY",
            AppError::Unavailable(_) => "UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// Shorthand for [`AppError::NotFound`].
    pub fn not_found(what: &'static str, id: impl Into<String>) -> AppError {
        AppError::NotFound { what, id: id.into() }
    }

    /// Shorthand for [`AppError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl std::fmt::Display) -> AppError {
        AppError::Invalid { field: field.into(), message: message.to_string() }
    }

    /// Shorthand for [`AppError::InvalidState`].
    pub fn state(message: impl Into<String>) -> AppError {
        AppError::InvalidState { message: message.into() }
    }

    /// Wraps a failure of the machinery.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        AppError::Internal(detail.to_string())
    }
}

impl From<billing_domain::MoneyError> for AppError {
    fn from(e: billing_domain::MoneyError) -> Self {
        AppError::internal(format!("money arithmetic: {e}"))
    }
}

impl From<billing_domain::QuoteError> for AppError {
    fn from(e: billing_domain::QuoteError) -> Self {
        AppError::internal(format!("quote: {e}"))
    }
}

impl From<billing_domain::calendar::CalendarError> for AppError {
    fn from(e: billing_domain::calendar::CalendarError) -> Self {
        AppError::internal(format!("calendar: {e}"))
    }
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy(_) => AppError::Busy,
            StoreError::Unavailable(detail) => AppError::Unavailable(detail),
            other => AppError::internal(other),
        }
    }
}
