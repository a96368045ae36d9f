//! Reading and writing column values: instants as epoch microseconds, money
//! as minor units beside a currency code, flags as 0/1, enums as their names.

use billing_app::store::{StoreError, StoreResult};
use billing_domain::ids::Id;
use billing_domain::money::{Currency, Money};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An instant as stored.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// An optional instant as stored.
pub(crate) fn opt_micros(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(micros)
}

fn corrupt(column: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {detail}"))
}

/// Typed access to a row's columns with errors naming the column.
pub(crate) trait RowExt {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// An id the service stored itself.
    fn id<I: Id>(&self, column: &str) -> StoreResult<I> {
        self.text(column).map(I::trusted)
    }
    /// An id the service stored itself, or `None` for NULL.
    fn opt_id<I: Id>(&self, column: &str) -> StoreResult<Option<I>> {
        Ok(self.opt_text(column)?.map(I::trusted))
    }
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.int(column)? != 0)
    }
    fn instant(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        let value = self.int(column)?;
        DateTime::from_timestamp_micros(value).ok_or_else(|| corrupt(column, format!("{value} is not an instant")))
    }
    fn opt_instant(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        match self.opt_int(column)? {
            None => Ok(None),
            Some(v) => DateTime::from_timestamp_micros(v)
                .map(Some)
                .ok_or_else(|| corrupt(column, format!("{v} is not an instant"))),
        }
    }
    fn currency(&self, column: &str) -> StoreResult<Currency> {
        let code = self.text(column)?;
        code.parse().map_err(|e| corrupt(column, e))
    }
    fn money(&self, currency: Currency, column: &str) -> StoreResult<Money> {
        Ok(Money::from_minor(currency, self.int(column)?))
    }
    fn parsed<T: std::str::FromStr>(&self, column: &str) -> StoreResult<T>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.text(column)?;
        text.parse().map_err(|e| corrupt(column, e))
    }
}

impl RowExt for AnyRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
}

/// Reads an enum stored by name from its list of variants.
pub(crate) fn by_name<T: Copy>(
    column: &str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> StoreResult<T> {
    all.iter().copied().find(|v| name(*v) == text).ok_or_else(|| corrupt(column, format!("unknown value {text:?}")))
}
