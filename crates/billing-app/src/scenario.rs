//! Scenario files: one self-contained quote question (an instance, its
//! orders, the policy, the zone and `now`) read from JSON, answered by the
//! domain's quote.
//!
//! Every problem in a file is reported with the path of the field at fault,
//! such as `instance.orders[0].tenders[1].amount`.

use std::collections::BTreeMap;
use std::fmt;

use billing_domain::calendar::BillingZone;
use billing_domain::catalog::Region;
use billing_domain::change::{Action, ActionKind, quote_change};
use billing_domain::ids::OrderId;
use billing_domain::money::{Currency, Money};
use billing_domain::order::{Order, OrderCharges, OrderKind, OrderStatus, PaymentMethodKind, Tender};
use billing_domain::policy::Policy;
use billing_domain::quote::{Instance, InstanceKind, InstanceStatus, Quote, QuoteContext};
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// A problem with a scenario file, naming the field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Dotted path of the field (empty for the file as a whole).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ScenarioError {
    fn at(field: impl Into<String>, message: impl fmt::Display) -> ScenarioError {
        ScenarioError { field: field.into(), message: message.to_string() }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A scenario read and checked: everything the quote needs.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's label.
    pub name: Option<String>,
    /// Billing zone.
    pub zone: BillingZone,
    /// Default policy with the file's overrides.
    pub policy: Policy,
    /// The account's currency now.
    pub account_currency: Currency,
    /// The instance; `None` when the file says `"instance": null`.
    pub instance: Option<Instance>,
    /// The moment of the quote.
    pub now: DateTime<Utc>,
    /// What is quoted: unsubscription (the default), downgrade or switch.
    pub action: Action,
    /// The quote the file expects, if it says.
    pub expect: Option<Value>,
}

impl Scenario {
    /// Quotes the scenario.
    pub fn quote(&self) -> Result<Quote, billing_domain::quote::QuoteError> {
        let ctx = QuoteContext {
            account_currency: self.account_currency,
            policy: &self.policy,
            zone: self.zone,
            now: self.now,
        };
        quote_change(self.instance.as_ref(), self.action, &ctx)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDto {
    name: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
    zone: Option<String>,
    #[serde(default)]
    policy: BTreeMap<String, Value>,
    #[serde(default)]
    account: AccountDto,
    instance: Value,
    now: String,
    action: Option<String>,
    new_quota_cu: Option<u32>,
    expect: Option<Value>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountDto {
    currency: Option<String>,
    #[serde(default)]
    invalid_methods: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceDto {
    kind: String,
    status: Option<String>,
    used_cu_hours: Option<String>,
    capacity_cu_hours: Option<String>,
    #[serde(default)]
    promotion_non_refundable: bool,
    #[serde(default)]
    transferred: bool,
    #[serde(default)]
    full_refunds_this_year: u32,
    quota_cu: Option<u32>,
    orders: Vec<OrderDto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderDto {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    currency: String,
    paid_at: Option<String>,
    start: Option<String>,
    months: u32,
    list_price: String,
    discount: Option<String>,
    coupon: Option<String>,
    voucher: Option<String>,
    released_cash: Option<String>,
    #[serde(default)]
    tenders: Vec<TenderDto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenderDto {
    method: String,
    amount: String,
}

/// Deserializes `value` into `T`, reporting the failing field under `prefix`.
fn from_value<T: for<'de> Deserialize<'de>>(prefix: &str, value: Value) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = match (prefix.is_empty(), path.as_str()) {
            (_, ".") => prefix.to_owned(),
            (true, p) => p.to_owned(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        ScenarioError::at(field, e.into_inner())
    })
}

/// Reads a scenario from JSON text.
pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ScenarioError::at("", format!("not valid JSON: {e}")))?;
    let file: FileDto = from_value("", value)?;
    let zone = match &file.zone {
        Some(name) => name.parse().map_err(|e| ScenarioError::at("zone", e))?,
        None => BillingZone::DEFAULT,
    };
    let mut policy = Policy::default();
    for (name, value) in &file.policy {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Null => "none".to_owned(),
            Value::Bool(_) | Value::Number(_) => value.to_string(),
            _ => {
                return Err(ScenarioError::at(format!("policy.{name}"), "expected a string, number, boolean or null"));
            }
        };
        policy.set(name, &text).map_err(|e| ScenarioError::at(format!("policy.{name}"), e.message))?;
    }
    let now = parse_instant("now", &file.now)?;
    let instance_dto: Option<InstanceDto> = match file.instance {
        Value::Null => None,
        value => Some(from_value("instance", value)?),
    };
    let account_currency = account_currency(&file.account, instance_dto.as_ref())?;
    let invalid = invalid_methods(&file.account)?;
    let instance = instance_dto.map(|dto| instance_from_dto(dto, &invalid)).transpose()?;
    let action = action(file.action.as_deref(), file.new_quota_cu, instance.as_ref())?;
    Ok(Scenario { name: file.name, zone, policy, account_currency, instance, now, action, expect: file.expect })
}

/// The action of the file, with what a downgrade needs: `new_quota_cu`, the
/// quota's CUs now, and the smallest quota of the catalog's region.
fn action(name: Option<&str>, new_quota_cu: Option<u32>, instance: Option<&Instance>) -> Result<Action, ScenarioError> {
    let kind = name.map_or(Ok(ActionKind::Unsubscribe), |n| n.parse().map_err(|e| ScenarioError::at("action", e)))?;
    match (kind, new_quota_cu) {
        (ActionKind::Downgrade, None) => Err(ScenarioError::at("new_quota_cu", "required for action downgrade")),
        (ActionKind::Downgrade, Some(new_quota_cu)) => {
            let quota = instance.filter(|i| i.kind == InstanceKind::SubscriptionQuota);
            if quota.is_some_and(|i| i.quota_cu.is_none()) {
                return Err(ScenarioError::at("instance.quota_cu", "required to downgrade a subscription_quota"));
            }
            Ok(Action::Downgrade { new_quota_cu, min_quota_cu: Region::singapore().min_quota_cu })
        }
        (_, Some(_)) => Err(ScenarioError::at("new_quota_cu", "only for action downgrade")),
        (ActionKind::Unsubscribe, None) => Ok(Action::Unsubscribe),
        (ActionKind::SwitchToPayAsYouGo, None) => Ok(Action::SwitchToPayAsYouGo),
    }
}

fn account_currency(account: &AccountDto, instance: Option<&InstanceDto>) -> Result<Currency, ScenarioError> {
    if let Some(code) = &account.currency {
        return code.parse().map_err(|e| ScenarioError::at("account.currency", e));
    }
    let first = instance.and_then(|i| i.orders.first());
    let code = first.map(|o| o.currency.as_str()).ok_or_else(|| {
        ScenarioError::at("account.currency", "required when the instance has no orders to take it from")
    })?;
    code.parse().map_err(|e| ScenarioError::at("instance.orders[0].currency", e))
}

fn invalid_methods(account: &AccountDto) -> Result<Vec<PaymentMethodKind>, ScenarioError> {
    account
        .invalid_methods
        .iter()
        .enumerate()
        .map(|(i, m)| m.parse().map_err(|e| ScenarioError::at(format!("account.invalid_methods[{i}]"), e)))
        .collect()
}

fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, ScenarioError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ScenarioError::at(field, format!("{text:?} is not an RFC 3339 instant with an offset ({e})")))
}

