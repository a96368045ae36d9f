//! [`SqlTx`]: one database transaction implementing the application's
//! [`StoreTx`]. The SQL lives in the sibling modules, one per subject; this
//! file only routes the trait's methods to them.

use std::sync::Arc;

use async_trait::async_trait;
use billing_app::changes::ChangeLog;
use billing_app::charges::{ChargeRecord, ChargeStatus};
use billing_app::directory::{AccountFilter, AccountSummary, AuditFilter, BalanceLine};
use billing_app::documents::{DocumentDraft, DocumentFilter, DocumentKind, DocumentRecord};
use billing_app::events::{Event, EventFilter};
use billing_app::ledger::{LedgerEntry, Movement};
use billing_app::metering::UsageFacts;
use billing_app::model::{
    Account, ApiKey, AuditEvent, Benefit, BenefitStatus, BillingMethod, ConsoleSession, DataObject, InstanceRecord,
    InstanceState, Job, NewAuditEvent, OrderRecord, PaymentMethod, Queue, QueueStatus, QuotaChange, SettledHour,
    Settlement, Tombstone, UsageRecord, Workspace,
};
use billing_app::store::{AccountInRegion, StoreResult, StoreTx};
use billing_app::unsubscription::records::{
    IdempotencyClaim, Refund, RefundFilter, RefundStatus, StoredQuote, Unsubscription,
};
use billing_app::usage_stream::UsageRejection;
use billing_app::webhooks::WebhookEndpoint;
use billing_app::webhooks::delivery::{Delivery, DeliveryAttempt, DeliveryJob, DeliveryStatus};
use billing_domain::catalog::{Commodity, Region};
use billing_domain::money::Money;
use billing_domain::order::OrderStatus;
use billing_domain::policy::PolicyVersion;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use sqlx::Any;

use crate::Backend;
use crate::error::map_err;

/// An open transaction on the store's database.
pub struct SqlTx {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
    pub(crate) backend: Backend,
    /// The store's write gate, held until the transaction ends (SQLite).
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Audit events appended by this transaction, chained at commit.
    audit: Vec<(NewAuditEvent, DateTime<Utc>)>,
    /// Documents numbered at commit, before the audit events are chained.
    drafts: Vec<DocumentDraft>,
    /// Told of the transaction's audit events once it has committed.
    changes: Arc<ChangeLog>,
    /// Woken once a write has committed (the SQLite checkpointer).
    checkpoints: Option<tokio::sync::mpsc::Sender<()>>,
    /// Run once the transaction has committed.
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
}

impl SqlTx {
    pub(crate) fn new(tx: sqlx::Transaction<'static, Any>, backend: Backend, changes: Arc<ChangeLog>) -> SqlTx {
        SqlTx {
            tx,
            backend,
            _gate: None,
            audit: Vec::new(),
            drafts: Vec::new(),
            changes,
            checkpoints: None,
            after_commit: Vec::new(),
        }
    }

    /// The same transaction, waking `checkpoints` once it commits.
    pub(crate) fn waking(mut self, checkpoints: Option<tokio::sync::mpsc::Sender<()>>) -> SqlTx {
        self.checkpoints = checkpoints;
        self
    }

    /// The same transaction, holding `gate` until it ends.
    pub(crate) fn holding(mut self, gate: Option<tokio::sync::OwnedMutexGuard<()>>) -> SqlTx {
        self._gate = gate;
        self
    }

