//! The billing calendar through its public functions: month ends and leap
//! years, renewals anchored to the first activation, offsets, daylight saving
//! and the two proration units.

use billing_domain::calendar::{self, BillingPeriod, BillingZone, ProrationUnit};
use chrono::{DateTime, Utc};

use crate::support::{at, date, zone};

fn one_period(zone: BillingZone, start: DateTime<Utc>, months: u32) -> BillingPeriod {
    calendar::first_period(zone, start, months).unwrap()
}

#[test]
fn expiration_dates_clamp_to_the_last_day_of_shorter_months() {
    #[track_caller]
    fn check(start: &str, months: u32, expiration: &str, end: &str) {
        let period = one_period(BillingZone::DEFAULT, at(start), months);
        assert_eq!(period.start, at(start), "{start} + {months}");
        assert_eq!(period.expiration_date, date(expiration), "{start} + {months}");
        assert_eq!(period.end, at(end), "{start} + {months}");
    }
    check("2024-01-31T10:00:00+08:00", 1, "2024-02-29", "2024-03-01T00:00:00+08:00");
    check("2023-01-31T10:00:00+08:00", 1, "2023-02-28", "2023-03-01T00:00:00+08:00");
    check("2024-01-31T10:00:00+08:00", 2, "2024-03-31", "2024-04-01T00:00:00+08:00");
    check("2023-03-31T23:59:59+08:00", 1, "2023-04-30", "2023-05-01T00:00:00+08:00");
    check("2024-02-29T00:00:00+08:00", 12, "2025-02-28", "2025-03-01T00:00:00+08:00");
    check("2023-08-31T08:00:00+08:00", 6, "2024-02-29", "2024-03-01T00:00:00+08:00");
    check("2023-12-31T12:00:00+08:00", 1, "2024-01-31", "2024-02-01T00:00:00+08:00");
    check("2023-05-15T12:00:00+08:00", 9, "2024-02-15", "2024-02-16T00:00:00+08:00");
    check("2000-01-31T12:00:00+08:00", 1, "2000-02-29", "2000-03-01T00:00:00+08:00");
    check("2100-01-31T12:00:00+08:00", 1, "2100-02-28", "2100-03-01T00:00:00+08:00");
}

#[test]
fn monthly_renewals_stay_anchored_to_the_first_activation_day() {
    let anchor = at("2024-01-31T10:00:00+08:00");
    let expected = ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"];
    let mut start = anchor;
    for (index, expiration) in expected.into_iter().enumerate() {
        let months_from_anchor = u32::try_from(index + 1).unwrap();
        let period = calendar::period_from_anchor(BillingZone::DEFAULT, anchor, start, months_from_anchor).unwrap();
        assert_eq!(period.start, start, "renewal {index}");
        assert_eq!(period.expiration_date, date(expiration), "renewal {index}");
        start = period.end;
    }
    assert_eq!(start, at("2024-08-01T00:00:00+08:00"));
}

#[test]
fn renewals_of_several_months_count_cumulative_months_from_the_anchor() {
    #[track_caller]
    fn check(anchor: &str, month_counts: &[u32], expirations: &[&str]) {
        let anchor = at(anchor);
        let mut start = anchor;
        let mut total = 0;
        for (months, expiration) in month_counts.iter().zip(expirations) {
            total += months;
            let period = calendar::period_from_anchor(BillingZone::DEFAULT, anchor, start, total).unwrap();
            assert_eq!(period.expiration_date, date(expiration), "after {total} months");
            assert!(period.end > period.start);
            start = period.end;
        }
    }
    check("2023-01-31T09:00:00+08:00", &[1, 2, 3], &["2023-02-28", "2023-04-30", "2023-07-31"]);
    check("2023-11-30T09:00:00+08:00", &[3, 1, 9], &["2024-02-29", "2024-03-30", "2024-12-30"]);
    check("2024-08-31T23:59:59+08:00", &[6, 6], &["2025-02-28", "2025-08-31"]);
}

#[test]
fn the_same_instant_written_with_any_offset_gives_the_same_period() {
    #[track_caller]
    fn check(start: &str) {
        let period = one_period(BillingZone::DEFAULT, at(start), 1);
        assert_eq!(period.expiration_date, date("2023-02-01"), "{start}");
        assert_eq!(period.end, at("2023-02-01T16:00:00Z"), "{start}");
        let used = ProrationUnit::Day.used_units(&period, at("2023-01-10T01:00:00-05:00"));
        assert_eq!(used, 10, "{start}");
    }
    check("2023-01-01T12:00:00+08:00");
    check("2023-01-01T04:00:00Z");
    check("2022-12-31T23:00:00-05:00");
    check("2023-01-01T09:30:00+05:30");
}

#[test]
fn the_local_date_comes_from_the_billing_zone_not_from_the_written_offset() {
    #[track_caller]
    fn check(start: &str, expiration: &str) {
        let period = one_period(BillingZone::DEFAULT, at(start), 1);
        assert_eq!(period.expiration_date, date(expiration), "{start}");
    }
    // 16:30 UTC on Jan 31 is already 00:30 on Feb 1 in Shanghai.
    check("2023-01-31T16:30:00Z", "2023-03-01");
    check("2023-01-31T11:30:00-05:00", "2023-03-01");
    check("2023-01-31T15:59:59Z", "2023-02-28");
}

