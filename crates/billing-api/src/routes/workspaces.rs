//! Workspaces and what they hold: jobs with their scripts, data objects and
//! queues; the backup of their scripts; and their hourly settlements.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use billing_app::model::BillingMethod;
use billing_app::views::WorkspaceDeletionView;
use billing_domain::ids::WorkspaceId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::{
    DataObjectDto, JobDto, PageParams, SettlementDto, WorkspaceDeletionDto, WorkspaceDetailsDto, WorkspaceDto,
};
use crate::extract::{Authed, Body, IdempotencyKey, Path, Query};
use crate::problem::{ApiError, ApiResult, Problem};

/// Filter of the workspace list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceFilter {
    /// The account (operators must give it; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
}

/// A workspace to create.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    /// Owner; optional with a customer key (its own account).
    #[serde(default)]
    pub account_id: Option<String>,
    /// Region it runs in.
    pub region_id: String,
    /// Name, 1 to 100 characters, unique in the account.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `pay_as_you_go`, `subscription` or `hybrid`.
    #[schema(value_type = crate::dto::names::BillingMethod, inline)]
    pub billing_method: String,
}

/// A job to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    /// Name, 1 to 100 characters, unique in the workspace.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The script's text (at most 256 KiB).
    pub script: String,
}

/// A data object to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDataObject {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Size in bytes.
    #[schema(minimum = 0)]
    pub size_bytes: i64,
}

/// Deleting a workspace that has nothing to refund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteWorkspace {
    /// The workspace's name, typed to confirm that it is deleted for good.
    pub confirm_workspace_deletion: String,
}

/// A workspace deleted without a refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedWorkspaceDto {
    /// What was deleted.
    pub workspace_deleted: WorkspaceDeletionDto,
    /// When (RFC 3339).
    pub deleted_at: String,
}

/// A workspace archive: gzip-compressed tar of every job script and a
/// `manifest.json`.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BackupArchive(pub Vec<u8>);

