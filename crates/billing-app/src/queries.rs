//! Read-only lookups the front ends need beyond the use cases: instances,
//! orders and settlements.

use billing_domain::ids::{AccountId, InstanceId, OrderId, WorkspaceId};

use crate::core::{Caller, visible};
use crate::error::{AppError, AppResult};
use crate::model::{InstanceRecord, OrderRecord, Settlement};
use crate::purchase::Purchases;
use crate::workspaces::workspace_of;

/// Most settlements listed at once.
pub const MAX_SETTLEMENTS: i64 = 1000;

impl Purchases {
    /// The instances of `account_id` (or, for operators without one, of every
    /// account), newest first.
    pub async fn instances(&self, caller: &Caller, account_id: Option<&AccountId>) -> AppResult<Vec<InstanceRecord>> {
        let mut tx = self.core.read().await?;
        let accounts = match (caller, account_id) {
            (Caller::Customer(own), _) => vec![own.clone()],
            (_, Some(id)) => vec![id.to_owned()],
            (_, None) => tx.accounts().await?.into_iter().map(|a| a.id).collect(),
        };
        let mut out = Vec::new();
        for id in accounts.iter().filter(|id| caller.may_see(id)) {
            out.extend(tx.instances(id).await?);
        }
        out.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(out)
    }

    /// One instance.
    pub async fn instance(&self, caller: &Caller, id: &InstanceId) -> AppResult<InstanceRecord> {
        let found = self.core.read().await?.instance(id).await?;
        visible(caller, "instance", id, found, |i| &i.account_id)
    }

    /// An instance's orders, oldest first.
    pub async fn orders(&self, caller: &Caller, instance_id: &InstanceId) -> AppResult<Vec<OrderRecord>> {
        let mut tx = self.core.read().await?;
        let found = tx.instance(instance_id).await?;
        visible(caller, "instance", instance_id, found, |i| &i.account_id)?;
        Ok(tx.orders(instance_id).await?)
    }

    /// The billing periods of a quota's paid orders (for its timeline), with
    /// the zone they are computed in.
    pub async fn quota_timeline(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
    ) -> AppResult<(billing_domain::calendar::BillingZone, Vec<(OrderRecord, billing_domain::calendar::BillingPeriod)>)>
    {
        let mut tx = self.core.read().await?;
        let found = tx.instance(instance_id).await?;
        let instance = visible(caller, "instance", instance_id, found, |i| &i.account_id)?;
        let region = crate::catalog::region_of(&mut *tx, &instance.region_id).await?;
        let orders = tx.orders(instance_id).await?;
        let periods = crate::periods::quota_periods(region.zone, &orders)?;
        let zone = region.zone;
        Ok((zone, periods.into_iter().map(|(i, p)| (orders[i].clone(), p)).collect()))
    }

    /// The changes of a quota's CUs (downgrades, a switch), oldest first.
    pub async fn quota_changes(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
    ) -> AppResult<Vec<crate::model::QuotaChange>> {
        let mut tx = self.core.read().await?;
        let found = tx.instance(instance_id).await?;
        visible(caller, "instance", instance_id, found, |i| &i.account_id)?;
        Ok(tx.quota_changes(&[instance_id]).await?)
    }

    /// One order.
    pub async fn order(&self, caller: &Caller, id: &OrderId) -> AppResult<OrderRecord> {
        let found = self.core.read().await?.order(id).await?;
        visible(caller, "order", id, found, |o| &o.account_id)
    }

    /// A workspace's hourly settlements, oldest first; with
    /// `starting_after`, those after that settlement of the workspace.
    pub async fn settlements(
        &self,
        caller: &Caller,
        workspace_id: &WorkspaceId,
        starting_after: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<Settlement>> {
        let mut tx = self.core.read().await?;
        workspace_of(&mut *tx, caller, workspace_id).await?;
        tx.settlements(workspace_id, starting_after, limit.clamp(1, MAX_SETTLEMENTS))
            .await?
            .ok_or_else(|| AppError::invalid("starting_after", "is not a settlement of this workspace"))
    }
}
