//! Billing periods of stored instances, computed from their paid orders with
//! the domain's calendar.

use billing_domain::calendar::{BillingPeriod, BillingZone, first_period, period_from_anchor};
use billing_domain::order::{OrderKind, OrderStatus};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};
use crate::model::{OrderRecord, QuotaChange};

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

/// A quota's coverage over `periods`: `(CUs, start, end)` pieces, split
/// where one of its `changes` (oldest first) takes effect. Before the first
/// change the quota covers the CUs it was bought with; pieces with no CUs
/// (after a switch to pay-as-you-go) are left out.
pub fn covered_periods(
    quota_cu_now: u32,
    changes: &[&QuotaChange],
    periods: impl IntoIterator<Item = BillingPeriod>,
) -> Vec<(u32, DateTime<Utc>, DateTime<Utc>)> {
    let first_cu = changes.first().map_or(quota_cu_now, |c| c.quota_cu_before);
    let mut out = Vec::new();
    for period in periods {
        let mut start = period.start;
        let mut cu = first_cu;
        for change in changes {
            if change.effective_from <= start {
                cu = change.quota_cu_after;
                continue;
            }
            if change.effective_from >= period.end {
                break;
            }
            if cu > 0 {
                out.push((cu, start, change.effective_from));
            }
            start = change.effective_from;
            cu = change.quota_cu_after;
        }
        if cu > 0 && start < period.end {
            out.push((cu, start, period.end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use billing_domain::ids::InstanceId;
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap()
    }

    fn change(day: u32, hour: u32, before: u32, after: u32) -> QuotaChange {
        QuotaChange {
            instance_id: InstanceId::trusted("ins"),
            unsubscription_id: billing_domain::ids::UnsubscriptionId::trusted(format!("uns{day}{hour}")),
            effective_from: at(day, hour),
            quota_cu_before: before,
            quota_cu_after: after,
        }
    }

    #[test]
    fn a_period_is_split_where_each_change_takes_effect() {
        let period = |start, end: DateTime<Utc>| BillingPeriod { start, end, expiration_date: end.date_naive() };
        let periods = [period(at(1, 0), at(10, 0)), period(at(10, 0), at(20, 0))];
        assert_eq!(covered_periods(100, &[], periods), vec![(100, at(1, 0), at(10, 0)), (100, at(10, 0), at(20, 0))]);
        let (a, b) = (change(3, 5, 100, 60), change(12, 0, 60, 30));
        assert_eq!(
            covered_periods(30, &[&a, &b], periods),
            vec![
                (100, at(1, 0), at(3, 5)),
                (60, at(3, 5), at(10, 0)),
                (60, at(10, 0), at(12, 0)),
                (30, at(12, 0), at(20, 0))
            ]
        );
        // A switch ends the coverage at its hour, renewals included.
        let switch = change(4, 1, 60, 0);
        assert_eq!(
            covered_periods(60, &[&a, &switch], periods),
            vec![(100, at(1, 0), at(3, 5)), (60, at(3, 5), at(4, 1))]
        );
    }
}
