//! Accounts, payment methods, vouchers and coupons.

use async_trait::async_trait;
use billing_app::model::{Account, Benefit, BenefitKind, BenefitStatus, PaymentMethod};
use billing_app::store::{AccountInRegion, AccountsTx, StoreError, StoreResult};
use billing_domain::ids::{AccountId, BenefitId, InstanceId, OrderId, PaymentMethodId};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use sqlx::any::AnyRow;

use crate::catalog::{region_columns, small};
use crate::error::map_err;
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;

/// An account with a region's columns (prefixed `region_`) and the newest
/// policy version; the statement goes on with the region's join.
const ACCOUNT_IN_REGION: &str = "SELECT a.*, r.id AS region_id, r.zone AS region_zone, \
     r.currency AS region_currency, r.cu_month_price_minor AS region_cu_month_price_minor, \
     r.cu_hour_price_micros AS region_cu_hour_price_micros, r.min_quota_cu AS region_min_quota_cu, \
     r.min_months AS region_min_months, r.max_months AS region_max_months, \
     r.reserved_cu_capacity AS region_reserved_cu_capacity, \
     CAST((SELECT COALESCE(MAX(version), 0) FROM policy_versions) AS BIGINT) AS newest_policy_version \
     FROM accounts a";

fn account_in_region(row: &AnyRow) -> StoreResult<AccountInRegion> {
    let region = match row.opt_text("region_id")? {
        Some(_) => Some(region_columns(row, "region_")?),
        None => None,
    };
    Ok(AccountInRegion { account: account(row)?, region, newest_policy_version: small(row, "newest_policy_version")? })
}

pub(crate) fn account(row: &AnyRow) -> StoreResult<Account> {
    let currency = row.currency("currency")?;
    Ok(Account {
        id: row.id("id")?,
        name: row.text("name")?,
        currency,
        balance: row.money(currency, "balance_minor")?,
        created_at: row.instant("created_at")?,
        locale: row.opt_text("locale")?,
    })
}

fn payment_method(row: &AnyRow) -> StoreResult<PaymentMethod> {
    Ok(PaymentMethod {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        kind: by_name("kind", &row.text("kind")?, &PaymentMethodKind::ALL, PaymentMethodKind::as_str)?,
        label: row.text("label")?,
        valid: row.flag("valid")?,
    })
}

fn benefit(row: &AnyRow) -> StoreResult<Benefit> {
    let currency = row.currency("currency")?;
    Ok(Benefit {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        kind: by_name("kind", &row.text("kind")?, &BenefitKind::ALL, BenefitKind::as_str)?,
        amount: row.money(currency, "amount_minor")?,
        expires_at: row.instant("expires_at")?,
        status: by_name("status", &row.text("status")?, &BenefitStatus::ALL, BenefitStatus::as_str)?,
        order_id: row.opt_id("order_id")?,
    })
}

