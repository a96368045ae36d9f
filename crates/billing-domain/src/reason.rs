//! Why an instance cannot be given back: stable machine codes and plain words.

use std::fmt;

/// A reason an instance is not eligible for a refund. The variants are listed
/// in the order the quote checks them; the first that applies is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    /// No such instance (or not the caller's).
    NotFound,
    /// Pay-as-you-go: nothing was prepaid.
    NotPrepaid,
    /// Already given back.
    AlreadyUnsubscribed,
    /// An order of the instance is still unpaid.
    UnpaidOrderPending,
    /// Bought in a promotion whose terms exclude refunds.
    PromotionNonRefundable,
    /// Transferred from another account.
    TransferredResource,
    /// An order is in a currency other than the account's current one.
    CurrencyMismatch,
    /// No current or pending period is left.
    Expired,
    /// CU-hours have been drawn from the plan.
    ResourcePlanUsed,
    /// The plan's money-back window has closed.
    RefundWindowPassed,
    /// The yearly limit of full refunds is reached.
    AnnualLimitReached,
    /// The refund would be zero.
    ZeroRefundable,
}

impl ReasonCode {
    /// Every code in checking order.
    pub const ALL: [ReasonCode; 12] = [
        ReasonCode::NotFound,
        ReasonCode::NotPrepaid,
        ReasonCode::AlreadyUnsubscribed,
        ReasonCode::UnpaidOrderPending,
        ReasonCode::PromotionNonRefundable,
        ReasonCode::TransferredResource,
        ReasonCode::CurrencyMismatch,
        ReasonCode::Expired,
        ReasonCode::ResourcePlanUsed,
        ReasonCode::RefundWindowPassed,
        ReasonCode::AnnualLimitReached,
        ReasonCode::ZeroRefundable,
    ];

    /// The stable machine code.
    pub const fn code(self) -> &'static str {
        match self {
            ReasonCode::NotFound => "NOT_FOUND",
            ReasonCode::NotPrepaid => "NOT_PREPAID",
            ReasonCode::AlreadyUnsubscribed => "ALREADY_UNSUBSCRIBED",
            ReasonCode::UnpaidOrderPending => "UNPAID_ORDER_PENDING",
            ReasonCode::PromotionNonRefundable => "PROMOTION_NON_REFUNDABLE",
            ReasonCode::TransferredResource => "TRANSFERRED_RESOURCE",
            ReasonCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ReasonCode::Expired => "EXPIRED",
            ReasonCode::ResourcePlanUsed => "RESOURCE_PLAN_USED",
            ReasonCode::RefundWindowPassed => "REFUND_WINDOW_PASSED",
            ReasonCode::AnnualLimitReached => "ANNUAL_LIMIT_REACHED",
            ReasonCode::ZeroRefundable => "ZERO_REFUNDABLE",
        }
    }

    /// An explanation for the customer.
    pub const fn message(self) -> &'static str {
        match self {
            ReasonCode::NotFound => "There is no such instance in this account.",
            ReasonCode::NotPrepaid => "Pay-as-you-go usage is billed after use; there is nothing prepaid to give back.",
            ReasonCode::AlreadyUnsubscribed => "This instance has already been unsubscribed.",
            ReasonCode::UnpaidOrderPending => {
                "An order for this instance is still unpaid. Pay or cancel it before unsubscribing."
            }
            ReasonCode::PromotionNonRefundable => {
                "This instance was bought in a promotion that does not allow refunds."
            }
            ReasonCode::TransferredResource => {
                "This instance was transferred from another account and cannot be refunded."
            }
            ReasonCode::CurrencyMismatch => {
                "The order was paid in a currency other than the account's current settlement currency."
            }
            ReasonCode::Expired => "The subscription has ended; no paid time is left to refund.",
            ReasonCode::ResourcePlanUsed => "Capacity has already been drawn from this resource plan.",
            ReasonCode::RefundWindowPassed => "The money-back window for this resource plan has closed.",
            ReasonCode::AnnualLimitReached => {
                "This account has used all full refunds allowed this year for this commodity."
            }
            ReasonCode::ZeroRefundable => {
                "Nothing would come back: no cash is left to refund (vouchers and coupons are never refunded)."
            }
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
