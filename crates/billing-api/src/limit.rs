//! Request limits, kept by `governor` (GCRA buckets): one bucket per API key,
//! counted after the key is authenticated, and one per client address for
//! requests that would need the database to tell who they are — requests
//! without a key and keys not seen recently, unknown ones among them — so
//! that guessing keys is slowed down before any lookup. A refused request
//! answers `429 RATE_LIMITED` with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota};

use crate::problem::ApiError;

/// Buckets kept before those at rest are first forgotten.
const MAX_TRACKED: usize = 10_000;

/// What a bucket allows: `burst` requests at once, and one more every
/// `interval` after that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed at once.
    pub burst: NonZeroU32,
    /// Time to earn one more request.
    pub interval: Duration,
}

impl Rate {
    /// `per_second` requests a second with a burst of twice that; `None`
    /// for 0, which means no limit.
    pub fn per_second(per_second: u32) -> Option<Rate> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(per_second.saturating_mul(2))?;
        // At least a nanosecond: governor takes a zero period for no quota.
        let interval = (Duration::from_secs(1) / rate.get()).max(Duration::from_nanos(1));
        Some(Rate { burst, interval })
    }

    fn quota(self) -> Option<Quota> {
        Some(Quota::with_period(self.interval)?.allow_burst(self.burst))
    }
}

/// The buckets of one kind, by key, and the count of buckets at which
/// those at rest are next forgotten.
struct Buckets<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    sweep_at: AtomicUsize,
}

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn new(rate: Option<Rate>) -> Option<Buckets<K>> {
        let quota = rate.and_then(Rate::quota)?;
        Some(Buckets { limiter: governor::RateLimiter::dashmap(quota), sweep_at: AtomicUsize::new(MAX_TRACKED) })
    }

    /// Takes one request from `key`'s bucket. Buckets that are full again
    /// are forgotten once there are many; the next sweep waits until their
    /// number doubles, so that many busy clients do not make every request
    /// walk them all.
    fn check(&self, key: &K) -> Result<(), NotUntil<<DefaultClock as Clock>::Instant>> {
        if self.limiter.len() > self.sweep_at.load(Ordering::Relaxed) {
            self.limiter.retain_recent();
            let next = self.limiter.len().saturating_mul(2).max(MAX_TRACKED);
            self.sweep_at.store(next, Ordering::Relaxed);
        }
        self.limiter.check_key(key)
    }
}

/// Limits per API key and per client address.
pub struct RateLimiter {
    per_key: Option<Buckets<String>>,
    per_address: Option<Buckets<IpAddr>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_key", &self.per_key.is_some())
            .field("per_address", &self.per_address.is_some())
            .finish()
    }
}

impl RateLimiter {
    /// Limits of `per_key` for each authenticated key and `per_address` for
    /// each client address; `None` is no limit.
    pub fn new(per_key: Option<Rate>, per_address: Option<Rate>) -> RateLimiter {
        RateLimiter {
            per_key: Buckets::new(per_key),
            per_address: Buckets::new(per_address),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the bucket of the authenticated key `key_id`.
    pub fn check_key(&self, key_id: &str) -> Result<(), ApiError> {
        let Some(buckets) = &self.per_key else { return Ok(()) };
        buckets.check(&key_id.to_owned()).map_err(|refused| self.refusal(&refused))
    }

    /// Takes one request from the bucket of the client at `address` (an
    /// IPv6 address counts with its whole /64, which one client usually holds).
    pub fn check_address(&self, address: IpAddr) -> Result<(), ApiError> {
        let Some(buckets) = &self.per_address else { return Ok(()) };
        buckets.check(&network_of(address)).map_err(|refused| self.refusal(&refused))
    }

    fn refusal(&self, refused: &NotUntil<<DefaultClock as Clock>::Instant>) -> ApiError {
        let wait = refused.wait_time_from(self.clock.now());
        ApiError::rate_limited(whole_seconds_at_least_one(wait))
    }
}

/// The address a client is counted under: IPv4 as it is, IPv6 by its /64.
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// `wait` rounded up to whole seconds, and at least one.
fn whole_seconds_at_least_one(wait: Duration) -> u64 {
    let seconds = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 { seconds.saturating_add(1) } else { seconds };
    rounded.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_per_second_allows_a_burst_of_twice_that() {
        let rate = Rate::per_second(50).unwrap();
        assert_eq!(rate.burst.get(), 100);
        assert_eq!(rate.interval, Duration::from_millis(20));
        assert_eq!(Rate::per_second(0), None);
        assert!(Rate::per_second(u32::MAX).unwrap().quota().is_some(), "a huge rate is still a limit");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds_at_least_one(Duration::ZERO), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(20)), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds_at_least_one(Duration::from_secs(3600)), 3600);
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}

#[cfg(test)]
mod sweeping {
    use super::*;

    #[test]
    fn buckets_at_rest_are_forgotten_once_there_are_many() {
        let rate = Rate { burst: NonZeroU32::new(1).unwrap(), interval: Duration::from_nanos(1) };
        let buckets: Buckets<u32> = Buckets::new(Some(rate)).unwrap();
        for client in 0..=u32::try_from(MAX_TRACKED).unwrap() + 1 {
            let _ = buckets.check(&client);
        }
        assert!(buckets.limiter.len() <= MAX_TRACKED, "{} buckets kept", buckets.limiter.len());
    }
}
