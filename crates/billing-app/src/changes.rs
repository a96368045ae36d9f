//! What has changed since a read, as far as this process knows: the audit
//! chain names every write, in commit order, with its actor. A customer's
//! writes touch only that customer's account; the operator's and the
//! service's own may touch any. Caches of facts compare the chain position
//! their read saw with the newest write that touched their account.
//!
//! A use case's commit notes here the audit events the store says it
//! chained ([`ChangeLog::record`]); writes of other processes on the same database
//! are learnt by reading the chain's new events ([`ChangeLog::catch_up`]), at
//! most [`ChangeLog::poll_interval`] apart.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::AppResult;
use crate::store::Store;

/// How long a write committed by another process may go unseen here.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Most events read from the chain at once; past this, everything is
/// treated as changed.
const MAX_EVENTS_PER_POLL: i64 = 10_000;

/// Accounts remembered one by one; past this, the oldest knowledge is
/// folded into the global position.
const MAX_ACCOUNTS: usize = 100_000;

/// Newest chain positions of writes, by account and overall.
#[derive(Debug)]
pub struct ChangeLog {
    state: Mutex<State>,
    poll_interval: Mutex<Duration>,
    /// Held by whoever reads the chain, so that one caller at a time reads
    /// it.
    polling: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    /// Newest position of a write that may have touched any account.
    global: i64,
    /// Newest position of a write by each customer.
    accounts: HashMap<String, i64>,
    /// Newest position read from the chain.
    seen: Option<i64>,
    /// When the chain was last read.
    polled_at: Option<Instant>,
}

impl Default for ChangeLog {
    fn default() -> Self {
        ChangeLog {
            state: Mutex::default(),
            poll_interval: Mutex::new(DEFAULT_POLL_INTERVAL),
            polling: tokio::sync::Mutex::new(()),
        }
    }
}

/// Whether `actor` (as in [`crate::Caller::actor`]) is a customer account,
/// whose writes touch only that account.
fn account_of(actor: &str) -> Option<&str> {
    (actor != "operator" && actor != "system").then_some(actor)
}

impl ChangeLog {
    /// Notes a committed write: the audit event at `seq`, written by `actor`.
    pub fn record(&self, seq: i64, actor: &str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.note(seq, actor);
    }

    /// Whether facts of `account_id` read at chain position `snapshot` still
    /// hold: no write known here came after them.
    pub fn is_fresh(&self, account_id: &str, snapshot: i64) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        snapshot >= state.global && state.accounts.get(account_id).is_none_or(|&seq| snapshot >= seq)
    }

    /// How long a write of another process may go unseen.
    pub fn poll_interval(&self) -> Duration {
        *self.poll_interval.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes how often the chain is read; zero reads it before every use.
    pub fn set_poll_interval(&self, interval: Duration) {
        *self.poll_interval.lock().unwrap_or_else(PoisonError::into_inner) = interval;
    }

    /// The position to read the chain after, when a read is due.
    fn due(&self, now: Instant) -> Option<Option<i64>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let interval = self.poll_interval();
        let due = state.polled_at.is_none_or(|at| now.saturating_duration_since(at) >= interval);
        due.then_some(state.seen)
    }

    /// Applies what a read of the chain found: the events after the last
    /// read, up to `head`. The first read, or one cut short, counts
    /// everything up to `head` as new, since it cannot tell whom it touched.
    fn apply(&self, events: &[(i64, String)], head: i64, complete: bool, started: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.seen.is_none() || !complete {
            state.global = state.global.max(head);
        } else {
            for (seq, actor) in events {
                state.note(*seq, actor);
            }
        }
        state.seen = Some(state.seen.unwrap_or(0).max(head));
        state.polled_at = Some(started);
    }
}

impl State {
    fn note(&mut self, seq: i64, actor: &str) {
        match account_of(actor) {
            Some(account) => {
                if self.accounts.len() >= MAX_ACCOUNTS && !self.accounts.contains_key(account) {
                    // Forget every account at once; the global position now
                    // stands for all of them.
                    let newest = self.accounts.values().copied().max().unwrap_or(0);
                    self.global = self.global.max(newest);
                    self.accounts.clear();
                }
                let entry = self.accounts.entry(account.to_owned()).or_insert(seq);
                *entry = (*entry).max(seq);
            }
            None => {
                self.global = self.global.max(seq);
                let global = self.global;
                if self.accounts.len() > 1024 {
                    self.accounts.retain(|_, seq| *seq > global);
                }
            }
        }
    }
}

impl ChangeLog {
    /// Reads the writes other processes committed to `store` since the
    /// last read, when the last read is older than the poll interval; `now`
    /// is a reading of the monotonic timer. One caller reads; the others go
    /// on meanwhile rather than queue behind it, so another process's write
    /// is seen within the interval plus one read.
    pub(crate) async fn catch_up(&self, store: &dyn Store, now: Instant) -> AppResult<()> {
        if self.due(now).is_none() {
            return Ok(());
        }
        let Ok(_polling) = self.polling.try_lock() else {
            return Ok(());
        };
        let Some(seen) = self.due(now) else {
            // Another caller has just read the chain.
            return Ok(());
        };
        let mut tx = store.read().await?;
        let (head, _) = tx.audit_head().await?;
        let (events, complete) = match seen {
            Some(after) if head > after => {
                let events = tx.audit_actors(after, MAX_EVENTS_PER_POLL).await?;
                let complete = events.last().is_some_and(|e| e.0 >= head);
                (events, complete)
            }
            _ => (Vec::new(), true),
        };
        drop(tx);
        self.apply(&events, head, complete, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_write_touches_only_that_account() {
        let log = ChangeLog::default();
        log.record(5, "acc_a");
        assert!(!log.is_fresh("acc_a", 4));
        assert!(log.is_fresh("acc_a", 5));
        assert!(log.is_fresh("acc_b", 0));
    }

    #[test]
    fn an_operator_or_service_write_touches_every_account() {
        let log = ChangeLog::default();
        log.record(7, "operator");
        assert!(!log.is_fresh("acc_b", 6));
        log.record(9, "system");
        assert!(!log.is_fresh("acc_a", 8));
        assert!(log.is_fresh("acc_a", 9));
    }

    #[test]
    fn the_first_read_of_the_chain_counts_everything_before_it_as_new() {
        let log = ChangeLog::default();
        log.apply(&[], 40, true, Instant::now());
        assert!(!log.is_fresh("acc_a", 39));
        assert!(log.is_fresh("acc_a", 40));
        // Later reads route each event to its account.
        log.apply(&[(41, "acc_a".to_owned())], 41, true, Instant::now());
        assert!(log.is_fresh("acc_b", 40));
        assert!(!log.is_fresh("acc_a", 40));
    }

    #[test]
    fn a_read_cut_short_counts_everything_it_read_as_new() {
        let log = ChangeLog::default();
        log.apply(&[], 10, true, Instant::now());
        log.apply(&[(11, "acc_a".to_owned()), (12, "acc_a".to_owned())], 20, false, Instant::now());
        assert!(!log.is_fresh("acc_b", 11));
        assert!(log.is_fresh("acc_b", 20));
    }
}
