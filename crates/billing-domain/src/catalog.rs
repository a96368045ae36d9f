//! What can be bought where: regions with their prices and limits, the two
//! prepaid commodities, and the list price of a purchase.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::calendar::BillingZone;
use crate::money::{Currency, Money, MoneyError};
use crate::usage::{CuHours, HourlyPrice};

/// A prepaid commodity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Commodity {
    /// CUs reserved for a workspace for whole months.
    SparkReserved,
    /// A prepaid pack of CU-hours.
    SparkResourcePlan,
}

impl Commodity {
    /// Every variant.
    pub const ALL: [Commodity; 2] = [Commodity::SparkReserved, Commodity::SparkResourcePlan];

    /// The commodity code.
    pub const fn code(self) -> &'static str {
        match self {
            Commodity::SparkReserved => "spark_reserved",
            Commodity::SparkResourcePlan => "spark_resource_plan",
        }
    }

    /// The name customers see.
    pub const fn display_name(self) -> &'static str {
        match self {
            Commodity::SparkReserved => "EMR Serverless Spark Reserved Resources",
            Commodity::SparkResourcePlan => "Spark Computing Resource Plan",
        }
    }
}

impl FromStr for Commodity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "spark_reserved" => Ok(Commodity::SparkReserved),
            "spark_resource_plan" => Ok(Commodity::SparkResourcePlan),
            other => Err(format!("unknown commodity {other:?} (expected spark_reserved or spark_resource_plan)")),
        }
    }
}

impl fmt::Display for Commodity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A region's prices and purchase limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Region id, e.g. `ap-southeast-1`.
    pub id: String,
    /// Zone in which its billing calendar is computed.
    pub zone: BillingZone,
    /// Price of one CU reserved for one month.
    pub cu_month_price: Money,
    /// Pay-as-you-go price of one CU-hour.
    pub cu_hour_price: HourlyPrice,
    /// Fewest CUs a quota may reserve.
    pub min_quota_cu: u32,
    /// Fewest months a quota may be bought or renewed for.
    pub min_months: u32,
    /// Most months a quota may be bought or renewed for.
    pub max_months: u32,
    /// Most CUs the region's active quotas may reserve together; `None` is
    /// no limit.
    pub reserved_cu_capacity: Option<u32>,
}

impl Region {
    /// Singapore with the published prices: USD 32.21 per CU-month and
    /// USD 0.067106 per CU-hour.
    pub fn singapore() -> Region {
        Region {
            id: "ap-southeast-1".to_owned(),
            zone: BillingZone::DEFAULT,
            cu_month_price: Money::from_minor(Currency::Usd, 3221),
            cu_hour_price: HourlyPrice::from_micros(Currency::Usd, 67_106),
            min_quota_cu: 25,
            min_months: 1,
            max_months: 9,
            reserved_cu_capacity: None,
        }
    }

    /// The currency the region prices in.
    pub fn currency(&self) -> Currency {
        self.cu_month_price.currency()
    }
}

/// A purchase the catalog refuses.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CatalogError {
    /// Fewer CUs than the region's minimum.
    #[error("a quota needs at least {min} CUs, {requested} requested")]
    TooFewCu {
        /// The minimum.
        min: u32,
        /// What was asked for.
        requested: u32,
    },
    /// Months outside the region's range.
    #[error("months must be between {min} and {max}, {requested} requested")]
    MonthsOutOfRange {
        /// The minimum.
        min: u32,
        /// The maximum.
        max: u32,
        /// What was asked for.
        requested: u32,
    },
    /// A plan pack with no capacity or a negative price.
    #[error("a resource plan needs a positive capacity and a non-negative price")]
    InvalidPlan,
    /// The price overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// List price of a quota: CUs × price per CU-month × months.
pub fn quota_list_price(region: &Region, cu: u32, months: u32) -> Result<Money, CatalogError> {
    check_months(region, months)?;
    if cu < region.min_quota_cu {
        return Err(CatalogError::TooFewCu { min: region.min_quota_cu, requested: cu });
    }
    Ok(region.cu_month_price.checked_mul(i64::from(cu))?.checked_mul(i64::from(months))?)
}

/// Checks that `months` is within the region's range (for renewals too).
pub fn check_months(region: &Region, months: u32) -> Result<(), CatalogError> {
    if months < region.min_months || months > region.max_months {
        return Err(CatalogError::MonthsOutOfRange {
            min: region.min_months,
            max: region.max_months,
            requested: months,
        });
    }
    Ok(())
}

/// A resource plan pack on sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOffer {
    /// CU-hours in the pack.
    pub capacity: CuHours,
    /// Validity in months.
    pub validity_months: u32,
    /// List price.
    pub list_price: Money,
}

impl PlanOffer {
    /// Checks the pack makes sense.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if self.capacity.milli() <= 0 || self.list_price.is_negative() || self.validity_months == 0 {
            return Err(CatalogError::InvalidPlan);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singapore_100_cu_for_6_months_costs_19326() {
        let price = quota_list_price(&Region::singapore(), 100, 6).unwrap();
        assert_eq!(price.to_string(), "19326.00");
    }

    #[test]
    fn quota_limits_are_enforced() {
        let sg = Region::singapore();
        assert_eq!(quota_list_price(&sg, 24, 1), Err(CatalogError::TooFewCu { min: 25, requested: 24 }));
        assert!(matches!(quota_list_price(&sg, 25, 0), Err(CatalogError::MonthsOutOfRange { .. })));
        assert!(matches!(quota_list_price(&sg, 25, 10), Err(CatalogError::MonthsOutOfRange { .. })));
        assert!(quota_list_price(&sg, 25, 9).is_ok());
    }
}
