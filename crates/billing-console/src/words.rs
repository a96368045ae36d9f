//! Plain words for the codes the use cases speak in: refund types, states,
//! payment methods, and why each part of a refund goes where it goes.

use billing_app::model::{BillingMethod, InstanceState};
use billing_app::unsubscription::records::RefundStatus;
use billing_domain::order::PaymentMethodKind;
use billing_domain::policy::Policy;
use billing_domain::quote::{LineKind, RefundType};

use crate::fmt::duration;

/// The refund type as the customer reads it.
pub fn refund_type(t: RefundType) -> &'static str {
    match t {
        RefundType::PartialRefund => "Partial refund",
        RefundType::UnusedMoneyBack => "5-day unused money-back",
        RefundType::NonRefundable => "Not refundable now",
    }
}

/// A payment method or refund destination.
pub fn method(kind: PaymentMethodKind) -> &'static str {
    match kind {
        PaymentMethodKind::Balance => "account balance",
        PaymentMethodKind::Card => "card",
        PaymentMethodKind::Paypal => "PayPal",
        PaymentMethodKind::BankTransfer => "bank transfer",
    }
}

/// Why a refund part goes to its destination, from the rule that routed it
/// (a destination rule name, or `channel_failed` for a re-routed refund).
pub fn route_reason(rule: &str, from: PaymentMethodKind, policy: &Policy) -> String {
    match rule {
        "original_method" => format!("paid by {}, so it goes back the same way", method(from)),
        "card_older_than_max_age" => {
            format!("card payment older than {} → account balance", duration(policy.card_refund_max_age))
        }
        "paypal_older_than_max_age" => {
            format!("PayPal payment older than {} → account balance", duration(policy.paypal_refund_max_age))
        }
        "bank_transfer_to_balance" => "bank transfers are always returned to the account balance".to_owned(),
        "method_invalid" => {
            format!("the {} can no longer receive money (for example, cancelled) → account balance", method(from))
        }
        "channel_failed" => "the payment channel refused the refund → account balance".to_owned(),
        other => other.replace('_', " "),
    }
}

/// When a refund to `to` arrives, before it is made.
pub fn arrival_promise(to: PaymentMethodKind) -> &'static str {
    match to {
        PaymentMethodKind::Balance => "at once",
        _ => "within 30 business days",
    }
}

/// A refund's status.
pub fn refund_status(s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending => "On its way",
        RefundStatus::Succeeded => "Arrived",
        RefundStatus::Failed => "Refused (re-routed)",
    }
}

/// An instance's state.
pub fn instance_state(s: InstanceState) -> &'static str {
    match s {
        InstanceState::PendingPayment => "Awaiting payment",
        InstanceState::Active => "Active",
        InstanceState::Expired => "Expired",
        InstanceState::Unsubscribed => "Unsubscribed",
        InstanceState::Cancelled => "Cancelled",
        InstanceState::Switched => "Switched to pay-as-you-go",
        InstanceState::ActivationFailed => "Activation failed (refunded)",
    }
}

/// An instance's state as it stands now: one still marked active whose
/// quote says its paid time is over has ended, whatever the next lifecycle
/// run will record.
pub fn state_now(s: InstanceState, reason: Option<billing_domain::reason::ReasonCode>) -> &'static str {
    match (s, reason) {
        (InstanceState::Active, Some(billing_domain::reason::ReasonCode::Expired)) => "Expired",
        _ => instance_state(s),
    }
}

/// A workspace's billing method.
pub fn billing_method(m: BillingMethod) -> &'static str {
    match m {
        BillingMethod::PayAsYouGo => "Pay-as-you-go",
        BillingMethod::Subscription => "Subscription",
        BillingMethod::Hybrid => "Subscription + pay-as-you-go",
    }
}

/// The role of an order in a quote.
pub fn line_kind(k: LineKind) -> &'static str {
    match k {
        LineKind::Current => "Current period",
        LineKind::PendingRenewal => "Pending renewal (not started)",
        LineKind::Plan => "Resource plan",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_card_payment_says_it_goes_to_the_balance_and_why() {
        let words = route_reason("card_older_than_max_age", PaymentMethodKind::Card, &Policy::default());
        assert_eq!(words, "card payment older than 150 days → account balance");
    }

    #[test]
    fn every_destination_rule_has_words() {
        for rule in ["original_method", "paypal_older_than_max_age", "bank_transfer_to_balance", "method_invalid"] {
            assert!(!route_reason(rule, PaymentMethodKind::Paypal, &Policy::default()).contains('_'), "{rule}");
        }
    }
}
