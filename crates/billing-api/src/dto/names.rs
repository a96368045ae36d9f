//! Names the wire accepts for enumerated text fields, for the OpenAPI
//! document only: the fields themselves stay text, so that a wrong value is
//! answered naming its field.

use utoipa::ToSchema;

/// A way of paying cash.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TenderMethod {
    /// The account's cash balance.
    Balance,
    /// A registered card.
    Card,
    /// A registered PayPal account.
    Paypal,
    /// A registered bank account.
    BankTransfer,
}

/// A payment method that can be registered.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PaymentMethodKind {
    /// A card.
    Card,
    /// A PayPal account.
    Paypal,
    /// A bank account.
    BankTransfer,
}

/// A non-cash benefit.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BenefitKind {
    /// A prepaid credit granted by the provider.
    Voucher,
    /// A discount granted by a promotion.
    Coupon,
}

/// How a workspace is billed.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BillingMethod {
    /// Everything by the hour.
    PayAsYouGo,
    /// A quota covers its usage.
    Subscription,
    /// A quota plus pay-as-you-go beyond it.
    Hybrid,
}

/// A settlement currency.
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum Currency {
    /// US dollar, 2 decimals.
    Usd,
    /// Chinese yuan, 2 decimals.
    Cny,
    /// Euro, 2 decimals.
    Eur,
    /// Japanese yen, no decimals.
    Jpy,
}
