//! Paying an order: checking cash tenders against what is due and against
//! the account's payment methods, and posting the payment to the ledger.

use billing_domain::ids::PaymentMethodId;
use billing_domain::money::Money;
use billing_domain::order::{MAX_TENDERS_PER_ORDER, PaymentMethodKind};
use chrono::{DateTime, Utc};

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::ids::new_id;
use crate::ledger::{self, Movement, REVENUE_PREPAID, REVENUE_PROMOTIONAL, customer_balance};
use crate::model::{Account, OrderRecord, TenderRecord};
use crate::store::StoreTx;

/// One cash part of a payment, as requested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenderInput {
    /// How to pay it.
    pub method: PaymentMethodKind,
    /// The card, PayPal or bank account to charge (none for the balance).
    pub payment_method_id: Option<PaymentMethodId>,
    /// How much.
    pub amount: Money,
}

/// Checks the tenders against the cash due and the account's methods, and
/// turns them into the order's tender records.
pub(crate) async fn check_tenders(
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    account: &Account,
    due: Money,
    tenders: &[TenderInput],
) -> AppResult<Vec<TenderRecord>> {
    if tenders.len() > MAX_TENDERS_PER_ORDER {
        return Err(AppError::invalid("tenders", format!("at most {MAX_TENDERS_PER_ORDER} tenders")));
    }
    let mut total = Money::zero(due.currency());
    let mut records = Vec::with_capacity(tenders.len());
    for (i, t) in tenders.iter().enumerate() {
        let field = format!("tenders[{i}]");
        if t.amount.currency() != account.currency {
            return Err(AppError::CurrencyMismatch { message: format!("{field} is not in {}", account.currency) });
        }
        if t.amount.minor() <= 0 {
            return Err(AppError::invalid(format!("{field}.amount"), "must be more than zero"));
        }
        total = total.checked_add(t.amount)?;
        if t.method == PaymentMethodKind::Balance {
            if t.payment_method_id.is_some() {
                return Err(AppError::invalid(
                    format!("{field}.payment_method_id"),
                    "the balance takes no payment method",
                ));
            }
        } else {
            if t.method == PaymentMethodKind::BankTransfer && matches!(caller, Caller::Customer(_)) {
                // A transfer's arrival is seen by the provider's bank, not
                // by the service: only an operator can record one.
                return Err(AppError::invalid(
                    format!("{field}.method"),
                    "a bank transfer is recorded by an operator once it has arrived; pay by card, PayPal or the balance",
                ));
            }
            check_instrument(tx, account, t, &field).await?;
        }
        records.push(TenderRecord {
            method: t.method,
            payment_method_id: t.payment_method_id.clone(),
            amount: t.amount,
            charge_id: None,
            released: Money::zero(t.amount.currency()),
        });
    }
    if total != due {
        return Err(AppError::TendersDoNotAddUp {
            message: format!("cash tenders add up to {total}, but {due} is due"),
        });
    }
    check_balance(account, &records)?;
    Ok(records)
}

/// Checks that the balance covers the balance tenders.
pub(crate) fn check_balance(account: &Account, tenders: &[TenderRecord]) -> AppResult<()> {
    let mut from_balance = Money::zero(account.currency);
    for t in tenders.iter().filter(|t| t.method == PaymentMethodKind::Balance) {
        from_balance = from_balance.checked_add(t.amount)?;
    }
    if from_balance.minor() > account.balance.minor() {
        return Err(AppError::InsufficientBalance {
            balance: account.balance.to_string(),
            needed: from_balance.to_string(),
        });
    }
    Ok(())
}

async fn check_instrument(
    tx: &mut (dyn StoreTx + '_),
    account: &Account,
    t: &TenderInput,
    field: &str,
) -> AppResult<()> {
    let id = t
        .payment_method_id
        .as_ref()
        .ok_or_else(|| AppError::invalid(format!("{field}.payment_method_id"), "required for this method"))?;
    let method = tx.payment_method(id).await?.filter(|m| m.account_id == account.id);
    let method = method.ok_or_else(|| AppError::not_found("payment method", id))?;
    let unusable = |message: &str| AppError::PaymentMethodUnusable { id: id.to_string(), message: message.to_owned() };
    if method.kind != t.method {
        return Err(unusable(&format!("it is a {} method, not {}", method.kind, t.method)));
    }
    if !method.valid {
        return Err(unusable("it is no longer valid"));
    }
    Ok(())
}

/// Moves the cash of a paid order into prepaid revenue and records the
/// benefits used, in one balanced movement; takes balance tenders off the
/// balance.
pub(crate) async fn post_payment(
    tx: &mut (dyn StoreTx + '_),
    account: &Account,
    order: &OrderRecord,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut movement = Movement::new(new_id("mov"), "order.payment", &order.id, now);
    let balance_account = customer_balance(&account.id);
    for t in &order.tenders {
        let from =
            if t.method == PaymentMethodKind::Balance { balance_account.as_str() } else { ledger::channel(t.method) };
        movement.transfer(from, REVENUE_PREPAID, t.amount);
        if t.method == PaymentMethodKind::Balance {
            tx.add_to_balance(&account.id, t.amount.checked_neg()?).await?;
        }
    }
    movement.transfer("promotion:coupon", REVENUE_PROMOTIONAL, order.charges.coupon);
    movement.transfer("promotion:voucher", REVENUE_PROMOTIONAL, order.charges.voucher);
    tx.insert_movement(&movement).await?;
    Ok(())
}
