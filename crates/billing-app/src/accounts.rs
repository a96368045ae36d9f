//! Accounts, their payment methods, vouchers and coupons, and balance top-ups.

use billing_domain::ids::{AccountId, PaymentMethodId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::channel::{MethodRequest, bounded, unavailable};
use crate::core::Core;
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::ids::mint;
use crate::model::{Account, Benefit, BenefitKind, BenefitStatus, PaymentMethod};
use crate::store::StoreError;
use std::sync::Arc;

/// Accounts and what belongs to them: payment methods, vouchers and
/// coupons, API keys, console sessions and workspaces.
#[derive(Clone)]
pub struct Accounts {
    pub(crate) core: Core,
    pub(crate) known_keys: Arc<crate::keys::KnownKeys>,
    pub(crate) channel: Option<Arc<dyn crate::channel::PaymentChannel>>,
}

/// Longest account name, workspace name, job name or label accepted.
pub const MAX_NAME_LEN: usize = 100;

/// Checks a display name: 1 to 100 characters, without surrounding spaces
/// and without control or invisible formatting characters.
pub fn check_name(field: &str, name: &str) -> AppResult<()> {
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_LEN || name.trim() != name {
        return Err(AppError::invalid(
            field,
            format!("must be 1 to {MAX_NAME_LEN} characters, without surrounding spaces or control characters"),
        ));
    }
    if let Some(c) = name.chars().find(|&c| !shown_as_is(c)) {
        return Err(AppError::invalid(
            field,
            format!("may not contain control or formatting characters such as U+{:04X}", u32::from(c)),
        ));
    }
    Ok(())
}

/// Whether a character of a name is shown as it is: not a control character,
/// not a line or paragraph separator, and not an invisible formatting
/// character (bidirectional overrides and isolates, marks, zero-width
/// spaces), which could make a name read differently on the operator's
/// pages than it is stored. The zero-width joiner and non-joiner are kept:
/// scripts and emoji need them to be written at all.
fn shown_as_is(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    match c.general_category() {
        GeneralCategory::Control | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => false,
        GeneralCategory::Format => matches!(c, '\u{200C}' | '\u{200D}'),
        _ => true,
    }
}

fn positive(field: &str, amount: Money) -> AppResult<()> {
    if amount.minor() <= 0 {
        return Err(AppError::invalid(field, "must be more than zero"));
    }
    Ok(())
}

impl Accounts {
    /// Opens an account with a zero balance (operators only).
    pub async fn create_account(&self, caller: &Caller, name: &str, currency: Currency) -> AppResult<Account> {
        caller.require_operator()?;
        check_name("name", name)?;
        let now = self.core.now();
        let account = Account {
            id: mint(),
            name: name.to_owned(),
            currency,
            balance: Money::zero(currency),
            created_at: now,
            locale: None,
        };
        let mut tx = self.core.begin().await?;
        tx.insert_account(&account).await.map_err(|e| match e {
            StoreError::Unique(_) => AppError::invalid("name", format!("an account named {name:?} already exists")),
            other => other.into(),
        })?;
        audit(
            &mut *tx,
            caller,
            "account.created",
            &account.id,
            json!({"name": name, "currency": currency.code()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// One account.
    pub async fn account(&self, caller: &Caller, id: &AccountId) -> AppResult<Account> {
        account_of(&self.core, caller, id).await
    }

    /// Sets the language the account reads the console in: one of
    /// [`Account::LOCALES`], or `None` to let the browser decide. The account
    /// itself or an operator may change it.
    pub async fn set_account_locale(
        &self,
        caller: &Caller,
        id: &AccountId,
        locale: Option<&str>,
    ) -> AppResult<Account> {
        if let Some(tag) = locale
            && !Account::LOCALES.contains(&tag)
        {
            return Err(AppError::invalid("locale", format!("must be one of {}", Account::LOCALES.join(", "))));
        }
        let mut tx = self.core.begin().await?;
        let found = tx.lock_account(id).await?;
        let mut account = visible(caller, "account", id, found, |a| &a.id)?;
        tx.set_account_locale(id, locale).await?;
        audit(&mut *tx, caller, "account.locale_set", id, json!({"locale": locale}), self.core.now()).await?;
        tx.commit().await?;
        account.locale = locale.map(str::to_owned);
        Ok(account)
    }

    /// Every account the caller may see.
    pub async fn accounts(&self, caller: &Caller) -> AppResult<Vec<Account>> {
        let mut tx = self.core.read().await?;
        Ok(tx.accounts().await?.into_iter().filter(|a| caller.may_see(&a.id)).collect())
    }

    /// Registers a card or PayPal account through the payment channel,
    /// which checks it and issues the token kept in its place (`details` is
    /// the card number or the PayPal address, handed to the channel and
    /// never stored); or records a bank account by its label.
    pub async fn add_payment_method(
        &self,
        caller: &Caller,
        account_id: &AccountId,
        kind: PaymentMethodKind,
        details: &str,
    ) -> AppResult<PaymentMethod> {
        let (id, label) = match kind {
            PaymentMethodKind::Balance => {
                return Err(AppError::invalid("kind", "the balance is not a payment method to register"));
            }
            PaymentMethodKind::BankTransfer => {
                check_name("label", details)?;
                (mint(), details.to_owned())
            }
            PaymentMethodKind::Card | PaymentMethodKind::Paypal => {
                {
                    let account = self.core.read().await?.account(account_id).await?;
                    visible(caller, "account", account_id, account, |a| &a.id)?;
                }
                let request = MethodRequest { kind, details: details.to_owned(), now: self.core.now() };
                match bounded(crate::channel::require(self.channel.as_deref())?.issue_method(&request))
                    .await
                    .map_err(unavailable)?
                {
                    // The token comes from outside too: one that cannot be an
                    // id could never be named in a request, so it is not kept.
                    Ok(issued) => {
                        let id = PaymentMethodId::parse(&issued.token).map_err(|e| {
                            tracing::warn!(error = %e, "the payment channel issued a token that cannot be an id");
                            unavailable("the payment channel issued a token that cannot be kept".to_owned())
                        })?;
                        (id, issued.label)
                    }
                    Err(reason) => return Err(AppError::invalid("details", reason)),
                }
            }
        };
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        let method = PaymentMethod { id, account_id: account_id.to_owned(), kind, label, valid: true };
        tx.insert_payment_method(&method).await?;
        let detail = json!({"kind": kind.as_str(), "label": method.label});
        audit(&mut *tx, caller, "payment_method.added", &method.id, detail, now).await?;
        tx.commit().await?;
        Ok(method)
    }

    /// An account's payment methods.
    pub async fn payment_methods(&self, caller: &Caller, account_id: &AccountId) -> AppResult<Vec<PaymentMethod>> {
        let mut tx = self.core.read().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        Ok(tx.payment_methods(account_id).await?)
    }

    /// One payment method.
    pub async fn payment_method(&self, caller: &Caller, id: &PaymentMethodId) -> AppResult<PaymentMethod> {
        let found = self.core.read().await?.payment_method(id).await?;
        visible(caller, "payment method", id, found, |m| &m.account_id)
    }

    /// Marks a payment method valid or invalid (a cancelled card is invalid:
    /// it can no longer be charged, and refunds for it go to the balance).
    /// A customer may only detach a method (make it invalid); whether an
    /// instrument works is the channel's word, recorded by an operator.
    pub async fn set_payment_method_valid(
        &self,
        caller: &Caller,
        id: &PaymentMethodId,
        valid: bool,
    ) -> AppResult<PaymentMethod> {
        if valid {
            caller.require_operator()?;
        }
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let method = tx.payment_method(id).await?;
        let mut method = visible(caller, "payment method", id, method, |m| &m.account_id)?;
        tx.set_payment_method_valid(id, valid).await?;
        method.valid = valid;
        audit(&mut *tx, caller, "payment_method.validity", id, json!({"valid": valid}), now).await?;
        tx.commit().await?;
        Ok(method)
    }

    /// Grants a voucher or coupon (operators only).
    pub async fn grant_benefit(
        &self,
        caller: &Caller,
        account_id: &AccountId,
        kind: BenefitKind,
        amount: Money,
        expires_at: DateTime<Utc>,
    ) -> AppResult<Benefit> {
        caller.require_operator()?;
        positive("amount", amount)?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let account = tx.account(account_id).await?.ok_or_else(|| AppError::not_found("account", account_id))?;
        if account.currency != amount.currency() {
            return Err(AppError::CurrencyMismatch {
                message: format!("the account settles in {}, not {}", account.currency, amount.currency()),
            });
        }
        let benefit = Benefit {
            id: mint(),
            account_id: account_id.to_owned(),
            kind,
            amount,
            expires_at,
            status: BenefitStatus::Active,
            order_id: None,
        };
        tx.insert_benefit(&benefit).await?;
        let detail = json!({"kind": kind.as_str(), "amount": amount.to_string(), "account_id": account_id});
        audit(&mut *tx, caller, "benefit.granted", &benefit.id, detail, now).await?;
        tx.commit().await?;
        Ok(benefit)
    }

    /// An account's vouchers and coupons.
    pub async fn benefits(&self, caller: &Caller, account_id: &AccountId) -> AppResult<Vec<Benefit>> {
        let mut tx = self.core.read().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        Ok(tx.benefits(account_id).await?)
    }
}

/// The account `id` as `caller` may see it.
pub(crate) async fn account_of(core: &Core, caller: &Caller, id: &AccountId) -> AppResult<Account> {
    let mut tx = core.read().await?;
    let account = tx.account(id).await?;
    visible(caller, "account", id, account, |a| &a.id)
}
