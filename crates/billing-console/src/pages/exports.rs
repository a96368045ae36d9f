//! CSV downloads of usage per day, orders and refunds, with the columns of
//! the command line's reports ([`billing_app::exports`]).
//!
//! A download is streamed: the first page is read before answering (so a
//! bad date or cursor is an error page, not a broken file), then each page
//! is read by cursor, written with the `csv` crate and sent while the next
//! is read. No file is held whole in memory.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use billing_app::exports::{ORDER_COLUMNS, REFUND_COLUMNS, USAGE_COLUMNS, order_row, refund_row, usage_row};
use billing_app::unsubscription::records::RefundFilter;
use billing_app::{AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use futures_util::StreamExt;

use super::bills::{Period, usage_page};
use crate::auth::Customer;
use crate::forms::FormData;
use crate::page::PageResult;
use crate::state::ConsoleState;

/// Items read and written per page.
const PAGE: i64 = 100;

/// What is exported, with what it is filtered by.
enum Export {
    Usage(Period),
    Orders,
    Refunds(RefundFilter),
}

/// One page of rows and the cursor of its last item.
type Rows = (Vec<Vec<String>>, Option<String>);

impl Export {
    fn columns(&self) -> &'static [&'static str] {
        match self {
            Export::Usage(_) => &USAGE_COLUMNS,
            Export::Orders => &ORDER_COLUMNS,
            Export::Refunds(_) => &REFUND_COLUMNS,
        }
    }

    async fn page(
        &self,
        billing: &Billing,
        caller: &Caller,
        zone: BillingZone,
        after: Option<&str>,
    ) -> AppResult<Rows> {
        match self {
            Export::Usage(period) => {
                let rows = usage_page(billing, caller, period, after, PAGE).await?;
                Ok((rows.iter().map(usage_row).collect(), rows.last().map(|r| r.cursor())))
            }
            Export::Orders => {
                let orders = billing.metering().account_orders(caller, None, after, PAGE).await?;
                Ok((orders.iter().map(|o| order_row(o, zone)).collect(), orders.last().map(|o| o.id.to_string())))
            }
            Export::Refunds(filter) => {
                let filter = RefundFilter { starting_after: after.map(str::to_owned), limit: PAGE, ..filter.clone() };
                let refunds = billing.unsubscriptions().refunds(caller, filter).await?;
                Ok((refunds.iter().map(|r| refund_row(r, zone)).collect(), refunds.last().map(|r| r.id.to_string())))
            }
        }
    }
}

/// The rows as CSV text, after the header when `header` is given.
fn csv_bytes(header: Option<&[&str]>, rows: &[Vec<String>]) -> std::io::Result<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        writer.write_record(header)?;
    }
    for row in rows {
        writer.write_record(row)?;
    }
    writer.into_inner().map(Bytes::from).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Streams `export` as `file_name`.
async fn download(state: ConsoleState, session: crate::auth::Session, export: Export, file_name: &str) -> PageResult {
    let billing = state.billing.clone();
    let zone = session.zone(&billing).await.map_err(|e| session.fail(e))?;
    let caller = session.caller.clone();
    let (rows, cursor) = export.page(&billing, &caller, zone, None).await.map_err(|e| session.fail(e))?;
    let first =
        csv_bytes(Some(export.columns()), &rows).map_err(|e| session.fail(billing_app::AppError::internal(e)))?;
    let more = (rows.len() == PAGE as usize).then_some(cursor).flatten();
    let export = std::sync::Arc::new(export);
    let rest = futures_util::stream::unfold(more, move |after| {
        let (billing, caller, export) = (billing.clone(), caller.clone(), export.clone());
        async move {
            let after = after?;
            let next = match export.page(&billing, &caller, zone, Some(&after)).await {
                Ok(next) => next,
                Err(e) => {
                    // The answer has started: all that can be done is to
                    // cut the file short, which the client sees.
                    tracing::error!(error = %e, "an export stopped part way");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            };
            let (rows, cursor) = next;
            let more = (rows.len() == PAGE as usize).then_some(cursor).flatten();
            Some((csv_bytes(None, &rows), more))
        }
    });
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(body),
    )
        .into_response())
}

/// `GET /console/bills/usage.csv?from=&to=&workspace=`.
pub async fn usage(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> Response {
    let query = FormData::query(query.as_deref());
    let today = match session.zone(&state.billing).await {
        Ok(zone) => zone.local_date(state.billing.now()),
        Err(e) => return session.fail(e).into_response(),
    };
    let period = match Period::of(&query, today) {
        Ok(period) => period,
        Err(e) => return session.fail(e).into_response(),
    };
    let name = format!("usage-{}-{}.csv", period.from, period.to);
    download(state, session, Export::Usage(period), &name).await.into_response()
}

/// `GET /console/orders.csv`.
pub async fn orders(State(state): State<ConsoleState>, Customer(session): Customer) -> PageResult {
    download(state, session, Export::Orders, "orders.csv").await
}

/// `GET /console/refunds.csv?status=`.
pub async fn refunds(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let filter = RefundFilter { status: super::refunds::status_filter(&query), ..RefundFilter::default() };
    download(state, session, Export::Refunds(filter), "refunds.csv").await
}
