//! The audit trail: append-only events, each carrying the hash of the one
//! before, so that changing or removing a stored event breaks the chain.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::{AuditEvent, NewAuditEvent};

/// The hash of an event: SHA-256 over the previous hash and the event's
/// fields, each length-prefixed so that no two events can collide by moving
/// text between fields.
pub fn chain_hash(prev_hash: &str, seq: i64, at: DateTime<Utc>, event: &NewAuditEvent) -> String {
    let mut hasher = Sha256::new();
    let seq = seq.to_string();
    let at = at.timestamp_micros().to_string();
    for field in [prev_hash, &seq, &at, &event.actor, &event.action, &event.subject, &event.detail] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The first broken link of a chain, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number of the first event that does not verify.
    pub seq: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// Walks events in order, carrying the previous hash and the expected next
/// sequence number across pages.
#[derive(Clone, Debug, Default)]
pub struct ChainVerifier {
    prev_hash: String,
    next_seq: i64,
    /// Events checked so far.
    pub checked: u64,
}

impl ChainVerifier {
    /// A verifier expecting the chain's first event.
    pub fn new() -> ChainVerifier {
        ChainVerifier { prev_hash: String::new(), next_seq: 1, checked: 0 }
    }

    /// Checks the next event of the chain.
    pub fn check(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let broken = |problem: &str| ChainBreak { seq: event.seq, problem: problem.to_owned() };
        if event.seq != self.next_seq {
            return Err(ChainBreak {
                seq: self.next_seq,
                problem: format!("event {} is missing (found {} next)", self.next_seq, event.seq),
            });
        }
        if event.prev_hash != self.prev_hash {
            return Err(broken("its previous hash does not match the event before it"));
        }
        let content = NewAuditEvent {
            actor: event.actor.clone(),
            action: event.action.clone(),
            subject: event.subject.clone(),
            detail: event.detail.clone(),
        };
        if chain_hash(&event.prev_hash, event.seq, event.at, &content) != event.hash {
            return Err(broken("its content does not match its hash"));
        }
        self.prev_hash = event.hash.clone();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, prev: &str, action: &str) -> AuditEvent {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let new =
            NewAuditEvent { actor: "system".into(), action: action.into(), subject: "x".into(), detail: "{}".into() };
        let hash = chain_hash(prev, seq, at, &new);
        AuditEvent {
            seq,
            at,
            actor: new.actor,
            action: new.action,
            subject: new.subject,
            detail: new.detail,
            prev_hash: prev.into(),
            hash,
        }
    }

    #[test]
    fn a_chain_verifies_until_an_event_is_altered() {
        let first = event(1, "", "a");
        let second = event(2, &first.hash, "b");
        let mut verifier = ChainVerifier::new();
        verifier.check(&first).unwrap();
        verifier.check(&second).unwrap();
        let mut altered = second.clone();
        altered.detail = "{\"amount\":1}".into();
        let mut verifier = ChainVerifier::new();
        verifier.check(&first).unwrap();
        assert_eq!(verifier.check(&altered).unwrap_err().seq, 2);
    }

    #[test]
    fn a_missing_event_breaks_the_chain() {
        let first = event(1, "", "a");
        let second = event(2, &first.hash, "b");
        let third = event(3, &second.hash, "c");
        let mut verifier = ChainVerifier::new();
        verifier.check(&first).unwrap();
        assert_eq!(verifier.check(&third).unwrap_err().seq, 2);
    }
}
