//! Refund policy as data: the settings, their textual forms, and versions
//! chosen by the instant they take effect.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use crate::calendar::ProrationUnit;

/// A policy setting that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{setting}: {message}")]
pub struct PolicyError {
    /// The setting's name, as in the policy table.
    pub setting: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

/// A span of elapsed time written as a number and a unit: `120h`, `30d`,
/// `15m` or `45s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PolicyDuration {
    seconds: i64,
}

impl PolicyDuration {
    /// A span of whole seconds.
    pub const fn from_seconds(seconds: i64) -> PolicyDuration {
        PolicyDuration { seconds }
    }

    /// A span of whole hours.
    pub const fn from_hours(hours: i64) -> PolicyDuration {
        PolicyDuration { seconds: hours * 3600 }
    }

    /// A span of whole 24-hour days.
    pub const fn from_days(days: i64) -> PolicyDuration {
        PolicyDuration { seconds: days * 86_400 }
    }

    /// The span in seconds.
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// The span as a chrono duration; a span beyond chrono's range (which
    /// no bounded setting has) is the longest chrono duration.
    pub fn as_duration(self) -> Duration {
        Duration::try_seconds(self.seconds).unwrap_or(Duration::MAX)
    }
}

impl FromStr for PolicyDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a duration like \"120h\", \"30d\", \"15m\" or \"45s\"");
        // The unit is the last character, which need not be one byte long.
        let unit_at = s.char_indices().last().map(|(i, _)| i).ok_or_else(bad)?;
        let (number, unit) = s.split_at(unit_at);
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let value: i64 = number.parse().map_err(|_| bad())?;
        let per_unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        value.checked_mul(per_unit).map(PolicyDuration::from_seconds).ok_or_else(bad)
    }
}

impl fmt::Display for PolicyDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        match () {
            _ if s != 0 && s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            _ if s != 0 && s % 3600 == 0 => write!(f, "{}h", s / 3600),
            _ if s != 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

/// How long after payment an unused resource plan can be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourcePlanWindow {
    /// A fixed span after payment, the end instant included.
    After(PolicyDuration),
    /// For as long as the plan is valid.
    Validity,
}

impl FromStr for ResourcePlanWindow {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "validity" { Ok(ResourcePlanWindow::Validity) } else { s.parse().map(ResourcePlanWindow::After) }
    }
}

impl fmt::Display for ResourcePlanWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourcePlanWindow::After(d) => d.fmt(f),
            ResourcePlanWindow::Validity => f.write_str("validity"),
        }
    }
}

/// Highest yearly limit of full refunds that is not "none".
pub const MAX_FULL_REFUNDS_PER_YEAR: u32 = 1000;

/// The refund rules in force for one commodity family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    /// How used and subscribed time is counted for quotas.
    pub proration_unit: ProrationUnit,
    /// How long an unused plan stays refundable.
    pub resource_plan_window: ResourcePlanWindow,
    /// Whether a used plan gets its unused share back (default: no).
    pub resource_plan_partial_refund: bool,
    /// Full refunds an account may get per calendar year and commodity.
    pub full_refunds_per_year: Option<u32>,
    /// Oldest card payment that is refunded to the card.
    pub card_refund_max_age: PolicyDuration,
    /// Oldest PayPal payment that is refunded to PayPal.
    pub paypal_refund_max_age: PolicyDuration,
    /// How long a quote stays binding.
    pub quote_ttl: PolicyDuration,
}

impl Default for Policy {
    /// The default policy for EMR Serverless Spark.
    fn default() -> Self {
        Policy {
            proration_unit: ProrationUnit::Day,
            resource_plan_window: ResourcePlanWindow::After(PolicyDuration::from_hours(120)),
            resource_plan_partial_refund: false,
            full_refunds_per_year: None,
            card_refund_max_age: PolicyDuration::from_days(150),
            paypal_refund_max_age: PolicyDuration::from_days(180),
            quote_ttl: PolicyDuration::from_seconds(15 * 60),
        }
    }
}

impl Policy {
    /// Names of every setting, as written in policy documents.
    pub const SETTINGS: [&'static str; 7] = [
        "proration_unit",
        "resource_plan_window",
        "resource_plan_partial_refund",
        "full_refunds_per_year",
        "card_refund_max_age",
        "paypal_refund_max_age",
        "quote_ttl",
    ];

