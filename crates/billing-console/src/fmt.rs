//! Text forms of amounts, quantities and instants as the console shows them,
//! in the reader's language. Amounts come from `Money`'s own decimal form;
//! only thousands separators and a currency sign are added, so no
//! arithmetic happens here.

use billing_domain::calendar::BillingZone;
use billing_domain::money::Money;
use billing_domain::policy::PolicyDuration;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::i18n::Locale;

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

/// `USD 28,989.00`: the amount with its currency. In Chinese, yuan carry
/// their sign (`¥1,234.50`, `-¥3.00`); other currencies keep their code.
pub fn money(locale: Locale, m: Money) -> String {
    let text = amount(m);
    match (locale, m.currency()) {
        (Locale::ZhCn, billing_domain::money::Currency::Cny) => match text.strip_prefix('-') {
            Some(positive) => format!("-¥{positive}"),
            None => format!("¥{text}"),
        },
        _ => format!("{} {text}", m.currency().code()),
    }
}

/// `1,000` or `96.5`: CU-hours without trailing zeros.
pub fn cu_hours(c: CuHours) -> String {
    let text = c.to_string();
    let text = text.trim_end_matches('0').trim_end_matches('.');
    group_thousands(text)
}

/// `2026-05-01 14:03 UTC+08:00`: an instant in the billing zone; in
/// Chinese `2026年5月1日 14:03 (UTC+08:00)`.
pub fn date_time(locale: Locale, zone: BillingZone, at: DateTime<Utc>) -> String {
    let text = zone.format_rfc3339(at);
    let offset = if text.ends_with('Z') { "+00:00" } else { text.get(text.len().saturating_sub(6)..).unwrap_or("") };
    let day = text.get(..10).unwrap_or("");
    let time = text.get(11..16).unwrap_or("");
    match locale {
        Locale::EnUs => format!("{day} {time} UTC{offset}"),
        Locale::ZhCn => match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) => format!("{} {time} (UTC{offset})", date(locale, d)),
            Err(_) => format!("{day} {time} (UTC{offset})"),
        },
    }
}

/// `2026-05-01 14:03 UTC`: an instant in UTC (audit log, clock).
pub fn utc(locale: Locale, at: DateTime<Utc>) -> String {
    match locale {
        Locale::EnUs => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        Locale::ZhCn => format!("{} {} (UTC)", date(locale, at.date_naive()), at.format("%H:%M")),
    }
}

/// `2026-05-01`; in Chinese `2026年5月1日`.
pub fn date(locale: Locale, d: NaiveDate) -> String {
    match locale {
        Locale::EnUs => d.format("%Y-%m-%d").to_string(),
        Locale::ZhCn => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
    }
}

/// `150 days`, `120 hours`, `15 minutes`: a policy duration in words
/// (`150 天` in Chinese).
pub fn duration(locale: Locale, d: PolicyDuration) -> String {
    let s = d.seconds();
    let (n, unit) = match s {
        _ if s % 86_400 == 0 => (s / 86_400, "day"),
        _ if s % 3_600 == 0 => (s / 3_600, "hour"),
        _ if s % 60 == 0 => (s / 60, "minute"),
        _ => (s, "second"),
    };
    locale.t1(&format!("duration-{unit}"), "n", n)
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
        assert_eq!(money(Locale::EnUs, Money::from_minor(Currency::Jpy, 1234)), "JPY 1,234");
    }

    #[test]
    fn chinese_shows_yuan_with_their_sign() {
        assert_eq!(money(Locale::ZhCn, Money::from_minor(Currency::Cny, 123_450)), "¥1,234.50");
        assert_eq!(money(Locale::ZhCn, Money::from_minor(Currency::Cny, -300)), "-¥3.00");
        assert_eq!(money(Locale::ZhCn, Money::from_minor(Currency::Usd, 123_450)), "USD 1,234.50");
        assert_eq!(money(Locale::EnUs, Money::from_minor(Currency::Cny, 123_450)), "CNY 1,234.50");
    }

    #[test]
    fn chinese_dates_read_year_month_day() {
        let zone = BillingZone::DEFAULT;
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T06:05:00Z").map(|t| t.to_utc());
        let at = at.unwrap_or_default();
        assert_eq!(date_time(Locale::ZhCn, zone, at), "2026年12月3日 14:05 (UTC+08:00)");
        assert_eq!(date_time(Locale::EnUs, zone, at), "2026-12-03 14:05 UTC+08:00");
        assert_eq!(utc(Locale::ZhCn, at), "2026年12月3日 06:05 (UTC)");
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
        assert_eq!(duration(Locale::EnUs, PolicyDuration::from_days(150)), "150 days");
        assert_eq!(duration(Locale::EnUs, PolicyDuration::from_hours(1)), "1 hour");
        assert_eq!(duration(Locale::EnUs, PolicyDuration::from_seconds(900)), "15 minutes");
        assert_eq!(duration(Locale::ZhCn, PolicyDuration::from_days(150)), "150 天");
    }
}
