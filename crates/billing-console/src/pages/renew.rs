//! Renewing a workspace's quota: choose the months and how to pay.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use billing_app::model::{InstanceRecord, InstanceState};
use billing_app::purchase::TenderInput;
use billing_app::{AppError, AppResult};
use billing_domain::catalog::Region;
use billing_domain::ids::{PaymentMethodId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;

use super::workspaces::{last_period, quota_of};
use crate::auth::{Customer, Session};
use crate::fmt;
use crate::forms::FormData;
use crate::page::{Layout, PageError, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

/// One choice of length.
struct MonthsOption {
    months: u32,
    price: String,
}

/// One way to pay.
struct PayOption {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "renew.html")]
struct RenewPage {
    layout: Layout,
    workspace_id: String,
    workspace_name: String,
    quota_id: String,
    quota_cu: u32,
    expiration: String,
    idempotency_key: String,
    months: Vec<MonthsOption>,
    pay: Vec<PayOption>,
}

/// What renewing needs: the active quota and its region.
struct RenewContext {
    workspace_name: String,
    quota: InstanceRecord,
    cu: u32,
    region: Region,
    /// The first instant after its paid time.
    end: chrono::DateTime<chrono::Utc>,
}

async fn context(state: &ConsoleState, session: &Session, workspace_id: &WorkspaceId) -> AppResult<RenewContext> {
    let billing = &state.billing;
    let details = billing.accounts().workspace_details(&session.caller, workspace_id).await?;
    let instances = billing.purchases().instances(&session.caller, None).await?;
    let quota = quota_of(&instances, workspace_id)
        .filter(|q| q.state == InstanceState::Active)
        .cloned()
        .ok_or_else(|| AppError::state("this workspace has no active subscription quota to renew"))?;
    let cu = quota.quota_cu.ok_or_else(|| AppError::state("this quota reserves no CUs"))?;
    let region = billing.operations().regions().await?.into_iter().find(|r| r.id == quota.region_id);
    let region = region.ok_or_else(|| AppError::not_found("region", &quota.region_id))?;
    let last = last_period(billing, &session.caller, &quota.id).await?;
    let last = last.ok_or_else(|| AppError::state("this quota has no paid period yet"))?;
    Ok(RenewContext { workspace_name: details.workspace.name, quota, cu, region, end: last.end })
}

fn price(ctx: &RenewContext, months: u32) -> AppResult<Money> {
    Ok(ctx.region.cu_month_price.checked_mul(i64::from(ctx.cu))?.checked_mul(i64::from(months))?)
}

/// `GET /console/workspaces/{id}/renew`.
pub async fn form(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let l = session.locale;
    let build = async {
        let id: WorkspaceId = parse_id(&id)?;
        let ctx = context(&state, &session, &id).await?;
        let mut months = Vec::new();
        for m in ctx.region.min_months..=ctx.region.max_months {
            months.push(MonthsOption { months: m, price: fmt::money(l, price(&ctx, m)?) });
        }
        let balance = session.account.as_ref().map(|a| fmt::money(l, a.balance)).unwrap_or_default();
        let mut pay =
            vec![PayOption { value: "balance".to_owned(), label: l.t1("renew-pay-balance", "balance", balance) }];
        for method in state.billing.accounts().payment_methods(&session.caller, session.account_id()?).await? {
            if method.kind == PaymentMethodKind::Card && method.valid {
                pay.push(PayOption { value: format!("card:{}", method.id), label: method.label.clone() });
            }
        }
        AppResult::Ok(RenewPage {
            layout: session.layout(&l.t("renew-title"), "/console/workspaces"),
            workspace_id: id.to_string(),
            workspace_name: ctx.workspace_name,
            quota_id: ctx.quota.id.into_string(),
            quota_cu: ctx.cu,
            expiration: fmt::date_time(l, ctx.region.zone, ctx.end),
            idempotency_key: billing_app::ids::new_id("renew"),
            months,
            pay,
        })
    };
    Ok(html(&build.await.map_err(|e| session.fail(e))?))
}

fn tender(choice: &str, amount: Money) -> AppResult<TenderInput> {
    match choice.split_once(':') {
        None if choice == "balance" => {
            Ok(TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount })
        }
        Some(("card", id)) if !id.is_empty() => {
            // Text that cannot be a payment method's id names none.
            let id: PaymentMethodId = parse_id(id)?;
            Ok(TenderInput { method: PaymentMethodKind::Card, payment_method_id: Some(id), amount })
        }
        _ => Err(AppError::invalid("pay_with", "choose the balance or one of your cards")),
    }
}

/// `POST /console/workspaces/{id}/renew`: places and pays the renewal.
pub async fn submit(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let form = FormData::parse(&body);
    let renew = async {
        let id: WorkspaceId = parse_id(&id)?;
        let ctx = context(&state, &session, &id).await?;
        let months: u32 =
            form.text("months").parse().map_err(|_| AppError::invalid("months", "choose how many months"))?;
        let amount = price(&ctx, months)?;
        let tenders = vec![tender(form.text("pay_with"), amount)?];
        // The form carries its own idempotency key: submitting it twice
        // renews once and shows the first renewal again.
        let key = form.text("idempotency_key").to_owned();
        // A card is charged through the channel once the renewal is placed.
        let paid = state
            .billing
            .purchases()
            .renew_once(&session.caller, &key, &ctx.quota.id, months, &[], Some(&tenders))
            .await?;
        AppResult::Ok((ctx.quota.id, paid.value.order.id))
    };
    match renew.await {
        Ok((quota_id, order_id)) => Ok(see_other(&format!("/console/instances/{quota_id}?renewed={order_id}"))),
        Err(AppError::InvalidState { message }) => {
            Err(session.fail(PageError::new(StatusCode::CONFLICT, "INVALID_STATE", message)))
        }
        Err(e) => Err(session.fail(e)),
    }
}