    /// Changes one setting from its textual value (`"none"` clears the yearly
    /// limit). Unknown names, bad values and values outside the setting's
    /// bounds ([`Policy::bounds`]) are errors naming the setting.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), PolicyError> {
        let mut changed = *self;
        changed.restore(name, value)?;
        changed.check_setting(name)?;
        *self = changed;
        Ok(())
    }

    /// Changes one setting from a value stored before bounds were checked:
    /// like [`Policy::set`] but without the bounds, so that an old policy
    /// version can still be read.
    pub fn restore(&mut self, name: &str, value: &str) -> Result<(), PolicyError> {
        let setting = Policy::SETTINGS.into_iter().find(|s| *s == name).ok_or_else(|| PolicyError {
            setting: "policy",
            message: format!("unknown setting {name:?} (known: {})", Policy::SETTINGS.join(", ")),
        })?;
        let fail = |message: String| PolicyError { setting, message };
        match setting {
            "proration_unit" => self.proration_unit = value.parse().map_err(fail)?,
            "resource_plan_window" => self.resource_plan_window = value.parse().map_err(fail)?,
            "resource_plan_partial_refund" => {
                self.resource_plan_partial_refund =
                    value.parse().map_err(|_| fail(format!("{value:?} is not true or false")))?;
            }
            "full_refunds_per_year" => {
                self.full_refunds_per_year = match value {
                    "none" | "" => None,
                    n => Some(n.parse().map_err(|_| fail(format!("{n:?} is not a count or \"none\"")))?),
                };
            }
            "card_refund_max_age" => self.card_refund_max_age = value.parse().map_err(fail)?,
            "paypal_refund_max_age" => self.paypal_refund_max_age = value.parse().map_err(fail)?,
            _ => self.quote_ttl = value.parse().map_err(fail)?,
        }
        Ok(())
    }

    /// The shortest and longest span each duration setting accepts; a
    /// resource plan window may also be `validity`.
    pub fn bounds(setting: &str) -> Option<(PolicyDuration, PolicyDuration)> {
        let ten_years = PolicyDuration::from_days(3650);
        match setting {
            "quote_ttl" => Some((PolicyDuration::from_seconds(60), PolicyDuration::from_hours(24))),
            "resource_plan_window" | "card_refund_max_age" | "paypal_refund_max_age" => {
                Some((PolicyDuration::from_hours(1), ten_years))
            }
            _ => None,
        }
    }

    /// Checks every setting against its bounds, naming the first one outside
    /// them.
    pub fn check_bounds(&self) -> Result<(), PolicyError> {
        Policy::SETTINGS.into_iter().try_for_each(|setting| self.check_setting(setting))
    }

    fn check_setting(&self, name: &str) -> Result<(), PolicyError> {
        let (setting, duration) = match name {
            "quote_ttl" => ("quote_ttl", Some(self.quote_ttl)),
            "card_refund_max_age" => ("card_refund_max_age", Some(self.card_refund_max_age)),
            "paypal_refund_max_age" => ("paypal_refund_max_age", Some(self.paypal_refund_max_age)),
            "resource_plan_window" => match self.resource_plan_window {
                ResourcePlanWindow::After(d) => ("resource_plan_window", Some(d)),
                ResourcePlanWindow::Validity => return Ok(()),
            },
            "full_refunds_per_year" if self.full_refunds_per_year.is_some_and(|n| n > MAX_FULL_REFUNDS_PER_YEAR) => {
                let message = format!("must be \"none\" or a count from 0 to {MAX_FULL_REFUNDS_PER_YEAR}");
                return Err(PolicyError { setting: "full_refunds_per_year", message });
            }
            _ => return Ok(()),
        };
        if let (Some(value), Some((least, most))) = (duration, Policy::bounds(setting))
            && (value.seconds() < least.seconds() || value.seconds() > most.seconds())
        {
            return Err(PolicyError { setting, message: format!("{value} is outside {least} to {most}") });
        }
        Ok(())
    }

    /// Every setting with its textual value, in the order of [`Policy::SETTINGS`].
    pub fn settings(&self) -> [(&'static str, String); 7] {
        let limit = self.full_refunds_per_year.map_or_else(|| "none".to_owned(), |n| n.to_string());
        [
            ("proration_unit", self.proration_unit.as_str().to_owned()),
            ("resource_plan_window", self.resource_plan_window.to_string()),
            ("resource_plan_partial_refund", self.resource_plan_partial_refund.to_string()),
            ("full_refunds_per_year", limit),
            ("card_refund_max_age", self.card_refund_max_age.to_string()),
            ("paypal_refund_max_age", self.paypal_refund_max_age.to_string()),
            ("quote_ttl", self.quote_ttl.to_string()),
        ]
    }
}

