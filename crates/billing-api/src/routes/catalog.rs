//! The catalog: regions with their prices and purchase limits, and the
//! prices of the standard resource plan packs.

use axum::Json;
use axum::extract::State;

use crate::ApiState;
use crate::dto::{RegionDetailsDto, RegionDto, RegionUpdate};
use crate::extract::{Authed, Body, Path};
use crate::problem::{ApiResult, Problem};

/// Every region with its prices.
#[utoipa::path(get, path = "/api/v1/regions", tag = "catalog",
    responses((status = 200, description = "The regions", body = [RegionDto])),
    security(("api_key" = [])))]
pub async fn list_regions(State(state): State<ApiState>, _authed: Authed) -> ApiResult<Json<Vec<RegionDto>>> {
    let regions = state.billing.operations().regions().await?;
    Ok(Json(regions.iter().map(RegionDto::from).collect()))
}

/// One region with its prices and those of the standard resource plan
/// packs (a pack costs a fixed share of the pay-as-you-go price of its
/// CU-hours, whatever its validity).
#[utoipa::path(get, path = "/api/v1/regions/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Region id, e.g. `ap-southeast-1`")),
    responses(
        (status = 200, description = "The region", body = RegionDetailsDto),
        (status = 404, description = "No such region", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_region(
    State(state): State<ApiState>,
    _authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<RegionDetailsDto>> {
    let region = state.billing.operations().region(&id).await?;
    Ok(Json(RegionDetailsDto::new(&region)))
}

/// Add a region or change its prices and limits (operators only). Orders
/// already placed keep the prices they were placed at.
#[utoipa::path(put, path = "/api/v1/regions/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Region id: lowercase letters, digits and dashes")),
    request_body = RegionUpdate,
    responses(
        (status = 200, description = "The region as it is now", body = RegionDetailsDto),
        (status = 400, description = "Malformed request, id, zone, currency or price", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 422, description = "Prices not above zero, or limits out of order", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn put_region(
    State(state): State<ApiState>,
    authed: Authed,
    Path(id): Path<String>,
    Body(request): Body<RegionUpdate>,
) -> ApiResult<Json<RegionDetailsDto>> {
    let caller = authed.operator()?;
    let region = state.billing.operations().set_region(caller, request.region(&id)?).await?;
    Ok(Json(RegionDetailsDto::new(&region)))
}
