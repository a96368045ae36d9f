//! Exact money: integer minor units of a currency, checked arithmetic, one
//! named rounding and largest-remainder splitting.
//!
//! Nothing here ever uses floating point. A prorated amount is computed as an
//! exact fraction over `i128` and rounded once, by [`floor_to_minor`].

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A settlement currency the product supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// US dollar, 2 decimals.
    Usd,
    /// Chinese yuan, 2 decimals.
    Cny,
    /// Euro, 2 decimals.
    Eur,
    /// Japanese yen, no decimals.
    Jpy,
}

impl Currency {
    /// Every supported currency, in a stable order.
    pub const ALL: [Currency; 4] = [Currency::Usd, Currency::Cny, Currency::Eur, Currency::Jpy];

    /// Number of decimals of the minor unit (2 for cents, 0 for yen).
    pub const fn decimals(self) -> u32 {
        match self {
            Currency::Usd | Currency::Cny | Currency::Eur => 2,
            Currency::Jpy => 0,
        }
    }

    /// Minor units in one major unit (100 for USD, 1 for JPY).
    pub const fn minor_per_major(self) -> i64 {
        10_i64.pow(self.decimals())
    }

    /// ISO 4217 code.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cny => "CNY",
            Currency::Eur => "EUR",
            Currency::Jpy => "JPY",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL.into_iter().find(|c| c.code() == s).ok_or_else(|| MoneyError::UnknownCurrency(s.to_owned()))
    }
}

/// What can go wrong with money.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The currency code is not one the product settles in.
    #[error("unknown currency {0:?} (expected USD, CNY, EUR or JPY)")]
    UnknownCurrency(String),
    /// The text is not a plain decimal number.
    #[error("{0:?} is not a decimal amount")]
    Malformed(String),
    /// The text has more decimals than the currency's minor unit.
    #[error("{text:?} has more than {decimals} decimals, the precision of {currency}")]
    TooPrecise {
        /// The text as given.
        text: String,
        /// The currency it was read in.
        currency: Currency,
        /// The decimals that currency allows.
        decimals: u32,
    },
    /// A result does not fit in 64-bit minor units.
    #[error("amount overflow")]
    Overflow,
    /// Two amounts of different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// A negative amount where only zero or more makes sense.
    #[error("amount must not be negative")]
    Negative,
    /// A fraction with a zero or negative denominator.
    #[error("invalid ratio")]
    InvalidRatio,
}

/// An amount of money: integer minor units of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    currency: Currency,
    minor: i64,
}

impl Money {
    /// An amount of `minor` units (cents for USD, yen for JPY).
    pub const fn from_minor(currency: Currency, minor: i64) -> Money {
        Money { currency, minor }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money { currency, minor: 0 }
    }

    /// The currency of this amount.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.minor
    }

    /// True when the amount is exactly zero.
    pub const fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// True when the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// Reads a decimal string such as `"67.75"` or `"1234"` (JPY).
    ///
    /// Fewer decimals than the currency has are fine (`"3.5"` is 3.50 USD);
    /// more are refused rather than rounded.
    pub fn parse(currency: Currency, text: &str) -> Result<Money, MoneyError> {
        let minor = parse_scaled(text, currency.decimals()).map_err(|e| match e {
            ScaledError::Malformed => MoneyError::Malformed(text.to_owned()),
            ScaledError::TooPrecise => {
                MoneyError::TooPrecise { text: text.to_owned(), currency, decimals: currency.decimals() }
            }
            ScaledError::Overflow => MoneyError::Overflow,
        })?;
        Ok(Money { currency, minor })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// `self + other`, or an error on overflow or mixed currencies.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self - other`, or an error on overflow or mixed currencies.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self × factor`, or an error on overflow.
    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// The negated amount, or an error on overflow.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// Sums amounts of one currency; an empty input sums to zero in `currency`.
    pub fn checked_sum<I>(currency: Currency, amounts: I) -> Result<Money, MoneyError>
    where
        I: IntoIterator<Item = Money>,
    {
        amounts.into_iter().try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }
}

impl fmt::Display for Money {
    /// The wire form: exactly the currency's decimals, no currency code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.minor), self.currency.decimals())
    }
}

