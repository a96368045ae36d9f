//! Bills and usage: an account's usage per local day and workspace, and its
//! orders newest first. Both are pages: `limit` items after the cursor
//! `starting_after` (the `id` of the last item of the previous page); a
//! page shorter than `limit` is the last.

use axum::Json;
use axum::extract::State;
use billing_app::AppError;
use billing_app::bills::{UsageCursor, UsageDay, UsageQuery};
use billing_app::views::OrderView;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::{OrderDto, PageParams};
use crate::extract::{Authed, Query, opt_account_id, opt_id};
use crate::problem::{ApiError, ApiResult, Problem};

/// Which days of usage to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageDayQuery {
    /// First day, `YYYY-MM-DD`, in the account's billing zone.
    #[param(nullable = false, format = Date)]
    pub from: Option<String>,
    /// The day after the last, `YYYY-MM-DD` (at most 366 days after `from`).
    #[param(nullable = false, format = Date)]
    pub to: Option<String>,
    /// Only this workspace.
    #[param(nullable = false)]
    pub workspace_id: Option<String>,
    /// Whose usage (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: rows after this one (the `id` of the last row of the
    /// previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// What one workspace used on one day, by how it was covered.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UsageDayDto {
    /// The row's cursor: `DATE.WORKSPACE_ID`.
    pub id: String,
    /// The day, in the account's billing zone.
    #[schema(format = Date)]
    pub date: String,
    /// The IANA name of that zone.
    pub billing_zone: String,
    /// The workspace.
    pub workspace_id: String,
    /// Its name.
    pub workspace_name: String,
    /// CU-hours used.
    pub usage_cu_hours: String,
    /// Of those, covered by the workspace's quota.
    pub quota_cu_hours: String,
    /// Drawn from resource plans.
    pub plan_cu_hours: String,
    /// Billed pay-as-you-go.
    pub pay_as_you_go_cu_hours: String,
    /// Charged for the pay-as-you-go part, in minor units.
    pub charge_minor: i64,
    /// The same as a decimal.
    pub charge: String,
    /// Currency of the charge.
    pub currency: String,
}

impl UsageDayDto {
    fn new(r: &UsageDay, zone: &str) -> UsageDayDto {
        UsageDayDto {
            id: r.cursor(),
            date: r.date.to_string(),
            billing_zone: zone.to_owned(),
            workspace_id: r.workspace_id.to_string(),
            workspace_name: r.workspace_name.clone(),
            usage_cu_hours: r.usage.to_string(),
            quota_cu_hours: r.quota.to_string(),
            plan_cu_hours: r.plan.to_string(),
            pay_as_you_go_cu_hours: r.pay_as_you_go.to_string(),
            charge_minor: r.charge.minor(),
            charge: r.charge.to_string(),
            currency: r.charge.currency().code().to_owned(),
        }
    }
}

/// Every input of the usage list is in the query, so whatever of it the
/// use case refuses is a bad request like a malformed date.
fn query_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid { field, message } => ApiError::invalid(&field, message),
        other => other.into(),
    }
}

fn date(field: &str, text: Option<&str>) -> ApiResult<NaiveDate> {
    let text = text.ok_or_else(|| ApiError::invalid(field, "is required (YYYY-MM-DD)"))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ApiError::invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// Usage per day and workspace, by date then workspace id.
#[utoipa::path(get, path = "/api/v1/usage/daily", tag = "usage",
    params(UsageDayQuery),
    responses(
        (status = 200, description = "The rows", body = [UsageDayDto]),
        (status = 400, description = "A missing or bad date, a span over 366 days, a bad page size or cursor, or an operator key without `account_id`", body = Problem),
        (status = 404, description = "No such account or workspace", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_usage_days(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<UsageDayQuery>,
) -> ApiResult<Json<Vec<UsageDayDto>>> {
    let from = date("from", query.from.as_deref())?;
    let to = date("to", query.to.as_deref())?;
    let limit = PageParams { limit: query.limit }.limit()?;
    let starting_after = query.starting_after.as_deref().map(UsageCursor::parse).transpose().map_err(query_error)?;
    let usage = UsageQuery {
        account_id: opt_account_id("account_id", query.account_id.as_deref())?,
        from,
        to,
        workspace_id: opt_id("workspace_id", query.workspace_id.as_deref())?,
        starting_after,
        limit,
    };
    let page = state.billing.metering().usage_days(&caller, usage).await.map_err(query_error)?;
    Ok(Json(page.rows.iter().map(|r| UsageDayDto::new(r, page.zone.name())).collect()))
}

/// Paging through orders.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// Only this account's (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: orders listed after this one (the last order of the
    /// previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// Orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery),
    responses(
        (status = 200, description = "The orders", body = [OrderDto]),
        (status = 400, description = "Bad page size, or `starting_after` is not an order of this account", body = Problem),
        (status = 404, description = "No such account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_orders(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<OrderQuery>,
) -> ApiResult<Json<Vec<OrderDto>>> {
    let limit = PageParams { limit: query.limit }.limit()?;
    let orders = state
        .billing
        .metering()
        .account_orders(
            &caller,
            opt_account_id("account_id", query.account_id.as_deref())?.as_ref(),
            query.starting_after.as_deref(),
            limit,
        )
        .await
        .map_err(crate::routes::cursor_error)?;
    Ok(Json(orders.iter().map(OrderView::from).map(OrderDto::from).collect()))
}
