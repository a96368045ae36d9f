//! Each DTO built from an app view writes exactly the view's JSON, byte for
//! byte, and reads it back: events carry the views and the API answers the
//! DTOs, so the two sets of types must not drift apart. Every kind is tried
//! twice, with every optional field given and with none, so that a field a
//! DTO drops, renames or writes on other conditions shows up.

use billing_app::views::{
    OrderView, PurchaseView, PurchasedInstanceView, RefundView, TenderView, UnsubscriptionView, WorkspaceDeletionView,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    OrderDto, PurchaseDto, PurchasedInstanceDto, RefundDto, TenderDto, UnsubscriptionDto, WorkspaceDeletionDto,
};

/// `Dto::from(view)` writes the same text as `view`, and that text reads
/// back into `Dto` (which refuses unknown fields) and writes out unchanged.
fn writes_as_its_view<V, D>(what: &str, view: V)
where
    V: Serialize,
    D: From<V> + Serialize + DeserializeOwned,
{
    let expected = serde_json::to_string(&view).unwrap();
    let dto = D::from(view);
    assert_eq!(serde_json::to_string(&dto).unwrap(), expected, "{what}: the DTO writes other JSON than its view");
    let again: D = serde_json::from_str(&expected).unwrap_or_else(|e| panic!("{what}: {e}\n{expected}"));
    assert_eq!(serde_json::to_string(&again).unwrap(), expected, "{what}: changes on the way through its DTO");
}

fn card_tender() -> TenderView {
    TenderView { method: "card".into(), payment_method_id: Some("pm_1".into()), amount: "100.00".into() }
}

fn balance_tender() -> TenderView {
    TenderView { method: "balance".into(), payment_method_id: None, amount: "5.00".into() }
}

fn paid_order() -> OrderView {
    OrderView {
        id: "ord_1".into(),
        instance_id: "ins_1".into(),
        account_id: "acc_1".into(),
        kind: "new".into(),
        status: "paid".into(),
        months: 6,
        currency: "USD".into(),
        list_price: "120.00".into(),
        discount: "10.00".into(),
        coupon: "3.00".into(),
        voucher: "2.00".into(),
        cash_due: "105.00".into(),
        benefit_ids: vec!["ben_1".into(), "ben_2".into()],
        tenders: vec![card_tender(), balance_tender()],
        created_at: "2026-01-01T00:00:00+00:00".into(),
        paid_at: Some("2026-01-01T00:01:00+00:00".into()),
        activated_at: Some("2026-01-01T00:01:00+00:00".into()),
        payment_failure: Some("card_declined".into()),
    }
}

fn unpaid_order() -> OrderView {
    OrderView {
        status: "unpaid".into(),
        benefit_ids: Vec::new(),
        tenders: Vec::new(),
        paid_at: None,
        activated_at: None,
        payment_failure: None,
        ..paid_order()
    }
}

fn quota_instance() -> PurchasedInstanceView {
    PurchasedInstanceView {
        id: "ins_1".into(),
        account_id: "acc_1".into(),
        region_id: "ap-southeast-1".into(),
        commodity: "spark_reserved".into(),
        workspace_id: Some("wsp_1".into()),
        quota_cu: Some(100),
        capacity_cu_hours: Some("100".into()),
        state: "active".into(),
        auto_renew: true,
        created_at: "2026-01-01T00:00:00+00:00".into(),
    }
}

fn plan_instance() -> PurchasedInstanceView {
    PurchasedInstanceView { workspace_id: None, quota_cu: None, capacity_cu_hours: None, ..quota_instance() }
}

fn deleted_workspace() -> WorkspaceDeletionView {
    WorkspaceDeletionView { id: "wsp_1".into(), name: "etl".into(), jobs: 3, data_objects: 7, queues: 1 }
}

fn rerouted_refund() -> RefundView {
    RefundView {
        id: "ref_2".into(),
        unsubscription_id: "uns_1".into(),
        order_id: "ord_1".into(),
        from: "card".into(),
        to: "balance".into(),
        amount: "40.00".into(),
        currency: "USD".into(),
        status: "failed".into(),
        rule: "card_refused".into(),
        rerouted_from: Some("ref_1".into()),
        failure: Some("card_expired".into()),
        created_at: "2026-02-01T00:00:00+00:00".into(),
        updated_at: "2026-02-01T00:05:00+00:00".into(),
        expected_by: "2026-02-08T00:00:00+00:00".into(),
    }
}

fn plain_refund() -> RefundView {
    RefundView { status: "pending".into(), rerouted_from: None, failure: None, ..rerouted_refund() }
}

fn downgrade() -> UnsubscriptionView {
    UnsubscriptionView {
        id: "uns_1".into(),
        action: "downgrade".into(),
        quota_cu_after: Some(50),
        instance_id: "ins_1".into(),
        order_id: Some("ord_2".into()),
        quote_id: "quo_1".into(),
        refund: "80.00".into(),
        currency: "USD".into(),
        full_refund: false,
        created_at: "2026-02-01T00:00:00+00:00".into(),
        replayed: true,
        workspace_deleted: Some(deleted_workspace()),
        refunds: vec![rerouted_refund(), plain_refund()],
    }
}

fn plan_unsubscription() -> UnsubscriptionView {
    UnsubscriptionView {
        action: "unsubscribe".into(),
        quota_cu_after: None,
        order_id: None,
        full_refund: true,
        replayed: false,
        workspace_deleted: None,
        refunds: Vec::new(),
        ..downgrade()
    }
}

#[test]
fn a_tender_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, TenderDto>("a card tender", card_tender());
    writes_as_its_view::<_, TenderDto>("a balance tender", balance_tender());
}

#[test]
fn an_order_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, OrderDto>("a paid order", paid_order());
    writes_as_its_view::<_, OrderDto>("an unpaid order", unpaid_order());
}

#[test]
fn a_purchased_instance_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, PurchasedInstanceDto>("a quota", quota_instance());
    writes_as_its_view::<_, PurchasedInstanceDto>("a plan", plan_instance());
}

#[test]
fn a_purchase_dto_writes_exactly_its_view() {
    let paid = PurchaseView { order: paid_order(), instance: quota_instance() };
    writes_as_its_view::<_, PurchaseDto>("a paid quota's purchase", paid);
    let unpaid = PurchaseView { order: unpaid_order(), instance: plan_instance() };
    writes_as_its_view::<_, PurchaseDto>("an unpaid plan's purchase", unpaid);
}

#[test]
fn a_refund_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, RefundDto>("a rerouted refund", rerouted_refund());
    writes_as_its_view::<_, RefundDto>("a pending refund", plain_refund());
}

#[test]
fn a_workspace_deletion_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, WorkspaceDeletionDto>("a deleted workspace", deleted_workspace());
}

#[test]
fn an_unsubscription_dto_writes_exactly_its_view() {
    writes_as_its_view::<_, UnsubscriptionDto>("a downgrade", downgrade());
    writes_as_its_view::<_, UnsubscriptionDto>("a plan's unsubscription", plan_unsubscription());
}