#[test]
fn days_are_elapsed_24_hour_units_across_daylight_saving_changes() {
    struct Case {
        zone: &'static str,
        start: &'static str,
        now: &'static str,
        expiration: &'static str,
        end: &'static str,
        subscription_days: i64,
        used_days: i64,
    }
    let cases = [
        // Spring forward inside the period: 32 local days are 31 × 24 h + 23 h.
        Case {
            zone: "Europe/Berlin",
            start: "2024-03-01T00:00:00+01:00",
            now: "2024-03-02T00:00:00+01:00",
            expiration: "2024-04-01",
            end: "2024-04-02T00:00:00+02:00",
            subscription_days: 31,
            used_days: 1,
        },
        // 48.5 h on the wall clock, 47.5 h elapsed: the second day.
        Case {
            zone: "Europe/Berlin",
            start: "2024-03-30T12:00:00+01:00",
            now: "2024-04-01T12:30:00+02:00",
            expiration: "2024-04-30",
            end: "2024-05-01T00:00:00+02:00",
            subscription_days: 31,
            used_days: 2,
        },
        // 23.5 h on the wall clock, 24.5 h elapsed: the second day.
        Case {
            zone: "Europe/Berlin",
            start: "2024-10-26T12:00:00+02:00",
            now: "2024-10-27T11:30:00+01:00",
            expiration: "2024-11-26",
            end: "2024-11-27T00:00:00+01:00",
            subscription_days: 31,
            used_days: 2,
        },
        Case {
            zone: "America/New_York",
            start: "2024-03-09T12:00:00-05:00",
            now: "2024-03-10T12:30:00-04:00",
            expiration: "2024-04-09",
            end: "2024-04-10T00:00:00-04:00",
            subscription_days: 31,
            used_days: 1,
        },
        Case {
            zone: "America/New_York",
            start: "2024-11-02T12:00:00-04:00",
            now: "2024-11-03T11:30:00-05:00",
            expiration: "2024-12-02",
            end: "2024-12-03T00:00:00-05:00",
            subscription_days: 30,
            used_days: 2,
        },
    ];
    for case in cases {
        let period = one_period(zone(case.zone), at(case.start), 1);
        let label = format!("{} {}", case.zone, case.start);
        assert_eq!(period.expiration_date, date(case.expiration), "{label}");
        assert_eq!(period.end, at(case.end), "{label}");
        assert_eq!(ProrationUnit::Day.subscription_units(&period), case.subscription_days, "{label}");
        assert_eq!(ProrationUnit::Day.used_units(&period, at(case.now)), case.used_days, "{label}");
    }
}

#[test]
fn used_and_subscribed_time_count_in_days_or_in_seconds() {
    #[track_caller]
    fn check(unit: &str, now: &str, subscription: i64, used: i64) {
        let unit: ProrationUnit = unit.parse().unwrap();
        let period = one_period(BillingZone::DEFAULT, at("2023-01-01T12:00:00+08:00"), 1);
        assert_eq!(unit.subscription_units(&period), subscription, "{unit:?} {now}");
        assert_eq!(unit.used_units(&period, at(now)), used, "{unit:?} {now}");
    }
    check("day", "2023-01-01T12:00:00+08:00", 31, 1);
    check("day", "2023-01-10T14:00:00+08:00", 31, 10);
    check("day", "2023-01-02T12:00:00+08:00", 31, 1);
    check("day", "2023-01-02T12:00:01+08:00", 31, 2);
    check("day", "2023-02-01T23:59:59+08:00", 31, 31);
    check("second", "2023-01-01T12:00:00+08:00", 2_721_600, 1);
    check("second", "2023-01-01T12:00:01+08:00", 2_721_600, 1);
    check("second", "2023-01-01T12:00:01.5+08:00", 2_721_600, 2);
    check("second", "2023-01-10T14:00:00+08:00", 2_721_600, 784_800);
    check("second", "2023-02-01T23:59:59+08:00", 2_721_600, 2_721_599);
}

#[test]
fn proration_units_other_than_day_and_second_are_refused() {
    for text in ["hour", "Day", "", "seconds"] {
        assert!(text.parse::<ProrationUnit>().is_err(), "{text:?}");
    }
}

#[test]
fn a_period_contains_its_start_but_not_its_end() {
    let period = one_period(BillingZone::DEFAULT, at("2023-01-01T12:00:00+08:00"), 1);
    assert!(period.contains(at("2023-01-01T12:00:00+08:00")));
    assert!(period.contains(at("2023-02-01T23:59:59+08:00")));
    assert!(!period.contains(at("2023-02-02T00:00:00+08:00")));
    assert!(!period.contains(at("2023-01-01T11:59:59+08:00")));
}

#[test]
fn unknown_zone_names_are_refused() {
    assert!("Mars/Olympus_Mons".parse::<BillingZone>().is_err());
    assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
    assert_eq!(BillingZone::default().name(), "Asia/Shanghai");
}
