//! Properties of quota changes on generated cases: along any sequence of
//! confirmed downgrades ending in an unsubscription, no order (and no tender)
//! gets back more than was paid, every split adds up, and the consumed part
//! of a quota never shrinks as time goes on.

use billing_domain::calendar::ProrationUnit;
use billing_domain::change::{Action, release_tranche, removed_tranche};
use billing_domain::money::Money;
use billing_domain::quote::{Instance, Quote};
use chrono::Duration;
use proptest::prelude::*;

use crate::properties::{any_currency, any_instant, any_order, any_zone, as_quota};
use crate::support::Setting;

/// The smallest quota of the generated region.
const MIN_CU: u32 = 25;

fn downgrade(new_quota_cu: u32) -> Action {
    Action::Downgrade { new_quota_cu, min_quota_cu: MIN_CU }
}

prop_compose! {
    /// A quota of one to three orders and 25 to 400 CUs, in a random zone,
    /// currency and proration unit, first quoted up to a day before its
    /// start or up to 100 days after.
    fn any_quota()(currency in any_currency())(
        orders in prop::collection::vec(any_order(currency), 1..=3),
        anchor in any_instant(),
        zone in any_zone(),
        per_second in any::<bool>(),
        quota_cu in MIN_CU..=400,
        offset_s in -86_400_i64..=100 * 86_400,
        currency in Just(currency),
    ) -> (Instance, Setting) {
        let mut setting = Setting::at("2020-01-01T00:00:00Z");
        setting.currency = currency;
        setting.zone = zone;
        setting.now = anchor + Duration::seconds(offset_s);
        if per_second {
            setting.policy.proration_unit = ProrationUnit::Second;
        }
        let instance = Instance { quota_cu: Some(quota_cu), ..as_quota(anchor, orders) };
        (instance, setting)
    }
}

/// Money paid and refunded so far, per order and per tender.
struct Tally {
    paid: Vec<Vec<i64>>,
    refunded: Vec<Vec<i64>>,
}

impl Tally {
    fn new(instance: &Instance) -> Tally {
        let paid: Vec<Vec<i64>> =
            instance.orders.iter().map(|o| o.tenders.iter().map(|t| t.amount.minor()).collect()).collect();
        let refunded = paid.iter().map(|t| vec![0; t.len()]).collect();
        Tally { paid, refunded }
    }

    /// Adds the quote's destinations and checks that no order and no tender
    /// has had more back than it paid.
    fn add(&mut self, quote: &Quote) -> Result<(), TestCaseError> {
        for d in &quote.destinations {
            self.refunded[d.order_index][d.tender_index] += d.amount.minor();
        }
        for (paid, refunded) in self.paid.iter().zip(&self.refunded) {
            prop_assert!(refunded.iter().sum::<i64>() <= paid.iter().sum::<i64>(), "{refunded:?} of {paid:?}");
            for (p, r) in paid.iter().zip(refunded) {
                prop_assert!(r <= p, "tender refunded {r} of {p}");
            }
        }
        Ok(())
    }
}

/// Checks that every split of a quote adds up: tranches within the basis and
/// proportional to the CUs, refund plus consumed equal to the tranche, and
/// destinations equal to each line's refund.
fn check_splits(quote: &Quote, keep: u32, remove: u32) -> Result<(), TestCaseError> {
    for line in &quote.lines {
        let tranche = line.removed.unwrap_or(line.cash_paid);
        prop_assert!(!tranche.is_negative() && tranche.minor() <= line.cash_paid.minor());
        if line.removed.is_some() {
            prop_assert_eq!(tranche, removed_tranche(line.cash_paid, keep, remove).unwrap());
            // Within one minor unit of the exact share, multiplied through.
            let exact = i128::from(line.cash_paid.minor()) * i128::from(remove);
            let gap = i128::from(tranche.minor()) * i128::from(keep + remove) - exact;
            prop_assert!(gap.abs() < i128::from(keep + remove), "{line:?}");
        }
        let consumed = line.proration.map_or(0, |p| p.consumed.minor());
        prop_assert_eq!(line.refund.minor() + consumed, tranche.minor());
        let routed: i64 =
            quote.destinations.iter().filter(|d| d.order_index == line.order_index).map(|d| d.amount.minor()).sum();
        prop_assert_eq!(routed, if quote.eligible() { line.refund.minor() } else { 0 });
    }
    Ok(())
}

