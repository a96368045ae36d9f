//! Wire types of workspaces, what they hold, and their hourly settlements.

use billing_app::model::{DataObject, Job, Queue, Settlement, Workspace};
use billing_app::workspaces::WorkspaceDetails;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant;

/// A customer's Spark workspace.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceDto {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Region it runs in.
    pub region_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// `pay_as_you_go`, `subscription` or `hybrid`.
    pub billing_method: String,
    /// `active` (deleted workspaces are not shown).
    pub status: String,
    /// When it was created.
    pub created_at: String,
}

impl From<&Workspace> for WorkspaceDto {
    fn from(w: &Workspace) -> Self {
        WorkspaceDto {
            id: w.id.to_string(),
            account_id: w.account_id.to_string(),
            region_id: w.region_id.clone(),
            name: w.name.clone(),
            billing_method: w.billing_method.as_str().to_owned(),
            status: w.status.as_str().to_owned(),
            created_at: instant(w.created_at),
        }
    }
}

/// A Spark job. Its script is in the workspace's backup archive.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct JobDto {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Name, unique in the workspace.
    pub name: String,
    /// Size of the script in bytes.
    pub script_bytes: usize,
}

impl From<&Job> for JobDto {
    fn from(j: &Job) -> Self {
        JobDto {
            id: j.id.clone(),
            workspace_id: j.workspace_id.to_string(),
            name: j.name.clone(),
            script_bytes: j.script.len(),
        }
    }
}

/// A data object stored in a workspace.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DataObjectDto {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: i64,
}

impl From<&DataObject> for DataObjectDto {
    fn from(o: &DataObject) -> Self {
        DataObjectDto {
            id: o.id.clone(),
            workspace_id: o.workspace_id.to_string(),
            name: o.name.clone(),
            size_bytes: o.size_bytes,
        }
    }
}

/// A workspace's job queue.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// True for the queue fed by the workspace's quota.
    pub subscription: bool,
    /// `running` or `stopped`.
    pub status: String,
}

impl From<&Queue> for QueueDto {
    fn from(q: &Queue) -> Self {
        QueueDto {
            id: q.id.clone(),
            name: q.name.clone(),
            subscription: q.subscription,
            status: q.status.as_str().to_owned(),
        }
    }
}

/// A workspace with everything in it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceDetailsDto {
    /// The workspace.
    pub workspace: WorkspaceDto,
    /// Its jobs.
    pub jobs: Vec<JobDto>,
    /// Its data objects.
    pub data_objects: Vec<DataObjectDto>,
    /// Its queues.
    pub queues: Vec<QueueDto>,
}

impl From<&WorkspaceDetails> for WorkspaceDetailsDto {
    fn from(d: &WorkspaceDetails) -> Self {
        WorkspaceDetailsDto {
            workspace: WorkspaceDto::from(&d.workspace),
            jobs: d.jobs.iter().map(JobDto::from).collect(),
            data_objects: d.data_objects.iter().map(DataObjectDto::from).collect(),
            queues: d.queues.iter().map(QueueDto::from).collect(),
        }
    }
}

/// CU-hours drawn from one resource plan.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanDrawDto {
    /// The resource plan instance.
    pub plan_id: String,
    /// CU-hours drawn.
    pub cu_hours: String,
}

/// The settlement of one workspace-hour, or an adjustment to it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SettlementDto {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Owner of the workspace.
    pub account_id: String,
    /// Start of the clock hour.
    pub hour_start: String,
    /// True when usage arrived after the hour had been settled.
    pub adjustment: bool,
    /// CU-hours settled by this line.
    pub usage_cu_hours: String,
    /// Of those, covered by the quota.
    pub covered_cu_hours: String,
    /// Drawn from resource plans.
    pub draws: Vec<PlanDrawDto>,
    /// Charged pay-as-you-go.
    pub pay_as_you_go_cu_hours: String,
    /// The bill line: CU-hours × hourly price, truncated to 0.001 of the major unit.
    pub bill: String,
    /// What was charged to the balance: the bill truncated to the minor unit.
    pub charge: String,
    /// Currency of `bill` and `charge`.
    pub currency: String,
    /// When it was settled.
    pub settled_at: String,
}

/// Thousandths of the major unit as a decimal string with 3 decimals.
fn milli_major(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let abs = milli.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

impl From<&Settlement> for SettlementDto {
    fn from(s: &Settlement) -> Self {
        SettlementDto {
            id: s.id.clone(),
            workspace_id: s.workspace_id.to_string(),
            account_id: s.account_id.to_string(),
            hour_start: instant(s.hour_start),
            adjustment: s.adjustment,
            usage_cu_hours: s.usage.to_string(),
            covered_cu_hours: s.covered.to_string(),
            draws: s
                .draws
                .iter()
                .map(|(plan_id, cu_hours)| PlanDrawDto { plan_id: plan_id.to_string(), cu_hours: cu_hours.to_string() })
                .collect(),
            pay_as_you_go_cu_hours: s.pay_as_you_go.to_string(),
            bill: milli_major(s.bill_milli_major),
            charge: s.charge.to_string(),
            currency: s.charge.currency().code().to_owned(),
            settled_at: instant(s.settled_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::milli_major;

    #[test]
    fn bill_lines_show_three_decimals() {
        assert_eq!(milli_major(6_710), "6.710");
        assert_eq!(milli_major(5), "0.005");
        assert_eq!(milli_major(-1_250), "-1.250");
    }
}
