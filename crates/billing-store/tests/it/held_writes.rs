//! Writes a store may hold back until the transaction next needs the
//! database (PostgreSQL): the transaction reads them as written, credits to
//! one balance add up, and one that fails fails the commit too.

use billing_app::ledger::{Movement, customer_balance};
use billing_app::store::{Store, StoreTx};
use billing_domain::ids::AccountId;

use crate::on_every_backend;
use crate::support::{World, at, usd};

/// A balanced movement of `amount` between two ledger accounts.
fn movement(id: &str, amount: &str) -> Movement {
    let mut m = Movement::new(id.to_owned(), "test.held", "ref", at("2026-03-10T14:23:05+08:00"));
    m.transfer("revenue:prepaid", "customer:test:balance", usd(amount));
    m
}

async fn entries_of(tx: &mut (dyn StoreTx + '_), movement_id: &str) -> usize {
    tx.ledger_entries().await.unwrap().iter().filter(|e| e.movement_id == movement_id).count()
}

async fn committed_entries_of(w: &World, movement_id: &str) -> usize {
    let mut tx = w.store.read().await.unwrap();
    entries_of(&mut *tx, movement_id).await
}

#[tokio::test]
async fn a_transaction_reads_what_it_has_written() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_movement(&movement("mov_one", "12.34")).await.unwrap();
        tx.credit_balance(s.id(), usd("12.34")).await.unwrap();
        assert_eq!(entries_of(&mut *tx, "mov_one").await, 2, "the movement, read in its own transaction");
        let account = tx.account(s.id()).await.unwrap().unwrap();
        assert_eq!(account.balance, usd("112.34"), "the credit, read in its own transaction");
        tx.commit().await.unwrap();
        assert_eq!(committed_entries_of(&w, "mov_one").await, 2);
        assert_eq!(w.balance_of(s.id()).await, usd("112.34"));
    });
}

#[tokio::test]
async fn credits_to_one_balance_in_one_transaction_add_up() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let other = w.seed("globex", "5.00").await;
        let mut tx = w.store.begin().await.unwrap();
        tx.credit_balance(s.id(), usd("10.00")).await.unwrap();
        tx.credit_balance(other.id(), usd("1.00")).await.unwrap();
        tx.credit_balance(s.id(), usd("0.01")).await.unwrap();
        tx.insert_movement(&movement("mov_between", "1.00")).await.unwrap();
        tx.credit_balance(s.id(), usd("2.50")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(w.balance_of(s.id()).await, usd("112.51"));
        assert_eq!(w.balance_of(other.id()).await, usd("6.00"));
        let mut tx = w.store.read().await.unwrap();
        let books = tx.ledger_entries().await.unwrap();
        assert!(books.iter().any(|e| e.ledger_account == customer_balance(s.id())), "the seed's own posting");
    });
}

#[tokio::test]
async fn a_credit_to_no_account_fails_and_writes_nothing() {
    on_every_backend!(|w| {
        let missing = AccountId::trusted("acc_missing");
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_movement(&movement("mov_lost", "3.00")).await.unwrap();
        let failed = match tx.credit_balance(&missing, usd("3.00")).await {
            Err(e) => e,
            Ok(()) => tx.commit().await.expect_err("a credit to no account must fail the commit"),
        };
        assert!(failed.to_string().contains("acc_missing"), "{failed}");
        assert_eq!(committed_entries_of(&w, "mov_lost").await, 0);
    });
}

#[tokio::test]
async fn a_held_write_that_fails_fails_the_commit() {
    on_every_backend!(|w| {
        let mut tx = w.store.begin().await.unwrap();
        tx.insert_movement(&movement("mov_twice", "1.00")).await.unwrap();
        tx.commit().await.unwrap();

        let s = w.seed("acme", "0").await;
        let mut tx = w.store.begin().await.unwrap();
        // The same movement again: its id is taken. A store that holds it
        // back finds out at the next statement, here a read.
        let held = tx.insert_movement(&movement("mov_twice", "1.00")).await;
        tx.credit_balance(s.id(), usd("1.00")).await.ok();
        let read = tx.ledger_entries().await;
        assert!(held.is_err() || read.is_err(), "a second movement with one id must be refused");
        if w.backend == "postgres" {
            // The caller went on past the error: the commit must not
            // pretend the rest was written.
            assert!(tx.commit().await.is_err(), "a commit after a failed held write must fail");
            assert_eq!(w.balance_of(s.id()).await, usd("0"));
        }
        assert_eq!(committed_entries_of(&w, "mov_twice").await, 2);
    });
}