/// Confirms the downgrade `quote` on `instance`: each line's whole tranche
/// leaves its order's basis and tenders.
fn confirm(instance: &mut Instance, quote: &Quote, new_quota_cu: u32) -> Result<(), TestCaseError> {
    for line in &quote.lines {
        let order = &mut instance.orders[line.order_index];
        let left = release_tranche(order, line.removed.unwrap()).unwrap();
        prop_assert_eq!(
            Money::checked_sum(left.cash_basis.currency(), left.tenders.iter().copied()),
            Ok(left.cash_basis)
        );
        order.released_cash = left.released_cash;
        for (tender, amount) in order.tenders.iter_mut().zip(&left.tenders) {
            tender.amount = *amount;
        }
        prop_assert_eq!(order.validate(), Ok(()));
    }
    instance.quota_cu = Some(new_quota_cu);
    Ok(())
}

/// What the provider keeps of each order's share at `now`: the share less
/// its refund, or all of the share once the order's period has ended.
fn kept_by_order(instance: &Instance, setting: &Setting, action: Action) -> Vec<i64> {
    let quote = setting.quote_action(Some(instance), action);
    let quota_cu = instance.quota_cu.unwrap();
    let share = |basis: Money| match action {
        Action::Downgrade { new_quota_cu, .. } => {
            removed_tranche(basis, new_quota_cu, quota_cu - new_quota_cu).unwrap()
        }
        _ => basis,
    };
    instance
        .orders
        .iter()
        .enumerate()
        .map(|(index, order)| match quote.lines.iter().find(|l| l.order_index == index) {
            Some(line) => line.proration.map_or(0, |p| p.consumed.minor()),
            // No line before the first line's order: its period has ended.
            None if quote.lines.iter().all(|l| l.order_index > index) => share(order.cash_basis().unwrap()).minor(),
            None => 0,
        })
        .collect()
}

proptest! {
    #[test]
    fn downgrades_then_an_unsubscription_never_give_back_more_than_was_paid(
        (mut instance, mut setting) in any_quota(),
        steps in prop::collection::vec((0_u32..1000, 0_i64..=40 * 86_400), 0..=4),
        last_step_s in 0_i64..=40 * 86_400,
    ) {
        let mut tally = Tally::new(&instance);
        for (seed, step_s) in steps {
            setting.now += Duration::seconds(step_s);
            let quota_cu = instance.quota_cu.unwrap();
            if quota_cu <= MIN_CU {
                break;
            }
            let new_quota_cu = MIN_CU + seed % (quota_cu - MIN_CU);
            let quote = setting.quote_action(Some(&instance), downgrade(new_quota_cu));
            check_splits(&quote, new_quota_cu, quota_cu - new_quota_cu)?;
            if quote.eligible() {
                prop_assert_eq!(quote.quota_cu_after, Some(new_quota_cu));
                tally.add(&quote)?;
                confirm(&mut instance, &quote, new_quota_cu)?;
            }
        }
        setting.now += Duration::seconds(last_step_s);
        let quote = setting.quote(Some(&instance));
        check_splits(&quote, 0, 1)?;
        if quote.eligible() {
            tally.add(&quote)?;
        }
    }

    #[test]
    fn the_consumed_part_never_shrinks_as_time_goes_on(
        (instance, setting) in any_quota(),
        seed in 0_u32..1000,
        downgrading in any::<bool>(),
        step_s in 0_i64..=60 * 86_400,
    ) {
        let quota_cu = instance.quota_cu.unwrap();
        let action = if downgrading && quota_cu > MIN_CU {
            downgrade(MIN_CU + seed % (quota_cu - MIN_CU))
        } else {
            Action::Unsubscribe
        };
        let earlier = kept_by_order(&instance, &setting, action);
        let later = Setting { now: setting.now + Duration::seconds(step_s), ..setting };
        let afterwards = kept_by_order(&instance, &later, action);
        for (before, after) in earlier.iter().zip(&afterwards) {
            prop_assert!(after >= before, "{earlier:?} then {afterwards:?}");
        }
    }
}