/// An account's workspaces.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    params(WorkspaceFilter),
    responses(
        (status = 200, description = "The workspaces", body = [WorkspaceDto]),
        (status = 400, description = "Bad filter, or no account with an operator key", body = Problem),
        (status = 404, description = "No such account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_workspaces(
    State(state): State<ApiState>,
    authed: Authed,
    Query(filter): Query<WorkspaceFilter>,
) -> ApiResult<Json<Vec<WorkspaceDto>>> {
    let account_id = authed.account_or(filter.account_id.as_deref())?;
    let workspaces = state.billing.accounts().workspaces(&authed.0, &account_id).await?;
    Ok(Json(workspaces.iter().map(WorkspaceDto::from).collect()))
}

/// Create a workspace with a pay-as-you-go queue and, unless it is
/// pay-as-you-go only, a subscription queue that runs while a quota is in
/// force.
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces",
    request_body = NewWorkspace,
    responses(
        (status = 201, description = "Created", body = WorkspaceDto),
        (status = 400, description = "Malformed request or billing method", body = Problem),
        (status = 404, description = "No such account or region", body = Problem),
        (status = 422, description = "Bad or taken name", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_workspace(
    State(state): State<ApiState>,
    authed: Authed,
    Body(request): Body<NewWorkspace>,
) -> ApiResult<(StatusCode, Json<WorkspaceDto>)> {
    let account_id = authed.account_or(request.account_id.as_deref())?;
    let method = BillingMethod::ALL
        .into_iter()
        .find(|m| m.as_str() == request.billing_method)
        .ok_or_else(|| ApiError::invalid("billing_method", "must be pay_as_you_go, subscription or hybrid"))?;
    let workspace = state
        .billing
        .accounts()
        .create_workspace(&authed.0, &account_id, &request.region_id, &request.name, method)
        .await?;
    Ok((StatusCode::CREATED, Json(WorkspaceDto::from(&workspace))))
}

/// One workspace with its jobs, data objects and queues.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses(
        (status = 200, description = "The workspace", body = WorkspaceDetailsDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_workspace(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<Json<WorkspaceDetailsDto>> {
    Ok(Json(WorkspaceDetailsDto::from(&state.billing.accounts().workspace_details(&caller, &id).await?)))
}

/// Add a job with its script.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/jobs", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    request_body = NewJob,
    responses(
        (status = 201, description = "Added", body = JobDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
        (status = 422, description = "Bad or taken name, or script too large", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn add_job(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WorkspaceId>,
    Body(request): Body<NewJob>,
) -> ApiResult<(StatusCode, Json<JobDto>)> {
    let job = state.billing.accounts().add_job(&caller, &id, &request.name, &request.script).await?;
    Ok((StatusCode::CREATED, Json(JobDto::from(&job))))
}

/// Record a data object stored in the workspace.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/data-objects", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    request_body = NewDataObject,
    responses(
        (status = 201, description = "Recorded", body = DataObjectDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
        (status = 422, description = "Bad name or negative size", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn add_data_object(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WorkspaceId>,
    Body(request): Body<NewDataObject>,
) -> ApiResult<(StatusCode, Json<DataObjectDto>)> {
    let object = state.billing.accounts().add_data_object(&caller, &id, &request.name, request.size_bytes).await?;
    Ok((StatusCode::CREATED, Json(DataObjectDto::from(&object))))
}

/// Download every job script of the workspace as one archive — what to keep
/// before unsubscribing a quota deletes the workspace for good.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/backup", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses(
        (status = 200, description = "The archive (tar.gz)", body = BackupArchive, content_type = "application/gzip",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"<name>-jobs-<time>.tar.gz\"`"))),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn backup_workspace(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<Response> {
    let backup = state.billing.unsubscriptions().backup_workspace(&caller, &id).await?;
    // The file name is made of letters, digits, `.`, `-`, `_` and `~` only,
    // so it needs no quoting beyond the double quotes.
    let disposition = format!("attachment; filename=\"{}\"", backup.file_name);
    Ok((
        [(header::CONTENT_TYPE, "application/gzip".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        backup.bytes,
    )
        .into_response())
}

/// Delete a workspace that has nothing to refund (pay-as-you-go, or its quota
/// ended or refunds nothing): its jobs, data objects and queues go for good,
/// no refund is made. A workspace whose quota can still be refunded answers
/// 409 `QUOTA_REFUNDABLE`: unsubscribe that quota instead (`POST
/// /api/v1/quotes`, then `POST /api/v1/unsubscriptions`). Repeating the
/// request with the same `Idempotency-Key` returns the first result.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/deletion", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id"),
        ("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result")),
    request_body = DeleteWorkspace,
    responses(
        (status = 201, description = "Deleted", body = DeletedWorkspaceDto),
        (status = 200, description = "The first result of a repeated request", body = DeletedWorkspaceDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
        (status = 409, description = "The quota can still be refunded (`QUOTA_REFUNDABLE`), or the key was used for another request", body = Problem),
        (status = 422, description = "The workspace name does not match, or its quota's first order is unpaid", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn delete_workspace(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<WorkspaceId>,
    Body(request): Body<DeleteWorkspace>,
) -> ApiResult<(StatusCode, crate::routes::Replayed, Json<DeletedWorkspaceDto>)> {
    let deletion = billing_app::workspace_deletion::WorkspaceDeletion {
        workspace_id: id,
        confirm_workspace_deletion: request.confirm_workspace_deletion,
        idempotency_key: key,
    };
    let done = state.billing.unsubscriptions().delete_workspace(&caller, &deletion).await?;
    let status = if done.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let body = DeletedWorkspaceDto {
        workspace_deleted: WorkspaceDeletionDto::from(WorkspaceDeletionView::from(&done.tombstone)),
        deleted_at: crate::dto::instant(done.tombstone.deleted_at),
    };
    Ok((status, crate::routes::Replayed(done.replayed), Json(body)))
}

/// Paging through a workspace's settlements.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SettlementQuery {
    /// At most this many items (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: settlements listed after this one (the last
    /// settlement of the previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// The workspace's hourly settlements, oldest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/settlements", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id"), SettlementQuery),
    responses(
        (status = 200, description = "The settlements", body = [SettlementDto]),
        (status = 400, description = "Bad page size, or `starting_after` is not a settlement of this workspace", body = Problem),
        (status = 404, description = "No such workspace in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_settlements(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WorkspaceId>,
    Query(query): Query<SettlementQuery>,
) -> ApiResult<Json<Vec<SettlementDto>>> {
    let limit = PageParams { limit: query.limit }.limit()?;
    let settlements = state
        .billing
        .purchases()
        .settlements(&caller, &id, query.starting_after.as_deref(), limit)
        .await
        .map_err(crate::routes::cursor_error)?;
    Ok(Json(settlements.iter().map(SettlementDto::from).collect()))
}
