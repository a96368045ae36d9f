//! The catalog (regions and their prices, resource plan packs) and the
//! versions of the refund policy.

use std::sync::{Arc, Mutex, PoisonError};

use billing_domain::calendar::{BillingZone, shift};
use billing_domain::catalog::Region;
use billing_domain::money::{Currency, Money};
use billing_domain::policy::{Policy, PolicyVersion};
use billing_domain::usage::{CuHours, HourlyPrice};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::operations::Operations;
use crate::store::StoreTx;

/// A resource plan pack costs this share of the pay-as-you-go price of its
/// CU-hours, in percent.
pub const PLAN_PRICE_PERCENT: i64 = 80;
/// Smallest and largest pack, in whole CU-hours.
pub const PLAN_CAPACITY_RANGE: (i64, i64) = (100, 1_000_000);
/// Longest validity of a pack, in months.
pub const PLAN_MAX_MONTHS: u32 = 12;
/// Range of a region's `min_months` and `max_months`: a quota is bought or
/// renewed for 1 to 9 months.
pub const REGION_MONTHS_RANGE: (u32, u32) = (1, 9);
/// Range of a region's `min_quota_cu`.
pub const REGION_MIN_QUOTA_CU_RANGE: (u32, u32) = (1, 10_000);
/// Most CUs a region's reserved-CU capacity may be set to.
pub const REGION_MAX_RESERVED_CU_CAPACITY: u32 = 100_000_000;
/// Highest price of one CU-month, in whole units of the region's currency.
pub const REGION_MAX_CU_MONTH_PRICE_MAJOR: i64 = 1_000_000;
/// Highest price of one CU-hour, in whole units of the region's currency.
pub const REGION_MAX_CU_HOUR_PRICE_MAJOR: i64 = 10_000;

fn region(id: &str, zone: &str, currency: Currency, month_minor: i64, hour_micros: i64) -> Region {
    Region {
        id: id.to_owned(),
        zone: zone.parse().unwrap_or(BillingZone::DEFAULT),
        cu_month_price: Money::from_minor(currency, month_minor),
        cu_hour_price: HourlyPrice::from_micros(currency, hour_micros),
        min_quota_cu: 25,
        min_months: 1,
        max_months: 9,
        reserved_cu_capacity: None,
    }
}

/// The regions a new installation starts with. Singapore carries the
/// published prices; the others are priced alike in their own currencies.
pub fn default_regions() -> Vec<Region> {
    vec![
        Region::singapore(),
        region("cn-hangzhou", "Asia/Shanghai", Currency::Cny, 23_190, 483_163),
        region("eu-central-1", "Europe/Berlin", Currency::Eur, 2_990, 62_300),
        region("ap-northeast-1", "Asia/Tokyo", Currency::Jpy, 4_800, 10_000_000),
    ]
}

/// The list price of a plan pack of `capacity` in `region`: the
/// pay-as-you-go price of its CU-hours less a fifth, rounded down.
pub fn plan_list_price(region: &Region, capacity: CuHours) -> AppResult<Money> {
    let whole = capacity.milli() / 1000;
    if capacity.milli() % 1000 != 0 || whole < PLAN_CAPACITY_RANGE.0 || whole > PLAN_CAPACITY_RANGE.1 {
        return Err(AppError::invalid(
            "capacity_cu_hours",
            format!("must be a whole number from {} to {}", PLAN_CAPACITY_RANGE.0, PLAN_CAPACITY_RANGE.1),
        ));
    }
    // micro-units per CU-hour × CU-hours × percent, down to minor units;
    // all terms are non-negative, so integer division rounds down.
    let currency = region.currency();
    let per_minor = i128::from(1_000_000 / currency.minor_per_major());
    let exact = i128::from(region.cu_hour_price.micros()) * i128::from(whole) * i128::from(PLAN_PRICE_PERCENT);
    let minor =
        i64::try_from(exact / (100 * per_minor)).map_err(|_| AppError::invalid("capacity_cu_hours", "too large"))?;
    Ok(Money::from_minor(currency, minor))
}

