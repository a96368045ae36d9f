//! Events, webhook endpoints, deliveries with their claims, and attempts.

use async_trait::async_trait;
use billing_app::events::{Event, EventFilter, EventType};
use billing_app::store::{EventsTx, StoreError, StoreResult};
use billing_app::webhooks::WebhookEndpoint;
use billing_app::webhooks::delivery::{Delivery, DeliveryAttempt, DeliveryJob, DeliveryStatus};
use billing_domain::ids::{EventId, WebhookEndpointId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::map_err;
use crate::held::Part;
use crate::rows::{RowExt, micros, opt_micros};
use crate::tx::SqlTx;
use crate::usage::{Params, statements};

fn event(row: &AnyRow) -> StoreResult<Event> {
    let data = row.text("data")?;
    Ok(Event {
        id: row.id("id")?,
        event_type: row.parsed::<EventType>("event_type")?,
        account_id: row.id("account_id")?,
        resource_id: row.text("resource_id")?,
        occurred_at: row.instant("occurred_at")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("events.data: {e}")))?,
    })
}

/// Event types as stored: `*` for all, else `,a,b,`.
fn types_text(types: &[EventType]) -> String {
    if types.is_empty() {
        return "*".to_owned();
    }
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    format!(",{},", names.join(","))
}

fn types_of(text: &str) -> StoreResult<Vec<EventType>> {
    if text == "*" {
        return Ok(Vec::new());
    }
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|e: String| StoreError::Corrupt(format!("webhook_endpoints.event_types: {e}"))))
        .collect()
}

fn endpoint(row: &AnyRow) -> StoreResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: row.id("id")?,
        account_id: row.opt_id("account_id")?,
        url: row.text("url")?,
        event_types: types_of(&row.text("event_types")?)?,
        description: row.text("description")?,
        secret: row.text("secret")?,
        previous_secret: row.opt_text("previous_secret")?,
        previous_secret_until: row.opt_instant("previous_secret_until")?,
        status: row.parsed("status")?,
        disabled_reason: row.opt_text("disabled_reason")?,
        failing_since: row.opt_instant("failing_since")?,
        created_at: row.instant("created_at")?,
        updated_at: row.instant("updated_at")?,
    })
}

fn delivery(row: &AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: row.text("id")?,
        event_id: row.id("event_id")?,
        endpoint_id: row.id("endpoint_id")?,
        status: row.parsed::<DeliveryStatus>("status")?,
        attempts: row.int("attempts")?,
        next_attempt_at: row.instant("next_attempt_at")?,
        created_at: row.instant("created_at")?,
    })
}

fn attempt(row: &AnyRow) -> StoreResult<DeliveryAttempt> {
    let code = row.opt_int("status_code")?;
    Ok(DeliveryAttempt {
        id: row.text("id")?,
        delivery_id: row.text("delivery_id")?,
        event_id: row.id("event_id")?,
        endpoint_id: row.id("endpoint_id")?,
        attempted_at: row.instant("attempted_at")?,
        status_code: code.map(|c| u16::try_from(c).unwrap_or(0)),
        error: row.opt_text("error")?,
        latency_ms: row.int("latency_ms")?,
        response_excerpt: row.text("response_excerpt")?,
        succeeded: row.flag("succeeded")?,
    })
}

/// `$first, $first+1, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

