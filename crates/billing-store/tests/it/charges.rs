//! Money comes in only through the payment channel: card and PayPal tenders
//! and top-ups are charges the channel captures (or declines) before
//! anything is paid or credited; payment methods are the channel's tokens;
//! a payment left half-way is finished once; a refund never returns more
//! than the charge it names captured.

use billing_app::channel::{ChannelRefund, PaymentChannel};
use billing_app::charges::{ChargeStatus, Settled};
use billing_app::clock::Clock;
use billing_app::model::{InstanceState, PaymentMethod};
use billing_app::purchase::{Purchase, TenderInput};
use billing_app::store::Store;
use billing_app::unsubscription::processing::CLAIM_LEASE;
use billing_app::unsubscription::records::RefundStatus;
use billing_domain::ids::PaymentMethodId;
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::{Seed, balance};
use crate::support::{OPERATOR, World, channel, usd};
use crate::unsubscription::confirm;

/// A card the simulated channel always declines.
const DECLINING_CARD: &str = "4000 0000 0000 0002";

async fn declining_card(w: &World, s: &Seed) -> PaymentMethod {
    w.billing.accounts().add_payment_method(&s.caller, s.id(), PaymentMethodKind::Card, DECLINING_CARD).await.unwrap()
}

/// A plan bought with `tenders` by a process that stopped right after the
/// transaction that wrote its charges: nothing was asked of the channel.
async fn placed_unsettled(w: &World, s: &Seed, tenders: Vec<TenderInput>) -> Purchase {
    let mut tx = w.store.begin().await.unwrap();
    let placed = w.billing.purchases().buy_plan_in(&mut *tx, &s.caller, &s.plan(100, 1, Some(tenders))).await.unwrap();
    tx.commit().await.unwrap();
    placed
}

fn tender(method: &PaymentMethod, amount: &str) -> TenderInput {
    TenderInput { method: method.kind, payment_method_id: Some(method.id.clone()), amount: usd(amount) }
}

