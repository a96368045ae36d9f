//! Money through its public API: decimal text per currency (JPY has no
//! decimals), the one rounding of prorated amounts, and largest-remainder
//! splitting with ties to the earlier part.

use billing_domain::money::{Currency, Money, MoneyError, floor_to_minor, split_largest_remainder};

fn money(currency: Currency, minor: i64) -> Money {
    Money::from_minor(currency, minor)
}

#[test]
fn amounts_read_and_print_with_exactly_the_currency_decimals() {
    #[track_caller]
    fn check(currency: Currency, text: &str, minor: i64, printed: &str) {
        let amount = Money::parse(currency, text).unwrap();
        assert_eq!(amount, money(currency, minor), "{currency} {text}");
        assert_eq!(amount.to_string(), printed, "{currency} {text}");
    }
    check(Currency::Jpy, "1234", 1234, "1234");
    check(Currency::Jpy, "0", 0, "0");
    check(Currency::Jpy, "-5", -5, "-5");
    check(Currency::Jpy, "007", 7, "7");
    check(Currency::Usd, "67.75", 6775, "67.75");
    check(Currency::Usd, "0.5", 50, "0.50");
    check(Currency::Usd, "12", 1200, "12.00");
    check(Currency::Cny, "-0.01", -1, "-0.01");
    check(Currency::Eur, "19326.00", 1_932_600, "19326.00");
}

#[test]
fn amounts_with_more_decimals_than_the_currency_are_refused_not_rounded() {
    #[track_caller]
    fn check(currency: Currency, text: &str) {
        let error = Money::parse(currency, text).unwrap_err();
        assert!(matches!(error, MoneyError::TooPrecise { .. }), "{currency} {text}: {error:?}");
    }
    check(Currency::Jpy, "1.5");
    check(Currency::Jpy, "1234.0");
    check(Currency::Usd, "0.001");
    check(Currency::Eur, "67.755");
}

#[test]
fn currency_codes_are_read_exactly() {
    assert_eq!("JPY".parse::<Currency>(), Ok(Currency::Jpy));
    assert_eq!(Currency::Jpy.decimals(), 0);
    assert_eq!(Currency::Jpy.minor_per_major(), 1);
    assert_eq!(Currency::Usd.minor_per_major(), 100);
    for text in ["jpy", "GBP", "", " USD"] {
        assert!(matches!(text.parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))), "{text:?}");
    }
}

#[test]
fn prorated_amounts_are_rounded_down_once_to_the_minor_unit() {
    #[track_caller]
    fn check(currency: Currency, minor: i64, numerator: i64, denominator: i64, expected: i64) {
        let prorated = floor_to_minor(money(currency, minor), numerator, denominator).unwrap();
        assert_eq!(prorated, money(currency, expected), "{minor} × {numerator}/{denominator}");
    }
    check(Currency::Usd, 10_000, 10, 31, 3225);
    check(Currency::Jpy, 10_000, 10, 31, 3225);
    check(Currency::Jpy, 1000, 1, 3, 333);
    check(Currency::Jpy, 1000, 2, 3, 666);
    check(Currency::Jpy, 99, 31, 31, 99);
    check(Currency::Jpy, 1, 0, 31, 0);
    // The exact product is formed before dividing: no intermediate rounding.
    check(Currency::Usd, i64::MAX, 3, 3, i64::MAX);
    check(Currency::Usd, 1_932_600, 784_800, 2_721_600, 557_284);
}

#[test]
fn prorating_refuses_a_ratio_without_a_positive_denominator() {
    assert_eq!(floor_to_minor(money(Currency::Jpy, 1), 1, 0), Err(MoneyError::InvalidRatio));
    assert_eq!(floor_to_minor(money(Currency::Jpy, 1), 1, -3), Err(MoneyError::InvalidRatio));
    assert_eq!(floor_to_minor(money(Currency::Usd, i64::MAX), 2, 1), Err(MoneyError::Overflow));
}

#[test]
fn splits_add_up_and_give_ties_to_the_earlier_part() {
    #[track_caller]
    fn check(currency: Currency, total: i64, weights: &[i64], expected: &[i64]) {
        let weights: Vec<Money> = weights.iter().map(|w| money(currency, *w)).collect();
        let parts = split_largest_remainder(money(currency, total), &weights).unwrap();
        let parts: Vec<i64> = parts.iter().map(|p| p.minor()).collect();
        assert_eq!(parts, expected, "{total} over {weights:?}");
    }
    check(Currency::Usd, 100, &[1, 1, 1], &[34, 33, 33]);
    check(Currency::Usd, 2, &[1, 1, 1], &[1, 1, 0]);
    check(Currency::Usd, 1, &[1, 1], &[1, 0]);
    check(Currency::Usd, 5, &[1, 1, 1, 1], &[2, 1, 1, 1]);
    check(Currency::Usd, 6, &[1, 1, 1, 1], &[2, 2, 1, 1]);
    check(Currency::Usd, 3, &[2, 1, 2, 1], &[1, 1, 1, 0]);
    check(Currency::Usd, 10, &[1, 2], &[3, 7]);
    check(Currency::Usd, 7, &[3, 3, 1, 1], &[3, 2, 1, 1]);
    check(Currency::Usd, 7742, &[3333, 3333, 3334], &[2581, 2580, 2581]);
    check(Currency::Jpy, 1001, &[5000, 5000], &[501, 500]);
    check(Currency::Jpy, 6775, &[5000, 5000], &[3388, 3387]);
    check(Currency::Jpy, 0, &[5, 5], &[0, 0]);
    check(Currency::Jpy, 5, &[0, 0], &[5, 0]);
    check(Currency::Jpy, 9, &[0, 4], &[0, 9]);
}

#[test]
fn splits_refuse_negative_amounts_mixed_currencies_and_nothing_to_split_over() {
    let usd = |minor| money(Currency::Usd, minor);
    assert_eq!(split_largest_remainder(usd(-1), &[usd(1)]), Err(MoneyError::Negative));
    assert_eq!(split_largest_remainder(usd(1), &[usd(-1), usd(2)]), Err(MoneyError::Negative));
    assert_eq!(
        split_largest_remainder(usd(1), &[money(Currency::Jpy, 1)]),
        Err(MoneyError::CurrencyMismatch(Currency::Usd, Currency::Jpy))
    );
    assert_eq!(split_largest_remainder(usd(1), &[]), Err(MoneyError::InvalidRatio));
    assert_eq!(split_largest_remainder(usd(0), &[]), Ok(vec![]));
}

#[test]
fn arithmetic_reports_overflow_and_mixed_currencies_instead_of_wrapping() {
    let yen = |minor| money(Currency::Jpy, minor);
    assert_eq!(yen(i64::MAX).checked_add(yen(1)), Err(MoneyError::Overflow));
    assert_eq!(yen(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
    assert_eq!(yen(i64::MAX / 2 + 1).checked_mul(2), Err(MoneyError::Overflow));
    assert_eq!(Money::checked_sum(Currency::Jpy, [yen(1), yen(2)]), Ok(yen(3)));
    assert_eq!(Money::checked_sum(Currency::Jpy, []), Ok(yen(0)));
    assert_eq!(
        Money::checked_sum(Currency::Jpy, [yen(1), money(Currency::Eur, 1)]),
        Err(MoneyError::CurrencyMismatch(Currency::Jpy, Currency::Eur))
    );
}
