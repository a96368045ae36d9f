//! Regions with their prices, and refund policy versions.

use async_trait::async_trait;
use billing_app::store::{CatalogTx, StoreError, StoreResult};
use billing_domain::calendar::BillingZone;
use billing_domain::catalog::Region;
use billing_domain::money::Money;
use billing_domain::policy::{Policy, PolicyVersion};
use billing_domain::usage::HourlyPrice;
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

pub(crate) fn small(row: &AnyRow, column: &str) -> StoreResult<u32> {
    let value = row.int(column)?;
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column}: {value} out of range")))
}

fn region(row: &AnyRow) -> StoreResult<Region> {
    region_columns(row, "")
}

/// A region from columns named with `prefix` (as when it is joined to
/// another table whose columns share its names).
pub(crate) fn region_columns(row: &AnyRow, prefix: &str) -> StoreResult<Region> {
    let column = |name: &str| format!("{prefix}{name}");
    let currency = row.currency(&column("currency"))?;
    let zone: BillingZone = row.parsed(&column("zone"))?;
    Ok(Region {
        id: row.text(&column("id"))?,
        zone,
        cu_month_price: Money::from_minor(currency, row.int(&column("cu_month_price_minor"))?),
        cu_hour_price: HourlyPrice::from_micros(currency, row.int(&column("cu_hour_price_micros"))?),
        min_quota_cu: small(row, &column("min_quota_cu"))?,
        min_months: small(row, &column("min_months"))?,
        max_months: small(row, &column("max_months"))?,
        reserved_cu_capacity: row
            .opt_int(&column("reserved_cu_capacity"))?
            .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("reserved_cu_capacity {v}"))))
            .transpose()?,
    })
}

/// Reads the settings document written by [`settings_json`].
fn policy_from_json(text: &str) -> StoreResult<Policy> {
    let corrupt = |e: String| StoreError::Corrupt(format!("policy_versions.settings: {e}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let object = value.as_object().ok_or_else(|| corrupt("not an object".to_owned()))?;
    let mut policy = Policy::default();
    for (name, value) in object {
        let text = value.as_str().ok_or_else(|| corrupt(format!("{name} is not a string")))?;
        policy.restore(name, text).map_err(|e| corrupt(e.to_string()))?;
    }
    Ok(policy)
}

fn settings_json(policy: &Policy) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        policy.settings().into_iter().map(|(name, value)| (name.to_owned(), value.into())).collect();
    serde_json::Value::Object(map).to_string()
}

#[async_trait]
impl CatalogTx for SqlTx {
    async fn region(&mut self, id: &str) -> StoreResult<Option<Region>> {
        if let Some(known) = self.regions.iter().find(|r| r.id == id) {
            return Ok(Some(known.clone()));
        }
        let row = sqlx::query("SELECT * FROM regions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        let found = row.as_ref().map(region).transpose()?;
        if let Some(r) = &found {
            self.regions.push(r.clone());
        }
        Ok(found)
    }

    async fn regions(&mut self) -> StoreResult<Vec<Region>> {
        let rows =
            sqlx::query("SELECT * FROM regions ORDER BY id").fetch_all(self.db().await?).await.map_err(map_err)?;
        rows.iter().map(region).collect()
    }

    async fn upsert_region(&mut self, r: &Region) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO regions (id, zone, currency, cu_month_price_minor, cu_hour_price_micros, min_quota_cu, \
             min_months, max_months, reserved_cu_capacity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET zone = excluded.zone, currency = excluded.currency, \
             cu_month_price_minor = excluded.cu_month_price_minor, \
             cu_hour_price_micros = excluded.cu_hour_price_micros, min_quota_cu = excluded.min_quota_cu, \
             min_months = excluded.min_months, max_months = excluded.max_months, \
             reserved_cu_capacity = excluded.reserved_cu_capacity",
        )
        .bind(&r.id)
        .bind(r.zone.name())
        .bind(r.currency().code())
        .bind(r.cu_month_price.minor())
        .bind(r.cu_hour_price.micros())
        .bind(i64::from(r.min_quota_cu))
        .bind(i64::from(r.min_months))
        .bind(i64::from(r.max_months))
        .bind(r.reserved_cu_capacity.map(i64::from))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        self.regions.retain(|known| known.id != r.id);
        Ok(())
    }

    async fn policy_versions(&mut self) -> StoreResult<Vec<PolicyVersion>> {
        let rows = sqlx::query("SELECT * FROM policy_versions ORDER BY version")
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let version = row.int("version")?;
                Ok(PolicyVersion {
                    version: u32::try_from(version)
                        .map_err(|_| StoreError::Corrupt(format!("policy version {version}")))?,
                    effective_from: row.instant("effective_from")?,
                    policy: policy_from_json(&row.text("settings")?)?,
                })
            })
            .collect()
    }

    async fn insert_policy_version(&mut self, v: &PolicyVersion) -> StoreResult<()> {
        sqlx::query("INSERT INTO policy_versions (version, effective_from, settings) VALUES ($1, $2, $3)")
            .bind(i64::from(v.version))
            .bind(micros(v.effective_from))
            .bind(settings_json(&v.policy))
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
