//! Writes held back on PostgreSQL: a use case's inserts that nothing later
//! in its transaction reads (an unsubscription with its quote, refunds,
//! ledger movements, balance credits, a workspace's deletion) wait in the
//! transaction and reach the database together, as the parts of one
//! statement, either with its events at commit or just before any other
//! statement runs. A confirmation then spends one round trip on them, not
//! one each.
//!
//! Every statement of [`SqlTx`] goes through [`SqlTx::db`], which writes
//! what is held first, so the transaction always reads its own writes; only
//! the holding writes themselves and a few reads of tables they never touch
//! (settings, documents) take the connection directly. SQLite, which has no
//! writes in `WITH`, holds nothing.

use std::fmt::Write;

use billing_domain::ids::AccountId;
use billing_domain::money::Money;
use sqlx::any::AnyArguments;

use crate::Backend;
use crate::error::map_err;
use crate::tx::SqlTx;
use billing_app::store::{StoreError, StoreResult};

/// A value bound to a held part's marker.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Bind {
    fn from(v: &str) -> Bind {
        Bind::Text(v.to_owned())
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Bind {
        Bind::Text(v)
    }
}

impl From<Option<&str>> for Bind {
    fn from(v: Option<&str>) -> Bind {
        Bind::OptText(v.map(str::to_owned))
    }
}

impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::Int(v)
    }
}

impl From<Option<i64>> for Bind {
    fn from(v: Option<i64>) -> Bind {
        Bind::OptInt(v)
    }
}

/// One data-modifying statement (an `INSERT`, `UPDATE` or `DELETE` with no
/// `WITH` of its own) whose markers `$1, $2, …` are numbered from one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Part {
    /// Its name in the joint statement; later parts may read it.
    pub name: String,
    pub sql: String,
    pub binds: Vec<Bind>,
    /// When set, the part ends in `RETURNING 1` and must touch exactly one
    /// row; the text says what is missing otherwise.
    pub one_row: Option<String>,
}

impl Part {
    pub(crate) fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Part {
        Part { name: String::new(), sql: sql.into(), binds, one_row: None }
    }

    /// The same part, named `name` in the joint statement.
    pub(crate) fn named(mut self, name: &str) -> Part {
        self.name = name.to_owned();
        self
    }
}

/// `sql` with every marker `$n` shifted by `by`.
fn shifted(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' || !chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            n = n * 10 + (d as usize - '0' as usize);
            chars.next();
        }
        let _ = write!(out, "${}", n + by);
    }
    out
}

/// The parts as one statement: each a common table expression, then a
/// `SELECT` that counts the rows of every part that must touch one.
pub(crate) fn joint(parts: &[Part]) -> (String, Vec<&Bind>) {
    let mut sql = String::from("WITH ");
    let mut binds = Vec::new();
    let mut counts = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let name = if part.name.is_empty() { format!("held{i}") } else { part.name.clone() };
        let _ = write!(sql, "{name} AS ({})", shifted(&part.sql, binds.len()));
        binds.extend(&part.binds);
        if part.one_row.is_some() {
            counts.push(format!("(SELECT COUNT(*) FROM {name}) AS n{}", counts.len()));
        }
    }
    if counts.is_empty() {
        sql.push_str(" SELECT 1 AS n");
    } else {
        let _ = write!(sql, " SELECT {}", counts.join(", "));
    }
    (sql, binds)
}

