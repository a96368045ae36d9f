//! A per-key request limit: a token bucket per API key, refilled every
//! second, answering `429 RATE_LIMITED` when empty.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::StatusCode;

use crate::problem::ApiError;

/// Most keys tracked at once; the least recently seen are forgotten first.
const MAX_TRACKED_KEYS: usize = 10_000;

/// Token buckets per key.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Tokens left, in thousandths.
    milli_tokens: u64,
    refilled: Instant,
}

impl RateLimiter {
    /// A limit of `per_second` requests per key with a burst of twice that;
    /// 0 means no limit.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter { per_second, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`, or refuses.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        if self.per_second == 0 {
            return Ok(());
        }
        let capacity = u64::from(self.per_second) * 2 * 1000;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED_KEYS && !buckets.contains_key(key) {
            let oldest = buckets.iter().min_by_key(|(_, b)| b.refilled).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                buckets.remove(&oldest);
            }
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { milli_tokens: capacity, refilled: now });
        let elapsed_ms = u64::try_from(now.duration_since(bucket.refilled).as_millis()).unwrap_or(u64::MAX);
        let refill = elapsed_ms.saturating_mul(u64::from(self.per_second));
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(capacity);
        bucket.refilled = now;
        if bucket.milli_tokens < 1000 {
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; slow down"));
        }
        bucket.milli_tokens -= 1000;
        Ok(())
    }
}
