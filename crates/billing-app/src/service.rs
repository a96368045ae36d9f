//! [`Billing`]: the use cases, over a [`Store`] and a [`Clock`]. Each use case
//! runs in one transaction: it reads, decides with the domain's rules, writes
//! its effects, their ledger movements and an audit event, and commits — or
//! changes nothing.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::changes::ChangeLog;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::model::NewAuditEvent;
use crate::store::{Store, StoreResult, StoreTx};

/// Who is asking. Customers see only their own account; operators see all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A customer, by account id.
    Customer(String),
    /// The provider's billing team.
    Operator,
    /// The service itself (scheduler, workers).
    System,
}

impl Caller {
    /// The actor recorded in audit events.
    pub fn actor(&self) -> String {
        match self {
            Caller::Customer(id) => id.clone(),
            Caller::Operator => "operator".to_owned(),
            Caller::System => "system".to_owned(),
        }
    }

    /// Whether the caller may see things of `account_id`.
    pub fn may_see(&self, account_id: &str) -> bool {
        match self {
            Caller::Customer(id) => id == account_id,
            Caller::Operator | Caller::System => true,
        }
    }

    /// Refuses customers.
    pub fn require_operator(&self) -> AppResult<()> {
        match self {
            Caller::Customer(_) => Err(AppError::Forbidden),
            Caller::Operator | Caller::System => Ok(()),
        }
    }
}

/// The use cases.
#[derive(Clone)]
pub struct Billing {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) known_keys: Arc<crate::keys::KnownKeys>,
    pub(crate) quote_key: Arc<tokio::sync::OnceCell<crate::unsubscription::token::QuoteKeys>>,
    pub(crate) policies: Arc<crate::catalog::PolicyCache>,
    pub(crate) facts_cache: Arc<crate::unsubscription::cache::FactsCache>,
    pub(crate) channel: Option<Arc<dyn crate::channel::PaymentChannel>>,
    pub(crate) due_failures: Arc<crate::lifecycle::DueFailures>,
    pub(crate) meter: crate::telemetry::Meter,
    /// What this process knows of recent writes, for caches of facts.
    pub(crate) changes: Arc<ChangeLog>,
}

/// A transaction a use case opened: the store's, whose commit also tells
/// this process's [`ChangeLog`] what was written.
pub(crate) struct Tx<'a> {
    inner: Box<dyn StoreTx + 'a>,
    changes: &'a ChangeLog,
}

impl<'a> Tx<'a> {
    /// Commits, then notes the committed audit events in the change log.
    pub(crate) async fn commit(self) -> StoreResult<()> {
        let committed = self.inner.commit().await?;
        for (seq, actor) in &committed.audit {
            self.changes.record(*seq, actor);
        }
        Ok(())
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = dyn StoreTx + 'a;
    fn deref(&self) -> &Self::Target {
        &*self.inner
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.inner
    }
}

impl Billing {
    /// Use cases over `store`, reading time from `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Billing {
        Billing {
            store,
            clock,
            known_keys: Arc::default(),
            quote_key: Arc::default(),
            policies: Arc::default(),
            facts_cache: Arc::default(),
            channel: None,
            due_failures: Arc::default(),
            meter: crate::telemetry::Meter::default(),
            changes: Arc::default(),
        }
    }

    /// The same use cases, taking money in and out through `channel`.
    /// Without one, cards and PayPal can be neither charged nor registered.
    #[must_use]
    pub fn with_channel(mut self, channel: Arc<dyn crate::channel::PaymentChannel>) -> Billing {
        self.channel = Some(channel);
        self
    }

    /// The same use cases, counting what they commit into `meter`.
    #[must_use]
    pub fn with_meter(mut self, meter: crate::telemetry::Meter) -> Billing {
        self.meter = meter;
        self
    }

    /// Adds `n` to the counter `name` with `labels` once `tx` has
    /// committed.
    pub(crate) fn count_on_commit(
        &self,
        tx: &mut (dyn crate::store::StoreTx + '_),
        name: &'static str,
        labels: &'static [(&'static str, &'static str)],
        n: u64,
    ) {
        if n > 0 {
            let meter = self.meter.clone();
            tx.after_commit(Box::new(move || meter.count(name, labels, n)));
        }
    }

    /// Where the use cases' counts go.
    pub fn meter(&self) -> &crate::telemetry::Meter {
        &self.meter
    }

    /// The payment channel, if one is set up.
    pub fn payment_channel(&self) -> Option<Arc<dyn crate::channel::PaymentChannel>> {
        self.channel.clone()
    }

    /// The same use cases signing and checking quote ids with `ring`
    /// instead of the key kept in the database: the ring's first key signs,
    /// and retired keys still verify until their time.
    pub fn with_quote_keys(mut self, ring: &crate::keyring::Keyring) -> Billing {
        let keys = crate::unsubscription::token::QuoteKeys::from_keyring(ring);
        self.quote_key = Arc::new(tokio::sync::OnceCell::new_with(Some(keys)));
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// What this process knows of recent writes.
    pub fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// Opens a transaction that may write.
    pub(crate) async fn begin(&self) -> AppResult<Tx<'_>> {
        Ok(Tx { inner: self.store.begin().await?, changes: &self.changes })
    }

    /// Opens a transaction that only reads.
    pub(crate) async fn read(&self) -> AppResult<Tx<'_>> {
        Ok(Tx { inner: self.store.read().await?, changes: &self.changes })
    }
}

/// Returns `value` if it exists and `caller` may see it, else `NOT_FOUND` —
/// the same answer for another account's thing as for a missing one.
pub(crate) fn visible<T>(
    caller: &Caller,
    what: &'static str,
    id: &str,
    value: Option<T>,
    owner: impl Fn(&T) -> &str,
) -> AppResult<T> {
    match value {
        Some(v) if caller.may_see(owner(&v)) => Ok(v),
        _ => Err(AppError::not_found(what, id)),
    }
}

/// Appends an audit event in the caller's transaction.
pub(crate) async fn audit(
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    action: &str,
    subject: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let event = NewAuditEvent {
        actor: caller.actor(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: detail.to_string(),
    };
    tx.append_audit(&event, at).await?;
    Ok(())
}
