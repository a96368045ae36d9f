//! Top-ups of an account's balance. Cash comes in only through the payment
//! channel: a card or PayPal top-up is a charge, credited once the channel
//! captured it; a bank transfer is credited by an operator who saw it
//! arrive. Nothing a customer says about money they sent is believed.

use billing_domain::ids::{AccountId, ChargeId, PaymentMethodId};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use serde_json::json;

use crate::charges::{ChargeRecord, ChargeStatus};
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::ledger::{Movement, channel, customer_balance};
use crate::model::Account;
use crate::purchase::Purchases;
use crate::store::StoreTx;

/// The most one top-up may add, in major units of the account's currency.
pub const MAX_TOP_UP_MAJOR: i64 = 100_000_000;

/// What a top-up request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopUpRequest {
    /// The account credited.
    pub account_id: AccountId,
    /// How much.
    pub amount: Money,
    /// Card or PayPal (charged through the channel), or bank transfer
    /// (recorded by an operator).
    pub method: PaymentMethodKind,
    /// The card or PayPal account to charge.
    pub payment_method_id: Option<PaymentMethodId>,
}

/// A top-up as accepted: credited at once, or a charge to settle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopUp {
    /// A bank transfer recorded by an operator: the account as credited.
    Credited(Account),
    /// A charge written for the channel; [`crate::purchase::Purchases::finish_top_up`] takes it.
    Charge(ChargeId),
}

impl Purchases {
    /// Tops up a balance: accepts the request, then, for a card or PayPal,
    /// charges it and credits the balance once captured.
    pub async fn top_up(&self, caller: &Caller, request: &TopUpRequest) -> AppResult<Account> {
        let mut tx = self.core.begin().await?;
        let accepted = self.top_up_in(&mut *tx, caller, request).await?;
        tx.commit().await?;
        match accepted {
            TopUp::Credited(account) => Ok(account),
            TopUp::Charge(charge_id) => self.finish_top_up(caller, &charge_id).await,
        }
    }

    /// Records a bank transfer that arrived on an account (operators only).
    pub async fn record_transfer(&self, caller: &Caller, account_id: &AccountId, amount: Money) -> AppResult<Account> {
        let request = TopUpRequest {
            account_id: account_id.to_owned(),
            amount,
            method: PaymentMethodKind::BankTransfer,
            payment_method_id: None,
        };
        self.top_up(caller, &request).await
    }

    /// [`crate::purchase::Purchases::top_up`]'s first step inside the caller's transaction.
    pub(crate) async fn top_up_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        request: &TopUpRequest,
    ) -> AppResult<TopUp> {
        let amount = request.amount;
        let account = tx.account(&request.account_id).await?;
        let account = visible(caller, "account", &request.account_id, account, |a| &a.id)?;
        if request.method == PaymentMethodKind::BankTransfer {
            caller.require_operator()?;
        }
        check_amount(&account, amount)?;
        match request.method {
            PaymentMethodKind::Balance => {
                Err(AppError::invalid("method", "a top-up comes from a card, PayPal or a bank transfer"))
            }
            PaymentMethodKind::BankTransfer => {
                if request.payment_method_id.is_some() {
                    return Err(AppError::invalid("payment_method_id", "a bank transfer takes none"));
                }
                Ok(TopUp::Credited(self.credit_transfer(tx, caller, &account, amount).await?))
            }
            PaymentMethodKind::Card | PaymentMethodKind::Paypal => {
                self.channel()?;
                let charge = self.top_up_charge(tx, &account, request).await?;
                tx.insert_charge(&charge).await?;
                let detail =
                    json!({"amount": amount.to_string(), "method": request.method.as_str(), "charge_id": charge.id});
                audit(tx, caller, "balance.top_up_requested", &account.id, detail, self.core.now()).await?;
                Ok(TopUp::Charge(charge.id))
            }
        }
    }

    async fn top_up_charge(
        &self,
        tx: &mut (dyn StoreTx + '_),
        account: &Account,
        request: &TopUpRequest,
    ) -> AppResult<ChargeRecord> {
        let id = request
            .payment_method_id
            .as_ref()
            .ok_or_else(|| AppError::invalid("payment_method_id", "required for a card or PayPal top-up"))?;
        let method = tx.payment_method(id).await?.filter(|m| m.account_id == account.id);
        let method = method.ok_or_else(|| AppError::not_found("payment method", id))?;
        if method.kind != request.method || !method.valid {
            let message =
                if method.valid { format!("it is a {} method", method.kind) } else { "it is detached".into() };
            return Err(AppError::PaymentMethodUnusable { id: id.to_string(), message });
        }
        let now = self.core.now();
        let id: ChargeId = mint();
        Ok(ChargeRecord {
            payment_id: id.to_string(),
            id,
            account_id: account.id.clone(),
            order_id: None,
            index: 0,
            method: request.method,
            payment_method_id: Some(method.id),
            amount: request.amount,
            status: ChargeStatus::Requested,
            failure: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// Credits a bank transfer an operator saw arrive.
    async fn credit_transfer(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        account: &Account,
        amount: Money,
    ) -> AppResult<Account> {
        let now = self.core.now();
        let mut account = account.clone();
        account.balance = tx.add_to_balance(&account.id, amount).await?;
        let mut movement = Movement::new(new_id("mov"), "balance.top_up", &account.id, now);
        movement.transfer(channel(PaymentMethodKind::BankTransfer), &customer_balance(&account.id), amount);
        tx.insert_movement(&movement).await?;
        let detail = json!({"amount": amount.to_string(), "method": PaymentMethodKind::BankTransfer.as_str()});
        audit(tx, caller, "balance.topped_up", &account.id, detail, now).await?;
        Ok(account)
    }

    /// Takes a top-up's charge through the channel (if it is still to be
    /// asked) and answers the account as it then stands, or
    /// `PAYMENT_DECLINED`.
    pub async fn finish_top_up(&self, caller: &Caller, charge_id: &ChargeId) -> AppResult<Account> {
        let charge = self.core.read().await?.charge(charge_id).await?;
        let charge = visible(caller, "charge", charge_id, charge, |c| &c.account_id)?;
        match charge.status {
            ChargeStatus::Requested => self.settle_top_up(&charge).await?,
            ChargeStatus::Declined | ChargeStatus::Voiding | ChargeStatus::Voided => {
                let reason = charge.failure.unwrap_or_else(|| "the charge did not go through".to_owned());
                return Err(AppError::PaymentDeclined { message: reason });
            }
            ChargeStatus::Captured => {}
        }
        let account = self.core.read().await?.account(&charge.account_id).await?;
        account.ok_or_else(|| AppError::internal("charge without account"))
    }
}

/// A top-up is more than zero, in the account's currency, and at most
/// [`MAX_TOP_UP_MAJOR`]; the balance must stay representable.
fn check_amount(account: &Account, amount: Money) -> AppResult<()> {
    if account.currency != amount.currency() {
        return Err(AppError::CurrencyMismatch {
            message: format!("the account settles in {}, not {}", account.currency, amount.currency()),
        });
    }
    let max = MAX_TOP_UP_MAJOR.saturating_mul(amount.currency().minor_per_major());
    if amount.minor() <= 0 || amount.minor() > max {
        return Err(AppError::invalid(
            "amount",
            format!("must be more than zero and at most {MAX_TOP_UP_MAJOR} {}", amount.currency()),
        ));
    }
    account
        .balance
        .checked_add(amount)
        .map_err(|_| AppError::invalid("amount", "the balance would exceed the largest amount that can be kept"))?;
    Ok(())
}
