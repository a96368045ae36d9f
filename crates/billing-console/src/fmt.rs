//! Text forms of amounts, quantities and instants as the console shows them.
//! Amounts come from `Money`'s own decimal form; only thousands separators
//! are added, so no arithmetic happens here.

use billing_domain::calendar::BillingZone;
use billing_domain::money::Money;
use billing_domain::policy::PolicyDuration;
use billing_domain::usage::CuHours;
use chrono::{DateTime, NaiveDate, Utc};

/// Inserts `,` every three digits into the whole part of a decimal string.
pub fn group_thousands(decimal: &str) -> String {
    let (sign, body) = decimal.strip_prefix('-').map_or(("", decimal), |rest| ("-", rest));
    let (whole, fraction) = body.split_once('.').map_or((body, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `28,989.00`: the amount alone.
pub fn amount(m: Money) -> String {
    group_thousands(&m.to_string())
}

/// `USD 28,989.00`: the amount with its currency.
pub fn money(m: Money) -> String {
    format!("{} {}", m.currency().code(), amount(m))
}

/// `1,000` or `96.5`: CU-hours without trailing zeros.
pub fn cu_hours(c: CuHours) -> String {
    let text = c.to_string();
    let text = text.trim_end_matches('0').trim_end_matches('.');
    group_thousands(text)
}

/// `2026-05-01 14:03 UTC+08:00`: an instant in the billing zone.
pub fn date_time(zone: BillingZone, at: DateTime<Utc>) -> String {
    let text = zone.format_rfc3339(at);
    let offset = if text.ends_with('Z') { "+00:00" } else { text.get(text.len().saturating_sub(6)..).unwrap_or("") };
    format!("{} {} UTC{offset}", text.get(..10).unwrap_or(""), text.get(11..16).unwrap_or(""))
}

/// `2026-05-01 14:03 UTC`: an instant in UTC (audit log, clock).
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2026-05-01`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `150 days`, `120 hours`, `15 minutes`: a policy duration in words.
pub fn duration(d: PolicyDuration) -> String {
    let s = d.seconds();
    let (n, unit) = match s {
        _ if s % 86_400 == 0 => (s / 86_400, "day"),
        _ if s % 3_600 == 0 => (s / 3_600, "hour"),
        _ if s % 60 == 0 => (s / 60, "minute"),
        _ => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `text` with its first letter in upper case, as a sentence starts.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing_domain::money::Currency;

    #[test]
    fn thousands_are_grouped_without_touching_decimals() {
        assert_eq!(group_thousands("28989.00"), "28,989.00");
        assert_eq!(group_thousands("-1234567"), "-1,234,567");
        assert_eq!(group_thousands("999.5"), "999.5");
        assert_eq!(money(Money::from_minor(Currency::Jpy, 1234)), "JPY 1,234");
    }

    #[test]
    fn a_sentence_starts_with_a_capital() {
        assert_eq!(sentence("type the name"), "Type the name");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn cu_hours_drop_trailing_zeros() {
        assert_eq!(cu_hours(CuHours::from_whole(2000)), "2,000");
        assert_eq!(cu_hours(CuHours::from_milli(96_500)), "96.5");
    }

    #[test]
    fn durations_read_in_their_largest_whole_unit() {
        assert_eq!(duration(PolicyDuration::from_days(150)), "150 days");
        assert_eq!(duration(PolicyDuration::from_hours(1)), "1 hour");
        assert_eq!(duration(PolicyDuration::from_seconds(900)), "15 minutes");
    }
}
