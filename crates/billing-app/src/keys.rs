//! API keys: random secrets shown once, stored as SHA-256 hashes, each acting
//! for one account or for the operators.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
/// version-4 UUIDs (a thread-local cryptographically secure generator seeded
/// by the operating system).
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

    /// The caller a secret stands for when it was found in the store
    /// recently, without asking the store: `None` says only that the store
    /// must be asked ([`Billing::authenticate`]). Lets a front end limit
    /// lookups (unknown keys among them) before they reach the database.
    pub fn authenticate_from_memory(&self, secret: &str) -> Option<Caller> {
        if !secret.starts_with("sbk_") || secret.len() > 200 {
            return None;
        }
        self.known_keys.get(&hash_key(secret))
    }

    /// The caller a secret stands for, or `None` for an unknown or revoked key.
    pub async fn authenticate(&self, secret: &str) -> AppResult<Option<Caller>> {
        if !secret.starts_with("sbk_") || secret.len() > 200 {
            return Ok(None);
        }
        let hash = hash_key(secret);
        if let Some(caller) = self.known_keys.get(&hash) {
            return Ok(Some(caller));
        }
        let key = self.read().await?.api_key_by_hash(&hash).await?;
        let caller = key.filter(|k| k.revoked_at.is_none()).map(|k| match k.account_id {
            Some(id) => Caller::Customer(id),
            None => Caller::Operator,
        });
        if let Some(caller) = &caller {
            self.known_keys.put(hash, caller.clone());
        }
        Ok(caller)
    }
}

/// How long a key found in the store is trusted without asking it again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// Most keys remembered; past this the memory starts afresh.
const KEY_CACHE_CAPACITY: usize = 10_000;

/// Keys recently found in the store, by hash, so that a busy client costs
/// one lookup per [`KEY_CACHE_TTL`] rather than one per request. Unknown keys
/// are never remembered, so random guesses cannot fill it.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    keys: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl KnownKeys {
    fn get(&self, hash: &str) -> Option<Caller> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.get(hash).filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL).map(|(caller, _)| caller.clone())
    }

    fn put(&self, hash: String, caller: Caller) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= KEY_CACHE_CAPACITY {
            keys.clear();
        }
        keys.insert(hash, (caller, Instant::now()));
    }
}