impl SqlTx {
    /// Writes the events this transaction emitted so far, each with one
    /// delivery per enabled webhook endpoint that wants its type and
    /// account. Events wait in the transaction until it commits or until it
    /// next reads or changes events, deliveries or endpoints: on PostgreSQL
    /// a confirmation's four events then cost one statement, not four.
    ///
    /// Events not written when a statement fails stay waiting, so that a
    /// commit after a caught error fails too rather than leaving them out
    /// (a failed statement ends a PostgreSQL transaction, not a SQLite one).
    pub(crate) async fn flush_events(&mut self) -> StoreResult<()> {
        let events = std::mem::take(&mut self.events);
        let mut written = 0;
        let result = match self.backend {
            Backend::Postgres => {
                // Cut into the usual fixed shapes, so that a few prepared
                // statements serve every number of events. The held writes
                // ride with the first.
                let mut held = self.take_held();
                let mut result = Ok(());
                for piece in statements(&events) {
                    result = self.insert_event_rows_together(piece, std::mem::take(&mut held)).await;
                    if result.is_err() {
                        break;
                    }
                    written += piece.len();
                }
                match result {
                    Ok(()) => self.write_parts(held).await,
                    Err(e) => Err(e),
                }
            }
            Backend::Sqlite => {
                let mut result = Ok(());
                for e in &events {
                    result = self.insert_event_rows(e).await;
                    if result.is_err() {
                        break;
                    }
                    written += 1;
                }
                result
            }
        };
        if result.is_err() {
            self.events = events.into_iter().skip(written).collect();
        }
        result
    }

    /// PostgreSQL: `held` writes, then `events` and their deliveries, in
    /// one statement. Held writes not written are held again.
    async fn insert_event_rows_together(&mut self, events: &[Event], held: Vec<Part>) -> StoreResult<()> {
        let event = format!(
            "INSERT INTO events (id, event_type, account_id, resource_id, occurred_at, data) VALUES {} \
             RETURNING id, event_type, account_id, occurred_at",
            Params::new(self.backend).rows(events.len(), 6)
        );
        let mut binds = Vec::with_capacity(events.len() * 6);
        for e in events {
            binds.extend([
                e.id.as_str().into(),
                e.event_type.as_str().into(),
                e.account_id.as_str().into(),
                e.resource_id.as_str().into(),
                micros(e.occurred_at).into(),
                e.data.to_string().into(),
            ]);
        }
        let deliveries = "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, \
             next_attempt_at, created_at, updated_at) SELECT event.id || '.' || w.id, event.id, w.id, 'pending', 0, \
             event.occurred_at, event.occurred_at, event.occurred_at FROM event JOIN webhook_endpoints w \
             ON w.status = 'enabled' AND (w.account_id IS NULL OR w.account_id = event.account_id) \
             AND (w.event_types = '*' OR w.event_types LIKE '%,' || event.event_type || ',%')";
        let mut parts = held;
        parts.push(Part::new(event, binds).named("event"));
        parts.push(Part::new(deliveries, Vec::new()).named("deliveries"));
        let result = self.write_joint(&parts).await;
        if result.is_err() {
            // The event parts are not held writes: the events are kept by
            // the caller.
            parts.truncate(parts.len() - 2);
            self.restore_held(parts);
        }
        result
    }

    /// SQLite: one event, then its deliveries.
    async fn insert_event_rows(&mut self, e: &Event) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO events (id, event_type, account_id, resource_id, occurred_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.id.as_str())
        .bind(e.event_type.as_str())
        .bind(e.account_id.as_str())
        .bind(&e.resource_id)
        .bind(micros(e.occurred_at))
        .bind(e.data.to_string())
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        // Its id joins the two ids.
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at, \
             created_at, updated_at) SELECT $1 || '.' || id, $1, id, 'pending', 0, $2, $2, $2 \
             FROM webhook_endpoints WHERE status = 'enabled' AND (account_id IS NULL OR account_id = $3) \
             AND (event_types = '*' OR event_types LIKE $4)",
        )
        .bind(e.id.as_str())
        .bind(micros(e.occurred_at))
        .bind(e.account_id.as_str())
        .bind(format!("%,{},%", e.event_type.as_str()))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    /// The rows of `table` with the given ids, read by `read`.
    async fn rows_by_id<T>(
        &mut self,
        table: &str,
        ids: &[&str],
        read: fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let sql = format!("SELECT * FROM {table} WHERE id IN ({})", placeholders(1, ids.len()));
        let rows = ids.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id)).fetch_all(self.db().await?).await;
        rows.map_err(map_err)?.iter().map(read).collect()
    }

    /// The deliveries with their events and endpoints, read in two queries.
    async fn jobs_of(&mut self, deliveries: Vec<Delivery>) -> StoreResult<Vec<DeliveryJob>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let event_ids: Vec<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
        let endpoint_ids: Vec<&str> = deliveries.iter().map(|d| d.endpoint_id.as_str()).collect();
        let events = self.rows_by_id("events", &event_ids, event).await?;
        let endpoints = self.rows_by_id("webhook_endpoints", &endpoint_ids, endpoint).await?;
        let mut jobs = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            // A delivery whose endpoint was deleted meanwhile is dropped.
            let (Some(e), Some(p)) =
                (events.iter().find(|e| e.id == d.event_id), endpoints.iter().find(|p| p.id == d.endpoint_id))
            else {
                continue;
            };
            jobs.push(DeliveryJob { event: e.clone(), endpoint: p.clone(), delivery: d });
        }
        jobs.sort_by(|a, b| {
            (a.delivery.next_attempt_at, &a.delivery.id).cmp(&(b.delivery.next_attempt_at, &b.delivery.id))
        });
        Ok(jobs)
    }
}

