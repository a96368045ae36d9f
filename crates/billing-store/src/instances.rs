//! Prepaid instances and their orders, tenders and benefit links.

use std::collections::HashMap;

use async_trait::async_trait;
use billing_app::model::{InstanceRecord, InstanceState, OrderRecord, QuotaChange, TenderRecord};
use billing_app::store::{InstancesTx, StoreError, StoreResult};
use billing_domain::catalog::Commodity;
use billing_domain::ids::{AccountId, InstanceId, OrderId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::order::{OrderCharges, OrderKind, OrderStatus, PaymentMethodKind};
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, by_name, micros, opt_micros};
use crate::tx::SqlTx;
use crate::usage::Params;

pub(crate) fn instance(row: &AnyRow) -> StoreResult<InstanceRecord> {
    let quota_cu = row
        .opt_int("quota_cu")?
        .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("quota_cu {v}"))))
        .transpose()?;
    Ok(InstanceRecord {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        region_id: row.text("region_id")?,
        commodity: by_name("commodity", &row.text("commodity")?, &Commodity::ALL, Commodity::code)?,
        workspace_id: row.opt_id("workspace_id")?,
        quota_cu,
        capacity: row.opt_int("capacity_milli")?.map(CuHours::from_milli),
        used: CuHours::from_milli(row.int("used_milli")?),
        state: by_name("state", &row.text("state")?, &InstanceState::ALL, InstanceState::as_str)?,
        promotion_non_refundable: row.flag("promotion_non_refundable")?,
        transferred: row.flag("transferred")?,
        auto_renew: row.flag("auto_renew")?,
        created_at: row.instant("created_at")?,
    })
}

/// An order's row, without its tenders and benefits.
pub(crate) fn order(row: &AnyRow) -> StoreResult<OrderRecord> {
    let currency = row.currency("currency")?;
    let months = row.int("months")?;
    Ok(OrderRecord {
        id: row.id("id")?,
        instance_id: row.id("instance_id")?,
        account_id: row.id("account_id")?,
        kind: by_name("kind", &row.text("kind")?, &OrderKind::ALL, OrderKind::as_str)?,
        status: by_name("status", &row.text("status")?, &OrderStatus::ALL, OrderStatus::as_str)?,
        months: u32::try_from(months).map_err(|_| StoreError::Corrupt(format!("months {months}")))?,
        charges: OrderCharges {
            list_price: row.money(currency, "list_price_minor")?,
            discount: row.money(currency, "discount_minor")?,
            coupon: row.money(currency, "coupon_minor")?,
            voucher: row.money(currency, "voucher_minor")?,
        },
        benefit_ids: Vec::new(),
        tenders: Vec::new(),
        created_at: row.instant("created_at")?,
        paid_at: row.opt_instant("paid_at")?,
        start: row.opt_instant("start_at")?,
        payment_failure: row.opt_text("payment_failure")?,
        released_cash: row.money(currency, "released_cash_minor")?,
    })
}

impl SqlTx {
    /// Instances matching `condition` (one `$1` parameter), newest first.
    pub(crate) async fn instance_rows(&mut self, condition: &str, param: &str) -> StoreResult<Vec<InstanceRecord>> {
        let sql = format!("SELECT * FROM instances WHERE {condition} ORDER BY created_at DESC, id DESC");
        let rows = sqlx::query(&sql).bind(param).fetch_all(self.db().await?).await.map_err(map_err)?;
        rows.iter().map(instance).collect()
    }

