//! What every service of the application shares: the store, the clock, this
//! process's knowledge of recent writes and where counts go ([`Core`]); who
//! is asking ([`Caller`]); and the helpers each use case runs its
//! transaction with.

use billing_domain::ids::AccountId;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::changes::ChangeLog;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::model::NewAuditEvent;
use crate::store::{Store, StoreResult, StoreTx};
use crate::telemetry::Meter;

/// Who is asking. Customers see only their own account; operators see all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A customer, by account id.
    Customer(AccountId),
    /// The provider's billing team.
    Operator,
    /// The service itself (scheduler, workers).
    System,
}

impl Caller {
    /// The actor recorded in audit events.
    pub fn actor(&self) -> String {
        match self {
            Caller::Customer(id) => id.to_string(),
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

/// The store, the clock, what this application knows of recent writes and
/// where committed changes are counted: what every service holds.
#[derive(Clone)]
pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) changes: Arc<ChangeLog>,
    pub(crate) meter: Meter,
}

impl Core {
    /// A core over `store`, reading time from `clock`, counting into
    /// `meter`.
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, meter: Meter) -> Core {
        Core { store, clock, changes: Arc::default(), meter }
    }

    /// The current instant.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Opens a transaction that may write.
    pub(crate) async fn begin(&self) -> AppResult<Tx<'_>> {
        Ok(Tx { inner: self.store.begin().await?, changes: &self.changes })
    }

    /// Opens a transaction that only reads.
    pub(crate) async fn read(&self) -> AppResult<Tx<'_>> {
        Ok(Tx { inner: self.store.read().await?, changes: &self.changes })
    }

    /// Learns what other processes wrote, when it is time to ask.
    pub(crate) async fn catch_up(&self) -> AppResult<()> {
        self.changes.catch_up(&*self.store, self.clock.instant()).await
    }

    /// Adds `n` to the counter `name` with `labels` once `tx` has
    /// committed.
    pub(crate) fn count_on_commit(
        &self,
        tx: &mut (dyn StoreTx + '_),
        name: &'static str,
        labels: &'static [(&'static str, &'static str)],
        n: u64,
    ) {
        if n > 0 {
            let meter = self.meter.clone();
            tx.after_commit(Box::new(move || meter.count(name, labels, n)));
        }
    }
}

/// A transaction a use case opened: the store's, whose commit also tells
/// this application's [`ChangeLog`] what was written.
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
