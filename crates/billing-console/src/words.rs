//! Plain words for the codes the use cases speak in: refund types, states,
//! payment methods, and why each part of a refund goes where it goes.

use billing_app::model::{BillingMethod, InstanceState};
use billing_app::unsubscription::records::RefundStatus;
use billing_domain::order::PaymentMethodKind;
use billing_domain::policy::Policy;
use billing_domain::quote::{LineKind, RefundType};

use crate::fmt::duration;
use crate::i18n::Locale;

/// The refund type as the customer reads it.
pub fn refund_type(l: Locale, t: RefundType) -> String {
    l.t(match t {
        RefundType::PartialRefund => "refund-type-partial",
        RefundType::UnusedMoneyBack => "refund-type-money-back",
        RefundType::NonRefundable => "refund-type-not-refundable",
    })
}

/// A payment method or refund destination.
pub fn method(l: Locale, kind: PaymentMethodKind) -> String {
    l.t(match kind {
        PaymentMethodKind::Balance => "method-balance",
        PaymentMethodKind::Card => "method-card",
        PaymentMethodKind::Paypal => "method-paypal",
        PaymentMethodKind::BankTransfer => "method-bank-transfer",
    })
}

/// Why a refund part goes to its destination, from the rule that routed it
/// (a destination rule name, or `channel_failed` for a re-routed refund).
pub fn route_reason(l: Locale, rule: &str, from: PaymentMethodKind, policy: &Policy) -> String {
    match rule {
        "original_method" => l.t1("route-original-method", "method", method(l, from)),
        "card_older_than_max_age" => l.t1("route-card-too-old", "age", duration(l, policy.card_refund_max_age)),
        "paypal_older_than_max_age" => l.t1("route-paypal-too-old", "age", duration(l, policy.paypal_refund_max_age)),
        "bank_transfer_to_balance" => l.t("route-bank-transfer"),
        "method_invalid" => l.t1("route-method-invalid", "method", method(l, from)),
        "channel_failed" => l.t("route-channel-failed"),
        other => other.replace('_', " "),
    }
}

/// When a refund to `to` arrives, before it is made.
pub fn arrival_promise(l: Locale, to: PaymentMethodKind) -> String {
    l.t(match to {
        PaymentMethodKind::Balance => "arrival-at-once",
        _ => "arrival-within-30-business-days",
    })
}

/// A refund's status.
pub fn refund_status(l: Locale, s: RefundStatus) -> String {
    l.t(match s {
        RefundStatus::Pending => "refund-status-pending",
        RefundStatus::Succeeded => "refund-status-succeeded",
        RefundStatus::Failed => "refund-status-failed",
    })
}

/// An instance's state.
pub fn instance_state(l: Locale, s: InstanceState) -> String {
    l.t(match s {
        InstanceState::PendingPayment => "instance-state-pending-payment",
        InstanceState::Active => "instance-state-active",
        InstanceState::Expired => "instance-state-expired",
        InstanceState::Unsubscribed => "instance-state-unsubscribed",
        InstanceState::Cancelled => "instance-state-cancelled",
        InstanceState::Switched => "instance-state-switched",
        InstanceState::ActivationFailed => "instance-state-activation-failed",
    })
}

/// An instance's state as it stands now: one still marked active whose
/// quote says its paid time is over has ended, whatever the next lifecycle
/// run will record.
pub fn state_now(l: Locale, s: InstanceState, reason: Option<billing_domain::reason::ReasonCode>) -> String {
    match (s, reason) {
        (InstanceState::Active, Some(billing_domain::reason::ReasonCode::Expired)) => {
            instance_state(l, InstanceState::Expired)
        }
        _ => instance_state(l, s),
    }
}

/// Why an instance cannot be unsubscribed (or changed) now.
pub fn reason_message(l: Locale, r: billing_domain::reason::ReasonCode) -> String {
    l.t(&format!("reason-{}", r.code().to_ascii_lowercase().replace('_', "-")))
}

/// Why a quote refunds nothing, as specific as the quote allows (a refund
/// of zero says whether vouchers paid it all, the plan was used or every
/// day was). English keeps the domain's own sentences.
pub fn quote_reason(l: Locale, quote: &billing_domain::quote::Quote) -> Option<String> {
    use billing_domain::reason::ReasonCode;
    let reason = quote.reason?;
    if l == Locale::EnUs {
        return quote.reason_message().map(str::to_owned);
    }
    if reason != ReasonCode::ZeroRefundable || quote.lines.is_empty() {
        return Some(reason_message(l, reason));
    }
    let id = if quote.lines.iter().all(|line| line.cash_paid.is_zero()) {
        "reason-zero-refundable-benefits-only"
    } else if quote.lines.iter().all(|line| line.kind == LineKind::Plan) {
        "reason-zero-refundable-plan-used"
    } else {
        "reason-zero-refundable-days-used"
    };
    Some(l.t(id))
}

/// A commodity's name.
pub fn commodity(l: Locale, c: billing_domain::catalog::Commodity) -> String {
    l.t(match c {
        billing_domain::catalog::Commodity::SparkReserved => "commodity-spark-reserved",
        billing_domain::catalog::Commodity::SparkResourcePlan => "commodity-spark-resource-plan",
    })
}

/// A workspace's status.
pub fn workspace_status(l: Locale, s: billing_app::model::WorkspaceStatus) -> String {
    l.t(match s {
        billing_app::model::WorkspaceStatus::Active => "workspace-status-active",
        billing_app::model::WorkspaceStatus::Deleted => "workspace-status-deleted",
    })
}

/// A workspace's billing method.
pub fn billing_method(l: Locale, m: BillingMethod) -> String {
    l.t(match m {
        BillingMethod::PayAsYouGo => "billing-method-pay-as-you-go",
        BillingMethod::Subscription => "billing-method-subscription",
        BillingMethod::Hybrid => "billing-method-hybrid",
    })
}

/// The role of an order in a quote.
pub fn line_kind(l: Locale, k: LineKind) -> String {
    l.t(match k {
        LineKind::Current => "line-kind-current",
        LineKind::PendingRenewal => "line-kind-pending-renewal",
        LineKind::Plan => "line-kind-plan",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_card_payment_says_it_goes_to_the_balance_and_why() {
        let words = route_reason(Locale::EnUs, "card_older_than_max_age", PaymentMethodKind::Card, &Policy::default());
        assert_eq!(words, "card payment older than 150 days → account balance");
        let words = route_reason(Locale::ZhCn, "card_older_than_max_age", PaymentMethodKind::Card, &Policy::default());
        assert_eq!(words, "银行卡付款已超过 150 天 → 退回账户余额");
    }

    #[test]
    fn every_destination_rule_has_words() {
        for rule in ["original_method", "paypal_older_than_max_age", "bank_transfer_to_balance", "method_invalid"] {
            for l in Locale::ALL {
                let words = route_reason(l, rule, PaymentMethodKind::Paypal, &Policy::default());
                assert!(!words.contains('_') && !words.contains('⟦'), "{rule}: {words}");
            }
        }
    }
}
