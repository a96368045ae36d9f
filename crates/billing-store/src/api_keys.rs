//! API keys (hashes only) and small named settings.

use async_trait::async_trait;
use billing_app::model::ApiKey;
use billing_app::store::{AccessTx, StoreError, StoreResult};
use billing_domain::ids::{AccountId, ApiKeyId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros, opt_micros};
use crate::tx::SqlTx;

fn api_key(row: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: row.id("id")?,
        account_id: row.opt_id("account_id")?,
        key_hash: row.text("key_hash")?,
        label: row.text("label")?,
        created_at: row.instant("created_at")?,
        revoked_at: row.opt_instant("revoked_at")?,
    })
}

impl SqlTx {
    pub(crate) async fn setting_row(&mut self, name: &str) -> StoreResult<Option<String>> {
        // Held writes never touch settings: this read may run before them.
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        row.map(|r| r.text("value")).transpose()
    }
}

#[async_trait]
impl AccessTx for SqlTx {
    async fn insert_api_key(&mut self, k: &ApiKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, account_id, key_hash, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(k.id.as_str())
        .bind(k.account_id.as_deref())
        .bind(&k.key_hash)
        .bind(&k.label)
        .bind(micros(k.created_at))
        .bind(opt_micros(k.revoked_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn api_key_by_hash(&mut self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(api_key).transpose()
    }

    async fn api_key(&mut self, id: &ApiKeyId) -> StoreResult<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(api_key).transpose()
    }

    async fn api_keys(&mut self, account_id: Option<&AccountId>, limit: i64) -> StoreResult<Vec<ApiKey>> {
        let rows = match account_id {
            Some(account) => sqlx::query("SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id LIMIT $2")
                .bind(account.to_string())
                .bind(limit),
            None => sqlx::query("SELECT * FROM api_keys ORDER BY id LIMIT $1").bind(limit),
        }
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(api_key).collect()
    }

    async fn revoke_api_key(&mut self, id: &ApiKeyId, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(micros(at))
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        self.setting_row(name).await
    }

    async fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn setting_or_insert(&mut self, name: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        self.setting_row(name).await?.ok_or_else(|| StoreError::Database(format!("setting {name} vanished")))
    }
}