impl Operations {
    /// Puts the default regions and the first policy version in place when
    /// the database has none (on first start).
    pub async fn ensure_catalog(&self) -> AppResult<()> {
        let mut tx = self.core.begin().await?;
        if tx.regions().await?.is_empty() {
            for r in default_regions() {
                tx.upsert_region(&r).await?;
            }
        }
        if tx.policy_versions().await?.is_empty() {
            let first = PolicyVersion { version: 1, effective_from: DateTime::UNIX_EPOCH, policy: Policy::default() };
            tx.insert_policy_version(&first).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every region.
    pub async fn regions(&self) -> AppResult<Vec<Region>> {
        Ok(self.core.read().await?.regions().await?)
    }

    /// One region, or `NOT_FOUND`.
    pub async fn region(&self, id: &str) -> AppResult<Region> {
        let mut tx = self.core.read().await?;
        region_of(&mut *tx, id).await
    }

    /// Adds or reprices a region (operators only). A region keeps its
    /// currency: what was bought there was priced in it.
    pub async fn set_region(&self, caller: &Caller, region: Region) -> AppResult<Region> {
        caller.require_operator()?;
        check_region(&region)?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        if let Some(existing) = tx.region(&region.id).await?
            && existing.currency() != region.currency()
        {
            return Err(AppError::CurrencyMismatch {
                message: format!("region {} prices in {}; its currency cannot change", region.id, existing.currency()),
            });
        }
        tx.upsert_region(&region).await?;
        let detail = json!({
            "cu_month_price": region.cu_month_price.to_string(), "currency": region.currency().code(),
            "reserved_cu_capacity": region.reserved_cu_capacity,
        });
        audit(&mut *tx, caller, "region.set", &region.id, detail, now).await?;
        tx.commit().await?;
        Ok(region)
    }

    /// Every policy version, oldest first.
    pub async fn policy_versions(&self) -> AppResult<Vec<PolicyVersion>> {
        Ok(self.core.read().await?.policy_versions().await?)
    }

    /// Adds a policy version taking effect at `effective_from`, which may
    /// not lie in the past: rules already applied stay as they were.
    pub async fn add_policy_version(
        &self,
        caller: &Caller,
        effective_from: DateTime<Utc>,
        policy: Policy,
    ) -> AppResult<PolicyVersion> {
        caller.require_operator()?;
        let now = self.core.now();
        // A minute's grace covers the moments between "now" on the caller's
        // side and here, and clock skew between replicas.
        if effective_from < shift(now, -chrono::Duration::minutes(1))? {
            return Err(AppError::invalid("effective_from", "a new policy version cannot take effect in the past"));
        }
        let mut tx = self.core.begin().await?;
        let versions = tx.policy_versions().await?;
        let version = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let added = PolicyVersion { version, effective_from, policy };
        tx.insert_policy_version(&added).await?;
        let settings: serde_json::Map<_, _> =
            policy.settings().into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect();
        let detail = json!({"version": version, "effective_from": effective_from.to_rfc3339(), "settings": settings});
        audit(&mut *tx, caller, "policy.version_added", &format!("policy:{version}"), detail, now).await?;
        tx.commit().await?;
        Ok(added)
    }
}

/// The policy versions as last read, reused for as long as the store's
/// newest version number stays the same. Versions are only ever added, each
/// numbered one above the newest committed one, and never changed, so the
/// same newest number means the same list; a quote learns the number in a
/// read it makes anyway ([`crate::store::AccountsTx::account_in_region`]) and skips reading
/// the list.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    versions: Mutex<Arc<Vec<PolicyVersion>>>,
}

impl PolicyCache {
    /// Every policy version, oldest first, as of a read that saw `newest`
    /// as the newest version number.
    pub(crate) async fn versions(
        &self,
        tx: &mut (dyn StoreTx + '_),
        newest: u32,
    ) -> AppResult<Arc<Vec<PolicyVersion>>> {
        let cached = Arc::clone(&self.versions.lock().unwrap_or_else(PoisonError::into_inner));
        if cached.last().map(|v| v.version) == Some(newest) {
            return Ok(cached);
        }
        let read = Arc::new(tx.policy_versions().await?);
        *self.versions.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&read);
        Ok(read)
    }
}

/// Checks every setting of a region against its bounds, naming the first
/// one out of them.
pub fn check_region(region: &Region) -> AppResult<()> {
    crate::accounts::check_name("id", &region.id)?;
    let per_major = region.currency().minor_per_major();
    let month_max = REGION_MAX_CU_MONTH_PRICE_MAJOR * per_major;
    if !(1..=month_max).contains(&region.cu_month_price.minor()) {
        let message = format!("must be more than zero and at most {REGION_MAX_CU_MONTH_PRICE_MAJOR}");
        return Err(AppError::invalid("cu_month_price", message));
    }
    if !(1..=REGION_MAX_CU_HOUR_PRICE_MAJOR * 1_000_000).contains(&region.cu_hour_price.micros()) {
        let message = format!("must be more than zero and at most {REGION_MAX_CU_HOUR_PRICE_MAJOR}");
        return Err(AppError::invalid("cu_hour_price", message));
    }
    let (fewest, most) = REGION_MIN_QUOTA_CU_RANGE;
    if !(fewest..=most).contains(&region.min_quota_cu) {
        return Err(AppError::invalid("min_quota_cu", format!("must be from {fewest} to {most}")));
    }
    let (fewest, most) = REGION_MONTHS_RANGE;
    if !(fewest..=most).contains(&region.max_months) {
        return Err(AppError::invalid("max_months", format!("must be from {fewest} to {most}")));
    }
    if !(fewest..=region.max_months).contains(&region.min_months) {
        return Err(AppError::invalid("min_months", format!("must be from {fewest} to max_months")));
    }
    if region.reserved_cu_capacity.is_some_and(|cap| cap > REGION_MAX_RESERVED_CU_CAPACITY) {
        let message = format!("must be at most {REGION_MAX_RESERVED_CU_CAPACITY} (leave it out for no limit)");
        return Err(AppError::invalid("reserved_cu_capacity", message));
    }
    Ok(())
}

/// A region by id, or `NOT_FOUND` naming `field`.
pub(crate) async fn region_of(tx: &mut (dyn StoreTx + '_), id: &str) -> AppResult<Region> {
    tx.region(id).await?.ok_or_else(|| AppError::not_found("region", id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_pack_costs_four_fifths_of_its_hours_rounded_down() {
        let sg = Region::singapore();
        // 1000 × 0.067106 × 0.8 = 53.6848 → 53.68
        assert_eq!(plan_list_price(&sg, CuHours::from_whole(1000)).unwrap().to_string(), "53.68");
        assert!(plan_list_price(&sg, CuHours::from_whole(99)).is_err());
        assert!(plan_list_price(&sg, CuHours::from_milli(100_500)).is_err());
        let tokyo = &default_regions()[3];
        assert_eq!(plan_list_price(tokyo, CuHours::from_whole(100)).unwrap().to_string(), "800");
    }
}
