//! API keys: random secrets shown once, stored as SHA-256 hashes, each acting
//! for one account or for the operators. A key can be revoked, or rolled
//! (revoked and replaced by a new secret with the same account and label).
//!
//! Keys found in the store are remembered for at most [`KEY_CACHE_TTL`]
//! from the moment the store was asked, so a key revoked by another process
//! stops working here within that time; one revoked by this process is
//! forgotten at once.

use billing_domain::ids::{AccountId, ApiKeyId};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::accounts::Accounts;
use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::model::ApiKey;

/// Most keys one listing returns.
pub const MAX_KEYS_LISTED: i64 = 1000;

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

fn new_key(account_id: Option<&AccountId>, label: &str, now: chrono::DateTime<chrono::Utc>) -> (ApiKey, String) {
    let secret = new_secret();
    let key = ApiKey {
        id: crate::ids::mint(),
        account_id: account_id.cloned(),
        key_hash: hash_key(&secret),
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    (key, secret)
}

impl Accounts {
    /// Makes an API key for `account_id` (or an operator key with `None`)
    /// and returns it with its secret, which is never shown again.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        account_id: Option<&AccountId>,
        label: &str,
    ) -> AppResult<(ApiKey, String)> {
        caller.require_operator()?;
        crate::accounts::check_name("label", label)?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        if let Some(id) = account_id {
            tx.account(id).await?.ok_or_else(|| AppError::not_found("account", id))?;
        }
        let (key, secret) = new_key(account_id, label, now);
        tx.insert_api_key(&key).await?;
        let detail = json!({"account_id": account_id, "label": label});
        audit(&mut *tx, caller, "api_key.created", &key.id, detail, now).await?;
        tx.commit().await?;
        Ok((key, secret))
    }

    /// The keys `caller` may see: every key for operators (or those of
    /// `account_id`), a customer's own. At most [`MAX_KEYS_LISTED`], by id.
    pub async fn api_keys(&self, caller: &Caller, account_id: Option<&AccountId>) -> AppResult<Vec<ApiKey>> {
        let account = match caller {
            Caller::Customer(own) => match account_id {
                Some(id) if id != own => return Err(AppError::not_found("account", id)),
                _ => Some(own),
            },
            Caller::Operator | Caller::System => account_id,
        };
        Ok(self.core.read().await?.api_keys(account, MAX_KEYS_LISTED).await?)
    }

    /// Revokes a key: from now on it signs no one in, here at once and in
    /// other processes within [`KEY_CACHE_TTL`]. Operators may revoke any
    /// key, customers their own; revoking a revoked key changes nothing.
    pub async fn revoke_api_key(&self, caller: &Caller, id: &ApiKeyId) -> AppResult<ApiKey> {
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let mut key = owned_key(caller, id, tx.api_key(id).await?)?;
        if tx.revoke_api_key(id, now).await? {
            key.revoked_at = Some(now);
            audit(&mut *tx, caller, "api_key.revoked", id, json!({"account_id": key.account_id}), now).await?;
            tx.commit().await?;
        }
        self.known_keys.forget(&key.key_hash);
        Ok(key)
    }

    /// Rolls a key: revokes it and makes a new one for the same account with
    /// the same label, returned with its secret (shown this once). A revoked
    /// key cannot be rolled.
    pub async fn roll_api_key(&self, caller: &Caller, id: &ApiKeyId) -> AppResult<(ApiKey, String)> {
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let old = owned_key(caller, id, tx.api_key(id).await?)?;
        if old.revoked_at.is_some() || !tx.revoke_api_key(id, now).await? {
            return Err(AppError::state(format!("the key {id} is revoked: make a new one instead")));
        }
        let (key, secret) = new_key(old.account_id.as_ref(), &old.label, now);
        tx.insert_api_key(&key).await?;
        let detail = json!({"account_id": old.account_id, "replaced_by": key.id});
        audit(&mut *tx, caller, "api_key.rolled", id, detail, now).await?;
        tx.commit().await?;
        self.known_keys.forget(&old.key_hash);
        Ok((key, secret))
    }

    /// The caller a secret stands for when it was found in the store
    /// recently, without asking the store: `None` says only that the store
    /// must be asked ([`crate::accounts::Accounts::authenticate`]). Lets a front end limit
    /// lookups (unknown keys among them) before they reach the database.
    pub fn authenticate_from_memory(&self, secret: &str) -> Option<Caller> {
        if !secret.starts_with("sbk_") || secret.len() > 200 {
            return None;
        }
        self.known_keys.get(&hash_key(secret), self.core.clock.instant())
    }

    /// The caller a secret stands for, or `None` for an unknown or revoked key.
    pub async fn authenticate(&self, secret: &str) -> AppResult<Option<Caller>> {
        if !secret.starts_with("sbk_") || secret.len() > 200 {
            return Ok(None);
        }
        let hash = hash_key(secret);
        if let Some(caller) = self.known_keys.get(&hash, self.core.clock.instant()) {
            return Ok(Some(caller));
        }
        let asked = self.known_keys.ask(self.core.clock.instant());
        let key = self.core.read().await?.api_key_by_hash(&hash).await?;
        let caller = key.filter(|k| k.revoked_at.is_none()).map(|k| match k.account_id {
            Some(id) => Caller::Customer(id),
            None => Caller::Operator,
        });
        if let Some(caller) = &caller {
            self.known_keys.put(hash, caller.clone(), asked);
        }
        Ok(caller)
    }
}

