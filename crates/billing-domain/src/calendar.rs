//! The billing calendar: subscription periods computed in a region's billing
//! zone, renewals anchored to the first activation, and day or second counting.
//!
//! Instants are `DateTime<Utc>`. Only the calendar (expiration dates, local
//! midnights) is computed in the billing zone; every duration is elapsed time
//! between two instants, so a 23- or 25-hour local day counts as it really is.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, LocalResult, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use thiserror::Error;

/// Seconds in the 24-hour "day" that day counting uses.
pub const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// A region's billing zone (an IANA time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillingZone(Tz);

/// `at` moved by `by` (back when `by` is negative), or `OutOfRange` when
/// that leaves chrono's range: date arithmetic is checked, as money is.
pub fn shift(at: DateTime<Utc>, by: chrono::TimeDelta) -> Result<DateTime<Utc>, CalendarError> {
    at.checked_add_signed(by).ok_or(CalendarError::OutOfRange)
}

/// What can go wrong with the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// The zone name is not in the IANA database.
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    /// A date computation left chrono's supported range.
    #[error("date out of range")]
    OutOfRange,
}

impl BillingZone {
    /// The default billing zone, `Asia/Shanghai` (UTC+8).
    pub const DEFAULT: BillingZone = BillingZone(Tz::Asia__Shanghai);

    /// The IANA name of the zone.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date of `instant` in this zone.
    pub fn local_date(self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.0).date_naive()
    }

    /// The first instant of local day `date` in this zone.
    ///
    /// Where a daylight-saving jump skips local midnight, the day starts at
    /// the first local time that exists; where midnight happens twice, at the
    /// earlier one.
    pub fn start_of_day(self, date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
        let midnight = date.and_time(NaiveTime::MIN);
        match self.0.from_local_datetime(&midnight) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => self.first_instant_after_gap(date),
        }
    }

    /// Gaps are at most a few hours; walk forward a minute at a time until the
    /// local time exists. Rare: only zones that jump at midnight get here.
    fn first_instant_after_gap(self, date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
        let midnight = date.and_time(NaiveTime::MIN);
        for minutes in 1..=24 * 60 {
            let local =
                midnight.checked_add_signed(chrono::Duration::minutes(minutes)).ok_or(CalendarError::OutOfRange)?;
            if let Some(t) = self.0.from_local_datetime(&local).earliest() {
                return Ok(t.with_timezone(&Utc));
            }
        }
        Err(CalendarError::OutOfRange)
    }

    /// The wall-clock time of `instant` in this zone.
    pub fn local_time(self, instant: DateTime<Utc>) -> chrono::NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The instant a wall-clock time in this zone names (the earlier one
    /// where it happens twice), or `None` where a daylight-saving jump
    /// skips it.
    pub fn instant_of_local(self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        self.0.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
    }

    /// Formats `instant` as RFC 3339 with this zone's offset at that instant.
    pub fn format_rfc3339(self, instant: DateTime<Utc>) -> String {
        instant.with_timezone(&self.0).to_rfc3339()
    }
}

impl Default for BillingZone {
    fn default() -> Self {
        BillingZone::DEFAULT
    }
}

impl FromStr for BillingZone {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Tz>().map(BillingZone).map_err(|_| CalendarError::UnknownZone(s.to_owned()))
    }
}

