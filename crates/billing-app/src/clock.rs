//! Where use cases get `now` from: the system clock in production, a clock
//! the tests (and the demo's simulated time) move by hand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// A reading of a monotonic timer, for how long something took or how
    /// old a cached answer is; never a date. The machine's timer unless a
    /// clock says otherwise.
    fn instant(&self) -> std::time::Instant {
        std::time::Instant::now()
    }
}

/// The machine's clock, truncated to whole microseconds (what the database keeps).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now: DateTime<Utc> = std::time::SystemTime::now().into();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> ManualClock {
        ManualClock { now: Mutex::new(now) }
    }

    /// Moves the clock forward (or back) by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The machine's clock shifted by an offset that an operator moves forward,
/// so a demo can show quotes, renewals, expiry and refunds change over days
/// in minutes. Time keeps flowing; only the offset jumps.
#[derive(Debug, Default)]
pub struct SimulatedClock {
    offset_micros: AtomicI64,
}

impl SimulatedClock {
    /// A clock `offset_micros` ahead of the machine's.
    pub fn new(offset_micros: i64) -> SimulatedClock {
        SimulatedClock { offset_micros: AtomicI64::new(offset_micros) }
    }

    /// The current offset in microseconds.
    pub fn offset_micros(&self) -> i64 {
        self.offset_micros.load(Ordering::Relaxed)
    }

    /// Sets the offset (as stored, shared by every process).
    pub fn set_offset_micros(&self, offset: i64) {
        self.offset_micros.store(offset, Ordering::Relaxed);
    }

    /// Moves the offset up to `offset` if it is behind it. The stored offset
    /// only ever grows, so of two reads racing to set it, the older one
    /// cannot set the clock back.
    pub fn catch_up_to(&self, offset: i64) {
        self.offset_micros.fetch_max(offset, Ordering::Relaxed);
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        let now = SystemClock.now();
        now.checked_add_signed(Duration::microseconds(self.offset_micros())).unwrap_or(now)
    }
}