/// Writes `value × 10^-decimals` with exactly `decimals` digits after the point.
pub(crate) fn write_scaled(f: &mut fmt::Formatter<'_>, value: i128, decimals: u32) -> fmt::Result {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if decimals == 0 {
        return write!(f, "{sign}{abs}");
    }
    let scale = 10_u128.pow(decimals);
    let width = decimals as usize;
    write!(f, "{sign}{}.{:0width$}", abs / scale, abs % scale)
}

/// Why a scaled decimal could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScaledError {
    Malformed,
    TooPrecise,
    Overflow,
}

/// Reads `"-12.345"` as the integer `-12345` when `decimals` is 3.
///
/// Accepts an optional leading minus, at least one digit before the point and,
/// if there is a point, at least one after it. No exponent, no plus sign, no
/// spaces, no thousands separators.
pub(crate) fn parse_scaled(text: &str, decimals: u32) -> Result<i64, ScaledError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
        return Err(ScaledError::Malformed);
    }
    let frac = frac.unwrap_or("");
    if frac.len() > decimals as usize {
        return Err(ScaledError::TooPrecise);
    }
    let mut value: i64 = 0;
    let padding = decimals as usize - frac.len();
    let digits = whole.bytes().chain(frac.bytes()).chain(std::iter::repeat_n(b'0', padding));
    for digit in digits {
        value =
            value.checked_mul(10).and_then(|v| v.checked_add(i64::from(digit - b'0'))).ok_or(ScaledError::Overflow)?;
    }
    Ok(if negative { -value } else { value })
}

/// `floor(amount × numerator / denominator)` in minor units: the one rounding
/// used for prorated amounts. The fraction is exact; only the result is
/// rounded, towards negative infinity.
pub fn floor_to_minor(amount: Money, numerator: i64, denominator: i64) -> Result<Money, MoneyError> {
    if denominator <= 0 {
        return Err(MoneyError::InvalidRatio);
    }
    let product = i128::from(amount.minor) * i128::from(numerator);
    let quotient = product.div_euclid(i128::from(denominator));
    let minor = i64::try_from(quotient).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::from_minor(amount.currency, minor))
}

/// Splits `total` into parts proportional to `weights` by the largest
/// remainder method, one part per weight.
///
/// Each part is first the floor of its exact share; the minor units left over
/// go one each to the parts with the largest remainders, earlier parts first
/// on ties. The parts always add up to `total` exactly and each is within one
/// minor unit of its exact share. When every weight is zero, all of `total`
/// goes to the first part (there is nothing to be proportional to).
pub fn split_largest_remainder(total: Money, weights: &[Money]) -> Result<Vec<Money>, MoneyError> {
    let mut parts = vec![Money::zero(total.currency); weights.len()];
    split_into(total, weights, &mut parts)?;
    Ok(parts)
}

/// [`split_largest_remainder`] into a caller's slice of `weights.len()`
/// parts, so that hot paths can split without allocating.
pub fn split_into(total: Money, weights: &[Money], parts: &mut [Money]) -> Result<(), MoneyError> {
    if total.is_negative() {
        return Err(MoneyError::Negative);
    }
    if parts.len() != weights.len() {
        return Err(MoneyError::InvalidRatio);
    }
    let mut weight_sum: i128 = 0;
    for weight in weights {
        total.same_currency(*weight)?;
        if weight.is_negative() {
            return Err(MoneyError::Negative);
        }
        weight_sum += i128::from(weight.minor);
    }
    for part in parts.iter_mut() {
        *part = Money::zero(total.currency);
    }
    if weights.is_empty() {
        return if total.is_zero() { Ok(()) } else { Err(MoneyError::InvalidRatio) };
    }
    if weight_sum == 0 {
        parts[0] = total;
        return Ok(());
    }
    let mut assigned: i64 = 0;
    for (part, weight) in parts.iter_mut().zip(weights) {
        let share = i128::from(total.minor) * i128::from(weight.minor) / weight_sum;
        // A share never exceeds `total`, so it fits in i64.
        let share = i64::try_from(share).map_err(|_| MoneyError::Overflow)?;
        assigned += share;
        part.minor = share;
    }
    distribute_leftover(total, weights, weight_sum, total.minor - assigned, parts);
    Ok(())
}

