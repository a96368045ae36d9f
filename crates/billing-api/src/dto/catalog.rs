//! Wire types of the catalog: regions, their prices and limits, and the
//! prices of the standard resource plan packs.

use billing_app::catalog::{PLAN_MAX_MONTHS, PLAN_PRICE_PERCENT, plan_list_price};
use billing_domain::catalog::Region;
use billing_domain::usage::CuHours;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::ApiError;

/// The resource plan packs priced on a region's page, in whole CU-hours.
pub const STANDARD_PLAN_PACKS: [i64; 4] = [100, 1_000, 10_000, 100_000];

/// A region's prices and purchase limits.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionDto {
    /// Id, e.g. `ap-southeast-1`.
    pub id: String,
    /// IANA zone of its billing calendar, e.g. `Asia/Shanghai`.
    pub zone: String,
    /// Currency of its prices.
    pub currency: String,
    /// Price of one CU reserved for one month.
    pub cu_month_price: String,
    /// Pay-as-you-go price of one CU-hour (up to 6 decimals).
    pub cu_hour_price: String,
    /// Fewest CUs a quota may reserve.
    pub min_quota_cu: u32,
    /// Fewest months a quota may be bought or renewed for.
    pub min_months: u32,
    /// Most months a quota may be bought or renewed for.
    pub max_months: u32,
    /// Most CUs its active quotas may reserve together; null for no limit.
    pub reserved_cu_capacity: Option<u32>,
}

impl From<&Region> for RegionDto {
    fn from(r: &Region) -> Self {
        RegionDto {
            id: r.id.clone(),
            zone: r.zone.name().to_owned(),
            currency: r.currency().code().to_owned(),
            cu_month_price: r.cu_month_price.to_string(),
            cu_hour_price: r.cu_hour_price.to_string(),
            min_quota_cu: r.min_quota_cu,
            min_months: r.min_months,
            max_months: r.max_months,
            reserved_cu_capacity: r.reserved_cu_capacity,
        }
    }
}

/// The price of one resource plan pack.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanPackDto {
    /// CU-hours in the pack.
    pub capacity_cu_hours: String,
    /// List price, whatever its validity.
    pub list_price: String,
    /// Longest validity that can be bought, in months.
    pub max_months: u32,
}

/// A region with the prices of the standard resource plan packs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionDetailsDto {
    /// The region.
    pub region: RegionDto,
    /// A pack costs this share of the pay-as-you-go price of its CU-hours, in percent.
    pub plan_price_percent: i64,
    /// The standard packs and their prices.
    pub plan_packs: Vec<PlanPackDto>,
}

impl RegionDetailsDto {
    /// The region with its pack prices; a pack whose price does not fit in
    /// an amount (an absurd hourly price) is left out rather than failing
    /// the whole page.
    pub fn new(region: &Region) -> RegionDetailsDto {
        let plan_packs = STANDARD_PLAN_PACKS
            .into_iter()
            .map(CuHours::from_whole)
            .filter_map(|capacity| {
                let price = plan_list_price(region, capacity).ok()?;
                Some(PlanPackDto {
                    capacity_cu_hours: capacity.to_string(),
                    list_price: price.to_string(),
                    max_months: PLAN_MAX_MONTHS,
                })
            })
            .collect();
        RegionDetailsDto { region: RegionDto::from(region), plan_price_percent: PLAN_PRICE_PERCENT, plan_packs }
    }
}

/// A region's new prices and limits.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionUpdate {
    /// IANA zone of its billing calendar, e.g. `Asia/Shanghai`.
    pub zone: String,
    /// `USD`, `CNY`, `EUR` or `JPY`.
    #[schema(value_type = super::names::Currency, inline)]
    pub currency: String,
    /// Price of one CU-month, with the currency's decimals: more than zero
    /// and at most 1,000,000.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub cu_month_price: String,
    /// Price of one CU-hour, with up to 6 decimals: more than zero and at
    /// most 10,000.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub cu_hour_price: String,
    /// Fewest CUs a quota may reserve (1 to 10,000).
    #[schema(minimum = 1, maximum = 10000)]
    pub min_quota_cu: u32,
    /// Fewest months (at least 1).
    #[schema(minimum = 1, maximum = 9)]
    pub min_months: u32,
    /// Most months (at least `min_months`, at most 9).
    #[schema(minimum = 1, maximum = 9)]
    pub max_months: u32,
    /// Most CUs the region's active quotas may reserve together (0 to
    /// 100,000,000); absent or null for no limit. A paid quota beyond it is
    /// refunded at once instead of activated.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000)]
    pub reserved_cu_capacity: Option<u32>,
}

/// Longest region id accepted.
pub const MAX_REGION_ID_LEN: usize = 64;

/// Checks a region id: 1 to 64 lowercase letters, digits and dashes.
pub fn check_region_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_REGION_ID_LEN
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ApiError::invalid(
            "id",
            format!("a region id is 1 to {MAX_REGION_ID_LEN} lowercase letters, digits and dashes"),
        ));
    }
    Ok(())
}

impl RegionUpdate {
    /// The region `id` with these prices and limits.
    pub fn region(&self, id: &str) -> Result<Region, ApiError> {
        check_region_id(id)?;
        let zone = self
            .zone
            .parse()
            .map_err(|e: billing_domain::calendar::CalendarError| ApiError::invalid("zone", e.to_string()))?;
        let currency = super::currency("currency", &self.currency)?;
        let cu_hour_price = billing_domain::usage::HourlyPrice::parse(currency, &self.cu_hour_price)
            .map_err(|e| ApiError::invalid("cu_hour_price", e.to_string()))?;
        Ok(Region {
            id: id.to_owned(),
            zone,
            cu_month_price: super::money("cu_month_price", currency, &self.cu_month_price)?,
            cu_hour_price,
            min_quota_cu: self.min_quota_cu,
            min_months: self.min_months,
            max_months: self.max_months,
            reserved_cu_capacity: self.reserved_cu_capacity,
        })
    }
}