#[tokio::test]
async fn a_card_payment_is_captured_by_the_channel_before_the_order_is_paid() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        assert_eq!(bought.order.status, OrderStatus::Paid);
        assert_eq!(bought.instance.state, InstanceState::Active);
        let charge_id = bought.order.tenders[0].charge_id.clone().expect("the tender names its charge");
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].charge_id.as_str(), log[0].outcome.as_str()), (charge_id.as_str(), "captured"));
        assert_eq!((log[0].amount_minor, log[0].repeats), (536, 0));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn finishing_a_paid_card_payment_again_keeps_its_charge_captured() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        // What a repeat of the purchase with its idempotency key does.
        let again = w.billing.purchases().finish_payment(&s.caller, &bought.order.id).await.unwrap();
        assert_eq!(again.order.status, OrderStatus::Paid);
        assert_eq!(again.instance.state, InstanceState::Active);
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!((log.len(), log[0].outcome.as_str()), (1, "captured"), "the money stays taken");
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_unpaid_with_the_reason_and_takes_nothing() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bad = declining_card(&w, &s).await;
        let refused =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![tender(&bad, "805.25")]))).await;
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("the card was declined"), "{message}");
        let quota = w.instances(s.id()).await.pop().unwrap();
        assert_eq!(quota.state, InstanceState::PendingPayment, "no capacity was granted");
        let order = w.orders(&quota.id).await.pop().unwrap();
        assert_eq!(order.status, OrderStatus::Unpaid);
        assert_eq!(order.payment_failure.as_deref(), Some("the card was declined"));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, 0);
        // Paid again with a card that works, it goes through.
        let paid = w.billing.purchases().pay_order(&s.caller, &order.id, &[s.card("805.25")]).await.unwrap();
        assert_eq!((paid.order.status, paid.order.payment_failure), (OrderStatus::Paid, None));
        let mut outcomes: Vec<_> =
            channel(&w.store).charge_log().await.unwrap().into_iter().map(|e| e.outcome).collect();
        outcomes.sort();
        assert_eq!(outcomes, ["captured", "declined"]);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_payment_split_with_a_declining_card_gives_back_the_part_already_captured() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let bad = declining_card(&w, &s).await;
        let tenders = vec![balance("5.25"), s.card("400.00"), tender(&bad, "400.00")];
        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(tenders))).await;
        assert_eq!(refused.unwrap_err().code(), "PAYMENT_DECLINED");
        let log = channel(&w.store).charge_log().await.unwrap();
        let mut outcomes: Vec<_> = log.iter().map(|e| e.outcome.as_str()).collect();
        outcomes.sort_unstable();
        assert_eq!(outcomes, ["declined", "voided"], "the captured card part was voided");
        assert_eq!(w.balance_of(s.id()).await, usd("100.00"), "the balance part was never taken");
        assert_eq!(w.ledger_sum("channel:card", "USD").await, 0);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_payment_left_half_way_is_finished_by_the_worker_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        // A process writes the payment and stops before asking the channel.
        let placed = placed_unsettled(&w, &s, vec![s.card("5.36")]).await;
        assert_eq!(placed.order.status, OrderStatus::Unpaid);
        // Another process's worker picks it up once it is old enough.
        let other = w.replica().await;
        assert_eq!(other.purchases().process_charges(Duration::seconds(30)).await.unwrap().payments, 0, "too fresh");
        w.clock.advance(Duration::seconds(31));
        let report = other.purchases().process_charges(Duration::seconds(30)).await.unwrap();
        assert_eq!((report.payments, report.paid), (1, 1));
        assert_eq!(w.order(&placed.order.id).await.status, OrderStatus::Paid);
        assert_eq!(other.purchases().process_charges(Duration::zero()).await.unwrap().payments, 0, "nothing left");
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!((log.len(), log[0].repeats), (1, 0));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536, "taken once");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_charge_the_channel_took_before_a_crash_is_taken_once_when_asked_again() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let placed = placed_unsettled(&w, &s, vec![s.card("5.36")]).await;
        let charge = w.tx().await.charges_of_order(&placed.order.id).await.unwrap().remove(0);
        // The channel captured it, but the answer never got recorded.
        let request = billing_app::channel::ChannelCharge {
            charge_id: charge.id.to_string(),
            method: charge.method,
            payment_method_id: charge.payment_method_id.clone().unwrap().into_string(),
            amount: charge.amount,
            now: w.clock.now(),
        };
        channel(&w.store).charge(&request).await.unwrap();
        w.billing.purchases().process_charges(Duration::zero()).await.unwrap();
        assert_eq!(w.order(&placed.order.id).await.status, OrderStatus::Paid);
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!((log.len(), log[0].outcome.as_str(), log[0].repeats), (1, "captured", 1));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_order_cancelled_while_its_charge_was_out_keeps_none_of_the_money() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let placed = placed_unsettled(&w, &s, vec![s.card("5.36")]).await;
        w.billing.purchases().cancel_order(&s.caller, &placed.order.id).await.unwrap();
        let report = w.billing.purchases().process_charges(Duration::zero()).await.unwrap();
        assert_eq!((report.payments, report.declined), (1, 1));
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!(log[0].outcome, "voided", "a late request for it is refused");
        assert_eq!(w.order(&placed.order.id).await.status, OrderStatus::Cancelled);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_channel_declining_every_charge_pays_nothing() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let strict =
            SimulatedChannelSettings { charge_declines_per_mille: 1000, ..SimulatedChannelSettings::default() };
        let billing = billing_app::Billing::new(w.store.clone(), w.clock.clone())
            .with_channel(std::sync::Arc::new(SimulatedChannel::new(&w.store, strict)));
        let refused = billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await;
        assert_eq!(refused.unwrap_err().code(), "PAYMENT_DECLINED");
        let refused = billing.purchases().top_up(&s.caller, &s.card_top_up("10.00")).await;
        assert_eq!(refused.unwrap_err().code(), "PAYMENT_DECLINED");
        assert_eq!(w.balance_of(s.id()).await, usd("0"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_card_top_up_is_credited_once_captured_and_a_bank_transfer_only_by_an_operator() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let account = w.billing.purchases().top_up(&s.caller, &s.card_top_up("25.00")).await.unwrap();
        assert_eq!(account.balance, usd("25.00"));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -2500);
        let bad = declining_card(&w, &s).await;
        let request =
            billing_app::topups::TopUpRequest { payment_method_id: Some(bad.id.clone()), ..s.card_top_up("25.00") };
        assert_eq!(w.billing.purchases().top_up(&s.caller, &request).await.unwrap_err().code(), "PAYMENT_DECLINED");
        let before = w.snapshot().await;
        let declared = w.billing.purchases().record_transfer(&s.caller, s.id(), usd("21000000000.00")).await;
        w.assert_refused(&before, declared, "FORBIDDEN").await;
        let credited = w.billing.purchases().record_transfer(&OPERATOR, s.id(), usd("10.00")).await.unwrap();
        assert_eq!(credited.balance, usd("35.00"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn payment_methods_are_tokens_the_channel_issued_and_customers_may_only_detach_them() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        assert!(s.card.id.starts_with("pm_"));
        assert_eq!(s.card.label, "Visa ending 4242");
        let not_a_card =
            w.billing.accounts().add_payment_method(&s.caller, s.id(), PaymentMethodKind::Card, "1234").await;
        assert_eq!(not_a_card.unwrap_err().code(), "INVALID_INPUT");
        w.billing.accounts().set_payment_method_valid(&s.caller, &s.card.id, false).await.unwrap();
        let before = w.snapshot().await;
        let revived = w.billing.accounts().set_payment_method_valid(&s.caller, &s.card.id, true).await;
        w.assert_refused(&before, revived, "FORBIDDEN").await;
        // A method the channel never issued cannot be charged.
        w.sql(&format!(
            "INSERT INTO payment_methods (id, account_id, kind, label, valid) VALUES ('pm_forged', '{}', 'card', 'x', 1)",
            s.id()
        ))
        .await;
        let forged = TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(PaymentMethodId::trusted("pm_forged")),
            amount: usd("5.36"),
        };
        let refused = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![forged]))).await;
        assert_eq!(refused.unwrap_err().code(), "PAYMENT_DECLINED");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_refund_returns_the_charge_it_names_and_never_more_than_it_captured() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        let charge_id = bought.order.tenders[0].charge_id.clone().unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&s.caller, &bought.instance.id, None).await.unwrap();
        let done =
            w.billing.unsubscriptions().confirm_unsubscription(&s.caller, &confirm(&quote, "k", None)).await.unwrap();
        assert_eq!(done.refunds[0].charge_id.as_deref(), Some(charge_id.as_str()));
        let instant = SimulatedChannelSettings { delay: Duration::zero(), failures_per_mille: 0, ..Default::default() };
        let sim = SimulatedChannel::new(&w.store, instant);
        w.billing.unsubscriptions().process_refunds("worker", &sim, CLAIM_LEASE).await.unwrap();
        let refund = w.billing.unsubscriptions().refund(&s.caller, &done.refunds[0].id).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Succeeded);
        let log = sim.charge_log().await.unwrap();
        assert_eq!((log[0].amount_minor, log[0].refunded_minor), (536, 536));
        // A second refund of the same charge finds nothing left to return.
        let forged = ChannelRefund {
            refund_id: "ref_forged".to_owned(),
            method: PaymentMethodKind::Card,
            payment_method_id: Some(s.card.id.to_string()),
            charge_id: Some(charge_id.into_string()),
            amount: usd("1.00"),
            now: w.clock.now(),
        };
        let answer = sim.refund(&forged).await.unwrap();
        assert!(matches!(answer, billing_app::channel::ChannelAnswer::Failed(_)), "{answer:?}");
        let nameless = ChannelRefund { refund_id: "ref_nameless".to_owned(), charge_id: None, ..forged };
        let answer = sim.refund(&nameless).await.unwrap();
        assert!(matches!(answer, billing_app::channel::ChannelAnswer::Failed(_)), "{answer:?}");
        assert_eq!(sim.charge_log().await.unwrap()[0].refunded_minor, 536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn settling_a_paid_order_again_gives_none_of_its_money_back() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        // A repeated request, a second worker and the scheduler all look again.
        let again = w.billing.purchases().finish_payment(&s.caller, &bought.order.id).await.unwrap();
        assert_eq!(again.order.status, OrderStatus::Paid);
        w.replica().await.purchases().settle_order_payment(&bought.order.id).await.unwrap();
        w.billing.purchases().process_charges(Duration::zero()).await.unwrap();
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!((log.len(), log[0].outcome.as_str()), (1, "captured"), "the charge stays taken");
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_order_is_never_paid_from_part_of_a_payment_whose_other_part_was_declined() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bad = declining_card(&w, &s).await;
        let placed = placed_unsettled(&w, &s, vec![s.card("3.00"), tender(&bad, "2.36")]).await;
        // A process captured the first part and recorded the decline of the
        // second, then died before giving the first part back.
        let charges = w.tx().await.charges_of_order(&placed.order.id).await.unwrap();
        let now = w.clock.now();
        let first = billing_app::channel::ChannelCharge {
            charge_id: charges[0].id.to_string(),
            method: charges[0].method,
            payment_method_id: charges[0].payment_method_id.clone().unwrap().into_string(),
            amount: charges[0].amount,
            now,
        };
        channel(&w.store).charge(&first).await.unwrap();
        let mut tx = w.store.begin().await.unwrap();
        tx.set_charge_status(&charges[0].id, ChargeStatus::Requested, ChargeStatus::Captured, None, now).await.unwrap();
        tx.set_charge_status(&charges[1].id, ChargeStatus::Requested, ChargeStatus::Declined, Some("declined"), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let report = w.billing.purchases().process_charges(Duration::zero()).await.unwrap();
        assert_eq!((report.paid, report.declined), (0, 1));
        assert_eq!(w.order(&placed.order.id).await.status, OrderStatus::Unpaid);
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!(log[0].outcome, "voided", "the captured part went back");
        assert_eq!(w.ledger_sum("channel:card", "USD").await, 0);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_order_whose_card_payment_is_under_way_cannot_be_paid_again_meanwhile() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let placed = placed_unsettled(&w, &s, vec![s.card("5.36")]).await;
        let again = w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[balance("5.36")]).await;
        assert_eq!(again.unwrap_err().code(), "INVALID_STATE");
        assert_eq!(w.balance_of(s.id()).await, usd("100.00"));
        w.billing.purchases().process_charges(Duration::zero()).await.unwrap();
        assert_eq!(w.order(&placed.order.id).await.status, OrderStatus::Paid);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_paid_purchase_settled_again_keeps_the_money_its_card_paid() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        // A repeat of the request with its idempotency key settles again.
        let again = w.billing.purchases().finish_payment(&s.caller, &bought.order.id).await.unwrap();
        assert_eq!(again.order.status, OrderStatus::Paid);
        assert_eq!(w.billing.purchases().settle_order_payment(&bought.order.id).await.unwrap(), Settled::Paid);
        let log = channel(&w.store).charge_log().await.unwrap();
        assert_eq!((log.len(), log[0].outcome.as_str()), (1, "captured"), "the channel keeps the money");
        let charges = w.tx().await.charges_of_order(&bought.order.id).await.unwrap();
        assert_eq!(charges[0].status, ChargeStatus::Captured);
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -536);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_refunded_purchase_settled_again_still_refunds_to_the_card() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await.unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&s.caller, &bought.instance.id, None).await.unwrap();
        let done =
            w.billing.unsubscriptions().confirm_unsubscription(&s.caller, &confirm(&quote, "k", None)).await.unwrap();
        w.billing.purchases().finish_payment(&s.caller, &bought.order.id).await.unwrap();
        let instant = SimulatedChannelSettings { delay: Duration::zero(), failures_per_mille: 0, ..Default::default() };
        let sim = SimulatedChannel::new(&w.store, instant);
        w.billing.unsubscriptions().process_refunds("worker", &sim, CLAIM_LEASE).await.unwrap();
        let refund = w.billing.unsubscriptions().refund(&s.caller, &done.refunds[0].id).await.unwrap();
        assert_eq!((refund.status, refund.destination), (RefundStatus::Succeeded, PaymentMethodKind::Card));
        let log = sim.charge_log().await.unwrap();
        assert_eq!((log[0].outcome.as_str(), log[0].refunded_minor), ("captured", 536), "returned once, by the refund");
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_processes_settling_one_payment_at_once_pay_it_and_void_nothing() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let other = w.replica().await;
        for _ in 0..5 {
            let placed = placed_unsettled(&w, &s, vec![s.card("5.36")]).await;
            let id = &placed.order.id;
            let (a, b) = tokio::join!(
                w.billing.purchases().settle_order_payment(id),
                other.purchases().settle_order_payment(id)
            );
            assert_eq!((a.unwrap(), b.unwrap()), (Settled::Paid, Settled::Paid));
            assert_eq!(w.order(id).await.status, OrderStatus::Paid);
        }
        let log = channel(&w.store).charge_log().await.unwrap();
        assert!(log.iter().all(|e| e.outcome == "captured"), "{log:?}");
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -5 * 536);
        w.assert_books_in_order().await;
    });
}
