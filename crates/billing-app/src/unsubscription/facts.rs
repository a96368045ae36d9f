//! Gathering what a quote depends on from the store, in the domain's terms,
//! and the digest that tells whether any of it changed.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use billing_domain::calendar::BillingZone;
use billing_domain::catalog::{Commodity, Region};
use billing_domain::change::{Action, ActionKind, quote_change};
use billing_domain::ids::{AccountId, InstanceId, OrderId};
use billing_domain::money::Currency;
use billing_domain::order::{Order, PaymentMethodKind, Tender};
use billing_domain::policy::{PolicyVersion, policy_in_force};
use billing_domain::quote::{
    Instance, InstanceKind, InstanceStatus, Quote, QuoteContext, QuoteError, quote_refund, quote_renewal_refund,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::PolicyCache;
use crate::error::{AppError, AppResult};
use crate::model::{Account, InstanceRecord, InstanceState, OrderRecord, PaymentMethod};
use crate::store::{AccountInRegion, StoreTx};

/// Everything a quote of one instance is computed from, except `now`.
#[derive(Clone, Debug)]
pub struct QuoteFacts {
    /// The stored instance.
    pub record: InstanceRecord,
    /// Its orders, oldest first.
    pub orders: Vec<OrderRecord>,
    /// The owner.
    pub account: Account,
    /// Its region.
    pub region: Region,
    /// The instance as the domain sees it.
    pub instance: Instance,
    /// The policy in force.
    pub policy: PolicyVersion,
    /// The instants these facts hold at, besides what the store may change:
    /// the calendar year their count of full refunds is for, while the
    /// policy version in force stays in force.
    pub holds: Range<DateTime<Utc>>,
}

impl QuoteFacts {
    /// The billing zone.
    pub fn zone(&self) -> BillingZone {
        self.region.zone
    }

    /// Quotes at `now` with these facts: the whole instance, or with
    /// `order_id` one pending renewal alone.
    pub fn quote(&self, now: DateTime<Utc>, order_id: Option<&OrderId>) -> AppResult<Quote> {
        self.quote_question(now, &Question::unsubscribe(order_id))
    }

    /// Answers `question` at `now` with these facts.
    pub fn quote_question(&self, now: DateTime<Utc>, question: &Question<'_>) -> AppResult<Quote> {
        let ctx = QuoteContext {
            account_currency: self.account.currency,
            policy: &self.policy.policy,
            zone: self.zone(),
            now,
        };
        quote_of(&self.instance, &ctx, self.region.min_quota_cu, question)
    }

    /// SHA-256 over every fact but the clock. Two quotes with the same digest
    /// were computed from the same instance, orders, tenders, instrument
    /// validity, account currency, zone, policy version and yearly count.
    pub fn digest(&self) -> String {
        digest_of(&self.instance, self.account.currency, self.region.zone, &self.policy)
    }

    /// Only what a quote is computed from.
    pub fn into_basis(self) -> QuoteBasis {
        QuoteBasis {
            account_id: self.record.account_id,
            instance_id: self.record.id,
            instance: self.instance,
            currency: self.account.currency,
            zone: self.region.zone,
            min_quota_cu: self.region.min_quota_cu,
            policy: self.policy,
            holds: self.holds,
        }
    }
}

/// What a quote is computed from and nothing more: the part of
/// [`QuoteFacts`] kept between quotes.
#[derive(Clone, Debug)]
pub struct QuoteBasis {
    /// The owner.
    pub account_id: AccountId,
    /// The instance's id.
    pub instance_id: InstanceId,
    /// The instance as the domain sees it.
    pub instance: Instance,
    /// The account's currency.
    pub currency: Currency,
    /// The billing zone.
    pub zone: BillingZone,
    /// The region's smallest quota.
    pub min_quota_cu: u32,
    /// The policy in force.
    pub policy: PolicyVersion,
    /// As in [`QuoteFacts::holds`].
    pub holds: Range<DateTime<Utc>>,
}

impl QuoteBasis {
    /// As [`QuoteFacts::quote`].
    pub fn quote(&self, now: DateTime<Utc>, order_id: Option<&OrderId>) -> AppResult<Quote> {
        self.quote_question(now, &Question::unsubscribe(order_id))
    }

    /// As [`QuoteFacts::quote_question`].
    pub fn quote_question(&self, now: DateTime<Utc>, question: &Question<'_>) -> AppResult<Quote> {
        let ctx = QuoteContext { account_currency: self.currency, policy: &self.policy.policy, zone: self.zone, now };
        quote_of(&self.instance, &ctx, self.min_quota_cu, question)
    }

    /// As [`QuoteFacts::digest`].
    pub fn digest(&self) -> String {
        digest_of(&self.instance, self.currency, self.zone, &self.policy)
    }
}

/// What a quote is asked: the action, with the renewal order an
/// unsubscription may be limited to and the CUs a downgrade keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question<'a> {
    /// The action.
    pub action: ActionKind,
    /// An unsubscription of one pending renewal alone.
    pub order_id: Option<&'a OrderId>,
    /// A downgrade's CUs kept.
    pub new_quota_cu: Option<u32>,
}