    async fn insert_tender_rows(&mut self, order_id: &str, tenders: &[TenderRecord]) -> StoreResult<()> {
        for (idx, t) in tenders.iter().enumerate() {
            sqlx::query(
                "INSERT INTO tenders (order_id, idx, method, payment_method_id, amount_minor, charge_id, \
                 released_minor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(order_id)
            .bind(idx as i64)
            .bind(t.method.as_str())
            .bind(t.payment_method_id.as_deref())
            .bind(t.amount.minor())
            .bind(t.charge_id.as_deref())
            .bind(t.released.minor())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        }
        Ok(())
    }

    /// Orders whose `column` equals `value`, oldest first, with their
    /// tenders and benefits, in one statement. An order with several
    /// tenders and several benefits comes once per pair of them. The parts
    /// are looked up by key per order: SQLite does that for a plain join;
    /// PostgreSQL is held to it by a lateral join it cannot flatten
    /// (`OFFSET 0`), since on tables not analyzed yet it hashed the whole
    /// of `tenders` for one order.
    pub(crate) async fn order_rows(&mut self, column: &str, value: &str) -> StoreResult<Vec<OrderRecord>> {
        let parts = match self.backend {
            crate::Backend::Postgres => {
                "LEFT JOIN LATERAL (SELECT * FROM tenders WHERE order_id = o.id OFFSET 0) t ON TRUE \
                 LEFT JOIN LATERAL (SELECT benefit_id FROM order_benefits WHERE order_id = o.id OFFSET 0) b ON TRUE"
            }
            crate::Backend::Sqlite => {
                "LEFT JOIN tenders t ON t.order_id = o.id LEFT JOIN order_benefits b ON b.order_id = o.id"
            }
        };
        let sql = format!(
            "SELECT o.*, t.idx AS p_idx, t.method AS p_method, t.payment_method_id AS p_payment_method_id, \
             t.amount_minor AS p_amount_minor, t.charge_id AS p_charge_id, t.released_minor AS p_released_minor, \
             b.benefit_id AS p_benefit_id FROM orders o {parts} \
             WHERE o.{column} = $1 ORDER BY o.created_at, o.id, t.idx, b.benefit_id"
        );
        let rows = sqlx::query(&sql).bind(value).fetch_all(self.db().await?).await.map_err(map_err)?;
        let mut orders: Vec<OrderRecord> = Vec::new();
        let mut last_tender = None;
        for row in &rows {
            let id = row.text("id")?;
            if orders.last().is_none_or(|o| o.id.as_str() != id) {
                orders.push(order(row)?);
                last_tender = None;
            }
            let Some(o) = orders.last_mut() else { continue };
            if let Some(idx) = row.opt_int("p_idx")?
                && last_tender != Some(idx)
            {
                o.tenders.push(tender(o, row)?);
                last_tender = Some(idx);
            }
            if let Some(benefit) = row.opt_id("p_benefit_id")?
                && !o.benefit_ids.contains(&benefit)
            {
                o.benefit_ids.push(benefit);
            }
        }
        Ok(orders)
    }

    /// Reads the tenders and benefit links of `orders` in one statement.
    /// The ids go in as a VALUES list (a repeated id changes nothing), not a
    /// JSON array: PostgreSQL plans
    /// the list's true length, while from a JSON array it assumes 100 rows
    /// and may scan `order_benefits` whole, which halved confirmations per
    /// second in `billing-bench confirm`.
    pub(crate) async fn fill_orders(&mut self, orders: &mut [OrderRecord]) -> StoreResult<()> {
        for piece in orders.chunks_mut(crate::usage::ROWS_PER_STATEMENT) {
            // A few orders (one instance's) go in as they are; more (a batch
            // of quotes) are padded to a power of two, so that a few prepared
            // statements serve every number of them. Padding a single order
            // to 8 rows made PostgreSQL scan `order_benefits` in
            // confirmations: 447-531 TPS against 899-942 unpadded.
            let mut ids: Vec<String> = piece.iter().map(|o| o.id.to_string()).collect();
            if ids.len() > 8 {
                ids.resize(ids.len().next_power_of_two(), ids[ids.len() - 1].clone());
            }
            let sql = format!(
                "WITH wanted(id) AS (VALUES {}) {} ORDER BY p_order_id, p_part, p_idx, p_benefit_id",
                Params::new(self.backend).rows(ids.len(), 1),
                parts_of("SELECT id FROM wanted")
            );
            let mut query = sqlx::query(&sql);
            for id in &ids {
                query = query.bind(id.as_str());
            }
            let rows = query.fetch_all(self.db().await?).await.map_err(map_err)?;
            // The first `piece.len()` ids are the orders', in order.
            let by_id: HashMap<&str, usize> =
                ids.iter().take(piece.len()).enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            for row in &rows {
                let Some(&i) = by_id.get(row.text("p_order_id")?.as_str()) else { continue };
                push_part(&mut piece[i], row)?;
            }
        }
        Ok(())
    }
}

/// The tenders and benefit links of the orders `ids` selects, one row per
/// part, every column prefixed `p_`: `p_part` is 0 for a tender, 1 for a
/// benefit.
fn parts_of(ids: &str) -> String {
    format!(
        "SELECT order_id AS p_order_id, CAST(0 AS BIGINT) AS p_part, idx AS p_idx, method AS p_method, \
         payment_method_id AS p_payment_method_id, amount_minor AS p_amount_minor, charge_id AS p_charge_id, \
         released_minor AS p_released_minor, NULL AS p_benefit_id FROM tenders WHERE order_id IN ({ids}) \
         UNION ALL \
         SELECT order_id, CAST(1 AS BIGINT), 0, NULL, NULL, 0, NULL, 0, benefit_id \
         FROM order_benefits WHERE order_id IN ({ids})"
    )
}

/// Adds the part a row of [`parts_of`] holds (if any) to its order.
fn push_part(o: &mut OrderRecord, row: &AnyRow) -> StoreResult<()> {
    match row.opt_int("p_part")? {
        None => {}
        Some(0) => o.tenders.push(tender(o, row)?),
        Some(_) => o.benefit_ids.push(row.id("p_benefit_id")?),
    }
    Ok(())
}

/// The tender in a row's `p_`-prefixed columns, in `o`'s currency.
fn tender(o: &OrderRecord, row: &AnyRow) -> StoreResult<TenderRecord> {
    Ok(TenderRecord {
        method: by_name("method", &row.text("p_method")?, &PaymentMethodKind::ALL, PaymentMethodKind::as_str)?,
        payment_method_id: row.opt_id("p_payment_method_id")?,
        amount: Money::from_minor(o.currency(), row.int("p_amount_minor")?),
        charge_id: row.opt_id("p_charge_id")?,
        released: Money::from_minor(o.currency(), row.int("p_released_minor")?),
    })
}

#[async_trait]
impl InstancesTx for SqlTx {
    async fn insert_instance(&mut self, i: &InstanceRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO instances (id, account_id, region_id, commodity, workspace_id, quota_cu, capacity_milli, \
             used_milli, state, promotion_non_refundable, transferred, auto_renew, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(i.id.as_str())
        .bind(i.account_id.as_str())
        .bind(&i.region_id)
        .bind(i.commodity.code())
        .bind(i.workspace_id.as_deref())
        .bind(i.quota_cu.map(i64::from))
        .bind(i.capacity.map(CuHours::milli))
        .bind(i.used.milli())
        .bind(i.state.as_str())
        .bind(i64::from(i.promotion_non_refundable))
        .bind(i64::from(i.transferred))
        .bind(i64::from(i.auto_renew))
        .bind(micros(i.created_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn instance(&mut self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>> {
        let row = sqlx::query("SELECT * FROM instances WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(instance).transpose()
    }

    async fn instances_by_ids(&mut self, ids: &[&InstanceId]) -> StoreResult<Vec<InstanceRecord>> {
        let rows = self.rows_in("SELECT * FROM instances WHERE", "id", ids).await?;
        rows.iter().map(instance).collect()
    }

    async fn instances(&mut self, account_id: &AccountId) -> StoreResult<Vec<InstanceRecord>> {
        self.instance_rows("account_id = $1", account_id).await
    }

    async fn instances_in_state(&mut self, state: InstanceState) -> StoreResult<Vec<InstanceRecord>> {
        self.instance_rows("state = $1", state.as_str()).await
    }

    async fn set_instance_state(
        &mut self,
        id: &InstanceId,
        from: InstanceState,
        to: InstanceState,
    ) -> StoreResult<bool> {
        self.transition("UPDATE instances SET state = $1 WHERE id = $2 AND state = $3", id, from.as_str(), to.as_str())
            .await
    }

    async fn take_instance(
        &mut self,
        id: &InstanceId,
        from: InstanceState,
        to: InstanceState,
    ) -> StoreResult<Option<InstanceRecord>> {
        let row = sqlx::query("UPDATE instances SET state = $1 WHERE id = $2 AND state = $3 RETURNING *")
            .bind(to.as_str())
            .bind(id.as_str())
            .bind(from.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(instance).transpose()
    }

    async fn set_auto_renew(&mut self, id: &InstanceId, auto_renew: bool) -> StoreResult<()> {
        sqlx::query("UPDATE instances SET auto_renew = $1 WHERE id = $2")
            .bind(i64::from(auto_renew))
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_plan_used(&mut self, id: &InstanceId, used: CuHours) -> StoreResult<()> {
        sqlx::query("UPDATE instances SET used_milli = $1 WHERE id = $2")
            .bind(used.milli())
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn quota_of_workspace(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Option<InstanceRecord>> {
        let row = sqlx::query(
            "SELECT * FROM instances WHERE workspace_id = $1 AND commodity = 'spark_reserved' \
             AND state IN ('active', 'pending_payment') ORDER BY created_at DESC LIMIT 1",
        )
        .bind(workspace_id.as_str())
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        row.as_ref().map(instance).transpose()
    }

    async fn plans_in_region(&mut self, account_id: &AccountId, region_id: &str) -> StoreResult<Vec<InstanceRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM instances WHERE account_id = $1 AND region_id = $2 AND commodity = 'spark_resource_plan' \
             AND state = 'active' ORDER BY created_at, id",
        )
        .bind(account_id.as_str())
        .bind(region_id)
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(instance).collect()
    }

    async fn insert_order(&mut self, o: &OrderRecord) -> StoreResult<()> {
        let c = &o.charges;
        sqlx::query(
            "INSERT INTO orders (id, instance_id, account_id, kind, status, months, currency, list_price_minor, \
             discount_minor, coupon_minor, voucher_minor, created_at, paid_at, start_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(o.id.as_str())
        .bind(o.instance_id.as_str())
        .bind(o.account_id.as_str())
        .bind(o.kind.as_str())
        .bind(o.status.as_str())
        .bind(i64::from(o.months))
        .bind(o.currency().code())
        .bind(c.list_price.minor())
        .bind(c.discount.minor())
        .bind(c.coupon.minor())
        .bind(c.voucher.minor())
        .bind(micros(o.created_at))
        .bind(opt_micros(o.paid_at))
        .bind(opt_micros(o.start))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        for benefit_id in &o.benefit_ids {
            sqlx::query("INSERT INTO order_benefits (order_id, benefit_id) VALUES ($1, $2)")
                .bind(o.id.as_str())
                .bind(benefit_id.as_str())
                .execute(self.db().await?)
                .await
                .map_err(map_err)?;
        }
        self.insert_tender_rows(&o.id, &o.tenders).await
    }

    async fn order(&mut self, id: &OrderId) -> StoreResult<Option<OrderRecord>> {
        let mut found = self.order_rows("id", id).await?;
        Ok(found.pop())
    }

    async fn orders(&mut self, instance_id: &InstanceId) -> StoreResult<Vec<OrderRecord>> {
        self.order_rows("instance_id", instance_id).await
    }

    async fn orders_of_instances(&mut self, instance_ids: &[&InstanceId]) -> StoreResult<Vec<OrderRecord>> {
        let rows = self.rows_in("SELECT * FROM orders WHERE", "instance_id", instance_ids).await?;
        let mut orders = rows.iter().map(order).collect::<StoreResult<Vec<_>>>()?;
        orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        self.fill_orders(&mut orders).await?;
        Ok(orders)
    }

    async fn unpaid_orders_before(&mut self, cutoff: DateTime<Utc>) -> StoreResult<Vec<OrderRecord>> {
        let rows =
            sqlx::query("SELECT * FROM orders WHERE status = 'unpaid' AND created_at <= $1 ORDER BY created_at, id")
                .bind(micros(cutoff))
                .fetch_all(self.db().await?)
                .await
                .map_err(map_err)?;
        let mut orders = rows.iter().map(order).collect::<StoreResult<Vec<_>>>()?;
        self.fill_orders(&mut orders).await?;
        Ok(orders)
    }

    async fn mark_order_paid(&mut self, o: &OrderRecord) -> StoreResult<bool> {
        // The update also answers how many tenders the order already holds,
        // so the usual case (none: an order is placed without them) saves a
        // round trip while the audit chain's head is locked.
        let paid = sqlx::query(
            "UPDATE orders SET status = 'paid', paid_at = $1, start_at = $2, payment_failure = NULL \
             WHERE id = $3 AND status = 'unpaid' \
             RETURNING (SELECT COUNT(*) FROM tenders WHERE tenders.order_id = orders.id) AS stored_tenders",
        )
        .bind(opt_micros(o.paid_at))
        .bind(opt_micros(o.start))
        .bind(o.id.as_str())
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        let Some(paid) = paid else {
            return Ok(false);
        };
        if paid.int("stored_tenders")? > 0 {
            sqlx::query("DELETE FROM tenders WHERE order_id = $1")
                .bind(o.id.as_str())
                .execute(self.db().await?)
                .await
                .map_err(map_err)?;
        }
        self.insert_tender_rows(&o.id, &o.tenders).await?;
        Ok(true)
    }

    async fn set_order_payment_failure(&mut self, id: &OrderId, failure: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE orders SET payment_failure = $1 WHERE id = $2 AND status = 'unpaid'")
            .bind(failure)
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_order_status(&mut self, id: &OrderId, from: OrderStatus, to: OrderStatus) -> StoreResult<bool> {
        self.transition("UPDATE orders SET status = $1 WHERE id = $2 AND status = $3", id, from.as_str(), to.as_str())
            .await
    }

    async fn release_order_cash(&mut self, order: &OrderRecord) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE orders SET released_cash_minor = $1 WHERE id = $2 AND status = 'paid'")
            .bind(order.released_cash.minor())
            .bind(order.id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        if updated.rows_affected() != 1 {
            return Ok(false);
        }
        for (idx, t) in order.tenders.iter().enumerate() {
            sqlx::query("UPDATE tenders SET released_minor = $1 WHERE order_id = $2 AND idx = $3")
                .bind(t.released.minor())
                .bind(order.id.as_str())
                .bind(idx as i64)
                .execute(self.db().await?)
                .await
                .map_err(map_err)?;
        }
        Ok(true)
    }

    async fn set_quota_cu(&mut self, id: &InstanceId, quota_cu: u32) -> StoreResult<()> {
        sqlx::query("UPDATE instances SET quota_cu = $1 WHERE id = $2")
            .bind(i64::from(quota_cu))
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_quota_change(&mut self, c: &QuotaChange) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO quota_changes (instance_id, unsubscription_id, effective_from, quota_cu_before, \
             quota_cu_after) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(c.instance_id.as_str())
        .bind(c.unsubscription_id.as_str())
        .bind(micros(c.effective_from))
        .bind(i64::from(c.quota_cu_before))
        .bind(i64::from(c.quota_cu_after))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn quota_changes(&mut self, instance_ids: &[&InstanceId]) -> StoreResult<Vec<QuotaChange>> {
        let rows = self.rows_in("SELECT * FROM quota_changes WHERE", "instance_id", instance_ids).await?;
        let cu = |row: &AnyRow, name: &str| -> StoreResult<u32> {
            let v = row.int(name)?;
            u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("quota_changes.{name} {v}")))
        };
        let mut changes = rows
            .iter()
            .map(|row| {
                Ok(QuotaChange {
                    instance_id: row.id("instance_id")?,
                    unsubscription_id: row.id("unsubscription_id")?,
                    effective_from: row.instant("effective_from")?,
                    quota_cu_before: cu(row, "quota_cu_before")?,
                    quota_cu_after: cu(row, "quota_cu_after")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        changes.sort_by(|a, b| (a.effective_from, &a.unsubscription_id).cmp(&(b.effective_from, &b.unsubscription_id)));
        Ok(changes)
    }

    async fn reserved_cu_in_region(&mut self, region_id: &str) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(quota_cu), 0) AS BIGINT) AS n FROM instances \
             WHERE region_id = $1 AND commodity = 'spark_reserved' AND state = 'active'",
        )
        .bind(region_id)
        .fetch_one(self.db().await?)
        .await
        .map_err(map_err)?;
        row.int("n")
    }

    async fn lock_region(&mut self, region_id: &str) -> StoreResult<()> {
        let sql = match self.backend {
            crate::Backend::Postgres => "SELECT id FROM regions WHERE id = $1 FOR NO KEY UPDATE",
            crate::Backend::Sqlite => "UPDATE regions SET id = id WHERE id = $1",
        };
        sqlx::query(sql).bind(region_id).execute(self.db().await?).await.map_err(map_err)?;
        Ok(())
    }
}
