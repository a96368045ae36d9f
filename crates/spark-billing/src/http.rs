//! How `serve` speaks HTTP/1.1: request limits, timeouts and a cap on open
//! connections, so that slow or many clients cannot hold the server.
//!
//! Connections are accepted by a loop of our own and served by hyper: a
//! client must send each request's headers within the header timeout
//! (hyper's `header_read_timeout`, which also closes a kept-alive
//! connection left idle that long); a body that pauses longer than the body
//! timeout answers `408` (`tower_http`'s `RequestBodyTimeoutLayer`); past the
//! connection cap a new connection is answered `503` and closed at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use billing_api::metrics::MetricsToken;
use billing_api::{ApiSettings, Rate};
use clap::Args;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// The HTTP settings of `serve`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Requests per second allowed per API key, with bursts of twice that
    /// (0: no limit; at most 100000).
    #[arg(long, env = "SPARK_BILLING_RATE_LIMIT", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub rate_limit: u32,
    /// Requests per second allowed per client address that carry no key
    /// the server knows already (no key, a wrong key, a key first seen),
    /// with bursts of twice that; counted before the database is asked
    /// (0: no limit; at most 100000).
    #[arg(long, env = "SPARK_BILLING_ADDRESS_RATE_LIMIT", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub address_rate_limit: u32,
    /// Time a client has to send a request's headers, counted from when it
    /// connects or from the previous answer, so also how long a kept-alive
    /// connection may sit idle (1s to 5m).
    #[arg(long, env = "SPARK_BILLING_HEADER_TIMEOUT", default_value = "10s", value_name = "DURATION",
          value_parser = duration_between(1, 300))]
    pub header_timeout: Duration,
    /// Longest pause while a request body arrives; then the request
    /// answers 408 (1s to 10m).
    #[arg(long, env = "SPARK_BILLING_BODY_TIMEOUT", default_value = "30s", value_name = "DURATION",
          value_parser = duration_between(1, 600))]
    pub body_timeout: Duration,
    /// Most connections open at once; one more is answered 503 and closed
    /// (1 to 100000).
    #[arg(long, env = "SPARK_BILLING_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`
    /// (16 to 256 visible ASCII characters); unset, it is open to all.
    #[arg(long, env = "SPARK_BILLING_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true,
          value_parser = MetricsToken::parse)]
    pub metrics_token: Option<MetricsToken>,
}

impl HttpArgs {
    /// The API's share of the settings.
    pub fn api_settings(&self) -> ApiSettings {
        ApiSettings {
            per_key: Rate::per_second(self.rate_limit),
            per_address: Rate::per_second(self.address_rate_limit),
            metrics_token: self.metrics_token.clone(),
            exporter: None,
        }
    }
}

/// A parser of durations like `10s` or `2m` between `min` and `max` seconds.
fn duration_between(min: u64, max: u64) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync {
    move |text: &str| {
        let parsed: billing_domain::policy::PolicyDuration = text.parse()?;
        let seconds = u64::try_from(parsed.seconds()).map_err(|_| format!("{text:?} is negative"))?;
        if !(min..=max).contains(&seconds) {
            return Err(format!("must be from {min}s to {max}s, not {text}"));
        }
        Ok(Duration::from_secs(seconds))
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    args: &HttpArgs,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(args.body_timeout));
    let slots = Arc::new(Semaphore::new(usize::try_from(args.max_connections).unwrap_or(usize::MAX)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait for some
                    // connections to close rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let connection = serve_connection(stream, peer, app.clone(), args.header_timeout, &graceful);
        tokio::spawn(async move {
            connection.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One connection, answered by `app` with the client's address at hand.
fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    graceful: &GracefulShutdown,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let watched = graceful.watch(connection);
    async move {
        if let Err(e) = watched.await {
            tracing::debug!(error = %e, %peer, "connection ended with an error");
        }
    }
}

/// The answer to a connection past the cap.
fn too_many_connections() -> String {
    let body = serde_json::json!({
        "type": "urn:spark-billing:problem:too_many_connections",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "the server has too many connections open; retry shortly",
        "code": "TOO_MANY_CONNECTIONS",
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Answers a connection past the cap with `503` and closes it, reading
/// what the client sent meanwhile (briefly) so that closing does not reset
/// the connection before the answer arrives.
async fn refuse(mut stream: TcpStream) {
    let answer = async {
        stream.write_all(too_many_connections().as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0_u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_states_its_body_length_exactly() {
        let answer = too_many_connections();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.contains(&format!("Content-Length: {}", body.len())), "{}", body.len());
        let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(problem["code"], "TOO_MANY_CONNECTIONS");
    }

    #[test]
    fn timeouts_outside_their_bounds_are_refused() {
        let parse = duration_between(1, 300);
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert!(parse("0s").is_err());
        assert!(parse("6m").is_err());
        assert!(parse("99999999999d").is_err());
        assert!(parse("soon").is_err());
    }
}