/// Hands out the `leftover` minor units, one each, largest remainder first.
///
/// `leftover` is smaller than the number of parts, so this picks at most
/// `parts - 1` winners by repeated scans instead of sorting into a buffer.
fn distribute_leftover(total: Money, weights: &[Money], weight_sum: i128, leftover: i64, out: &mut [Money]) {
    let remainder = |i: usize| (i128::from(total.minor) * i128::from(weights[i].minor)) % weight_sum;
    let mut last: Option<(i128, usize)> = None;
    for _ in 0..leftover {
        // The next winner has the largest (remainder, earliest index) strictly
        // after the previous winner in that order.
        let mut best: Option<(i128, usize)> = None;
        for i in 0..weights.len() {
            let r = remainder(i);
            let after_last = match last {
                None => true,
                Some((lr, li)) => r < lr || (r == lr && i > li),
            };
            let beats_best = match best {
                None => true,
                Some((br, _)) => r > br,
            };
            if after_last && beats_best {
                best = Some((r, i));
            }
        }
        if let Some((_, i)) = best {
            out[i].minor += 1;
        }
        last = best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::from_minor(Currency::Usd, minor)
    }

    #[test]
    fn parse_and_display_round_trip_per_currency() {
        let cases = [
            (Currency::Usd, "67.75", 6775, "67.75"),
            (Currency::Usd, "3.5", 350, "3.50"),
            (Currency::Usd, "0", 0, "0.00"),
            (Currency::Usd, "-1.05", -105, "-1.05"),
            (Currency::Eur, "0.01", 1, "0.01"),
            (Currency::Jpy, "1234", 1234, "1234"),
        ];
        for (currency, text, minor, shown) in cases {
            let money = Money::parse(currency, text).unwrap();
            assert_eq!(money.minor(), minor, "{text}");
            assert_eq!(money.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn parse_refuses_more_decimals_than_the_currency_has() {
        assert!(matches!(Money::parse(Currency::Usd, "1.005"), Err(MoneyError::TooPrecise { .. })));
        assert!(matches!(Money::parse(Currency::Jpy, "12.0"), Err(MoneyError::TooPrecise { .. })));
    }

    #[test]
    fn parse_refuses_anything_but_plain_decimals() {
        for text in ["", ".", "1.", ".5", "+1", "1e3", " 1", "1,000", "--1", "1.2.3", "abc"] {
            assert!(matches!(Money::parse(Currency::Usd, text), Err(MoneyError::Malformed(_))), "{text:?}");
        }
        assert_eq!(Money::parse(Currency::Usd, "92233720368547758.08"), Err(MoneyError::Overflow));
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MIN).checked_sub(usd(1)), Err(MoneyError::Overflow));
        let yen = Money::from_minor(Currency::Jpy, 1);
        assert_eq!(usd(1).checked_add(yen), Err(MoneyError::CurrencyMismatch(Currency::Usd, Currency::Jpy)));
    }

    #[test]
    fn floor_to_minor_rounds_down_once() {
        // 10/31 of 100.00 = 32.258… → 32.25
        assert_eq!(floor_to_minor(usd(10_000), 10, 31).unwrap(), usd(3225));
        assert_eq!(floor_to_minor(usd(-10_000), 10, 31).unwrap(), usd(-3226));
        assert_eq!(floor_to_minor(usd(1), 1, 0), Err(MoneyError::InvalidRatio));
    }

    #[test]
    fn split_gives_ties_to_the_earlier_part() {
        let weights = [usd(3333), usd(3333), usd(3334)];
        assert_eq!(split_largest_remainder(usd(7742), &weights).unwrap(), vec![usd(2581), usd(2580), usd(2581)]);
        let thirds = split_largest_remainder(usd(2), &[usd(1), usd(1), usd(1)]).unwrap();
        assert_eq!(thirds, vec![usd(1), usd(1), usd(0)]);
    }

    #[test]
    fn split_over_zero_weights_goes_to_the_first_part() {
        assert_eq!(split_largest_remainder(usd(5), &[usd(0), usd(0)]).unwrap(), vec![usd(5), usd(0)]);
        assert_eq!(split_largest_remainder(usd(5), &[]), Err(MoneyError::InvalidRatio));
    }
}
