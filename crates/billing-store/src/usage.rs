//! Usage records, the settlements of workspace-hours, and the bulk reads and
//! writes that make an import batch cost a fixed number of statements
//! whatever its size.
//!
//! Multi-row statements are cut into a few fixed shapes (whole statements of
//! [`ROWS_PER_STATEMENT`] rows, then powers of two; IN lists padded to a
//! power of two), so every statement stays in the driver's prepared-statement
//! cache instead of being parsed again for each odd size.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::task::Poll;

use async_trait::async_trait;
use billing_app::metering::{UsageFacts, UsageWorkspace};
use billing_app::model::{InstanceRecord, OrderRecord, UsageRecord};
use billing_app::store::{StoreError, StoreResult, UsageTx};
use billing_domain::catalog::Commodity;
use billing_domain::ids::InstanceId;
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

/// Most rows one multi-row statement writes and most values one IN list
/// holds: 12 columns × 512 rows = 6,144 parameters, inside SQLite's 32,766
/// and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 512;

/// Parameter markers, numbered in the order they are written.
///
/// SQLite finds the number of a named parameter such as `$7` by walking the
/// list of all of them, so binding n of them costs n²/2 steps — at a few
/// thousand parameters that is most of an insert's time. Its anonymous `?`
/// binds in constant time and, written in order, means the same. PostgreSQL
/// takes only `$n`.
pub(crate) struct Params {
    backend: Backend,
    count: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Params {
        Params { backend, count: 0 }
    }

    /// `n` markers separated by commas.
    pub(crate) fn list(&mut self, n: usize) -> String {
        let mut sql = String::with_capacity(n * 6);
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            self.count += 1;
            match self.backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", self.count);
                }
            }
        }
        sql
    }

    /// `rows` parenthesised rows of `columns` markers, for a VALUES list.
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        let mut sql = String::with_capacity(rows * (columns * 6 + 3));
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&self.list(columns));
            sql.push(')');
        }
        sql
    }
}

/// Consecutive pieces of `items`: whole statements first, then the powers of
/// two the remainder is made of.
pub(crate) fn statements<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = if rest.len() >= ROWS_PER_STATEMENT { ROWS_PER_STATEMENT } else { 1 << rest.len().ilog2() };
        let (piece, tail) = rest.split_at(size);
        out.push(piece);
        rest = tail;
    }
    out
}

/// `chunk` padded to a power of two by repeating its last value (a repeat
/// changes nothing in an IN list).
pub(crate) fn padded<T: Copy>(chunk: &[T]) -> Vec<T> {
    let mut out = chunk.to_vec();
    if let Some(last) = chunk.last() {
        out.resize(chunk.len().max(8).next_power_of_two(), *last);
    }
    out
}

