//! Billing periods of stored instances, computed from their paid orders with
//! the domain's calendar.

use billing_domain::calendar::{BillingPeriod, BillingZone, first_period, period_from_anchor};
use billing_domain::order::{OrderKind, OrderStatus};

use crate::error::{AppError, AppResult};
use crate::model::OrderRecord;

/// The periods of a quota's paid orders, in order, as `(order index,
/// period)`. Refunded and cancelled orders are not part of the chain, so
/// refunding a pending renewal puts the end back where it was.
pub fn quota_periods(zone: BillingZone, orders: &[OrderRecord]) -> AppResult<Vec<(usize, BillingPeriod)>> {
    let mut out = Vec::with_capacity(orders.len());
    let mut paid = orders.iter().enumerate().filter(|(_, o)| o.status == OrderStatus::Paid);
    let Some((first_index, first)) = paid.next() else {
        return Ok(out);
    };
    let anchor = match (first.kind, first.start) {
        (OrderKind::New, Some(start)) => start,
        _ => {
            return Err(AppError::internal(format!("quota order {} has no activation", first.id)));
        }
    };
    let mut months = first.months;
    let mut period = first_period(zone, anchor, months)?;
    out.push((first_index, period));
    for (index, order) in paid {
        months += order.months;
        period = period_from_anchor(zone, anchor, period.end, months)?;
        out.push((index, period));
    }
    Ok(out)
}

/// The validity period of a resource plan, once its order is paid.
pub fn plan_period(zone: BillingZone, orders: &[OrderRecord]) -> AppResult<Option<BillingPeriod>> {
    let Some(order) = orders.iter().find(|o| matches!(o.status, OrderStatus::Paid | OrderStatus::Refunded)) else {
        return Ok(None);
    };
    let start = order.start.ok_or_else(|| AppError::internal(format!("plan order {} has no activation", order.id)))?;
    Ok(Some(first_period(zone, start, order.months)?))
}
