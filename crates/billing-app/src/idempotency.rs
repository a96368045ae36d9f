//! Idempotency keys, one mechanism for every use case that moves money.
//!
//! A key belongs to the caller who sent it. The use case claims it in its
//! own transaction together with a fingerprint of what was asked
//! ([`fingerprint`], the only one) and keeps, as the key's result, the id of
//! what it made (an order, an unsubscription, a workspace, a charge). A
//! repeat with the same request finds that id and answers the thing as it
//! stands now; the same key with another request is refused
//! (`IDEMPOTENCY_KEY_REUSED`). Front ends pass the key and nothing else:
//! they neither hash requests nor store answers.

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

use crate::core::{Caller, Core};
use crate::error::{AppError, AppResult};
use crate::store::StoreTx;
use crate::unsubscription::records::IdempotencyClaim;

/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Work run inside the use case's transaction.
pub(crate) type TxFuture<'t, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 't>>;

/// Checks an idempotency key: 1 to 255 printable characters.
pub fn check_idempotency_key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || key.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable characters"),
        ));
    }
    Ok(())
}

/// The fingerprint of a request: SHA-256 over its use case's name and its
/// parts, each prefixed by its length so that no two different lists of
/// parts run together into the same bytes.
pub fn fingerprint(use_case: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in std::iter::once(&use_case).chain(parts) {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// What a use case run with a key answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Once<T> {
    /// The result: of this run, or of the first run as it stands now.
    pub value: T,
    /// True when this repeats an earlier request.
    pub replayed: bool,
}

/// The outcome of [`Core::once`].
pub(crate) enum Run<T> {
    /// The work ran now and committed.
    First(T),
    /// The key was used before for the same request: the id kept then.
    Repeat(String),
}

impl Core {
    /// Claims `key` (checked by the caller before opening `tx`) for
    /// `caller` in `tx`, keeping `result` with it when it is known before
    /// the work. `None`: the key is new and now held by `tx`; `Some(id)`: a
    /// repeat of the same request, with its kept id.
    pub(crate) async fn claim_key(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        key: &str,
        fingerprint: &str,
        result: Option<&str>,
    ) -> AppResult<Option<String>> {
        match tx.claim_idempotency(&caller.actor(), key, fingerprint, result, self.now()).await? {
            IdempotencyClaim::Claimed => Ok(None),
            IdempotencyClaim::Used { request_hash, response } if request_hash == fingerprint => Ok(Some(response)),
            IdempotencyClaim::Used { .. } => Err(AppError::IdempotencyKeyReused { key: key.to_owned() }),
        }
    }

    /// Runs `op` once per key in one transaction with the key: its effects
    /// and the id `keep` picks from its result commit together.
    pub(crate) async fn once<T, F>(
        &self,
        caller: &Caller,
        key: &str,
        fingerprint: &str,
        keep: fn(&T) -> String,
        op: F,
    ) -> AppResult<Run<T>>
    where
        F: for<'t> FnOnce(&'t mut (dyn StoreTx + 't)) -> TxFuture<'t, T> + Send,
    {
        check_idempotency_key(key)?;
        let mut tx = self.begin().await?;
        if let Some(kept) = self.claim_key(&mut *tx, caller, key, fingerprint, None).await? {
            return Ok(Run::Repeat(kept));
        }
        let value = op(&mut *tx).await?;
        tx.complete_idempotency(&caller.actor(), key, &keep(&value)).await?;
        tx.commit().await?;
        Ok(Run::First(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_tells_apart_parts_that_concatenate_alike() {
        assert_eq!(fingerprint("renew", &["ab", "c"]), fingerprint("renew", &["ab", "c"]));
        assert_ne!(fingerprint("renew", &["ab", "c"]), fingerprint("renew", &["a", "bc"]));
        assert_ne!(fingerprint("renew", &["a"]), fingerprint("pay", &["a"]));
        assert_eq!(fingerprint("x", &[]).len(), 64);
    }

    #[test]
    fn keys_are_one_to_255_printable_characters() {
        assert!(check_idempotency_key("k-1").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
        assert!(check_idempotency_key("a\nb").is_err());
    }
}
