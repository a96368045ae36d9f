//! Prepaid instances with their refund type right now.

use axum::Json;
use axum::extract::State;
use billing_domain::catalog::Commodity;
use billing_domain::ids::InstanceId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiState;
use crate::dto::InstanceDto;
use crate::extract::{Authed, Path, Query, opt_account_id};
use crate::problem::{ApiError, ApiResult, Problem};

/// Filters of the instance list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InstanceFilter {
    /// `subscription_quota` or `resource_plan`.
    #[param(nullable = false)]
    pub kind: Option<String>,
    /// `spark_reserved` or `spark_resource_plan`.
    #[param(nullable = false)]
    pub commodity: Option<String>,
    /// Only this account's (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

fn commodity_filter(f: &InstanceFilter) -> Result<Option<Commodity>, ApiError> {
    let by_kind = match f.kind.as_deref() {
        None => None,
        Some("subscription_quota") => Some(Commodity::SparkReserved),
        Some("resource_plan") => Some(Commodity::SparkResourcePlan),
        Some(_) => return Err(ApiError::invalid("kind", "must be subscription_quota or resource_plan")),
    };
    let by_commodity = match f.commodity.as_deref() {
        None => None,
        Some(code) => Some(code.parse::<Commodity>().map_err(|e| ApiError::invalid("commodity", e))?),
    };
    match (by_kind, by_commodity) {
        (Some(a), Some(b)) if a != b => Err(ApiError::invalid("kind", "contradicts commodity")),
        (a, b) => Ok(a.or(b)),
    }
}

/// The caller's prepaid instances, newest first, each with its refund type
/// right now (`partial_refund`, `unused_money_back` or `non_refundable`).
#[utoipa::path(get, path = "/api/v1/instances", tag = "unsubscription",
    params(InstanceFilter),
    responses(
        (status = 200, description = "The instances", body = [InstanceDto]),
        (status = 400, description = "Bad filter", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_instances(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(filter): Query<InstanceFilter>,
) -> ApiResult<Json<Vec<InstanceDto>>> {
    let commodity = commodity_filter(&filter)?;
    let limit = crate::dto::PageParams { limit: filter.limit }.limit()?;
    let account_id = match (&caller, &filter.account_id) {
        (billing_app::Caller::Customer(own), _) => Some(own.clone()),
        (_, given) => opt_account_id("account_id", given.as_deref())?,
    };
    let records = state.billing.purchases().instances(&caller, account_id.as_ref()).await?;
    let mut out = Vec::new();
    for record in records.iter().filter(|r| commodity.is_none_or(|c| r.commodity == c)).take(limit as usize) {
        let (_, quote) = state.billing.unsubscriptions().refund_type_now(&caller, record).await?;
        out.push(InstanceDto::new(record, &quote));
    }
    Ok(Json(out))
}

/// One instance with its refund type right now.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "unsubscription",
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "The instance", body = InstanceDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such instance in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_instance(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<InstanceId>,
) -> ApiResult<Json<InstanceDto>> {
    let record = state.billing.purchases().instance(&caller, &id).await?;
    let (_, quote) = state.billing.unsubscriptions().refund_type_now(&caller, &record).await?;
    Ok(Json(InstanceDto::new(&record, &quote)))
}