impl fmt::Display for BillingZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One half-open subscription period `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillingPeriod {
    /// First instant of the period.
    pub start: DateTime<Utc>,
    /// First instant after the period: 00:00 local on the day after
    /// `expiration_date`.
    pub end: DateTime<Utc>,
    /// The last local date the period covers.
    pub expiration_date: NaiveDate,
}

impl BillingPeriod {
    /// True when `instant` lies in `[start, end)`.
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }
}

/// The expiration date `months` calendar months after the anchor's local date,
/// clamped to the last day of a shorter month.
pub fn expiration_date(anchor_date: NaiveDate, months: u32) -> Result<NaiveDate, CalendarError> {
    anchor_date.checked_add_months(Months::new(months)).ok_or(CalendarError::OutOfRange)
}

/// The period of a subscription that starts at `start` (its activation, or
/// where the previous period ended), whose expiration date lies
/// `months_from_anchor` months after the first activation's local date.
///
/// Anchoring every period to the first activation keeps renewals from
/// drifting: a quota activated on Jan 31 expires Feb 29, then Mar 31.
pub fn period_from_anchor(
    zone: BillingZone,
    anchor: DateTime<Utc>,
    start: DateTime<Utc>,
    months_from_anchor: u32,
) -> Result<BillingPeriod, CalendarError> {
    let expiration = expiration_date(zone.local_date(anchor), months_from_anchor)?;
    let next_day = expiration.checked_add_days(Days::new(1)).ok_or(CalendarError::OutOfRange)?;
    let end = zone.start_of_day(next_day)?;
    Ok(BillingPeriod { start, end, expiration_date: expiration })
}

/// The period of `months` months activated at `start`.
pub fn first_period(zone: BillingZone, start: DateTime<Utc>, months: u32) -> Result<BillingPeriod, CalendarError> {
    period_from_anchor(zone, start, start, months)
}

/// How elapsed time is counted when prorating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProrationUnit {
    /// Whole 24-hour days (the default).
    Day,
    /// Whole seconds.
    Second,
}

impl ProrationUnit {
    /// The setting's value as written in policies and scenarios.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProrationUnit::Day => "day",
            ProrationUnit::Second => "second",
        }
    }

    fn unit_seconds(self) -> i64 {
        match self {
            ProrationUnit::Day => SECONDS_PER_DAY,
            ProrationUnit::Second => 1,
        }
    }

    /// Length of `period` in whole units, rounded down.
    pub fn subscription_units(self, period: &BillingPeriod) -> i64 {
        (period.end - period.start).num_seconds().div_euclid(self.unit_seconds())
    }

    /// Units used at `now`: elapsed time since the period's start rounded up,
    /// at least 1 and at most the subscription's units.
    ///
    /// A sub-second remainder counts as a started second, just as a started
    /// day counts as a day.
    pub fn used_units(self, period: &BillingPeriod, now: DateTime<Utc>) -> i64 {
        let elapsed = now - period.start;
        let mut seconds = elapsed.num_seconds();
        if elapsed.subsec_nanos() > 0 {
            seconds += 1;
        }
        let unit = self.unit_seconds();
        let used = seconds.div_euclid(unit) + i64::from(seconds.rem_euclid(unit) != 0);
        used.max(1).min(self.subscription_units(period).max(1))
    }
}

impl FromStr for ProrationUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(ProrationUnit::Day),
            "second" => Ok(ProrationUnit::Second),
            other => Err(format!("unknown proration unit {other:?} (expected \"day\" or \"second\")")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn one_month_from_new_year_noon_ends_at_midnight_after_feb_1() {
        let p = first_period(BillingZone::DEFAULT, at("2023-01-01T12:00:00+08:00"), 1).unwrap();
        assert_eq!(p.expiration_date, NaiveDate::from_ymd_opt(2023, 2, 1).unwrap());
        assert_eq!(p.end, at("2023-02-02T00:00:00+08:00"));
        assert_eq!(ProrationUnit::Day.subscription_units(&p), 31);
    }

    #[test]
    fn used_days_round_up_and_start_at_one() {
        let p = first_period(BillingZone::DEFAULT, at("2023-01-01T12:00:00+08:00"), 1).unwrap();
        assert_eq!(ProrationUnit::Day.used_units(&p, at("2023-01-10T14:00:00+08:00")), 10);
        assert_eq!(ProrationUnit::Day.used_units(&p, at("2023-01-01T12:00:00+08:00")), 1);
        assert_eq!(ProrationUnit::Day.used_units(&p, at("2023-01-02T12:00:00+08:00")), 1);
        assert_eq!(ProrationUnit::Day.used_units(&p, at("2023-01-02T12:00:01+08:00")), 2);
        assert_eq!(ProrationUnit::Day.used_units(&p, at("2023-02-01T23:59:59+08:00")), 31);
    }

    #[test]
    fn start_of_day_skips_a_midnight_that_does_not_exist() {
        // America/Santiago moved clocks from 00:00 to 01:00 on 2023-09-03.
        let zone: BillingZone = "America/Santiago".parse().unwrap();
        let start = zone.start_of_day(NaiveDate::from_ymd_opt(2023, 9, 3).unwrap()).unwrap();
        assert_eq!(start, at("2023-09-03T01:00:00-03:00"));
    }
}