#[async_trait]
impl EventsTx for SqlTx {
    async fn insert_event(&mut self, e: &Event) -> StoreResult<()> {
        // Written with the transaction's other events, at the latest at
        // commit (see `flush_events`).
        self.events.push(e.clone());
        Ok(())
    }

    async fn event(&mut self, id: &EventId) -> StoreResult<Option<Event>> {
        self.flush_events().await?;
        let row = sqlx::query("SELECT * FROM events WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(event).transpose()
    }

    async fn events(&mut self, f: &EventFilter) -> StoreResult<Vec<Event>> {
        self.flush_events().await?;
        let types: Vec<&str> = f.types.iter().map(|t| t.as_str()).collect();
        let type_clause = match types.len() {
            0 => String::new(),
            n => format!(" AND event_type IN ({})", placeholders(5, n)),
        };
        let sql = format!(
            "SELECT * FROM events WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR resource_id = $2) \
             AND ($3 IS NULL OR id < $3){type_clause} ORDER BY id DESC LIMIT $4"
        );
        let mut query = sqlx::query(&sql)
            .bind(f.account_id.as_deref())
            .bind(f.resource_id.as_deref())
            .bind(f.starting_after.as_deref())
            .bind(f.limit);
        for t in types {
            query = query.bind(t);
        }
        let rows = query.fetch_all(self.db().await?).await.map_err(map_err)?;
        rows.iter().map(event).collect()
    }

    async fn insert_webhook_endpoint(&mut self, e: &WebhookEndpoint) -> StoreResult<()> {
        self.flush_events().await?;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, account_id, url, event_types, description, secret, previous_secret, \
             previous_secret_until, status, disabled_reason, failing_since, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(e.id.as_str())
        .bind(e.account_id.as_deref())
        .bind(&e.url)
        .bind(types_text(&e.event_types))
        .bind(&e.description)
        .bind(&e.secret)
        .bind(e.previous_secret.as_deref())
        .bind(opt_micros(e.previous_secret_until))
        .bind(e.status.as_str())
        .bind(e.disabled_reason.as_deref())
        .bind(opt_micros(e.failing_since))
        .bind(micros(e.created_at))
        .bind(micros(e.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn webhook_endpoint(&mut self, id: &WebhookEndpointId) -> StoreResult<Option<WebhookEndpoint>> {
        self.flush_events().await?;
        let row = sqlx::query("SELECT * FROM webhook_endpoints WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(endpoint).transpose()
    }

    async fn webhook_endpoints(
        &mut self,
        scope: Option<Option<&str>>,
        limit: i64,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        self.flush_events().await?;
        let rows = match scope {
            None => sqlx::query("SELECT * FROM webhook_endpoints ORDER BY created_at, id LIMIT $1").bind(limit),
            Some(None) => {
                sqlx::query("SELECT * FROM webhook_endpoints WHERE account_id IS NULL ORDER BY created_at, id LIMIT $1")
                    .bind(limit)
            }
            Some(Some(account)) => {
                sqlx::query("SELECT * FROM webhook_endpoints WHERE account_id = $2 ORDER BY created_at, id LIMIT $1")
                    .bind(limit)
                    .bind(account)
            }
        }
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(endpoint).collect()
    }

    async fn update_webhook_endpoint(&mut self, e: &WebhookEndpoint) -> StoreResult<()> {
        self.flush_events().await?;
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $2, event_types = $3, description = $4, secret = $5, \
             previous_secret = $6, previous_secret_until = $7, status = $8, disabled_reason = $9, \
             failing_since = $10, updated_at = $11 WHERE id = $1",
        )
        .bind(e.id.as_str())
        .bind(&e.url)
        .bind(types_text(&e.event_types))
        .bind(&e.description)
        .bind(&e.secret)
        .bind(e.previous_secret.as_deref())
        .bind(opt_micros(e.previous_secret_until))
        .bind(e.status.as_str())
        .bind(e.disabled_reason.as_deref())
        .bind(opt_micros(e.failing_since))
        .bind(micros(e.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_webhook_endpoint(&mut self, id: &WebhookEndpointId) -> StoreResult<()> {
        self.flush_events().await?;
        for sql in [
            "DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'",
            "DELETE FROM webhook_endpoints WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id.as_str()).execute(self.db().await?).await.map_err(map_err)?;
        }
        Ok(())
    }

    async fn endpoint_succeeded(&mut self, id: &WebhookEndpointId) -> StoreResult<()> {
        self.flush_events().await?;
        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
            .bind(id.as_str())
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn endpoint_failed(
        &mut self,
        id: &WebhookEndpointId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.flush_events().await?;
        let row = sqlx::query(
            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 \
             RETURNING failing_since",
        )
        .bind(id.as_str())
        .bind(micros(now))
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(row.map(|r| r.opt_instant("failing_since")).transpose()?.flatten())
    }

    async fn insert_delivery(&mut self, d: &Delivery) -> StoreResult<()> {
        self.flush_events().await?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&d.id)
        .bind(d.event_id.as_str())
        .bind(d.endpoint_id.as_str())
        .bind(d.status.as_str())
        .bind(d.attempts)
        .bind(micros(d.next_attempt_at))
        .bind(micros(d.created_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn claim_deliveries(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryJob>> {
        self.flush_events().await?;
        // As for refunds: PostgreSQL lets concurrent workers skip the rows
        // another is claiming; SQLite has one writer at a time.
        let skip_locked = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at, id LIMIT $4{skip_locked}) \
             RETURNING *"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(micros(until))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        let deliveries = rows.iter().map(delivery).collect::<StoreResult<Vec<_>>>()?;
        self.jobs_of(deliveries).await
    }

    async fn finish_delivery(
        &mut self,
        id: &str,
        worker: &str,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        self.flush_events().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
             claimed_by = NULL, claimed_until = NULL WHERE id = $3 AND status = 'pending' AND claimed_by = $4",
        )
        .bind(status.as_str())
        .bind(opt_micros(next_attempt_at))
        .bind(id)
        .bind(worker)
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_delivery_attempt(&mut self, a: &DeliveryAttempt) -> StoreResult<()> {
        self.flush_events().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, event_id, endpoint_id, attempted_at, status_code, error, \
             latency_ms, response_excerpt, succeeded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&a.id)
        .bind(&a.delivery_id)
        .bind(a.event_id.as_str())
        .bind(a.endpoint_id.as_str())
        .bind(micros(a.attempted_at))
        .bind(a.status_code.map(i64::from))
        .bind(a.error.as_deref())
        .bind(a.latency_ms)
        .bind(&a.response_excerpt)
        .bind(i64::from(a.succeeded))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delivery_attempts(
        &mut self,
        event_id: Option<&EventId>,
        endpoint_id: Option<&WebhookEndpointId>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        self.flush_events().await?;
        let rows = sqlx::query(
            "SELECT * FROM webhook_attempts WHERE ($1 IS NULL OR event_id = $1) AND ($2 IS NULL OR endpoint_id = $2) \
             ORDER BY attempted_at DESC, id DESC LIMIT $3",
        )
        .bind(event_id.map(EventId::as_str))
        .bind(endpoint_id.map(WebhookEndpointId::as_str))
        .bind(limit)
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(attempt).collect()
    }
}