#[async_trait]
impl AccountsTx for SqlTx {
    async fn insert_account(&mut self, a: &Account) -> StoreResult<()> {
        sqlx::query("INSERT INTO accounts (id, name, currency, balance_minor, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.id.as_str())
            .bind(&a.name)
            .bind(a.currency.code())
            .bind(a.balance.minor())
            .bind(micros(a.created_at))
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn account(&mut self, id: &AccountId) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(account).transpose()
    }

    async fn set_account_locale(&mut self, id: &AccountId, locale: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET locale = $1 WHERE id = $2")
            .bind(locale)
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn account_in_region(
        &mut self,
        account_id: &AccountId,
        region_id: &str,
    ) -> StoreResult<Option<AccountInRegion>> {
        let sql = format!("{ACCOUNT_IN_REGION} LEFT JOIN regions r ON r.id = $2 WHERE a.id = $1");
        let row = sqlx::query(&sql)
            .bind(account_id.as_str())
            .bind(region_id)
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(account_in_region).transpose()
    }

    async fn accounts(&mut self) -> StoreResult<Vec<Account>> {
        let rows =
            sqlx::query("SELECT * FROM accounts ORDER BY name").fetch_all(self.db().await?).await.map_err(map_err)?;
        rows.iter().map(account).collect()
    }

    async fn lock_account(&mut self, id: &AccountId) -> StoreResult<Option<Account>> {
        let sql = match self.backend {
            crate::Backend::Postgres => "SELECT * FROM accounts WHERE id = $1 FOR UPDATE",
            // The transaction already holds the database's write lock.
            crate::Backend::Sqlite => "SELECT * FROM accounts WHERE id = $1",
        };
        let row = sqlx::query(sql).bind(id.as_str()).fetch_optional(self.db().await?).await.map_err(map_err)?;
        row.as_ref().map(account).transpose()
    }

    async fn lock_account_in_region_of(
        &mut self,
        id: &AccountId,
        instance_id: &InstanceId,
    ) -> StoreResult<Option<AccountInRegion>> {
        let lock = match self.backend {
            crate::Backend::Postgres => " FOR UPDATE OF a",
            // The transaction already holds the database's write lock.
            crate::Backend::Sqlite => "",
        };
        let sql = format!(
            "{ACCOUNT_IN_REGION} LEFT JOIN regions r ON r.id = (SELECT region_id FROM instances WHERE id = $2) \
             WHERE a.id = $1{lock}"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(instance_id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(account_in_region).transpose()
    }

    async fn add_to_balance(&mut self, account_id: &AccountId, delta: Money) -> StoreResult<Money> {
        let row = sqlx::query(
            "UPDATE accounts SET balance_minor = balance_minor + $1 WHERE id = $2 AND currency = $3 \
             RETURNING balance_minor",
        )
        .bind(delta.minor())
        .bind(account_id.as_str())
        .bind(delta.currency().code())
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::Database(format!("no account {account_id} in {}", delta.currency())))?;
        row.money(delta.currency(), "balance_minor")
    }

    async fn credit_balance(&mut self, account_id: &AccountId, amount: Money) -> StoreResult<()> {
        if self.holds() {
            return self.hold_credit(account_id, amount);
        }
        self.add_to_balance(account_id, amount).await.map(drop)
    }

    async fn insert_payment_method(&mut self, m: &PaymentMethod) -> StoreResult<()> {
        sqlx::query("INSERT INTO payment_methods (id, account_id, kind, label, valid) VALUES ($1, $2, $3, $4, $5)")
            .bind(m.id.as_str())
            .bind(m.account_id.as_str())
            .bind(m.kind.as_str())
            .bind(&m.label)
            .bind(i64::from(m.valid))
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn payment_method(&mut self, id: &PaymentMethodId) -> StoreResult<Option<PaymentMethod>> {
        let row = sqlx::query("SELECT * FROM payment_methods WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(payment_method).transpose()
    }

    async fn payment_methods(&mut self, account_id: &AccountId) -> StoreResult<Vec<PaymentMethod>> {
        let rows = sqlx::query("SELECT * FROM payment_methods WHERE account_id = $1 ORDER BY id")
            .bind(account_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(payment_method).collect()
    }

    async fn set_payment_method_valid(&mut self, id: &PaymentMethodId, valid: bool) -> StoreResult<()> {
        sqlx::query("UPDATE payment_methods SET valid = $1 WHERE id = $2")
            .bind(i64::from(valid))
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_benefit(&mut self, b: &Benefit) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO benefits (id, account_id, kind, currency, amount_minor, expires_at, status, order_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(b.id.as_str())
        .bind(b.account_id.as_str())
        .bind(b.kind.as_str())
        .bind(b.amount.currency().code())
        .bind(b.amount.minor())
        .bind(micros(b.expires_at))
        .bind(b.status.as_str())
        .bind(b.order_id.as_deref())
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn benefit(&mut self, id: &BenefitId) -> StoreResult<Option<Benefit>> {
        let row = sqlx::query("SELECT * FROM benefits WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(benefit).transpose()
    }

    async fn benefits(&mut self, account_id: &AccountId) -> StoreResult<Vec<Benefit>> {
        let rows = sqlx::query("SELECT * FROM benefits WHERE account_id = $1 ORDER BY id")
            .bind(account_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(benefit).collect()
    }

    async fn set_benefit_status(
        &mut self,
        id: &BenefitId,
        from: BenefitStatus,
        to: BenefitStatus,
        order_id: Option<&OrderId>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE benefits SET status = $1, \
             order_id = CASE WHEN $1 = 'active' THEN NULL ELSE COALESCE($2, order_id) END \
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(order_id.map(OrderId::as_str))
        .bind(id.as_str())
        .bind(from.as_str())
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
