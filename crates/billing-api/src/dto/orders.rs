//! Wire types of orders: what a purchase asks for and what it answers.
//!
//! The answers are the API's own types, built field by field from the app's
//! views ([`billing_app::views`], the shape an order's events carry); tests
//! hold each DTO's JSON to its view's, byte for byte.

use billing_app::purchase::TenderInput;
use billing_app::views::{OrderView, PurchaseView, PurchasedInstanceView, TenderView};
use billing_domain::ids::BenefitId;
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money;
use super::names::TenderMethod;
use crate::extract::{id, opt_id};
use crate::problem::ApiError;

/// Most vouchers and coupons one order may name.
pub const MAX_BENEFITS_PER_ORDER: usize = 20;

/// One cash part of a payment.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderDto {
    /// `balance`, `card`, `paypal` or `bank_transfer`.
    #[schema(value_type = TenderMethod, inline)]
    pub method: String,
    /// The card, PayPal or bank account to charge; none for the balance.
    #[serde(default)]
    pub payment_method_id: Option<String>,
    /// How much, in the account's currency, e.g. `"100.00"`.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
}

impl From<TenderView> for TenderDto {
    fn from(view: TenderView) -> Self {
        TenderDto { method: view.method, payment_method_id: view.payment_method_id, amount: view.amount }
    }
}

/// One purchase of an instance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDto {
    /// Id.
    pub id: String,
    /// The instance bought or renewed.
    pub instance_id: String,
    /// Buyer.
    pub account_id: String,
    /// `new` or `renewal`.
    pub kind: String,
    /// `unpaid`, `paid`, `cancelled` or `refunded`.
    pub status: String,
    /// Months bought.
    pub months: u32,
    /// Currency of every amount.
    pub currency: String,
    /// Catalog price.
    pub list_price: String,
    /// Discount taken off.
    pub discount: String,
    /// Coupons applied.
    pub coupon: String,
    /// Vouchers applied.
    pub voucher: String,
    /// Cash to pay: list price less discount, coupons and vouchers, never below zero.
    pub cash_due: String,
    /// Vouchers and coupons applied.
    pub benefit_ids: Vec<String>,
    /// How the cash was paid (empty until paid).
    pub tenders: Vec<TenderDto>,
    /// When it was placed.
    pub created_at: String,
    /// When it was paid.
    pub paid_at: Option<String>,
    /// For a new order: when the instance was activated.
    pub activated_at: Option<String>,
    /// While unpaid: why its last payment did not go through (the payment
    /// channel's reason), to pay it again another way.
    pub payment_failure: Option<String>,
}

impl From<OrderView> for OrderDto {
    fn from(view: OrderView) -> Self {
        OrderDto {
            id: view.id,
            instance_id: view.instance_id,
            account_id: view.account_id,
            kind: view.kind,
            status: view.status,
            months: view.months,
            currency: view.currency,
            list_price: view.list_price,
            discount: view.discount,
            coupon: view.coupon,
            voucher: view.voucher,
            cash_due: view.cash_due,
            benefit_ids: view.benefit_ids,
            tenders: view.tenders.into_iter().map(TenderDto::from).collect(),
            created_at: view.created_at,
            paid_at: view.paid_at,
            activated_at: view.activated_at,
            payment_failure: view.payment_failure,
        }
    }
}

/// A prepaid instance as a purchase leaves it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchasedInstanceDto {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Region.
    pub region_id: String,
    /// `spark_reserved` or `spark_resource_plan`.
    pub commodity: String,
    /// Quotas: the workspace.
    pub workspace_id: Option<String>,
    /// Quotas: CUs reserved.
    pub quota_cu: Option<u32>,
    /// Plans: CU-hours in the pack.
    pub capacity_cu_hours: Option<String>,
    /// `pending_payment`, `active`, `expired`, `unsubscribed`, `cancelled`,
    /// `switched_to_pay_as_you_go` or `activation_failed`.
    pub state: String,
    /// Renews itself before it ends.
    pub auto_renew: bool,
    /// When it was bought.
    pub created_at: String,
}

impl From<PurchasedInstanceView> for PurchasedInstanceDto {
    fn from(view: PurchasedInstanceView) -> Self {
        PurchasedInstanceDto {
            id: view.id,
            account_id: view.account_id,
            region_id: view.region_id,
            commodity: view.commodity,
            workspace_id: view.workspace_id,
            quota_cu: view.quota_cu,
            capacity_cu_hours: view.capacity_cu_hours,
            state: view.state,
            auto_renew: view.auto_renew,
            created_at: view.created_at,
        }
    }
}

/// An order and the instance it bought or extended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseDto {
    /// The order.
    pub order: OrderDto,
    /// The instance.
    pub instance: PurchasedInstanceDto,
}

impl From<PurchaseView> for PurchaseDto {
    fn from(view: PurchaseView) -> Self {
        PurchaseDto { order: view.order.into(), instance: view.instance.into() }
    }
}

/// Reads the tenders of a request in `currency`, naming `tenders[i].…` at fault.
pub fn tenders(currency: Currency, given: &[TenderDto]) -> Result<Vec<TenderInput>, ApiError> {
    given
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let method: PaymentMethodKind =
                t.method.parse().map_err(|e: String| ApiError::invalid(&format!("tenders[{i}].method"), e))?;
            let amount = money(&format!("tenders[{i}].amount"), currency, &t.amount)?;
            let payment_method_id = opt_id(&format!("tenders[{i}].payment_method_id"), t.payment_method_id.as_deref())?;
            Ok(TenderInput { method, payment_method_id, amount })
        })
        .collect()
}

/// Reads the benefit ids of a request, naming `benefit_ids[i]` at fault;
/// refuses more than [`MAX_BENEFITS_PER_ORDER`].
pub fn benefit_ids(given: &[String]) -> Result<Vec<BenefitId>, ApiError> {
    if given.len() > MAX_BENEFITS_PER_ORDER {
        return Err(ApiError::invalid("benefit_ids", format!("at most {MAX_BENEFITS_PER_ORDER} per order")));
    }
    given.iter().enumerate().map(|(i, text)| id(&format!("benefit_ids[{i}]"), text)).collect()
}
