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
    /// The change asked for does not apply to this kind of instance (a
    /// resource plan cannot be downgraded or switched to pay-as-you-go).
    UnsupportedAction,
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
    /// A downgrade to as many CUs as the quota has now, or more.
    NotADowngrade,
    /// A downgrade below the region's smallest quota.
    QuotaBelowMinimum,
    /// The refund would be zero.
    ZeroRefundable,
}

impl ReasonCode {
    /// Every code in checking order.
    pub const ALL: [ReasonCode; 15] = [
        ReasonCode::NotFound,
        ReasonCode::NotPrepaid,
        ReasonCode::UnsupportedAction,
        ReasonCode::AlreadyUnsubscribed,
        ReasonCode::UnpaidOrderPending,
        ReasonCode::PromotionNonRefundable,
        ReasonCode::TransferredResource,
        ReasonCode::CurrencyMismatch,
        ReasonCode::Expired,
        ReasonCode::ResourcePlanUsed,
        ReasonCode::RefundWindowPassed,
        ReasonCode::AnnualLimitReached,
        ReasonCode::NotADowngrade,
        ReasonCode::QuotaBelowMinimum,
        ReasonCode::ZeroRefundable,
    ];

    /// Every code in the order of [`ReasonCode::number`]: the codes as they
    /// were added, never reordered, so that a number written by one release
    /// means the same code to the next.
    pub const NUMBERED: [ReasonCode; 15] = [
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
        ReasonCode::UnsupportedAction,
        ReasonCode::NotADowngrade,
        ReasonCode::QuotaBelowMinimum,
    ];

    /// A stable small number for compact encodings (1-based; 0 is free for
    /// "no reason"). Unlike the position in [`ReasonCode::ALL`], it does not
    /// change when a code is inserted into the checking order.
    pub fn number(self) -> u8 {
        let index = ReasonCode::NUMBERED.iter().position(|&c| c == self).unwrap_or(0);
        u8::try_from(index + 1).unwrap_or(0)
    }

    /// The code of a [`ReasonCode::number`], if any.
    pub fn from_number(number: u8) -> Option<ReasonCode> {
        ReasonCode::NUMBERED.get(usize::from(number).checked_sub(1)?).copied()
    }

    /// The stable machine code.
    pub const fn code(self) -> &'static str {
        match self {
            ReasonCode::NotFound => "NOT_FOUND",
            ReasonCode::NotPrepaid => "NOT_PREPAID",
            ReasonCode::UnsupportedAction => "UNSUPPORTED_ACTION",
            ReasonCode::AlreadyUnsubscribed => "ALREADY_UNSUBSCRIBED",
            ReasonCode::UnpaidOrderPending => "UNPAID_ORDER_PENDING",
            ReasonCode::PromotionNonRefundable => "PROMOTION_NON_REFUNDABLE",
            ReasonCode::TransferredResource => "TRANSFERRED_RESOURCE",
            ReasonCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ReasonCode::Expired => "EXPIRED",
            ReasonCode::ResourcePlanUsed => "RESOURCE_PLAN_USED",
            ReasonCode::RefundWindowPassed => "REFUND_WINDOW_PASSED",
            ReasonCode::AnnualLimitReached => "ANNUAL_LIMIT_REACHED",
            ReasonCode::NotADowngrade => "NOT_A_DOWNGRADE",
            ReasonCode::QuotaBelowMinimum => "QUOTA_BELOW_MINIMUM",
            ReasonCode::ZeroRefundable => "ZERO_REFUNDABLE",
        }
    }

    /// An explanation for the customer.
    pub const fn message(self) -> &'static str {
        match self {
            ReasonCode::NotFound => "There is no such instance in this account.",
            ReasonCode::NotPrepaid => "Pay-as-you-go usage is billed after use; there is nothing prepaid to give back.",
            ReasonCode::UnsupportedAction => {
                "Only a subscription quota can change its CUs or switch to pay-as-you-go; a resource plan cannot."
            }
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
            ReasonCode::NotADowngrade => "A downgrade must keep fewer CUs than the quota has now.",
            ReasonCode::QuotaBelowMinimum => "A quota cannot keep fewer CUs than the region's minimum.",
            ReasonCode::ZeroRefundable => "Nothing would come back: nothing paid in cash is left unused.",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
