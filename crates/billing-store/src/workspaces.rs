//! Workspaces with their jobs, data objects and queues, and the tombstones
//! deleted workspaces leave behind.

use async_trait::async_trait;
use billing_app::model::{BillingMethod, DataObject, Job, Queue, QueueStatus, Tombstone, Workspace, WorkspaceStatus};
use billing_app::store::{StoreResult, WorkspacesTx};
use billing_domain::ids::{AccountId, WorkspaceId};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::held::Part;
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;

fn workspace(row: &AnyRow) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        region_id: row.text("region_id")?,
        name: row.text("name")?,
        billing_method: by_name(
            "billing_method",
            &row.text("billing_method")?,
            &BillingMethod::ALL,
            BillingMethod::as_str,
        )?,
        status: by_name("status", &row.text("status")?, &WorkspaceStatus::ALL, WorkspaceStatus::as_str)?,
        created_at: row.instant("created_at")?,
    })
}

fn tombstone(row: &AnyRow) -> StoreResult<Tombstone> {
    Ok(Tombstone {
        workspace_id: row.id("workspace_id")?,
        account_id: row.id("account_id")?,
        name: row.text("name")?,
        jobs: row.int("jobs")?,
        data_objects: row.int("data_objects")?,
        queues: row.int("queues")?,
        deleted_at: row.instant("deleted_at")?,
    })
}

#[async_trait]
impl WorkspacesTx for SqlTx {
    async fn insert_workspace(&mut self, w: &Workspace) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO workspaces (id, account_id, region_id, name, billing_method, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(w.id.as_str())
        .bind(w.account_id.as_str())
        .bind(&w.region_id)
        .bind(&w.name)
        .bind(w.billing_method.as_str())
        .bind(w.status.as_str())
        .bind(micros(w.created_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn workspace(&mut self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        let row = sqlx::query("SELECT * FROM workspaces WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(workspace).transpose()
    }

    async fn workspace_with_counts(&mut self, id: &WorkspaceId) -> StoreResult<Option<(Workspace, [i64; 3])>> {
        let row = sqlx::query(
            "SELECT w.*, \
             (SELECT COUNT(*) FROM jobs WHERE workspace_id = w.id) AS job_count, \
             (SELECT COUNT(*) FROM data_objects WHERE workspace_id = w.id) AS data_object_count, \
             (SELECT COUNT(*) FROM queues WHERE workspace_id = w.id) AS queue_count \
             FROM workspaces w WHERE w.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        let Some(row) = row else { return Ok(None) };
        let counts = [row.int("job_count")?, row.int("data_object_count")?, row.int("queue_count")?];
        Ok(Some((workspace(&row)?, counts)))
    }

    async fn workspaces(&mut self, account_id: &AccountId) -> StoreResult<Vec<Workspace>> {
        let rows = sqlx::query("SELECT * FROM workspaces WHERE account_id = $1 AND status = 'active' ORDER BY name")
            .bind(account_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(workspace).collect()
    }

    async fn insert_job(&mut self, j: &Job) -> StoreResult<()> {
        sqlx::query("INSERT INTO jobs (id, workspace_id, name, script) VALUES ($1, $2, $3, $4)")
            .bind(&j.id)
            .bind(j.workspace_id.as_str())
            .bind(&j.name)
            .bind(&j.script)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn jobs(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE workspace_id = $1 ORDER BY name")
            .bind(workspace_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(Job {
                    id: row.text("id")?,
                    workspace_id: row.id("workspace_id")?,
                    name: row.text("name")?,
                    script: row.text("script")?,
                })
            })
            .collect()
    }

    async fn insert_data_object(&mut self, o: &DataObject) -> StoreResult<()> {
        sqlx::query("INSERT INTO data_objects (id, workspace_id, name, size_bytes) VALUES ($1, $2, $3, $4)")
            .bind(&o.id)
            .bind(o.workspace_id.as_str())
            .bind(&o.name)
            .bind(o.size_bytes)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn data_objects(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<DataObject>> {
        let rows = sqlx::query("SELECT * FROM data_objects WHERE workspace_id = $1 ORDER BY name")
            .bind(workspace_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(DataObject {
                    id: row.text("id")?,
                    workspace_id: row.id("workspace_id")?,
                    name: row.text("name")?,
                    size_bytes: row.int("size_bytes")?,
                })
            })
            .collect()
    }

    async fn insert_queue(&mut self, q: &Queue) -> StoreResult<()> {
        sqlx::query("INSERT INTO queues (id, workspace_id, name, subscription, status) VALUES ($1, $2, $3, $4, $5)")
            .bind(&q.id)
            .bind(q.workspace_id.as_str())
            .bind(&q.name)
            .bind(i64::from(q.subscription))
            .bind(q.status.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn queues(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<Queue>> {
        let rows = sqlx::query("SELECT * FROM queues WHERE workspace_id = $1 ORDER BY name")
            .bind(workspace_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(Queue {
                    id: row.text("id")?,
                    workspace_id: row.id("workspace_id")?,
                    name: row.text("name")?,
                    subscription: row.flag("subscription")?,
                    status: by_name("status", &row.text("status")?, &QueueStatus::ALL, QueueStatus::as_str)?,
                })
            })
            .collect()
    }

    async fn set_billing_method(&mut self, workspace_id: &WorkspaceId, method: BillingMethod) -> StoreResult<()> {
        sqlx::query("UPDATE workspaces SET billing_method = $1 WHERE id = $2")
            .bind(method.as_str())
            .bind(workspace_id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_subscription_queue(&mut self, workspace_id: &WorkspaceId, status: QueueStatus) -> StoreResult<()> {
        sqlx::query("UPDATE queues SET status = $1 WHERE workspace_id = $2 AND subscription = 1")
            .bind(status.as_str())
            .bind(workspace_id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_workspace(&mut self, t: &Tombstone) -> StoreResult<()> {
        let id = || vec![t.workspace_id.as_str().into()];
        let parts = vec![
            Part::new("DELETE FROM jobs WHERE workspace_id = $1", id()),
            Part::new("DELETE FROM data_objects WHERE workspace_id = $1", id()),
            Part::new("DELETE FROM queues WHERE workspace_id = $1", id()),
            Part::new("UPDATE workspaces SET status = 'deleted' WHERE id = $1", id()),
            Part::new(
                "INSERT INTO workspace_tombstones (workspace_id, account_id, name, jobs, data_objects, queues, \
                 deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    t.workspace_id.as_str().into(),
                    t.account_id.as_str().into(),
                    t.name.as_str().into(),
                    t.jobs.into(),
                    t.data_objects.into(),
                    t.queues.into(),
                    micros(t.deleted_at).into(),
                ],
            ),
        ];
        self.write_or_hold(parts).await
    }

    async fn tombstone(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Option<Tombstone>> {
        let row = sqlx::query("SELECT * FROM workspace_tombstones WHERE workspace_id = $1")
            .bind(workspace_id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(tombstone).transpose()
    }
}