impl<'a> Question<'a> {
    /// Giving back the instance, or with `order_id` one pending renewal.
    pub const fn unsubscribe(order_id: Option<&'a OrderId>) -> Question<'a> {
        Question { action: ActionKind::Unsubscribe, order_id, new_quota_cu: None }
    }

    /// Checks that the parts fit the action, naming the field that does not.
    pub fn check(&self) -> AppResult<()> {
        if self.order_id.is_some() && self.action != ActionKind::Unsubscribe {
            return Err(AppError::invalid("order_id", "only an unsubscription can be limited to a renewal order"));
        }
        match (self.action, self.new_quota_cu) {
            (ActionKind::Downgrade, None) => Err(AppError::invalid("new_quota_cu", "required to downgrade")),
            (ActionKind::Downgrade, Some(_)) => Ok(()),
            (_, Some(_)) => Err(AppError::invalid("new_quota_cu", "only a downgrade keeps a number of CUs")),
            (_, None) => Ok(()),
        }
    }
}

fn quote_of(instance: &Instance, ctx: &QuoteContext<'_>, min_quota_cu: u32, q: &Question<'_>) -> AppResult<Quote> {
    q.check()?;
    match (q.action, q.order_id) {
        (ActionKind::Unsubscribe, None) => Ok(quote_refund(Some(instance), ctx)?),
        (ActionKind::Unsubscribe, Some(id)) => quote_renewal_refund(Some(instance), id, ctx).map_err(|e| match e {
            QuoteError::InvalidInstance(message) => AppError::invalid("order_id", message),
            other => other.into(),
        }),
        (action, _) => {
            let action = match action {
                ActionKind::Downgrade => Action::Downgrade { new_quota_cu: q.new_quota_cu.unwrap_or(0), min_quota_cu },
                _ => Action::SwitchToPayAsYouGo,
            };
            Ok(quote_change(Some(instance), action, ctx)?)
        }
    }
}

fn digest_of(instance: &Instance, currency: Currency, zone: BillingZone, policy: &PolicyVersion) -> String {
    let canonical =
        format!("{:?}|{}|{}|{}|{:?}", instance, currency.code(), zone.name(), policy.version, policy.policy);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The first instant of the calendar year of `now` in `zone`, and of the next.
pub fn calendar_year(zone: BillingZone, now: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let year = zone.local_date(now).year();
    let first = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| AppError::internal("year out of range"));
    Ok((zone.start_of_day(first(year)?)?, zone.start_of_day(first(year + 1)?)?))
}

/// Loads the facts of `record` as of `now`, with the instance's status as
/// given (confirmation loads them after marking the instance, and quotes it
/// as it was).
pub(crate) async fn load_facts(
    tx: &mut (dyn StoreTx + '_),
    policies: &PolicyCache,
    record: InstanceRecord,
    status: InstanceStatus,
    now: DateTime<Utc>,
) -> AppResult<QuoteFacts> {
    let orders = tx.orders(&record.id).await?;
    FactsReader::new(policies, now).facts(tx, record, status, orders).await
}

/// [`load_facts`] with the account and the instance's region already read
/// in this transaction (under the account's lock, say).
pub(crate) async fn load_facts_knowing(
    tx: &mut (dyn StoreTx + '_),
    policies: &PolicyCache,
    record: InstanceRecord,
    status: InstanceStatus,
    now: DateTime<Utc>,
    known: AccountInRegion,
) -> AppResult<QuoteFacts> {
    let orders = tx.orders(&record.id).await?;
    let mut reader = FactsReader::new(policies, now);
    reader.accounts.insert((record.account_id.clone(), record.region_id.clone()), known);
    reader.facts(tx, record, status, orders).await
}

/// Reads the facts of one or many instances in one transaction, asking the
/// store once per account for what instances of one account share: the
/// account with its region, its payment methods and its yearly count of
/// full refunds.
pub(crate) struct FactsReader<'p> {
    policies: &'p PolicyCache,
    now: DateTime<Utc>,
    accounts: HashMap<(AccountId, String), AccountInRegion>,
    methods: HashMap<AccountId, Arc<Vec<PaymentMethod>>>,
    full_refunds: HashMap<(AccountId, Commodity), i64>,
}

impl<'p> FactsReader<'p> {
    /// A reader of facts as of `now`.
    pub(crate) fn new(policies: &'p PolicyCache, now: DateTime<Utc>) -> FactsReader<'p> {
        FactsReader { policies, now, accounts: HashMap::new(), methods: HashMap::new(), full_refunds: HashMap::new() }
    }

    /// The facts of `record`, whose orders (oldest first) are `orders`.
    pub(crate) async fn facts(
        &mut self,
        tx: &mut (dyn StoreTx + '_),
        record: InstanceRecord,
        status: InstanceStatus,
        orders: Vec<OrderRecord>,
    ) -> AppResult<QuoteFacts> {
        let now = self.now;
        let key = (record.account_id.clone(), record.region_id.clone());
        let in_region = match self.accounts.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = tx
                    .account_in_region(&record.account_id, &record.region_id)
                    .await?
                    .ok_or_else(|| AppError::internal("instance without account"))?;
                self.accounts.insert(key, found.clone());
                found
            }
        };
        let AccountInRegion { account, region, newest_policy_version } = in_region;
        let region = region.ok_or_else(|| AppError::not_found("region", &record.region_id))?;
        let versions = self.policies.versions(tx, newest_policy_version).await?;
        let policy =
            *policy_in_force(&versions, now).ok_or_else(|| AppError::internal("no policy version is in force"))?;
        let next_policy = versions.iter().map(|v| v.effective_from).filter(|&at| at > now).min();
        // Only tenders paid with a stored instrument depend on its validity.
        let methods = if orders.iter().flat_map(|o| &o.tenders).any(|t| t.payment_method_id.is_some()) {
            match self.methods.get(&record.account_id) {
                Some(found) => Arc::clone(found),
                None => {
                    let found = Arc::new(tx.payment_methods(&record.account_id).await?);
                    self.methods.insert(record.account_id.clone(), Arc::clone(&found));
                    found
                }
            }
        } else {
            Arc::default()
        };
        let (year_start, year_end) = calendar_year(region.zone, now)?;
        let key = (record.account_id.clone(), record.commodity);
        let full_refunds = match self.full_refunds.get(&key) {
            Some(&count) => count,
            None => {
                let count = tx.full_refunds_between(&record.account_id, record.commodity, year_start, year_end).await?;
                self.full_refunds.insert(key, count);
                count
            }
        };
        let domain_orders = orders
            .iter()
            .map(|o| {
                Ok(Order {
                    id: o.id.clone(),
                    kind: o.kind,
                    status: o.status,
                    paid_at: o.paid_at,
                    start: o.start,
                    months: o.months,
                    charges: o.charges,
                    released_cash: o.released_cash,
                    // Quotes work on what downgrades left of each tender.
                    tenders: o
                        .tenders
                        .iter()
                        .map(|t| {
                            Ok(Tender {
                                method: t.method,
                                amount: t.remaining()?,
                                instrument_valid: t.method == PaymentMethodKind::Balance
                                    || t.payment_method_id
                                        .as_ref()
                                        .is_none_or(|id| methods.iter().any(|m| &m.id == id && m.valid)),
                            })
                        })
                        .collect::<AppResult<Vec<_>>>()?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let instance = Instance {
            kind: match record.commodity {
                Commodity::SparkReserved => InstanceKind::SubscriptionQuota,
                Commodity::SparkResourcePlan => InstanceKind::ResourcePlan,
            },
            status,
            used: record.used,
            capacity: record.capacity,
            promotion_non_refundable: record.promotion_non_refundable,
            transferred: record.transferred,
            quota_cu: record.quota_cu,
            full_refunds_this_year: u32::try_from(full_refunds).unwrap_or(u32::MAX),
            orders: domain_orders,
        };
        let holds = year_start.max(policy.effective_from)..next_policy.map_or(year_end, |at| at.min(year_end));
        Ok(QuoteFacts { record, orders, account, region, instance, policy, holds })
    }
}

/// The domain status of a stored instance: a quota switched to
/// pay-as-you-go has been given back as an unsubscribed one has.
pub(crate) fn status_of(record: &InstanceRecord) -> InstanceStatus {
    match record.state {
        InstanceState::Unsubscribed | InstanceState::Switched | InstanceState::ActivationFailed => {
            InstanceStatus::Unsubscribed
        }
        _ => InstanceStatus::Active,
    }
}
