//! What every console handler can reach: the use cases and the console
//! secret, kept in the database's settings so every replica signs alike.

use std::sync::Arc;

use billing_app::{AppError, AppResult, Billing};
use tokio::sync::RwLock;

use crate::session::Secret;

/// Setting holding the console secret (hex).
pub const SECRET_SETTING: &str = "console_secret";

/// The console's shared state.
#[derive(Clone)]
pub struct ConsoleState {
    /// The use cases.
    pub billing: Billing,
    secret: Arc<RwLock<Option<Secret>>>,
}

impl ConsoleState {
    /// State over `billing`; the secret is read (or made) on first use.
    pub fn new(billing: Billing) -> ConsoleState {
        ConsoleState { billing, secret: Arc::new(RwLock::new(None)) }
    }

    /// The console secret, made once and stored when the database has none.
    pub async fn secret(&self) -> AppResult<Secret> {
        if let Some(secret) = self.secret.read().await.clone() {
            return Ok(secret);
        }
        let secret = self.load_or_create().await?;
        *self.secret.write().await = Some(secret.clone());
        Ok(secret)
    }

    /// Reads the secret again from the database and returns it when it
    /// differs from the one held: two replicas starting at once may both
    /// have written one, and the database keeps the last.
    pub async fn refreshed_secret(&self) -> AppResult<Option<Secret>> {
        let stored = self.stored().await?;
        let mut held = self.secret.write().await;
        if stored.is_some() && *held != stored {
            *held = stored.clone();
            return Ok(stored);
        }
        Ok(None)
    }

    async fn stored(&self) -> AppResult<Option<Secret>> {
        let mut tx = self.billing.store().read().await?;
        Ok(tx.setting(SECRET_SETTING).await?.as_deref().and_then(Secret::from_hex))
    }

    async fn load_or_create(&self) -> AppResult<Secret> {
        let mut tx = self.billing.store().begin().await?;
        if let Some(secret) = tx.setting(SECRET_SETTING).await?.as_deref().and_then(Secret::from_hex) {
            return Ok(secret);
        }
        tx.set_setting(SECRET_SETTING, &Secret::generate_hex()).await?;
        tx.commit().await?;
        // Read back what the database kept, in case another replica wrote
        // its own at the same moment.
        self.stored().await?.ok_or_else(|| AppError::internal("the console secret was not stored"))
    }
}
