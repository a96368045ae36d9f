//! Workspaces and what they hold: jobs with their scripts, data objects and
//! queues.

use billing_domain::ids::{AccountId, WorkspaceId};
use serde_json::json;

use crate::accounts::Accounts;
use crate::accounts::check_name;
use crate::catalog::region_of;
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::model::{BillingMethod, DataObject, Job, Queue, QueueStatus, Workspace, WorkspaceStatus};
use crate::store::{StoreError, StoreTx};

/// Largest job script accepted, in bytes.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;

/// A workspace with everything in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceDetails {
    /// The workspace.
    pub workspace: Workspace,
    /// Its jobs.
    pub jobs: Vec<Job>,
    /// Its data objects.
    pub data_objects: Vec<DataObject>,
    /// Its queues.
    pub queues: Vec<Queue>,
}

/// An active workspace the caller may see, or `NOT_FOUND`.
pub(crate) async fn workspace_of(
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    id: &WorkspaceId,
) -> AppResult<Workspace> {
    let found = tx.workspace(id).await?.filter(|w| w.status == WorkspaceStatus::Active);
    visible(caller, "workspace", id, found, |w| &w.account_id)
}

impl Accounts {
    /// Creates a workspace with a pay-as-you-go queue and, unless it is
    /// pay-as-you-go only, a subscription queue that runs while a quota is
    /// in force.
    pub async fn create_workspace(
        &self,
        caller: &Caller,
        account_id: &AccountId,
        region_id: &str,
        name: &str,
        billing_method: BillingMethod,
    ) -> AppResult<Workspace> {
        check_name("name", name)?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let account = tx.account(account_id).await?;
        let account = visible(caller, "account", account_id, account, |a| &a.id)?;
        let region = region_of(&mut *tx, region_id).await?;
        if region.currency() != account.currency {
            return Err(AppError::CurrencyMismatch {
                message: format!(
                    "region {region_id} prices in {}, the account settles in {}",
                    region.currency(),
                    account.currency
                ),
            });
        }
        if tx.workspaces(account_id).await?.iter().any(|w| w.name == name) {
            return Err(AppError::invalid("name", format!("a workspace named {name:?} already exists")));
        }
        let workspace = Workspace {
            id: mint(),
            account_id: account_id.to_owned(),
            region_id: region_id.to_owned(),
            name: name.to_owned(),
            billing_method,
            status: WorkspaceStatus::Active,
            created_at: now,
        };
        tx.insert_workspace(&workspace).await?;
        let mut queues = vec![("default", false, QueueStatus::Running)];
        if billing_method != BillingMethod::PayAsYouGo {
            queues.push(("reserved", true, QueueStatus::Stopped));
        }
        for (queue_name, subscription, status) in queues {
            let queue = Queue {
                id: new_id("q"),
                workspace_id: workspace.id.clone(),
                name: queue_name.to_owned(),
                subscription,
                status,
            };
            tx.insert_queue(&queue).await?;
        }
        let detail = json!({"name": name, "region_id": region_id, "billing_method": billing_method.as_str()});
        audit(&mut *tx, caller, "workspace.created", &workspace.id, detail, now).await?;
        tx.commit().await?;
        Ok(workspace)
    }

    /// An account's active workspaces.
    pub async fn workspaces(&self, caller: &Caller, account_id: &AccountId) -> AppResult<Vec<Workspace>> {
        let mut tx = self.core.read().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        Ok(tx.workspaces(account_id).await?)
    }

    /// A workspace with its jobs, data objects and queues.
    pub async fn workspace_details(&self, caller: &Caller, id: &WorkspaceId) -> AppResult<WorkspaceDetails> {
        let mut tx = self.core.read().await?;
        let workspace = workspace_of(&mut *tx, caller, id).await?;
        Ok(WorkspaceDetails {
            jobs: tx.jobs(id).await?,
            data_objects: tx.data_objects(id).await?,
            queues: tx.queues(id).await?,
            workspace,
        })
    }

    /// Adds a job with its script.
    pub async fn add_job(
        &self,
        caller: &Caller,
        workspace_id: &WorkspaceId,
        name: &str,
        script: &str,
    ) -> AppResult<Job> {
        check_name("name", name)?;
        if script.len() > MAX_SCRIPT_BYTES {
            return Err(AppError::invalid("script", format!("must be at most {MAX_SCRIPT_BYTES} bytes")));
        }
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        workspace_of(&mut *tx, caller, workspace_id).await?;
        let job = Job {
            id: new_id("job"),
            workspace_id: workspace_id.to_owned(),
            name: name.to_owned(),
            script: script.to_owned(),
        };
        tx.insert_job(&job).await.map_err(|e| match e {
            StoreError::Unique(_) => AppError::invalid("name", format!("a job named {name:?} already exists")),
            other => other.into(),
        })?;
        audit(&mut *tx, caller, "job.added", &job.id, json!({"workspace_id": workspace_id, "name": name}), now).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Records a data object stored in the workspace.
    pub async fn add_data_object(
        &self,
        caller: &Caller,
        workspace_id: &WorkspaceId,
        name: &str,
        size_bytes: i64,
    ) -> AppResult<DataObject> {
        check_name("name", name)?;
        if size_bytes < 0 {
            return Err(AppError::invalid("size_bytes", "must not be negative"));
        }
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        workspace_of(&mut *tx, caller, workspace_id).await?;
        let object =
            DataObject { id: new_id("obj"), workspace_id: workspace_id.to_owned(), name: name.to_owned(), size_bytes };
        tx.insert_data_object(&object).await?;
        let detail = json!({"workspace_id": workspace_id, "name": name, "size_bytes": size_bytes});
        audit(&mut *tx, caller, "data_object.added", &object.id, detail, now).await?;
        tx.commit().await?;
        Ok(object)
    }
}