fn instance_from_dto(dto: InstanceDto, invalid: &[PaymentMethodKind]) -> Result<Instance, ScenarioError> {
    let kind = match dto.kind.as_str() {
        "subscription_quota" => InstanceKind::SubscriptionQuota,
        "resource_plan" => InstanceKind::ResourcePlan,
        "pay_as_you_go" => InstanceKind::PayAsYouGo,
        other => {
            let msg = format!("unknown kind {other:?} (expected subscription_quota, resource_plan or pay_as_you_go)");
            return Err(ScenarioError::at("instance.kind", msg));
        }
    };
    let status = match dto.status.as_deref() {
        None | Some("active") => InstanceStatus::Active,
        Some("unsubscribed") => InstanceStatus::Unsubscribed,
        Some(other) => {
            return Err(ScenarioError::at(
                "instance.status",
                format!("unknown status {other:?} (expected active or unsubscribed)"),
            ));
        }
    };
    let cu_hours = |field: &str, text: Option<&str>| -> Result<Option<CuHours>, ScenarioError> {
        text.map(|t| CuHours::parse(t).map_err(|e| ScenarioError::at(format!("instance.{field}"), e))).transpose()
    };
    let used = cu_hours("used_cu_hours", dto.used_cu_hours.as_deref())?.unwrap_or(CuHours::ZERO);
    let capacity = cu_hours("capacity_cu_hours", dto.capacity_cu_hours.as_deref())?;
    let orders = dto
        .orders
        .into_iter()
        .enumerate()
        .map(|(i, o)| order_from_dto(&format!("instance.orders[{i}]"), o, invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Instance {
        kind,
        status,
        used,
        capacity,
        promotion_non_refundable: dto.promotion_non_refundable,
        transferred: dto.transferred,
        quota_cu: dto.quota_cu,
        full_refunds_this_year: dto.full_refunds_this_year,
        orders,
    })
}

fn order_from_dto(path: &str, dto: OrderDto, invalid: &[PaymentMethodKind]) -> Result<Order, ScenarioError> {
    let at = |field: &str| format!("{path}.{field}");
    let currency: Currency = dto.currency.parse().map_err(|e| ScenarioError::at(at("currency"), e))?;
    let money = |field: &str, text: Option<&str>| -> Result<Money, ScenarioError> {
        text.map_or(Ok(Money::zero(currency)), |t| {
            Money::parse(currency, t).map_err(|e| ScenarioError::at(at(field), e))
        })
    };
    let kind = match dto.kind.as_str() {
        "new" => OrderKind::New,
        "renewal" => OrderKind::Renewal,
        other => {
            return Err(ScenarioError::at(
                at("type"),
                format!("unknown order type {other:?} (expected new or renewal)"),
            ));
        }
    };
    let status = match dto.status.as_str() {
        "paid" => OrderStatus::Paid,
        "unpaid" => OrderStatus::Unpaid,
        "cancelled" => OrderStatus::Cancelled,
        "refunded" => OrderStatus::Refunded,
        other => {
            let msg = format!("unknown order status {other:?} (expected paid, unpaid, cancelled or refunded)");
            return Err(ScenarioError::at(at("status"), msg));
        }
    };
    let instant = |field: &str, text: Option<&str>| text.map(|t| parse_instant(&at(field), t)).transpose();
    let charges = OrderCharges {
        list_price: money("list_price", Some(&dto.list_price))?,
        discount: money("discount", dto.discount.as_deref())?,
        coupon: money("coupon", dto.coupon.as_deref())?,
        voucher: money("voucher", dto.voucher.as_deref())?,
    };
    let mut tenders = Vec::with_capacity(dto.tenders.len());
    for (i, t) in dto.tenders.iter().enumerate() {
        let field = |f: &str| at(&format!("tenders[{i}].{f}"));
        let method: PaymentMethodKind = t.method.parse().map_err(|e| ScenarioError::at(field("method"), e))?;
        let amount = Money::parse(currency, &t.amount).map_err(|e| ScenarioError::at(field("amount"), e))?;
        tenders.push(Tender { method, amount, instrument_valid: !invalid.contains(&method) });
    }
    let order = Order {
        id: OrderId::parse(&dto.id).map_err(|e| ScenarioError::at(at("id"), e))?,
        kind,
        status,
        paid_at: instant("paid_at", dto.paid_at.as_deref())?,
        start: instant("start", dto.start.as_deref())?,
        months: dto.months,
        charges,
        released_cash: money("released_cash", dto.released_cash.as_deref())?,
        tenders,
    };
    order.validate().map_err(|e| ScenarioError::at(path, e))?;
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quota of 100 CUs (when `quota_cu` is given) with one paid order,
    /// and the given top-level fields.
    fn file(top: &str, quota_cu: &str) -> String {
        format!(
            r#"{{ {top} "now": "2023-01-10T14:00:00+08:00",
            "instance": {{ "kind": "subscription_quota", {quota_cu} "orders": [{{ "id": "o1", "type": "new",
            "status": "paid", "currency": "USD", "paid_at": "2023-01-01T12:00:00+08:00",
            "start": "2023-01-01T12:00:00+08:00", "months": 1, "list_price": "1000.00",
            "released_cash": "400.00", "tenders": [{{ "method": "card", "amount": "600.00" }}] }}] }} }}"#
        )
    }

    fn error_field(text: &str) -> String {
        parse_scenario(text).map(|_| ()).unwrap_err().field
    }

    #[test]
    fn a_downgrade_needs_new_quota_cu_and_the_quota_cu_now() {
        let quota_cu = r#""quota_cu": 100,"#;
        assert_eq!(error_field(&file(r#""action": "downgrade","#, quota_cu)), "new_quota_cu");
        assert_eq!(error_field(&file(r#""action": "downgrade", "new_quota_cu": 50,"#, "")), "instance.quota_cu");
        assert_eq!(error_field(&file(r#""new_quota_cu": 50,"#, quota_cu)), "new_quota_cu");
        assert_eq!(error_field(&file(r#""action": "upgrade","#, quota_cu)), "action");
        let scenario = parse_scenario(&file(r#""action": "downgrade", "new_quota_cu": 50,"#, quota_cu)).unwrap();
        assert_eq!(scenario.action, Action::Downgrade { new_quota_cu: 50, min_quota_cu: 25 });
        assert_eq!(scenario.quote().unwrap().refund.to_string(), "203.23");
    }

    #[test]
    fn released_cash_lowers_the_basis_the_tenders_must_add_up_to() {
        let quote = parse_scenario(&file("", "")).unwrap().quote().unwrap();
        assert_eq!(
            (quote.lines[0].cash_paid.to_string(), quote.refund.to_string()),
            ("600.00".into(), "406.46".into())
        );
        let wrong = file("", "").replace(r#""amount": "600.00""#, r#""amount": "1000.00""#);
        assert_eq!(error_field(&wrong), "instance.orders[0]");
    }
}