    /// Runs a conditional state change, `sql` taking `to` as `$1`, `id` as
    /// `$2` and `from` as `$3`; true when the row was in `from` and moved.
    pub(crate) async fn transition(&mut self, sql: &str, id: &str, from: &str, to: &str) -> StoreResult<bool> {
        let done = sqlx::query(sql).bind(to).bind(id).bind(from).execute(&mut *self.tx).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Which database the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying connection, for raw SQL in benchmarks and checks.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Numbers the transaction's documents, chains its audit events, then
    /// commits, typed as this store's own; once committed, the store's
    /// change log learns of the events.
    pub async fn commit_sql(mut self) -> StoreResult<()> {
        let mut events = std::mem::take(&mut self.audit);
        let mut numbered: Vec<(DocumentDraft, DocumentRecord)> = Vec::new();
        for mut draft in std::mem::take(&mut self.drafts) {
            // A document may name one numbered before it in this
            // transaction (a credit note its invoice).
            for (earlier, done) in &numbered {
                if draft.record.content.contains(&earlier.number_token) {
                    draft.record.content = earlier.fill(&draft.record.content, done);
                    self.fill_event_row(&draft.event_id, earlier, done).await?;
                }
            }
            let done = self.number_document_row(&draft).await?;
            for (event, _) in &mut events {
                event.detail = draft.fill(&event.detail, &done);
            }
            numbered.push((draft, done));
        }
        let first = match events.as_slice() {
            [] => None,
            _ => Some(self.chain_audit_rows(&events).await?),
        };
        self.tx.commit().await.map_err(map_err)?;
        if let Some(checkpoints) = &self.checkpoints {
            // Full means a checkpoint is already due.
            let _ = checkpoints.try_send(());
        }
        if let Some(first) = first {
            for (seq, (event, _)) in (first..).zip(&events) {
                self.changes.record(seq, &event.actor);
            }
        }
        for hook in std::mem::take(&mut self.after_commit) {
            hook();
        }
        Ok(())
    }
}

#[async_trait]
impl StoreTx for SqlTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.commit_sql().await
    }
    fn after_commit(&mut self, hook: Box<dyn FnOnce() + Send>) {
        self.after_commit.push(hook);
    }

    async fn insert_account(&mut self, account: &Account) -> StoreResult<()> {
        self.insert_account_row(account).await
    }
    async fn account(&mut self, id: &str) -> StoreResult<Option<Account>> {
        self.account_row(id).await
    }
    async fn set_account_locale(&mut self, id: &str, locale: Option<&str>) -> StoreResult<()> {
        self.set_account_locale_row(id, locale).await
    }
    async fn account_in_region(&mut self, account_id: &str, region_id: &str) -> StoreResult<Option<AccountInRegion>> {
        self.account_in_region_row(account_id, region_id).await
    }
    async fn accounts(&mut self) -> StoreResult<Vec<Account>> {
        self.account_rows().await
    }
    async fn lock_account(&mut self, id: &str) -> StoreResult<Option<Account>> {
        self.lock_account_row(id).await
    }
    async fn add_to_balance(&mut self, account_id: &str, delta: Money) -> StoreResult<Money> {
        self.add_to_balance_row(account_id, delta).await
    }
    async fn insert_payment_method(&mut self, method: &PaymentMethod) -> StoreResult<()> {
        self.insert_payment_method_row(method).await
    }
    async fn payment_method(&mut self, id: &str) -> StoreResult<Option<PaymentMethod>> {
        self.payment_method_row(id).await
    }
    async fn payment_methods(&mut self, account_id: &str) -> StoreResult<Vec<PaymentMethod>> {
        self.payment_method_rows(account_id).await
    }
    async fn set_payment_method_valid(&mut self, id: &str, valid: bool) -> StoreResult<()> {
        self.set_payment_method_valid_row(id, valid).await
    }
    async fn insert_benefit(&mut self, benefit: &Benefit) -> StoreResult<()> {
        self.insert_benefit_row(benefit).await
    }
    async fn benefit(&mut self, id: &str) -> StoreResult<Option<Benefit>> {
        self.benefit_row(id).await
    }
    async fn benefits(&mut self, account_id: &str) -> StoreResult<Vec<Benefit>> {
        self.benefit_rows(account_id).await
    }
    async fn set_benefit_status(
        &mut self,
        id: &str,
        from: BenefitStatus,
        to: BenefitStatus,
        order_id: Option<&str>,
    ) -> StoreResult<bool> {
        self.set_benefit_status_row(id, from, to, order_id).await
    }

    async fn region(&mut self, id: &str) -> StoreResult<Option<Region>> {
        self.region_row(id).await
    }
    async fn regions(&mut self) -> StoreResult<Vec<Region>> {
        self.region_rows().await
    }
    async fn upsert_region(&mut self, region: &Region) -> StoreResult<()> {
        self.upsert_region_row(region).await
    }
    async fn policy_versions(&mut self) -> StoreResult<Vec<PolicyVersion>> {
        self.policy_version_rows().await
    }
    async fn insert_policy_version(&mut self, version: &PolicyVersion) -> StoreResult<()> {
        self.insert_policy_version_row(version).await
    }

    async fn insert_workspace(&mut self, workspace: &Workspace) -> StoreResult<()> {
        self.insert_workspace_row(workspace).await
    }
    async fn workspace(&mut self, id: &str) -> StoreResult<Option<Workspace>> {
        self.workspace_row(id).await
    }
    async fn workspace_with_counts(&mut self, id: &str) -> StoreResult<Option<(Workspace, [i64; 3])>> {
        self.workspace_with_counts_row(id).await
    }
    async fn workspaces(&mut self, account_id: &str) -> StoreResult<Vec<Workspace>> {
        self.workspace_rows(account_id).await
    }
    async fn insert_job(&mut self, job: &Job) -> StoreResult<()> {
        self.insert_job_row(job).await
    }
    async fn jobs(&mut self, workspace_id: &str) -> StoreResult<Vec<Job>> {
        self.job_rows(workspace_id).await
    }
    async fn insert_data_object(&mut self, object: &DataObject) -> StoreResult<()> {
        self.insert_data_object_row(object).await
    }
    async fn data_objects(&mut self, workspace_id: &str) -> StoreResult<Vec<DataObject>> {
        self.data_object_rows(workspace_id).await
    }
    async fn insert_queue(&mut self, queue: &Queue) -> StoreResult<()> {
        self.insert_queue_row(queue).await
    }
    async fn queues(&mut self, workspace_id: &str) -> StoreResult<Vec<Queue>> {
        self.queue_rows(workspace_id).await
    }
    async fn set_billing_method(&mut self, workspace_id: &str, method: BillingMethod) -> StoreResult<()> {
        self.set_billing_method_row(workspace_id, method).await
    }
    async fn set_subscription_queue(&mut self, workspace_id: &str, status: QueueStatus) -> StoreResult<()> {
        self.set_subscription_queue_row(workspace_id, status).await
    }
    async fn delete_workspace(&mut self, tombstone: &Tombstone) -> StoreResult<()> {
        self.delete_workspace_rows(tombstone).await
    }
    async fn tombstone(&mut self, workspace_id: &str) -> StoreResult<Option<Tombstone>> {
        self.tombstone_row(workspace_id).await
    }

    async fn insert_instance(&mut self, instance: &InstanceRecord) -> StoreResult<()> {
        self.insert_instance_row(instance).await
    }
    async fn instance(&mut self, id: &str) -> StoreResult<Option<InstanceRecord>> {
        self.instance_row(id).await
    }
    async fn instances_by_ids(&mut self, ids: &[&str]) -> StoreResult<Vec<InstanceRecord>> {
        self.instance_rows_by_ids(ids).await
    }
    async fn instances(&mut self, account_id: &str) -> StoreResult<Vec<InstanceRecord>> {
        self.instance_rows("account_id = $1", account_id).await
    }
    async fn instances_in_state(&mut self, state: InstanceState) -> StoreResult<Vec<InstanceRecord>> {
        self.instance_rows("state = $1", state.as_str()).await
    }
    async fn set_instance_state(&mut self, id: &str, from: InstanceState, to: InstanceState) -> StoreResult<bool> {
        self.set_instance_state_row(id, from, to).await
    }
    async fn take_instance(
        &mut self,
        id: &str,
        from: InstanceState,
        to: InstanceState,
    ) -> StoreResult<Option<InstanceRecord>> {
        self.take_instance_row(id, from, to).await
    }
    async fn set_auto_renew(&mut self, id: &str, auto_renew: bool) -> StoreResult<()> {
        self.set_auto_renew_row(id, auto_renew).await
    }
    async fn set_plan_used(&mut self, id: &str, used: CuHours) -> StoreResult<()> {
        self.set_plan_used_row(id, used).await
    }
    async fn quota_of_workspace(&mut self, workspace_id: &str) -> StoreResult<Option<InstanceRecord>> {
        self.quota_of_workspace_row(workspace_id).await
    }
    async fn plans_in_region(&mut self, account_id: &str, region_id: &str) -> StoreResult<Vec<InstanceRecord>> {
        self.plans_in_region_rows(account_id, region_id).await
    }
    async fn insert_order(&mut self, order: &OrderRecord) -> StoreResult<()> {
        self.insert_order_rows(order).await
    }
    async fn order(&mut self, id: &str) -> StoreResult<Option<OrderRecord>> {
        self.order_row(id).await
    }
    async fn orders(&mut self, instance_id: &str) -> StoreResult<Vec<OrderRecord>> {
        self.order_rows("instance_id = $1", instance_id).await
    }
    async fn orders_of_instances(&mut self, instance_ids: &[&str]) -> StoreResult<Vec<OrderRecord>> {
        self.order_rows_of_instances(instance_ids).await
    }
    async fn account_orders(
        &mut self,
        account_id: Option<&str>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<OrderRecord>> {
        self.account_order_rows(account_id, starting_after, limit).await
    }
    async fn unpaid_orders_before(&mut self, cutoff: DateTime<Utc>) -> StoreResult<Vec<OrderRecord>> {
        self.unpaid_order_rows(cutoff).await
    }
    async fn mark_order_paid(&mut self, order: &OrderRecord) -> StoreResult<bool> {
        self.mark_order_paid_rows(order).await
    }
    async fn set_order_payment_failure(&mut self, order_id: &str, failure: Option<&str>) -> StoreResult<()> {
        self.set_order_payment_failure_row(order_id, failure).await
    }
    async fn insert_charge(&mut self, charge: &ChargeRecord) -> StoreResult<()> {
        self.insert_charge_row(charge).await
    }
    async fn charge(&mut self, id: &str) -> StoreResult<Option<ChargeRecord>> {
        self.charge_row(id).await
    }
    async fn charges_of_order(&mut self, order_id: &str) -> StoreResult<Vec<ChargeRecord>> {
        self.charge_rows_of_order(order_id).await
    }
    async fn set_charge_status(
        &mut self,
        id: &str,
        from: ChargeStatus,
        to: ChargeStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.set_charge_status_row(id, from, to, failure, now).await
    }
    async fn unsettled_charges(&mut self, before: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ChargeRecord>> {
        self.unsettled_charge_rows(before, limit).await
    }
    async fn set_order_status(&mut self, id: &str, from: OrderStatus, to: OrderStatus) -> StoreResult<bool> {
        self.set_order_status_row(id, from, to).await
    }

    async fn insert_usage(&mut self, records: &[&UsageRecord]) -> StoreResult<Vec<Option<UsageRecord>>> {
        self.insert_usage_rows(records).await
    }
    async fn usage_facts(&mut self, workspace_ids: &[&str]) -> StoreResult<UsageFacts> {
        self.usage_fact_rows(workspace_ids).await
    }
    async fn settled_hours(&mut self, hours: &[(&str, DateTime<Utc>)]) -> StoreResult<Vec<Option<SettledHour>>> {
        self.settled_hour_rows(hours).await
    }
    async fn insert_settlements(&mut self, settlements: &[Settlement]) -> StoreResult<()> {
        self.insert_settlement_rows(settlements).await
    }
    async fn charge_usage(&mut self, charges: &[(&str, Money)]) -> StoreResult<()> {
        self.charge_usage_rows(charges).await
    }
    async fn set_plans_used(&mut self, used: &[(&str, CuHours)]) -> StoreResult<()> {
        self.set_plans_used_rows(used).await
    }
    async fn insert_usage_rejections(&mut self, rejections: &[UsageRejection]) -> StoreResult<usize> {
        self.insert_usage_rejection_rows(rejections).await
    }
    async fn usage_rejections(&mut self, starting_after: Option<&str>, limit: i64) -> StoreResult<Vec<UsageRejection>> {
        self.usage_rejection_rows(starting_after, limit).await
    }
    async fn settlements(
        &mut self,
        workspace_id: &str,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<Settlement>>> {
        self.settlement_rows(workspace_id, starting_after, limit).await
    }

    async fn usage_days(
        &mut self,
        range: &billing_app::bills::UsageRange,
    ) -> StoreResult<Vec<billing_app::bills::UsageDay>> {
        self.usage_day_rows(range).await
    }

    async fn insert_movement(&mut self, movement: &Movement) -> StoreResult<()> {
        self.insert_movement_rows(movement).await
    }
    async fn ledger_entries(&mut self) -> StoreResult<Vec<LedgerEntry>> {
        self.ledger_entry_rows().await
    }
    async fn append_audit(&mut self, event: &NewAuditEvent, at: DateTime<Utc>) -> StoreResult<()> {
        self.audit.push((event.clone(), at));
        Ok(())
    }
    async fn audit_head(&mut self) -> StoreResult<(i64, String)> {
        self.audit_head_row().await
    }
    async fn audit_events(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.audit_event_rows(after_seq, limit).await
    }
    async fn audit_actors(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        self.audit_actor_rows(after_seq, limit).await
    }
    async fn audit_search(&mut self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        self.audit_search_rows(filter).await
    }
    async fn account_summaries(&mut self, filter: &AccountFilter) -> StoreResult<Vec<AccountSummary>> {
        self.account_summary_rows(filter).await
    }
    async fn account_summary(&mut self, id: &str) -> StoreResult<Option<AccountSummary>> {
        self.account_summary_row(id).await
    }
    async fn balance_lines(
        &mut self,
        ledger_account: &str,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<BalanceLine>>> {
        self.balance_line_rows(ledger_account, before, limit).await
    }

    async fn invoice_numbers(&mut self, order_ids: &[&str]) -> StoreResult<Vec<(String, String)>> {
        let mut found = self.invoice_number_rows(order_ids).await?;
        // Invoices of this transaction, still to be numbered, by token.
        found.extend(
            self.drafts
                .iter()
                .filter(|d| d.record.kind == DocumentKind::Invoice && order_ids.contains(&d.record.source_id.as_str()))
                .map(|d| (d.record.source_id.clone(), d.number_token.clone())),
        );
        Ok(found)
    }
    async fn insert_document_at_commit(&mut self, draft: &DocumentDraft) -> StoreResult<()> {
        self.drafts.push(draft.clone());
        Ok(())
    }
    async fn document(&mut self, id: &str) -> StoreResult<Option<DocumentRecord>> {
        self.document_row(id).await
    }
    async fn documents(&mut self, filter: &DocumentFilter) -> StoreResult<Vec<DocumentRecord>> {
        self.document_rows(filter).await
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> StoreResult<()> {
        self.insert_api_key_row(key).await
    }
    async fn api_key_by_hash(&mut self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        self.api_key_row(key_hash).await
    }
    async fn api_key(&mut self, id: &str) -> StoreResult<Option<ApiKey>> {
        self.api_key_by_id_row(id).await
    }
    async fn api_keys(&mut self, account_id: Option<&str>, limit: i64) -> StoreResult<Vec<ApiKey>> {
        self.api_key_rows(account_id, limit).await
    }
    async fn revoke_api_key(&mut self, id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        self.revoke_api_key_row(id, at).await
    }
    async fn insert_console_session(&mut self, session: &ConsoleSession) -> StoreResult<()> {
        self.insert_console_session_row(session).await
    }
    async fn console_session(&mut self, id: &str) -> StoreResult<Option<ConsoleSession>> {
        self.console_session_row(id).await
    }
    async fn end_console_session(&mut self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.end_console_session_row(id, at).await
    }
    async fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        self.setting_row(name).await
    }
    async fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        self.set_setting_row(name, value).await
    }
    async fn setting_or_insert(&mut self, name: &str, value: &str) -> StoreResult<String> {
        self.setting_or_insert_row(name, value).await
    }

    async fn quote(&mut self, id: &str) -> StoreResult<Option<StoredQuote>> {
        self.quote_row(id).await
    }
    async fn insert_unsubscription(&mut self, unsubscription: &Unsubscription, quote: &StoredQuote) -> StoreResult<()> {
        self.insert_unsubscription_row(unsubscription, quote).await
    }
    async fn unsubscription(&mut self, id: &str) -> StoreResult<Option<Unsubscription>> {
        self.unsubscription_row(id).await
    }
    async fn full_refunds_between(
        &mut self,
        account_id: &str,
        commodity: Commodity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<i64> {
        self.full_refunds_between_rows(account_id, commodity, from, to).await
    }
    async fn insert_refund(&mut self, refund: &Refund) -> StoreResult<()> {
        self.insert_refund_row(refund).await
    }
    async fn refund(&mut self, id: &str) -> StoreResult<Option<Refund>> {
        self.refund_row(id).await
    }
    async fn refunds(&mut self, filter: &RefundFilter) -> StoreResult<Vec<Refund>> {
        self.refund_rows(filter).await
    }
    async fn release_order_cash(&mut self, order: &OrderRecord) -> StoreResult<bool> {
        self.release_order_cash_rows(order).await
    }
    async fn set_quota_cu(&mut self, instance_id: &str, quota_cu: u32) -> StoreResult<()> {
        self.set_quota_cu_row(instance_id, quota_cu).await
    }
    async fn insert_quota_change(&mut self, change: &QuotaChange) -> StoreResult<()> {
        self.insert_quota_change_row(change).await
    }
    async fn quota_changes(&mut self, instance_ids: &[&str]) -> StoreResult<Vec<QuotaChange>> {
        self.quota_change_rows(instance_ids).await
    }
    async fn reserved_cu_in_region(&mut self, region_id: &str) -> StoreResult<i64> {
        self.reserved_cu_in_region_row(region_id).await
    }
    async fn lock_region(&mut self, region_id: &str) -> StoreResult<()> {
        self.lock_region_row(region_id).await
    }
    async fn order_refunded(&mut self, order_id: &str) -> StoreResult<i64> {
        self.order_refunded_row(order_id).await
    }
    async fn refund_order(&mut self, order_id: &str) -> StoreResult<Option<i64>> {
        self.refund_order_row(order_id).await
    }
    async fn refund_due(&mut self, now: DateTime<Utc>) -> StoreResult<bool> {
        self.refund_due_row(now).await
    }
    async fn claim_refunds(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Refund>> {
        self.claim_refund_rows(worker, now, until, limit).await
    }
    async fn finish_refund(
        &mut self,
        id: &str,
        worker: &str,
        to: RefundStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.finish_refund_row(id, worker, to, failure, now).await
    }
    async fn release_refund(
        &mut self,
        id: &str,
        worker: Option<&str>,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        self.release_refund_row(id, worker, next_attempt_at).await
    }
    async fn claim_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        request_hash: &str,
        response: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim> {
        self.claim_idempotency_row(scope, key, request_hash, response, now).await
    }
    async fn complete_idempotency(&mut self, scope: &str, key: &str, response: &str) -> StoreResult<()> {
        self.complete_idempotency_row(scope, key, response).await
    }

    async fn insert_event(&mut self, event: &Event) -> StoreResult<()> {
        self.insert_event_row(event).await
    }
    async fn event(&mut self, id: &str) -> StoreResult<Option<Event>> {
        self.event_row(id).await
    }
    async fn events(&mut self, filter: &EventFilter) -> StoreResult<Vec<Event>> {
        self.event_rows(filter).await
    }
    async fn insert_webhook_endpoint(&mut self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        self.insert_webhook_endpoint_row(endpoint).await
    }
    async fn webhook_endpoint(&mut self, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
        self.webhook_endpoint_row(id).await
    }
    async fn webhook_endpoints(
        &mut self,
        scope: Option<Option<&str>>,
        limit: i64,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        self.webhook_endpoint_rows(scope, limit).await
    }
    async fn update_webhook_endpoint(&mut self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        self.update_webhook_endpoint_row(endpoint).await
    }
    async fn delete_webhook_endpoint(&mut self, id: &str) -> StoreResult<()> {
        self.delete_webhook_endpoint_row(id).await
    }
    async fn endpoint_succeeded(&mut self, id: &str) -> StoreResult<()> {
        self.endpoint_succeeded_row(id).await
    }
    async fn endpoint_failed(&mut self, id: &str, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>> {
        self.endpoint_failed_row(id, now).await
    }
    async fn insert_delivery(&mut self, delivery: &Delivery) -> StoreResult<()> {
        self.insert_delivery_row(delivery).await
    }
    async fn claim_deliveries(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryJob>> {
        self.claim_delivery_rows(worker, now, until, limit).await
    }
    async fn finish_delivery(
        &mut self,
        id: &str,
        worker: &str,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        self.finish_delivery_row(id, worker, status, next_attempt_at).await
    }
    async fn insert_delivery_attempt(&mut self, attempt: &DeliveryAttempt) -> StoreResult<()> {
        self.insert_delivery_attempt_row(attempt).await
    }
    async fn delivery_attempts(
        &mut self,
        event_id: Option<&str>,
        endpoint_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        self.delivery_attempt_rows(event_id, endpoint_id, limit).await
    }
}
