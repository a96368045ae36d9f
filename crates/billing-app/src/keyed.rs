//! The purchases, renewals, payments and top-ups front ends offer, each run
//! once per idempotency key ([`crate::idempotency`]): the effect and the key
//! commit together, a card or PayPal payment is then taken through the
//! channel, and a repeat answers the first run's order (or account) as it
//! stands now.

use billing_domain::ids::{AccountId, BenefitId, ChargeId, InstanceId, OrderId};

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Once, Run, fingerprint};
use crate::model::Account;
use crate::payment::TenderInput;
use crate::purchase::Purchases;
use crate::purchase::{PlanPurchase, Purchase, QuotaPurchase};
use crate::topups::{TopUp, TopUpRequest};

/// Tenders as fingerprint text: method, method id and amount of each.
fn tender_text(tenders: Option<&[TenderInput]>) -> String {
    let Some(tenders) = tenders else { return "unpaid".to_owned() };
    let each = tenders.iter().map(|t| {
        let method = t.payment_method_id.as_deref().unwrap_or("");
        format!("{}\u{1}{method}\u{1}{}\u{1}{}", t.method.as_str(), t.amount, t.amount.currency())
    });
    each.collect::<Vec<_>>().join("\u{2}")
}

fn order_of(purchase: &Purchase) -> String {
    purchase.order.id.to_string()
}

fn kept_top_up(top_up: &TopUp) -> String {
    match top_up {
        TopUp::Credited(account) => format!("account:{}", account.id),
        TopUp::Charge(charge_id) => format!("charge:{charge_id}"),
    }
}

impl Purchases {
    /// [`crate::purchase::Purchases::buy_quota`] once per idempotency key.
    pub async fn buy_quota_once(&self, caller: &Caller, key: &str, r: &QuotaPurchase) -> AppResult<Once<Purchase>> {
        let (cu, months) = (r.cu.to_string(), r.months.to_string());
        let renew = if r.auto_renew { "auto-renew" } else { "manual" };
        let tenders = tender_text(r.tenders.as_deref());
        let parts = [&*r.account_id, &r.workspace_id, &cu, &months, &r.benefit_ids.join("\u{2}"), renew, &tenders];
        let fp = fingerprint("buy_quota", &parts);
        let (billing, who, request) = (self.clone(), caller.clone(), r.clone());
        let run = self
            .core
            .once(caller, key, &fp, order_of, move |tx| {
                Box::pin(async move { billing.buy_quota_in(tx, &who, &request).await })
            })
            .await?;
        self.purchase_answer(caller, run).await
    }

    /// [`crate::purchase::Purchases::buy_plan`] once per idempotency key.
    pub async fn buy_plan_once(&self, caller: &Caller, key: &str, r: &PlanPurchase) -> AppResult<Once<Purchase>> {
        let (capacity, months) = (r.capacity.to_string(), r.months.to_string());
        let tenders = tender_text(r.tenders.as_deref());
        let parts = [&*r.account_id, &r.region_id, &capacity, &months, &r.benefit_ids.join("\u{2}"), &tenders];
        let fp = fingerprint("buy_plan", &parts);
        let (billing, who, request) = (self.clone(), caller.clone(), r.clone());
        let run = self
            .core
            .once(caller, key, &fp, order_of, move |tx| {
                Box::pin(async move { billing.buy_plan_in(tx, &who, &request).await })
            })
            .await?;
        self.purchase_answer(caller, run).await
    }

    /// [`crate::purchase::Purchases::renew`] once per idempotency key.
    pub async fn renew_once(
        &self,
        caller: &Caller,
        key: &str,
        instance_id: &InstanceId,
        months: u32,
        benefit_ids: &[BenefitId],
        tenders: Option<&[TenderInput]>,
    ) -> AppResult<Once<Purchase>> {
        let months_text = months.to_string();
        let parts = [instance_id.as_str(), &months_text, &benefit_ids.join("\u{2}"), &tender_text(tenders)];
        let fp = fingerprint("renew", &parts);
        let (billing, who, instance_id) = (self.clone(), caller.clone(), instance_id.to_owned());
        let (benefit_ids, tenders) = (benefit_ids.to_vec(), tenders.map(<[TenderInput]>::to_vec));
        let run = self
            .core
            .once(caller, key, &fp, order_of, move |tx| {
                Box::pin(async move {
                    billing.renew_in(tx, &who, &instance_id, months, &benefit_ids, tenders.as_deref()).await
                })
            })
            .await?;
        self.purchase_answer(caller, run).await
    }

    /// [`crate::purchase::Purchases::pay_order`] once per idempotency key.
    pub async fn pay_order_once(
        &self,
        caller: &Caller,
        key: &str,
        order_id: &OrderId,
        tenders: &[TenderInput],
    ) -> AppResult<Once<Purchase>> {
        let fp = fingerprint("pay_order", &[order_id, &tender_text(Some(tenders))]);
        let (billing, who, order_id, tenders) = (self.clone(), caller.clone(), order_id.to_owned(), tenders.to_vec());
        let run = self
            .core
            .once(caller, key, &fp, order_of, move |tx| {
                Box::pin(async move { billing.pay_order_in(tx, &who, &order_id, &tenders).await })
            })
            .await?;
        self.purchase_answer(caller, run).await
    }

    /// [`crate::purchase::Purchases::top_up`] once per idempotency key. A repeat answers the
    /// account as it stands now (for a card or PayPal, once the charge of
    /// the first run is settled).
    pub async fn top_up_once(&self, caller: &Caller, key: &str, r: &TopUpRequest) -> AppResult<Once<Account>> {
        let amount = format!("{}\u{1}{}", r.amount, r.amount.currency());
        let method_id = r.payment_method_id.as_deref().unwrap_or("");
        let fp = fingerprint("top_up", &[&r.account_id, &amount, r.method.as_str(), method_id]);
        let (billing, who, request) = (self.clone(), caller.clone(), r.clone());
        let run = self
            .core
            .once(caller, key, &fp, kept_top_up, move |tx| {
                Box::pin(async move { billing.top_up_in(tx, &who, &request).await })
            })
            .await?;
        let value = match run {
            Run::First(TopUp::Credited(account)) => account,
            Run::First(TopUp::Charge(charge_id)) => self.finish_top_up(caller, &charge_id).await?,
            Run::Repeat(kept) => return Ok(Once { value: self.kept_top_up(caller, &kept).await?, replayed: true }),
        };
        Ok(Once { value, replayed: false })
    }

    /// The account a top-up's key kept, as it stands now.
    async fn kept_top_up(&self, caller: &Caller, kept: &str) -> AppResult<Account> {
        if let Some(charge_id) = kept.strip_prefix("charge:") {
            self.finish_top_up(caller, &ChargeId::trusted(charge_id)).await
        } else if let Some(account_id) = kept.strip_prefix("account:") {
            crate::accounts::account_of(&self.core, caller, &AccountId::trusted(account_id)).await
        } else {
            Err(AppError::internal(format!("a top-up key kept {kept:?}")))
        }
    }

    /// A purchase run once per key, with its card or PayPal payment taken
    /// as far as it goes.
    async fn purchase_answer(&self, caller: &Caller, run: Run<Purchase>) -> AppResult<Once<Purchase>> {
        match run {
            Run::First(purchase) => Ok(Once { value: self.settle_if_unpaid(caller, purchase).await?, replayed: false }),
            Run::Repeat(order_id) => {
                Ok(Once { value: self.finish_payment(caller, &OrderId::trusted(order_id)).await?, replayed: true })
            }
        }
    }
}
