//! [`Billing`]: the application assembled. It builds each service from the
//! parts it needs and hands them to the front ends, which call a use case
//! of one service and translate its answer:
//!
//! - [`Accounts`]: accounts, payment methods, benefits, API keys, console
//!   sessions and workspaces;
//! - [`Purchases`]: quotas, plans, renewals and top-ups, paid through the
//!   payment channel, and the scheduler that renews and expires instances;
//! - [`Unsubscriptions`]: quotes, confirmations, quota changes and refunds;
//! - [`Metering`]: usage import and settlement, and bills;
//! - [`Documents`]: invoices and credit notes;
//! - [`Webhooks`]: events and their delivery;
//! - [`Operations`]: catalog, policies, settings, directory and checks.
//!
//! Each use case runs in one transaction: it reads, decides with the
//! domain's rules, writes its effects, their ledger movements and an audit
//! event, and commits — or changes nothing. Nothing in the application
//! depends on this module.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::accounts::Accounts;
use crate::catalog::PolicyCache;
use crate::changes::ChangeLog;
use crate::channel::PaymentChannel;
use crate::clock::Clock;
use crate::core::Core;
use crate::documents::Documents;
use crate::keyring::Keyring;
use crate::keys::KnownKeys;
use crate::lifecycle::DueFailures;
use crate::metering::Metering;
use crate::operations::Operations;
use crate::purchase::Purchases;
use crate::store::Store;
use crate::telemetry::Meter;
use crate::unsubscription::Unsubscriptions;
use crate::unsubscription::cache::FactsCache;
use crate::unsubscription::token::QuoteKeys;
use crate::webhooks::Webhooks;

/// The application: its services over one store, clock and payment
/// channel. Cloning is cheap and shares every cache.
#[derive(Clone)]
pub struct Billing(Arc<Assembled>);

/// The services, built once from their parts.
struct Assembled {
    parts: Parts,
    accounts: Accounts,
    purchases: Purchases,
    unsubscriptions: Unsubscriptions,
    metering: Metering,
    documents: Documents,
    webhooks: Webhooks,
    operations: Operations,
}

/// What the services are built from; the caches are shared by every
/// service that uses them.
#[derive(Clone)]
struct Parts {
    core: Core,
    channel: Option<Arc<dyn PaymentChannel>>,
    known_keys: Arc<KnownKeys>,
    quote_key: Arc<tokio::sync::OnceCell<QuoteKeys>>,
    policies: Arc<PolicyCache>,
    facts_cache: Arc<FactsCache>,
    due_failures: Arc<DueFailures>,
}

impl Billing {
    /// The application over `store`, reading time from `clock`. A process
    /// builds one and derives the others it needs with the `with_*`
    /// methods, so that they share its caches and its knowledge of recent
    /// writes; another `Billing::new` over the same store learns of this
    /// one's writes only by reading the audit chain, as another server does.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Billing {
        Billing::assemble(Parts {
            core: Core::new(store, clock, Meter::default()),
            channel: None,
            known_keys: Arc::default(),
            quote_key: Arc::default(),
            policies: Arc::default(),
            facts_cache: Arc::default(),
            due_failures: Arc::default(),
        })
    }

    fn assemble(parts: Parts) -> Billing {
        let p = parts.clone();
        Billing(Arc::new(Assembled {
            accounts: Accounts { core: p.core.clone(), known_keys: p.known_keys, channel: p.channel.clone() },
            purchases: Purchases { core: p.core.clone(), channel: p.channel, due_failures: p.due_failures },
            unsubscriptions: Unsubscriptions {
                core: p.core.clone(),
                policies: p.policies,
                facts_cache: p.facts_cache,
                quote_key: p.quote_key,
            },
            metering: Metering { core: p.core.clone() },
            documents: Documents { core: p.core.clone() },
            webhooks: Webhooks { core: p.core.clone() },
            operations: Operations { core: p.core },
            parts,
        }))
    }

    /// The same application, taking money in and out through `channel`.
    /// Without one, cards and PayPal can be neither charged nor registered.
    #[must_use]
    pub fn with_channel(self, channel: Arc<dyn PaymentChannel>) -> Billing {
        Billing::assemble(Parts { channel: Some(channel), ..self.0.parts.clone() })
    }

    /// The same application reading time from `clock`; it shares this one's
    /// caches, channel and knowledge of recent writes.
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Billing {
        let core = Core { clock, ..self.0.parts.core.clone() };
        Billing::assemble(Parts { core, ..self.0.parts.clone() })
    }

    /// The same application, counting what it commits into `meter`.
    #[must_use]
    pub fn with_meter(self, meter: Meter) -> Billing {
        let core = Core { meter, ..self.0.parts.core.clone() };
        Billing::assemble(Parts { core, ..self.0.parts.clone() })
    }

    /// The same application signing and checking quote ids with `ring`
    /// instead of the key kept in the database: the ring's first key signs,
    /// and retired keys still verify until their time.
    #[must_use]
    pub fn with_quote_keys(self, ring: &Keyring) -> Billing {
        let keys = QuoteKeys::from_keyring(ring);
        let quote_key = Arc::new(tokio::sync::OnceCell::new_with(Some(keys)));
        Billing::assemble(Parts { quote_key, ..self.0.parts.clone() })
    }

    /// Accounts, payment methods, benefits, API keys, sessions and workspaces.
    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    /// Quotas, plans, renewals and top-ups, and the scheduler.
    pub fn purchases(&self) -> &Purchases {
        &self.0.purchases
    }

    /// Quotes, confirmations, quota changes and refunds.
    pub fn unsubscriptions(&self) -> &Unsubscriptions {
        &self.0.unsubscriptions
    }

    /// Usage import and settlement, and bills.
    pub fn metering(&self) -> &Metering {
        &self.0.metering
    }

    /// Invoices and credit notes.
    pub fn documents(&self) -> &Documents {
        &self.0.documents
    }

    /// Events and their delivery.
    pub fn webhooks(&self) -> &Webhooks {
        &self.0.webhooks
    }

    /// Catalog, policies, settings, directory and checks.
    pub fn operations(&self) -> &Operations {
        &self.0.operations
    }

    /// Where the services' counts go.
    pub fn meter(&self) -> &Meter {
        &self.0.parts.core.meter
    }

    /// The payment channel, if one is set up.
    pub fn payment_channel(&self) -> Option<Arc<dyn PaymentChannel>> {
        self.0.parts.channel.clone()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.parts.core.store
    }

    /// What this application knows of recent writes.
    pub fn changes(&self) -> &ChangeLog {
        &self.0.parts.core.changes
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.parts.core.now()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every Rust file under `dir`, with its text.
    fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("the source folder reads") {
            let path = entry.expect("a folder entry reads").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file reads");
                found.push((path.display().to_string(), text));
            }
        }
    }

    #[test]
    fn no_use_case_depends_on_the_assembled_application() {
        let mut found = Vec::new();
        sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
        assert!(found.len() > 40, "the walk found the sources");
        for (file, text) in &found {
            if file.ends_with("lib.rs") || file.ends_with("service.rs") {
                continue;
            }
            for needle in ["crate::service", "crate::Billing", "&Billing", "impl Billing"] {
                let named = text.match_indices(needle).any(|(at, _)| {
                    text[at + needle.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_')
                });
                assert!(!named, "{file} names {needle}: use cases belong to a service, not to Billing");
            }
        }
    }
}
