//! Console sessions kept on the server. Signing in with an API key starts
//! one; the cookie names it; every request looks it up, so signing out (or
//! revoking the key) ends it for every copy of the cookie at once.
//!
//! Sessions run on the time passed in, not the billing clock: they expire in
//! real time even when the billing clock is simulated.

use chrono::{DateTime, Duration, Utc};

use crate::accounts::Accounts;
use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::keys::hash_key;
use crate::model::ConsoleSession;

/// A new session id: `ses_` and 64 hex characters of randomness.
fn new_session_id() -> String {
    format!("ses_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Whether `id` has the form of a session id (checked before any lookup).
pub fn is_session_id(id: &str) -> bool {
    id.strip_prefix("ses_").is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Accounts {
    /// Signs in with `secret`: the caller it stands for and a new session
    /// lasting `ttl` from `now`, or `None` for an unknown or revoked key.
    pub async fn start_session(
        &self,
        secret: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> AppResult<Option<(Caller, ConsoleSession)>> {
        let Some(caller) = self.authenticate(secret).await? else { return Ok(None) };
        let session = ConsoleSession {
            id: new_session_id(),
            key_hash: hash_key(secret),
            created_at: now,
            expires_at: now.checked_add_signed(ttl).ok_or_else(|| AppError::invalid("ttl", "too long"))?,
            ended_at: None,
        };
        let mut tx = self.core.begin().await?;
        tx.insert_console_session(&session).await?;
        tx.commit().await?;
        Ok(Some((caller, session)))
    }

    /// Who session `id` signs in at `now`: `None` once it has ended, expired,
    /// or its key has been revoked.
    pub async fn session_caller(&self, id: &str, now: DateTime<Utc>) -> AppResult<Option<Caller>> {
        if !is_session_id(id) {
            return Ok(None);
        }
        let mut tx = self.core.read().await?;
        let Some(session) = tx.console_session(id).await? else { return Ok(None) };
        if session.ended_at.is_some() || now >= session.expires_at {
            return Ok(None);
        }
        let key = tx.api_key_by_hash(&session.key_hash).await?;
        Ok(key.filter(|k| k.revoked_at.is_none()).map(|k| match k.account_id {
            Some(account) => Caller::Customer(account),
            None => Caller::Operator,
        }))
    }

    /// Ends session `id` at `now`, for every copy of its cookie.
    pub async fn end_session(&self, id: &str, now: DateTime<Utc>) -> AppResult<()> {
        if !is_session_id(id) {
            return Ok(());
        }
        let mut tx = self.core.begin().await?;
        tx.end_console_session(id, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
