//! Settling an order's payment from its charges. A payment attempt (the
//! charges one `pay_in` wrote) goes through whole or not at all: the order
//! is paid only from every charge of one attempt, each captured; when one
//! is declined the others are given back. Charges of any other attempt are
//! given back too.
//!
//! Two processes may settle one order at once (the request and a worker).
//! They meet at the account's row lock: a completion reads the attempt's
//! charges under it and needs all of them still usable, and giving charges
//! back marks them `voiding` under it first, sparing those an order was
//! already paid with. So a charge is never both given back and paid with.

use std::collections::HashSet;

use billing_domain::ids::{ChargeId, OrderId};
use billing_domain::order::OrderStatus;
use serde_json::json;

use crate::channel::{ChargeAnswer, bounded, unavailable};
use crate::charges::{ChargeRecord, ChargeStatus, Settled};
use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::model::{OrderRecord, TenderRecord};
use crate::purchase::Purchase;
use crate::purchase::Purchases;

/// The charge ids an order was paid with.
fn paid_with(order: &OrderRecord) -> HashSet<ChargeId> {
    order.tenders.iter().filter_map(|t| t.charge_id.clone()).collect()
}

impl Purchases {
    /// Takes an order's payment as far as it can go now: asks the channel
    /// about each requested charge of its latest attempt, then pays the
    /// order or, on a decline, gives the rest back and leaves it unpaid with
    /// the reason. Safe to run in several processes at once and again.
    pub async fn settle_order_payment(&self, order_id: &OrderId) -> AppResult<Settled> {
        let (order, charges) = {
            let mut tx = self.core.read().await?;
            let order = tx.order(order_id).await?.ok_or_else(|| AppError::not_found("order", order_id))?;
            (order, tx.charges_of_order(order_id).await?)
        };
        Ok(self.settle_loaded(order, charges).await?.0)
    }

    /// [`crate::purchase::Purchases::settle_order_payment`] of an order and its charges as
    /// just read; with the purchase as paid when this call paid it.
    pub(crate) async fn settle_loaded(
        &self,
        order: OrderRecord,
        charges: Vec<ChargeRecord>,
    ) -> AppResult<(Settled, Option<Purchase>)> {
        let open: Vec<ChargeRecord> = charges.iter().filter(|c| c.status.is_open()).cloned().collect();
        if order.status != OrderStatus::Unpaid {
            // Paid, refunded or cancelled: every open charge it was not paid
            // with (all, for a cancelled order) goes back.
            self.give_back(&order.id, &open).await?;
            let settled = if order.status == OrderStatus::Cancelled { Settled::Declined } else { Settled::Paid };
            return Ok((settled, None));
        }
        let Some(attempt) = charges.last().map(|c| c.payment_id.clone()) else {
            return Ok((Settled::Declined, None));
        };
        let (current, stale): (Vec<ChargeRecord>, Vec<ChargeRecord>) =
            charges.into_iter().partition(|c| c.payment_id == attempt);
        self.give_back(&order.id, &stale.into_iter().filter(|c| c.status.is_open()).collect::<Vec<_>>()).await?;
        if !current.iter().any(|c| c.status.is_open()) {
            return Ok((Settled::Declined, None));
        }
        if let Some(failed) =
            current.iter().find(|c| !matches!(c.status, ChargeStatus::Requested | ChargeStatus::Captured))
        {
            let reason = failed.failure.clone().unwrap_or_else(|| "the payment was given back".to_owned());
            return Ok((self.decline_payment(&order, &current, &reason).await?, None));
        }
        // Captures are recorded with the completion, in its transaction; a
        // process that stops before it leaves them requested, and asking the
        // channel again under the same ids answers "captured" once more.
        let mut captured_now = HashSet::new();
        for c in current.iter().filter(|c| c.status == ChargeStatus::Requested && c.through_channel()) {
            if let ChargeAnswer::Declined(reason) = self.ask_channel(c).await? {
                let mut tx = self.core.begin().await?;
                tx.set_charge_status(
                    &c.id,
                    ChargeStatus::Requested,
                    ChargeStatus::Declined,
                    Some(&reason),
                    self.core.now(),
                )
                .await?;
                tx.commit().await?;
                let rest: Vec<ChargeRecord> = current.iter().filter(|k| k.id != c.id).cloned().collect();
                return Ok((self.decline_payment(&order, &rest, &reason).await?, None));
            }
            captured_now.insert(c.id.clone());
        }
        match self.complete_order_payment(&order, &attempt, &captured_now).await {
            Ok(purchase) => Ok((Settled::Paid, purchase)),
            Err(
                e @ (AppError::InsufficientBalance { .. }
                | AppError::AccountOverdue { .. }
                | AppError::InvalidState { .. }),
            ) => Ok((self.decline_payment(&order, &current, &e.to_string()).await?, None)),
            Err(e) => Err(e),
        }
    }

