//! What a throughput run must leave behind for its figures to stand: every
//! purchase it counted is a paid order, each card purchase was captured by
//! the channel exactly once (no charge lost, doubled or left declined), and
//! the ledger balances.

use anyhow::ensure;
use billing_app::{Billing, Caller};
use billing_store::{SimulatedChannel, SqlStore};

use super::{PayWith, Workload};

/// Refuses the run unless the work it counted (`succeeded` calls, warm-up
/// included) is real.
pub async fn measured_work_is_real(
    workload: Workload,
    billing: &Billing,
    store: &SqlStore,
    channel: &SimulatedChannel,
    succeeded: usize,
) -> anyhow::Result<()> {
    if let Workload::Purchase(pay_with) = workload {
        purchases_are_paid(pay_with, store, channel, succeeded).await?;
    }
    if workload == Workload::Confirm {
        confirmations_have_credit_notes(store, succeeded).await?;
    }
    let ledger = billing.operations().ledger_check(&Caller::Operator).await?;
    ensure!(ledger.ok(), "the ledger does not balance after the run: {:?}", ledger.problems);
    println!("checked:   ledger balanced ({} entries)", ledger.entries);
    Ok(())
}

async fn count(store: &SqlStore, sql: &str) -> anyhow::Result<usize> {
    let n: i64 = sqlx::query_scalar(sql).fetch_one(store.pool()).await?;
    Ok(usize::try_from(n)?)
}

/// Every confirmation counted issued its credit note, numbered 1..N in its
/// year with no gap.
async fn confirmations_have_credit_notes(store: &SqlStore, succeeded: usize) -> anyhow::Result<()> {
    let notes = count(store, "SELECT COUNT(*) FROM documents WHERE kind = 'credit_note'").await?;
    let confirmed = count(store, "SELECT COUNT(*) FROM unsubscriptions").await?;
    ensure!(
        notes == confirmed && confirmed >= succeeded,
        "{succeeded} confirmations were counted, {confirmed} stored, but {notes} credit notes issued"
    );
    let gaps = count(
        store,
        "SELECT COUNT(*) FROM (SELECT year, MAX(seq) - COUNT(*) AS gap FROM documents \
         WHERE kind = 'credit_note' GROUP BY year) g WHERE gap <> 0",
    )
    .await?;
    ensure!(gaps == 0, "credit note numbers have gaps");
    println!("checked:   {confirmed} confirmations, each with its credit note, numbered without gaps");
    Ok(())
}

async fn purchases_are_paid(
    pay_with: PayWith,
    store: &SqlStore,
    channel: &SimulatedChannel,
    succeeded: usize,
) -> anyhow::Result<()> {
    let paid = count(store, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await?;
    ensure!(paid >= succeeded, "{succeeded} purchases were counted but only {paid} orders are paid");
    let log = channel.charge_log().await.map_err(anyhow::Error::msg)?;
    let captured = log.iter().filter(|c| c.outcome == "captured").count();
    ensure!(log.iter().all(|c| c.repeats == 0), "the channel was asked about a charge twice");
    match pay_with {
        PayWith::Card => {
            let ours = count(store, "SELECT COUNT(*) FROM charges WHERE status = 'captured'").await?;
            ensure!(
                captured == paid && ours == paid,
                "{paid} orders are paid but the channel captured {captured} charges and the service recorded {ours}"
            );
            println!(
                "checked:   {succeeded} purchases counted, {paid} orders paid, {captured} charges captured once each"
            );
        }
        PayWith::Balance => {
            ensure!(log.is_empty(), "purchases from the balance reached the channel");
            println!("checked:   {succeeded} purchases counted, {paid} orders paid from the balance");
        }
    }
    Ok(())
}
