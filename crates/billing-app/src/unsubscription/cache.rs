//! Quote facts kept between quotes. A customer reopening the unsubscription
//! page, or a client polling quotes, asks for the same facts again and again;
//! they change only when somebody writes. Each entry remembers the audit
//! chain's position its read saw, and is used only while no write known to
//! the [`ChangeLog`](crate::changes::ChangeLog) came after it: at once for
//! this process's own writes, within the poll interval for other processes'.
//! A stale entry costs nothing worse than a fresh read: confirmation reads
//! the facts again in its own transaction and refuses a quote whose facts
//! changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::facts::{QuoteBasis, load_facts, status_of};
use super::quoting::deletion_preview;
use crate::error::AppResult;
use crate::model::Tombstone;
use crate::service::{Billing, Caller, visible};

/// Most instances whose facts are kept; past this the memory starts afresh.
pub const MAX_CACHED_INSTANCES: usize = 150_000;

/// The facts of one instance as one read saw them.
#[derive(Debug)]
pub(crate) struct CachedFacts {
    /// The audit chain's position when they were read.
    snapshot: i64,
    /// What the quotes are computed from.
    pub(crate) basis: QuoteBasis,
    /// Their digest, computed once.
    pub(crate) digest: String,
    /// For a quota: what deleting its workspace would remove, as of the read.
    pub(crate) deletes: Option<Tombstone>,
}

/// Cached facts by instance id.
#[derive(Debug, Default)]
pub(crate) struct FactsCache {
    entries: Mutex<HashMap<String, Arc<CachedFacts>>>,
}

impl FactsCache {
    fn get(&self, instance_id: &str) -> Option<Arc<CachedFacts>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).get(instance_id).cloned()
    }

    fn put(&self, entry: Arc<CachedFacts>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_INSTANCES {
            entries.clear();
        }
        entries.insert(entry.basis.instance_id.clone(), entry);
    }
}

impl Billing {
    /// The facts of an instance the caller may see, as of `now`: from memory
    /// when nothing has been written to its account since they were read,
    /// else read again.
    pub(crate) async fn quote_facts(
        &self,
        caller: &Caller,
        instance_id: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Arc<CachedFacts>> {
        self.catch_up().await?;
        if let Some(entry) = self.facts_cache.get(instance_id) {
            let account = &entry.basis.account_id;
            if caller.may_see(account)
                && entry.basis.holds.contains(&now)
                && self.store.changes().is_fresh(account, entry.snapshot)
            {
                return Ok(entry);
            }
        }
        let mut tx = self.read().await?;
        // The position first: whatever the facts read shows is at least as
        // new as it.
        let (snapshot, _) = tx.audit_head().await?;
        let record = tx.instance(instance_id).await?;
        let record = visible(caller, "instance", instance_id, record, |i| &i.account_id)?;
        let status = status_of(&record);
        let facts = load_facts(&mut *tx, &self.policies, record, status, now).await?;
        let deletes = deletion_preview(&mut *tx, &facts.record, now).await?;
        drop(tx);
        let basis = facts.into_basis();
        let entry = Arc::new(CachedFacts { snapshot, digest: basis.digest(), basis, deletes });
        self.facts_cache.put(Arc::clone(&entry));
        Ok(entry)
    }
}
