//! A backup of a workspace's job scripts, offered before the workspace is
//! deleted: one gzip-compressed tar archive with every script and a
//! `manifest.json` listing them with their sizes and SHA-256 digests.

use std::collections::HashSet;

use billing_domain::ids::WorkspaceId;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::model::{Job, Workspace};
use crate::unsubscription::Unsubscriptions;
use crate::workspaces::workspace_of;

/// A backup archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    /// Suggested file name, e.g. `etl-prod-jobs-20260501T010203Z.tar.gz`.
    pub file_name: String,
    /// The archive's bytes.
    pub bytes: Vec<u8>,
    /// Number of scripts in it.
    pub jobs: usize,
}

/// A file name for `name` that is safe in an archive: letters, digits, dot,
/// dash and underscore kept, anything else replaced by `_`; unique among
/// `taken`.
fn file_name_for(name: &str, taken: &mut HashSet<String>) -> String {
    let mut base: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    if base.is_empty() || base.starts_with('.') {
        base.insert(0, '_');
    }
    let mut candidate = base.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{base}~{n}");
    }
    candidate
}

fn append(
    archive: &mut tar::Builder<impl std::io::Write>,
    path: &str,
    data: &[u8],
    at: DateTime<Utc>,
) -> AppResult<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(u64::try_from(at.timestamp()).unwrap_or(0));
    header.set_cksum();
    archive.append_data(&mut header, path, data).map_err(|e| AppError::internal(format!("archive: {e}")))
}

/// Builds the archive of `jobs` of `workspace`.
pub fn build_backup(workspace: &Workspace, jobs: &[Job], at: DateTime<Utc>) -> AppResult<Backup> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut archive = tar::Builder::new(gz);
    let mut taken = HashSet::new();
    let mut listed = Vec::with_capacity(jobs.len());
    for job in jobs {
        let file = format!("jobs/{}", file_name_for(&job.name, &mut taken));
        append(&mut archive, &file, job.script.as_bytes(), at)?;
        listed.push(json!({
            "name": job.name, "file": file, "bytes": job.script.len(),
            "sha256": hex::encode(Sha256::digest(job.script.as_bytes())),
        }));
    }
    let manifest = json!({
        "workspace": {"id": workspace.id, "name": workspace.name, "region_id": workspace.region_id},
        "exported_at": at.to_rfc3339(),
        "jobs": listed,
    });
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(AppError::internal)?;
    append(&mut archive, "manifest.json", &manifest, at)?;
    let gz = archive.into_inner().map_err(|e| AppError::internal(format!("archive: {e}")))?;
    let bytes = gz.finish().map_err(|e| AppError::internal(format!("archive: {e}")))?;
    let mut taken = HashSet::new();
    let stem = file_name_for(&workspace.name, &mut taken);
    Ok(Backup { file_name: format!("{stem}-jobs-{}.tar.gz", at.format("%Y%m%dT%H%M%SZ")), bytes, jobs: jobs.len() })
}

impl Unsubscriptions {
    /// The backup archive of a workspace's job scripts.
    pub async fn backup_workspace(&self, caller: &Caller, workspace_id: &WorkspaceId) -> AppResult<Backup> {
        let now = self.core.now();
        let mut tx = self.core.read().await?;
        let workspace = workspace_of(&mut *tx, caller, workspace_id).await?;
        let jobs = tx.jobs(workspace_id).await?;
        build_backup(&workspace, &jobs, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_and_repeated_names_become_distinct_safe_files() {
        let mut taken = HashSet::new();
        assert_eq!(file_name_for("etl/daily.py", &mut taken), "etl_daily.py");
        assert_eq!(file_name_for("etl:daily.py", &mut taken), "etl_daily.py~2");
        assert_eq!(file_name_for("../x", &mut taken), "_.._x");
        assert_eq!(file_name_for("", &mut taken), "_");
    }
}