impl SqlTx {
    /// Whether this transaction holds writes back (PostgreSQL).
    pub(crate) fn holds(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Holds `parts` until the transaction next needs the database.
    pub(crate) fn hold(&mut self, parts: Vec<Part>) {
        self.held.extend(parts);
    }

    /// Holds `parts` on PostgreSQL; runs them now, one by one, on SQLite.
    pub(crate) async fn write_or_hold(&mut self, parts: Vec<Part>) -> StoreResult<()> {
        if self.holds() {
            self.hold(parts);
            return Ok(());
        }
        for part in &parts {
            let query = part.binds.iter().fold(sqlx::query::<sqlx::Any>(&part.sql), bind_one);
            query.execute(self.db().await?).await.map_err(map_err)?;
        }
        Ok(())
    }

    /// Holds a credit to an account's balance, added to one already held for
    /// the account: two updates of one row never share a statement.
    pub(crate) fn hold_credit(&mut self, account_id: &AccountId, amount: Money) -> StoreResult<()> {
        if let Some((_, held)) =
            self.credits.iter_mut().find(|(a, m)| a == account_id && m.currency() == amount.currency())
        {
            *held = held.checked_add(amount).map_err(|e| StoreError::Database(format!("balance credit: {e}")))?;
        } else {
            self.credits.push((account_id.clone(), amount));
        }
        Ok(())
    }

    /// The held writes as parts, credits last; none are held afterwards.
    pub(crate) fn take_held(&mut self) -> Vec<Part> {
        let mut parts = std::mem::take(&mut self.held);
        for (account_id, amount) in std::mem::take(&mut self.credits) {
            parts.push(Part {
                name: String::new(),
                sql: "UPDATE accounts SET balance_minor = balance_minor + $1 WHERE id = $2 AND currency = $3 \
                      RETURNING 1"
                    .to_owned(),
                binds: vec![amount.minor().into(), account_id.as_str().into(), amount.currency().code().into()],
                one_row: Some(format!("no account {account_id} in {}", amount.currency())),
            });
        }
        parts
    }

    /// Puts parts back after a failed write, so that the commit fails too
    /// rather than leave them out (PostgreSQL answers a commit after a
    /// failed statement by rolling back, without an error).
    pub(crate) fn restore_held(&mut self, parts: Vec<Part>) {
        let mut back = parts;
        back.append(&mut self.held);
        self.held = back;
    }

    /// Writes `parts` as one statement and checks the rows counted.
    pub(crate) async fn write_parts(&mut self, parts: Vec<Part>) -> StoreResult<()> {
        if parts.is_empty() {
            return Ok(());
        }
        let result = self.write_joint(&parts).await;
        if result.is_err() {
            self.restore_held(parts);
        }
        result
    }

    pub(crate) async fn write_joint(&mut self, parts: &[Part]) -> StoreResult<()> {
        let (sql, binds) = joint(parts);
        let mut query = sqlx::query::<sqlx::Any>(&sql);
        for bind in binds {
            query = bind_one(query, bind);
        }
        let row = query.fetch_one(&mut *self.tx).await.map_err(map_err)?;
        let checked = parts.iter().filter_map(|p| p.one_row.as_deref());
        for (i, missing) in checked.enumerate() {
            let n: i64 = sqlx::Row::try_get(&row, i).map_err(map_err)?;
            if n != 1 {
                return Err(StoreError::Database(missing.to_owned()));
            }
        }
        Ok(())
    }

    /// The connection, once every held write is written: every statement of
    /// the transaction, save the holding writes, goes through here.
    pub(crate) async fn db(&mut self) -> StoreResult<&mut sqlx::AnyConnection> {
        if !self.held.is_empty() || !self.credits.is_empty() {
            let parts = self.take_held();
            self.write_parts(parts).await?;
        }
        Ok(&mut self.tx)
    }
}

/// `query` with `bind` bound to its next marker.
fn bind_one<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, AnyArguments<'q>>,
    bind: &'q Bind,
) -> sqlx::query::Query<'q, sqlx::Any, AnyArguments<'q>> {
    match bind {
        Bind::Text(v) => query.bind(v.as_str()),
        Bind::OptText(v) => query.bind(v.as_deref()),
        Bind::Int(v) => query.bind(*v),
        Bind::OptInt(v) => query.bind(*v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_shift_and_nothing_else_does() {
        assert_eq!(shifted("VALUES ($1, $2, '$x', $10) -- $", 3), "VALUES ($4, $5, '$x', $13) -- $");
        assert_eq!(shifted("no markers", 7), "no markers");
    }

    #[test]
    fn parts_join_in_order_with_their_markers_numbered_on() {
        let a = Part::new("INSERT INTO a (x, y) VALUES ($1, $2)", vec![1i64.into(), "y".into()]);
        let b =
            Part { one_row: Some("no b".into()), ..Part::new("UPDATE b SET x = $1 RETURNING 1", vec![2i64.into()]) };
        let c = Part::new("INSERT INTO c SELECT * FROM b2", vec![]).named("c");
        let parts = [a, b, c];
        let (sql, binds) = joint(&parts);
        assert_eq!(
            sql,
            "WITH held0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), held1 AS (UPDATE b SET x = $3 RETURNING 1), \
             c AS (INSERT INTO c SELECT * FROM b2) SELECT (SELECT COUNT(*) FROM held1) AS n0"
        );
        assert_eq!(binds, vec![&Bind::Int(1), &Bind::Text("y".into()), &Bind::Int(2)]);
    }
}