/// The key `id` when `caller` may act on it; another account's key is
/// `NOT_FOUND`, exactly like a missing one.
fn owned_key(caller: &Caller, id: &ApiKeyId, key: Option<ApiKey>) -> AppResult<ApiKey> {
    match key {
        Some(k) if k.account_id.as_deref().is_some_and(|a| caller.may_see(a)) => Ok(k),
        Some(k) if k.account_id.is_none() && caller.require_operator().is_ok() => Ok(k),
        _ => Err(AppError::not_found("api_key", id)),
    }
}

/// How long a key found in the store is trusted without asking it again,
/// counted from the moment the store was asked: a revocation committed
/// after that moment is seen within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_millis(500);

/// Most keys remembered; past this the memory starts afresh.
const KEY_CACHE_CAPACITY: usize = 10_000;

/// Keys recently found in the store, by hash, so that a busy client costs
/// one lookup per [`KEY_CACHE_TTL`] rather than one per request. Unknown keys
/// are never remembered, so random guesses cannot fill it.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    state: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    keys: HashMap<String, (Caller, Instant)>,
    /// Counts revocations made here, so that a lookup that began before one
    /// does not put back what it read.
    revocations: u64,
}

/// When a lookup began, and how many revocations this process had made by
/// then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Asked {
    at: Instant,
    revocations: u64,
}

impl KnownKeys {
    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller of a key found in the store less than [`KEY_CACHE_TTL`]
    /// before `now`.
    fn get(&self, hash: &str, now: Instant) -> Option<Caller> {
        let known = self.lock();
        known
            .keys
            .get(hash)
            .filter(|(_, at)| now.saturating_duration_since(*at) < KEY_CACHE_TTL)
            .map(|(caller, _)| caller.clone())
    }

    /// Notes that the store is about to be asked, at `now`.
    fn ask(&self, now: Instant) -> Asked {
        Asked { at: now, revocations: self.lock().revocations }
    }

    fn put(&self, hash: String, caller: Caller, asked: Asked) {
        let mut known = self.lock();
        if known.revocations != asked.revocations {
            return;
        }
        if known.keys.len() >= KEY_CACHE_CAPACITY {
            known.keys.clear();
        }
        known.keys.insert(hash, (caller, asked.at));
    }

    fn forget(&self, hash: &str) {
        let mut known = self.lock();
        known.revocations = known.revocations.wrapping_add(1);
        known.keys.remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_revoked_elsewhere_is_trusted_for_at_most_a_second() {
        assert!(KEY_CACHE_TTL <= Duration::from_secs(1));
    }

    #[test]
    fn a_lookup_that_began_before_a_revocation_does_not_put_the_key_back() {
        let known = KnownKeys::default();
        let now = Instant::now();
        let asked = known.ask(now);
        known.forget("h");
        known.put("h".to_owned(), Caller::Operator, asked);
        assert_eq!(known.get("h", now), None);
        known.put("h".to_owned(), Caller::Operator, known.ask(now));
        assert_eq!(known.get("h", now), Some(Caller::Operator));
    }

    #[test]
    fn a_key_found_in_the_store_is_asked_again_once_its_trust_lapses() {
        let known = KnownKeys::default();
        let asked_at = Instant::now();
        known.put("h".to_owned(), Caller::Customer(AccountId::trusted("acc_a")), known.ask(asked_at));
        let just_before = asked_at + KEY_CACHE_TTL - Duration::from_millis(1);
        assert_eq!(known.get("h", just_before), Some(Caller::Customer(AccountId::trusted("acc_a"))));
        assert_eq!(known.get("h", asked_at + KEY_CACHE_TTL), None);
    }
}