/// One version of the policy and the instant from which it applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    /// Increasing version number; 1 is the built-in default.
    pub version: u32,
    /// The first instant this version is in force.
    pub effective_from: DateTime<Utc>,
    /// The settings.
    pub policy: Policy,
}

/// Picks the version in force at `now`: the one with the latest
/// `effective_from` not after `now` (the higher version number on a tie).
pub fn policy_in_force(versions: &[PolicyVersion], now: DateTime<Utc>) -> Option<&PolicyVersion> {
    versions.iter().filter(|v| v.effective_from <= now).max_by_key(|v| (v.effective_from, v.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_in_their_unit() {
        for (text, seconds) in [("120h", 432_000), ("30d", 2_592_000), ("15m", 900), ("45s", 45)] {
            let d: PolicyDuration = text.parse().unwrap();
            assert_eq!(d.seconds(), seconds);
        }
        assert_eq!(PolicyDuration::from_hours(120).to_string(), "5d");
        for bad in ["", "h", "12", "1.5h", "-3d", "3w", "99999999999999999d", "å", "3å"] {
            assert!(bad.parse::<PolicyDuration>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_names_the_setting_in_its_error() {
        let mut policy = Policy::default();
        policy.set("resource_plan_window", "validity").unwrap();
        assert_eq!(policy.resource_plan_window, ResourcePlanWindow::Validity);
        let err = policy.set("quote_ttl", "soon").unwrap_err();
        assert_eq!(err.setting, "quote_ttl");
        assert!(policy.set("nope", "1").is_err());
    }

    #[test]
    fn durations_outside_their_bounds_are_refused_naming_the_setting() {
        let cases = [
            ("quote_ttl", "99999999999d"),
            ("quote_ttl", "0s"),
            ("quote_ttl", "59s"),
            ("quote_ttl", "25h"),
            ("card_refund_max_age", "0s"),
            ("card_refund_max_age", "3651d"),
            ("paypal_refund_max_age", "59m"),
            ("resource_plan_window", "0s"),
            ("resource_plan_window", "99999999999d"),
            ("full_refunds_per_year", "1001"),
        ];
        for (setting, value) in cases {
            let mut policy = Policy::default();
            let err = policy.set(setting, value).unwrap_err();
            assert_eq!(err.setting, setting, "{value}");
            assert_eq!(policy.settings(), Policy::default().settings(), "a refused value is not kept by callers");
        }
        let mut policy = Policy::default();
        for (setting, value) in [
            ("quote_ttl", "1m"),
            ("quote_ttl", "24h"),
            ("card_refund_max_age", "1h"),
            ("paypal_refund_max_age", "3650d"),
            ("resource_plan_window", "validity"),
            ("full_refunds_per_year", "1000"),
        ] {
            policy.set(setting, value).unwrap();
        }
        policy.restore("quote_ttl", "0s").unwrap();
        assert_eq!(policy.quote_ttl.seconds(), 0, "a stored value is read back whatever it is");
    }

    #[test]
    fn the_latest_version_not_after_now_is_in_force() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let v = |version, from| PolicyVersion { version, effective_from: t(from), policy: Policy::default() };
        let versions = [v(1, "2020-01-01T00:00:00Z"), v(3, "2024-06-01T00:00:00Z"), v(2, "2023-01-01T00:00:00Z")];
        assert_eq!(policy_in_force(&versions, t("2024-05-31T23:59:59Z")).unwrap().version, 2);
        assert_eq!(policy_in_force(&versions, t("2024-06-01T00:00:00Z")).unwrap().version, 3);
        assert!(policy_in_force(&versions, t("2019-01-01T00:00:00Z")).is_none());
    }
}
