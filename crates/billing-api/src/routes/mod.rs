//! Route handlers, one module per subject.

pub mod accounts;
pub mod health;
pub mod instances;
pub mod refunds;
pub mod unsubscription;

/// SHA-256 over the parts of a request, for idempotency: the same parts
/// give the same hash.
pub fn request_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}