/// Starts `statement` and, while the database runs it (on SQLite's worker
/// thread, or in PostgreSQL's server process), runs `meanwhile` here; then
/// waits for the statement, which is always driven to its end.
///
/// One poll hands a statement to SQLite's worker. On PostgreSQL a statement
/// not yet prepared on the connection, or too large to send at once, needs
/// more polls before the server runs it; `meanwhile` then runs first and
/// only the overlap is lost.
pub(crate) async fn while_running<F: Future, T>(statement: F, meanwhile: impl FnOnce() -> T) -> (F::Output, T) {
    let mut statement = std::pin::pin!(statement);
    let early = std::future::poll_fn(|cx| Poll::Ready(statement.as_mut().poll(cx))).await;
    let done = meanwhile();
    let output = match early {
        Poll::Ready(output) => output,
        Poll::Pending => statement.await,
    };
    (output, done)
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the values of [`SqlTx::usage_insert_sql`].
fn bind_usage<'q>(mut query: Query<'q>, piece: &'q [&UsageRecord]) -> Query<'q> {
    for r in piece {
        query = query.bind(&r.record_id).bind(&r.workspace_id).bind(micros(r.hour_start)).bind(r.cu_hours.milli());
    }
    query
}

fn usage_record(row: &AnyRow) -> StoreResult<UsageRecord> {
    Ok(UsageRecord {
        record_id: row.text("record_id")?,
        workspace_id: row.text("workspace_id")?,
        hour_start: row.instant("hour_start")?,
        cu_hours: CuHours::from_milli(row.int("cu_milli")?),
    })
}

impl SqlTx {
    /// Inserts every record, answering whether all of them were new; when
    /// not, what was written must be rolled back.
    ///
    /// SQLite skips a known id at no cost and counts what it wrote.
    /// PostgreSQL's skipping (`ON CONFLICT`) probes the key before each row
    /// on top of the insert's own check, so there a plain INSERT is sent and
    /// a known id is told by the unique violation that stops it.
    async fn insert_usage_blind(&mut self, records: &[&UsageRecord]) -> StoreResult<bool> {
        let skip_known = self.backend == Backend::Sqlite;
        let mut written = 0;
        for piece in statements(records) {
            let sql = self.usage_insert_sql(piece.len(), skip_known, false);
            match bind_usage(sqlx::query(&sql), piece).execute(self.db().await?).await.map_err(map_err) {
                Ok(done) => written += done.rows_affected(),
                Err(StoreError::Unique(_)) if !skip_known => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(written == records.len() as u64)
    }

    /// A multi-row INSERT of `rows` records; when `skip_known`, one that
    /// skips ids already stored, answering the ids it inserted when
    /// `returning`.
    fn usage_insert_sql(&self, rows: usize, skip_known: bool, returning: bool) -> String {
        let mut sql = String::from("INSERT INTO usage_records (record_id, workspace_id, hour_start, cu_milli) VALUES ");
        sql.push_str(&Params::new(self.backend).rows(rows, 4));
        if skip_known {
            sql.push_str(" ON CONFLICT (record_id) DO NOTHING");
        }
        if returning {
            sql.push_str(" RETURNING record_id");
        }
        sql
    }

    async fn execute(&mut self, sql: &str) -> StoreResult<()> {
        sqlx::query(sql).execute(self.db().await?).await.map_err(map_err)?;
        Ok(())
    }

    /// Rows of `{head} {column} IN (values)`, over chunks of `values`.
    pub(crate) async fn rows_in<T: AsRef<str> + ?Sized + Sync>(
        &mut self,
        head: &str,
        column: &str,
        values: &[&T],
    ) -> StoreResult<Vec<AnyRow>> {
        let mut rows = Vec::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            let sql = format!("{head} {column} IN ({})", Params::new(self.backend).list(list.len()));
            let mut query = sqlx::query(&sql);
            for value in list {
                query = query.bind(value.as_ref());
            }
            rows.extend(query.fetch_all(self.db().await?).await.map_err(map_err)?);
        }
        Ok(rows)
    }

    /// Settling reads the accounts' plans and balances and then writes them,
    /// so on PostgreSQL it holds the accounts first, as every read-then-write
    /// use case does, taking them in id order so that two imports cannot
    /// deadlock (SQLite's write lock already keeps writers apart).
    async fn lock_accounts(&mut self, sorted_ids: &[&str]) -> StoreResult<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        for chunk in sorted_ids.chunks(ROWS_PER_STATEMENT) {
            let list = padded(chunk);
            let markers = Params::new(self.backend).list(list.len());
            let sql = format!("SELECT id FROM accounts WHERE id IN ({markers}) ORDER BY id FOR UPDATE");
            let mut query = sqlx::query(&sql);
            for id in list {
                query = query.bind(id);
            }
            query.fetch_all(self.db().await?).await.map_err(map_err)?;
        }
        Ok(())
    }
}

// Row readers for the bulk facts; instances and orders are read by
// `crate::instances`.

fn workspace(row: &AnyRow) -> StoreResult<UsageWorkspace> {
    Ok(UsageWorkspace {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        region_id: row.text("region_id")?,
        created_at: row.instant("created_at")?,
    })
}

#[async_trait]
impl UsageTx for SqlTx {
    async fn insert_usage(&mut self, records: &[&UsageRecord]) -> StoreResult<Vec<Option<UsageRecord>>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.execute("SAVEPOINT usage_insert").await?;
        if self.insert_usage_blind(records).await? {
            self.execute("RELEASE SAVEPOINT usage_insert").await?;
            return Ok(vec![None; records.len()]);
        }
        self.execute("ROLLBACK TO SAVEPOINT usage_insert").await?;
        self.execute("RELEASE SAVEPOINT usage_insert").await?;
        let mut inserted = HashSet::with_capacity(records.len());
        for piece in statements(records) {
            let sql = self.usage_insert_sql(piece.len(), true, true);
            for row in bind_usage(sqlx::query(&sql), piece).fetch_all(self.db().await?).await.map_err(map_err)? {
                inserted.insert(row.text("record_id")?);
            }
        }
        let known: Vec<&str> =
            records.iter().map(|r| r.record_id.as_str()).filter(|id| !inserted.contains(*id)).collect();
        let mut stored = HashMap::with_capacity(known.len());
        for row in self.rows_in("SELECT * FROM usage_records WHERE", "record_id", &known).await? {
            let record = usage_record(&row)?;
            stored.insert(record.record_id.clone(), record);
        }
        records
            .iter()
            .map(|r| match inserted.contains(&r.record_id) {
                true => Ok(None),
                false => stored.get(&r.record_id).cloned().map(Some).ok_or_else(|| {
                    StoreError::Database(format!("usage record {} neither inserted nor found", r.record_id))
                }),
            })
            .collect()
    }

    async fn usage_facts(&mut self, workspace_ids: &[&str]) -> StoreResult<UsageFacts> {
        let head = "SELECT id, account_id, region_id, created_at FROM workspaces WHERE";
        let workspaces = self.rows_in(head, "id", workspace_ids).await?;
        let workspaces = workspaces.iter().map(workspace).collect::<StoreResult<Vec<_>>>()?;
        let accounts: BTreeSet<&str> = workspaces.iter().map(|w| w.account_id.as_str()).collect();
        let accounts: Vec<&str> = accounts.into_iter().collect();
        self.lock_accounts(&accounts).await?;
        let head = "SELECT * FROM instances WHERE (commodity = 'spark_reserved' \
                    OR (commodity = 'spark_resource_plan' AND state = 'active')) AND";
        let instances = self.rows_in(head, "account_id", &accounts).await?;
        let bound: HashSet<&str> = workspace_ids.iter().copied().collect();
        let (mut quotas, mut plans) = (Vec::new(), Vec::new());
        for row in &instances {
            let i = crate::instances::instance(row)?;
            match i.commodity {
                Commodity::SparkResourcePlan => plans.push(i),
                Commodity::SparkReserved if i.workspace_id.as_deref().is_some_and(|w| bound.contains(w)) => {
                    quotas.push(i);
                }
                Commodity::SparkReserved => {}
            }
        }
        quotas.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        plans.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let ids: Vec<&str> = quotas.iter().chain(&plans).map(|i| i.id.as_str()).collect();
        let orders = self.rows_in("SELECT * FROM orders WHERE", "instance_id", &ids).await?;
        // Without tenders and benefits, which settling does not read.
        let mut orders = orders.iter().map(crate::instances::order).collect::<StoreResult<Vec<_>>>()?;
        orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut orders_of: HashMap<InstanceId, Vec<OrderRecord>> = HashMap::new();
        for o in orders {
            orders_of.entry(o.instance_id.clone()).or_default().push(o);
        }
        let mut with_orders = |i: InstanceRecord| {
            let orders = orders_of.remove(&i.id).unwrap_or_default();
            (i, orders)
        };
        let quotas = quotas.into_iter().map(&mut with_orders).collect();
        let plans = plans.into_iter().map(&mut with_orders).collect();
        Ok(UsageFacts { workspaces, quotas, plans })
    }

    async fn charge_usage(&mut self, charges: &[(&str, Money)]) -> StoreResult<()> {
        for piece in statements(charges) {
            let sql = format!(
                "UPDATE accounts SET balance_minor = accounts.balance_minor - v.column2 FROM (VALUES {}) AS v \
                 WHERE accounts.id = v.column1 AND accounts.currency = v.column3",
                Params::new(self.backend).rows(piece.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (account, charge) in piece {
                query = query.bind(*account).bind(charge.minor()).bind(charge.currency().code());
            }
            let done = query.execute(self.db().await?).await.map_err(map_err)?;
            if done.rows_affected() != piece.len() as u64 {
                return Err(StoreError::Database(format!(
                    "{} of {} charged accounts are missing or settle in another currency",
                    piece.len() as u64 - done.rows_affected(),
                    piece.len()
                )));
            }
        }
        Ok(())
    }

    async fn set_plans_used(&mut self, used: &[(&str, CuHours)]) -> StoreResult<()> {
        for piece in statements(used) {
            let sql = format!(
                "UPDATE instances SET used_milli = v.column2 FROM (VALUES {}) AS v WHERE instances.id = v.column1",
                Params::new(self.backend).rows(piece.len(), 2)
            );
            let mut query = sqlx::query(&sql);
            for (plan, cu) in piece {
                query = query.bind(*plan).bind(cu.milli());
            }
            query.execute(self.db().await?).await.map_err(map_err)?;
        }
        Ok(())
    }
}
