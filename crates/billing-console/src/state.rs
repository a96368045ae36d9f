//! What every console handler can reach: the use cases, the keys that sign
//! cookies and forms, the clock sessions run on, and how cookies are sent.
//!
//! The keys are given from outside the database ([`ConsoleState::with_keys`],
//! with rotation: the first signs, retired ones verify until their time), or
//! else one secret is kept in the database's settings so every replica
//! signs alike.

use std::sync::Arc;

use billing_app::clock::{Clock, SystemClock};
use billing_app::keyring::Keyring;
use billing_app::{AppError, AppResult, Billing};
use tokio::sync::RwLock;

use crate::session::Secret;

/// Setting holding the console secret (hex) when no keys are given.
pub const SECRET_SETTING: &str = "console_secret";

/// The console's shared state.
#[derive(Clone)]
pub struct ConsoleState {
    /// The use cases.
    pub billing: Billing,
    secret: Arc<RwLock<Option<Secret>>>,
    given: Option<Arc<Keyring>>,
    clock: Arc<dyn Clock>,
    secure_cookies: bool,
}

/// The keys in force: one signs; each of `verifying` is accepted.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The key new cookies and forms are signed with.
    pub signing: Secret,
    /// The keys a cookie or form may be signed with, the signing key first.
    pub verifying: Vec<Secret>,
}

impl Keys {
    fn one(secret: Secret) -> Keys {
        Keys { signing: secret.clone(), verifying: vec![secret] }
    }
}

impl ConsoleState {
    /// State over `billing`: the secret is read (or made) in the database on
    /// first use, sessions run on the system clock, cookies are not marked
    /// `Secure`.
    pub fn new(billing: Billing) -> ConsoleState {
        ConsoleState {
            billing,
            secret: Arc::new(RwLock::new(None)),
            given: None,
            clock: Arc::new(SystemClock),
            secure_cookies: false,
        }
    }

    /// Signs with `ring`'s first key and accepts its retired keys until
    /// their time, instead of the secret kept in the database.
    pub fn with_keys(mut self, ring: Keyring) -> ConsoleState {
        self.given = Some(Arc::new(ring));
        self
    }

    /// Runs sessions on `clock` (the system clock unless told otherwise:
    /// sessions expire in real time even when the billing clock is
    /// simulated).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> ConsoleState {
        self.clock = clock;
        self
    }

    /// Marks every cookie `Secure`, so browsers send it over HTTPS only.
    pub fn with_secure_cookies(mut self, secure: bool) -> ConsoleState {
        self.secure_cookies = secure;
        self
    }

    /// Whether cookies are marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// The instant sessions are measured against.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Seconds since the Unix epoch on the sessions' clock.
    pub fn unix_now(&self) -> i64 {
        self.now().timestamp()
    }

    /// The keys in force now.
    pub async fn keys(&self) -> AppResult<Keys> {
        if let Some(ring) = &self.given {
            return keys_of(ring, self.now());
        }
        Ok(Keys::one(self.secret().await?))
    }

    /// Reads the secret again from the database and returns the keys when
    /// it differs from the one held: two replicas starting at once may both
    /// have written one, and the database keeps the last. Given keys never
    /// change.
    pub async fn refreshed_keys(&self) -> AppResult<Option<Keys>> {
        if self.given.is_some() {
            return Ok(None);
        }
        let stored = self.stored().await?;
        let mut held = self.secret.write().await;
        if stored.is_some() && *held != stored {
            *held = stored.clone();
            return Ok(stored.map(Keys::one));
        }
        Ok(None)
    }

    /// The console secret kept in the database, made once when it has none.
    async fn secret(&self) -> AppResult<Secret> {
        if let Some(secret) = self.secret.read().await.clone() {
            return Ok(secret);
        }
        let secret = self.load_or_create().await?;
        *self.secret.write().await = Some(secret.clone());
        Ok(secret)
    }

    async fn stored(&self) -> AppResult<Option<Secret>> {
        Ok(self.billing.operations().setting(SECRET_SETTING).await?.as_deref().and_then(Secret::from_hex))
    }

    async fn load_or_create(&self) -> AppResult<Secret> {
        let hex = self.billing.operations().own_setting(SECRET_SETTING, Secret::generate_hex).await?;
        Secret::from_hex(&hex).ok_or_else(|| AppError::internal("the stored console secret is not a key"))
    }
}

/// The keys of `ring` in force at `now`.
fn keys_of(ring: &Keyring, now: chrono::DateTime<chrono::Utc>) -> AppResult<Keys> {
    // A ring's keys are at least 32 bytes, as secrets must be.
    let secret = |bytes: &[u8]| Secret::from_bytes(bytes.to_vec());
    let verifying: Vec<Secret> = ring.verifying(now).filter_map(secret).collect();
    let signing = verifying.first().cloned().ok_or_else(|| AppError::internal("the console's signing key is short"))?;
    Ok(Keys { signing, verifying })
}