    async fn decline_payment(&self, order: &OrderRecord, charges: &[ChargeRecord], reason: &str) -> AppResult<Settled> {
        let open: Vec<ChargeRecord> = charges.iter().filter(|c| c.status.is_open()).cloned().collect();
        if !self.give_back(&order.id, &open).await? {
            // The order was paid meanwhile, by another process.
            return Ok(Settled::Paid);
        }
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        tx.set_order_payment_failure(&order.id, Some(reason)).await?;
        audit(&mut *tx, &Caller::System, "order.payment_declined", &order.id, json!({"reason": reason}), now).await?;
        tx.commit().await?;
        Ok(Settled::Declined)
    }

    /// Gives charges of an order back: first marks them `voiding` under the
    /// account's lock (sparing any the order was paid with), then asks the
    /// channel to void each and records it. False when the order turned out
    /// to be paid with some of them.
    async fn give_back(&self, order_id: &OrderId, charges: &[ChargeRecord]) -> AppResult<bool> {
        let Some(first) = charges.first() else { return Ok(true) };
        let mut tx = self.core.begin().await?;
        tx.lock_account(&first.account_id).await?;
        let order = tx.order(order_id).await?.ok_or_else(|| AppError::not_found("order", order_id))?;
        let spared = paid_with(&order);
        let mut voiding = Vec::with_capacity(charges.len());
        for c in charges.iter().filter(|c| !spared.contains(&c.id)) {
            let marked = c.status == ChargeStatus::Voiding
                || tx.set_charge_status(&c.id, c.status, ChargeStatus::Voiding, None, self.core.now()).await?;
            if marked {
                voiding.push(c);
            }
        }
        tx.commit().await?;
        for c in voiding {
            if c.through_channel() {
                let channel = self.channel()?;
                bounded(channel.void_charge(&c.id, self.core.now())).await.map_err(unavailable)?;
            }
            let mut tx = self.core.begin().await?;
            tx.set_charge_status(&c.id, ChargeStatus::Voiding, ChargeStatus::Voided, None, self.core.now()).await?;
            tx.commit().await?;
        }
        Ok(charges.iter().all(|c| !spared.contains(&c.id)))
    }

    /// Pays the order from every charge of `attempt`, each captured (those
    /// in `captured_now` just now, recorded here; a balance tender is taken
    /// off the balance now), in one transaction with its ledger posting. An
    /// order already paid is left as it is (`None`).
    async fn complete_order_payment(
        &self,
        unpaid: &OrderRecord,
        attempt: &str,
        captured_now: &HashSet<ChargeId>,
    ) -> AppResult<Option<Purchase>> {
        let order_id = &unpaid.id;
        let mut tx = self.core.begin().await?;
        let account =
            tx.lock_account(&unpaid.account_id).await?.ok_or_else(|| AppError::internal("order without account"))?;
        let Some(order) = tx.order(order_id).await? else { return Err(AppError::internal("order vanished")) };
        match order.status {
            OrderStatus::Paid | OrderStatus::Refunded => return Ok(None),
            OrderStatus::Unpaid => {}
            other => return Err(AppError::state(format!("the order is {}, not unpaid", other.as_str()))),
        }
        let mut charges: Vec<ChargeRecord> =
            tx.charges_of_order(order_id).await?.into_iter().filter(|c| c.payment_id == attempt).collect();
        charges.sort_by_key(|c| c.index);
        let usable = |c: &ChargeRecord| match c.status {
            ChargeStatus::Captured => c.through_channel(),
            ChargeStatus::Requested => !c.through_channel() || captured_now.contains(&c.id),
            _ => false,
        };
        if charges.is_empty() || !charges.iter().all(usable) {
            return Err(AppError::state("the payment's charges are no longer all usable"));
        }
        let instance =
            tx.instance(&order.instance_id).await?.ok_or_else(|| AppError::internal("order without instance"))?;
        let region = crate::catalog::region_of(&mut *tx, &instance.region_id).await?;
        crate::purchase::check_can_buy(&account, &region)?;
        let tenders: Vec<TenderRecord> = charges.iter().map(ChargeRecord::tender).collect();
        crate::payment::check_balance(&account, &tenders)?;
        for c in charges.iter().filter(|c| c.status == ChargeStatus::Requested) {
            if !tx
                .set_charge_status(&c.id, ChargeStatus::Requested, ChargeStatus::Captured, None, self.core.now())
                .await?
            {
                return Err(AppError::state("the payment's charges changed"));
            }
        }
        let purchase = Purchase { instance, order, charges: Vec::new() };
        let purchase = self.complete_payment(&mut *tx, &Caller::System, &account, purchase, tenders).await?;
        tx.commit().await?;
        Ok(Some(purchase))
    }
}
