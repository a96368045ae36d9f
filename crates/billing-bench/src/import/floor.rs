//! The write floor of `billing-bench import`, and the rest each timed phase
//! starts from.

use std::path::Path;

use anyhow::{Context, ensure};
use billing_store::{Backend, SqlStore};
use sqlx::Row;

use super::{Key, create_usage_table, insert_bare_batch, read_ahead, values_list};

/// Pack rows per multi-row INSERT: as the store writes them.
const PACKS_PER_STATEMENT: usize = 512;

/// A settlement pack as the import wrote it, read back for the write floor.
pub(super) struct Pack {
    id: String,
    workspace_id: String,
    account_id: String,
    day_start: i64,
    hours_mask: i64,
    currency: String,
    settled_at: i64,
    own_id: i64,
    lines: String,
}

/// Every settlement pack the import wrote, in the order their ids were made.
pub(super) async fn written_packs(store: &SqlStore) -> anyhow::Result<Vec<Pack>> {
    let rows = sqlx::query("SELECT * FROM settlement_packs ORDER BY id").fetch_all(store.pool()).await?;
    let mut packs = Vec::with_capacity(rows.len());
    for row in rows {
        packs.push(Pack {
            id: row.try_get("id")?,
            workspace_id: row.try_get("workspace_id")?,
            account_id: row.try_get("account_id")?,
            day_start: row.try_get("day_start")?,
            hours_mask: row.try_get("hours_mask")?,
            currency: row.try_get("currency")?,
            settled_at: row.try_get("settled_at")?,
            own_id: row.try_get("own_id")?,
            lines: row.try_get("lines")?,
        });
    }
    Ok(packs)
}

/// The write floor: what any import keeping the records by id and the
/// hours' settlements must write, and nothing else. The same CSV, read the
/// same way, into a table keyed by record id as the keyed baseline does,
/// and the settlement packs the import wrote, spread evenly over the same
/// number of transactions, into a table laid out and indexed as
/// `settlement_packs` is. Nothing is read, settled, charged, drawn or
/// posted to the ledger, so no import can be faster than this.
pub(super) async fn floor_insert(
    store: &SqlStore,
    path: &Path,
    rows_per_statement: usize,
    mut packs: Vec<Pack>,
    transactions: usize,
) -> anyhow::Result<usize> {
    create_usage_table(store, Key::Floor).await?;
    let collate = match store.kind() {
        Backend::Sqlite => "",
        Backend::Postgres => " COLLATE \"C\"",
    };
    for sql in [
        format!(
            "CREATE TABLE bench_floor_packs (id TEXT{collate} PRIMARY KEY, workspace_id TEXT{collate} NOT NULL, \
             account_id TEXT NOT NULL, day_start BIGINT NOT NULL, hours_mask BIGINT NOT NULL, \
             currency TEXT NOT NULL, settled_at BIGINT NOT NULL, own_id BIGINT NOT NULL, lines TEXT NOT NULL)"
        ),
        "CREATE INDEX bench_floor_packs_day ON bench_floor_packs(workspace_id, day_start)".to_owned(),
    ] {
        sqlx::query(&sql).execute(store.pool()).await?;
    }
    let per_transaction = packs.len().div_ceil(transactions.max(1)).max(1);
    let mut shares = packs.chunks_mut(per_transaction);
    let (mut transactions, reading) = read_ahead(path)?;
    let mut rows = 0;
    while let Some((_, batch)) = transactions.recv().await {
        let mut tx = store.begin_sql().await?;
        insert_bare_batch(&mut tx, store.kind(), &batch, rows_per_statement, Key::Floor).await?;
        let share = shares.next().unwrap_or_default();
        // In index order, as the store writes them.
        share
            .sort_unstable_by(|a, b| (&a.workspace_id, a.day_start, &a.id).cmp(&(&b.workspace_id, b.day_start, &b.id)));
        write_packs(tx.conn().await?, store.kind(), share).await?;
        tx.commit_sql().await?;
        rows += batch.len();
    }
    reading.join()?;
    ensure!(shares.next().is_none(), "more shares of packs than transactions");
    Ok(rows)
}

/// Multi-row INSERTs of `packs` into the write floor's pack table, as many
/// rows to a statement as the store writes.
async fn write_packs(conn: &mut sqlx::AnyConnection, backend: Backend, packs: &[Pack]) -> anyhow::Result<()> {
    for chunk in packs.chunks(PACKS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO bench_floor_packs (id, workspace_id, account_id, day_start, hours_mask, currency, \
             settled_at, own_id, lines) VALUES {}",
            values_list(backend, chunk.len(), 9)
        );
        let mut query = sqlx::query(&sql);
        for p in chunk {
            query = query
                .bind(&p.id)
                .bind(&p.workspace_id)
                .bind(&p.account_id)
                .bind(p.day_start)
                .bind(p.hours_mask)
                .bind(&p.currency)
                .bind(p.settled_at)
                .bind(p.own_id)
                .bind(&p.lines);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Finishes, before a timed phase, the upkeep the phases before it leave
/// behind, so that no phase pays for another's writes: on PostgreSQL the
/// vacuum and statistics of what was inserted (which autovacuum would
/// otherwise run during the next phase) and a checkpoint; on SQLite a
/// checkpoint that empties the write-ahead log. Fails rather than measure
/// without them, since a phase would then pay for the one before.
pub(super) async fn quiesce(store: &SqlStore) -> anyhow::Result<()> {
    match store.kind() {
        Backend::Sqlite => {
            let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(store.pool()).await?;
            let busy: i64 = row.try_get(0)?;
            ensure!(busy == 0, "SQLite's log could not be checkpointed before a timed phase");
        }
        Backend::Postgres => {
            sqlx::query("VACUUM (ANALYZE)").execute(store.pool()).await?;
            sqlx::query("CHECKPOINT")
                .execute(store.pool())
                .await
                .context("CHECKPOINT before a timed phase (the role needs superuser or pg_checkpoint)")?;
        }
    }
    Ok(())
}
