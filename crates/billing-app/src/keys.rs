//! API keys: random secrets shown once, stored as SHA-256 hashes, each acting
//! for one account or for the operators.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::model::ApiKey;
use crate::service::{Billing, Caller, audit};

/// The hash under which a key is stored.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new secret: `sbk_` and 64 hex characters of randomness from two
/// version-4 UUIDs (the operating system's random source).
fn new_secret() -> String {
    format!("sbk_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

impl Billing {
    /// Makes an API key for `account_id` (or an operator key with `None`)
    /// and returns it with its secret, which is never shown again.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        account_id: Option<&str>,
        label: &str,
    ) -> AppResult<(ApiKey, String)> {
        caller.require_operator()?;
        crate::accounts::check_name("label", label)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        if let Some(id) = account_id {
            tx.account(id).await?.ok_or_else(|| AppError::not_found("account", id))?;
        }
        let secret = new_secret();
        let key = ApiKey {
            id: crate::ids::new_id("key"),
            account_id: account_id.map(str::to_owned),
            key_hash: hash_key(&secret),
            label: label.to_owned(),
            created_at: now,
            revoked_at: None,
        };
        tx.insert_api_key(&key).await?;
        let detail = json!({"account_id": account_id, "label": label});
        audit(&mut *tx, caller, "api_key.created", &key.id, detail, now).await?;
        tx.commit().await?;
        Ok((key, secret))
    }

    /// The caller a secret stands for, or `None` for an unknown or revoked key.
    pub async fn authenticate(&self, secret: &str) -> AppResult<Option<Caller>> {
        if !secret.starts_with("sbk_") || secret.len() > 200 {
            return Ok(None);
        }
        let key = self.read().await?.api_key_by_hash(&hash_key(secret)).await?;
        Ok(key.filter(|k| k.revoked_at.is_none()).map(|k| match k.account_id {
            Some(id) => Caller::Customer(id),
            None => Caller::Operator,
        }))
    }
}
