//! Versions of the refund policy. Each version takes effect at an instant;
//! the one in force when an unsubscription is quoted applies to it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_domain::policy::{Policy, PolicyVersion, policy_in_force};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::dto::{instant, parse_instant};
use crate::extract::{Authed, Body};
use crate::problem::{ApiError, ApiResult, Problem};

/// Every setting of a policy version, as text.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicySettingsDto {
    /// `day` or `second`.
    pub proration_unit: String,
    /// How long an unused resource plan stays refundable: a duration in its
    /// largest whole unit (`5d` for 120 hours), or `validity`.
    pub resource_plan_window: String,
    /// `true` or `false`: whether a used plan gets its unused share back.
    pub resource_plan_partial_refund: String,
    /// Full refunds per account, commodity and calendar year, or `none`.
    pub full_refunds_per_year: String,
    /// Oldest card payment refunded to the card, e.g. `150d`.
    pub card_refund_max_age: String,
    /// Oldest PayPal payment refunded to PayPal, e.g. `180d`.
    pub paypal_refund_max_age: String,
    /// How long a quote stays binding, e.g. `15m`.
    pub quote_ttl: String,
}

impl From<&Policy> for PolicySettingsDto {
    fn from(p: &Policy) -> Self {
        let settings = p.settings();
        let get = |name: &str| settings.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
        PolicySettingsDto {
            proration_unit: get("proration_unit"),
            resource_plan_window: get("resource_plan_window"),
            resource_plan_partial_refund: get("resource_plan_partial_refund"),
            full_refunds_per_year: get("full_refunds_per_year"),
            card_refund_max_age: get("card_refund_max_age"),
            paypal_refund_max_age: get("paypal_refund_max_age"),
            quote_ttl: get("quote_ttl"),
        }
    }
}

/// The settings a new version changes; the others stay as in the version
/// it follows.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChanges {
    /// `day` or `second`.
    pub proration_unit: Option<String>,
    /// A duration such as `120h` or `30d`, or `validity`.
    pub resource_plan_window: Option<String>,
    /// `true` or `false`.
    pub resource_plan_partial_refund: Option<String>,
    /// A count, or `none`.
    pub full_refunds_per_year: Option<String>,
    /// A duration such as `150d`.
    pub card_refund_max_age: Option<String>,
    /// A duration such as `180d`.
    pub paypal_refund_max_age: Option<String>,
    /// A duration such as `15m`.
    pub quote_ttl: Option<String>,
}

impl PolicyChanges {
    /// `base` with these changes, each read by [`Policy::set`].
    fn apply(&self, mut base: Policy) -> Result<Policy, ApiError> {
        let changes = [
            ("proration_unit", &self.proration_unit),
            ("resource_plan_window", &self.resource_plan_window),
            ("resource_plan_partial_refund", &self.resource_plan_partial_refund),
            ("full_refunds_per_year", &self.full_refunds_per_year),
            ("card_refund_max_age", &self.card_refund_max_age),
            ("paypal_refund_max_age", &self.paypal_refund_max_age),
            ("quote_ttl", &self.quote_ttl),
        ];
        for (name, value) in changes {
            let Some(value) = value else { continue };
            // Every valid value is ASCII; refusing anything else here also
            // keeps text the domain's parsers do not expect away from them.
            if !value.is_ascii() {
                return Err(ApiError::invalid(&format!("settings.{name}"), format!("{value:?} is not a valid value")));
            }
            base.set(name, value).map_err(|e| ApiError::invalid(&format!("settings.{}", e.setting), e.message))?;
        }
        Ok(base)
    }
}

/// A policy version to add.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicyVersion {
    /// When it takes effect (RFC 3339, not in the past).
    #[schema(format = DateTime)]
    pub effective_from: String,
    /// The settings it changes.
    #[serde(default)]
    pub settings: PolicyChanges,
}

/// One version of the refund policy.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersionDto {
    /// Increasing number; 1 is the built-in default.
    pub version: u32,
    /// The first instant it is in force.
    pub effective_from: String,
    /// True for the version in force now.
    pub in_force: bool,
    /// Its settings.
    pub settings: PolicySettingsDto,
}

fn version_dto(v: &PolicyVersion, in_force: Option<u32>) -> PolicyVersionDto {
    PolicyVersionDto {
        version: v.version,
        effective_from: instant(v.effective_from),
        in_force: in_force == Some(v.version),
        settings: PolicySettingsDto::from(&v.policy),
    }
}

/// Every policy version, oldest first, with the one in force now marked.
#[utoipa::path(get, path = "/api/v1/policy-versions", tag = "policy",
    responses((status = 200, description = "The versions", body = [PolicyVersionDto])),
    security(("api_key" = [])))]
pub async fn list_policy_versions(
    State(state): State<ApiState>,
    _authed: Authed,
) -> ApiResult<Json<Vec<PolicyVersionDto>>> {
    let versions = state.billing.operations().policy_versions().await?;
    let in_force = policy_in_force(&versions, state.billing.now()).map(|v| v.version);
    Ok(Json(versions.iter().map(|v| version_dto(v, in_force)).collect()))
}

/// Add a policy version taking effect at `effective_from` (operators only).
/// Settings not given stay as in the version that would otherwise be in
/// force at that instant.
#[utoipa::path(post, path = "/api/v1/policy-versions", tag = "policy",
    request_body = NewPolicyVersion,
    responses(
        (status = 201, description = "Added", body = PolicyVersionDto),
        (status = 400, description = "Malformed request, instant or setting; `field` names it", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 422, description = "The instant lies in the past", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn add_policy_version(
    State(state): State<ApiState>,
    authed: Authed,
    Body(request): Body<NewPolicyVersion>,
) -> ApiResult<(StatusCode, Json<PolicyVersionDto>)> {
    let caller = authed.operator()?;
    let effective_from = parse_instant("effective_from", &request.effective_from)?;
    let versions = state.billing.operations().policy_versions().await?;
    let base = policy_in_force(&versions, effective_from).map_or_else(Policy::default, |v| v.policy);
    let policy = request.settings.apply(base)?;
    let added = state.billing.operations().add_policy_version(caller, effective_from, policy).await?;
    let versions = state.billing.operations().policy_versions().await?;
    let in_force = policy_in_force(&versions, state.billing.now()).map(|v| v.version);
    Ok((StatusCode::CREATED, Json(version_dto(&added, in_force))))
}
