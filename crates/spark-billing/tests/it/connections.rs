//! `serve` against slow, idle and too many clients over real sockets: the
//! header, idle and body timeouts, the connection cap and the per-address
//! limit, and the bounds of their settings. Timeouts are set short; the
//! tests only wait for the server to act, with generous bounds.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serving::{Server, serve};

/// A server on a fresh SQLite database with `extra` flags; its directory.
fn server(extra: &[&str]) -> (Server, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("serve-conn"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    (serve(&url, &dir, extra), dir)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream
}

/// Whether the server has closed `stream`: reading ends (or the connection
/// is reset) rather than waiting.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => return true,
            Err(_) => return false,
        }
    }
}

/// Reads one answer's head and the body its `Content-Length` announces.
fn read_answer(stream: &mut TcpStream) -> (u16, Value) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                return (status, serde_json::from_str(&body[..length]).unwrap_or(Value::Null));
            }
        }
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the connection closed before a whole answer: {text}");
        received.extend_from_slice(&buffer[..n]);
    }
}

#[test]
fn a_client_trickling_a_partial_header_is_disconnected() {
    let (server, _dir) = server(&["--header-timeout", "1s"]);
    let mut stream = connect(server.addr);
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    // One more header byte whenever the server has said nothing for a
    // moment: a trickle that never finishes the head.
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buffer = [0_u8; 1024];
    loop {
        assert!(Instant::now() < deadline, "the server kept a trickling client for a minute");
        if stream.write_all(b"X").is_err() {
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        }
    }
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let (server, _dir) = server(&["--header-timeout", "1s"]);
    let mut stream = connect(server.addr);
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !String::from_utf8_lossy(&answer).ends_with("ok\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buffer[..n]);
    }
    assert!(closed_by_server(&mut stream), "an idle connection stays open");
}

#[test]
fn a_body_that_stops_arriving_is_answered_408() {
    let (server, dir) = server(&["--body-timeout", "1s"]);
    let key = std::fs::read_to_string(dir.join("operator-key")).unwrap().trim().to_owned();
    let mut stream = connect(server.addr);
    let head = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": "
    );
    stream.write_all(head.as_bytes()).unwrap();
    let (status, problem) = read_answer(&mut stream);
    assert_eq!(status, 408, "{problem}");
    assert_eq!(problem["code"], "REQUEST_TIMEOUT");
}

#[test]
fn a_connection_past_the_cap_is_answered_503_and_a_freed_place_is_used_again() {
    let (server, _dir) = server(&["--max-connections", "1", "--header-timeout", "5m"]);
    let holder = connect(server.addr);
    let mut extra = connect(server.addr);
    extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (status, problem) = read_answer(&mut extra);
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["code"], "TOO_MANY_CONNECTIONS");
    drop(holder);
    // The place frees once the server has seen the holder go.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut next = connect(server.addr);
        next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        let _ = next.read_to_string(&mut text);
        if text.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the freed place was never used again: {text}");
    }
}

/// `GET /api/v1/accounts` with `key` from the loopback address `from`.
fn accounts_from(from: &str, addr: SocketAddr, key: &str) -> (u16, Value, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut stream = stream;
    let request = format!("GET /api/v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !String::from_utf8_lossy(&head).contains("\r\n\r\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0);
        head.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let retry_after = text
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    let (status, body) = read_answer_from(&text);
    (status, body, retry_after)
}

fn read_answer_from(text: &str) -> (u16, Value) {
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn bad_keys_are_limited_per_client_address() {
    let (server, _dir) = server(&["--address-rate-limit", "1"]);
    let guess = "sbk_guessed";
    assert_eq!(accounts_from("127.0.0.1", server.addr, guess).0, 401);
    assert_eq!(accounts_from("127.0.0.1", server.addr, guess).0, 401);
    // A burst of two at one a second: the next quick guesses are refused
    // (unless a second went by, when one more is let through).
    let mut refused = None;
    for _ in 0..5 {
        let answer = accounts_from("127.0.0.1", server.addr, guess);
        if answer.0 == 429 {
            refused = Some(answer);
            break;
        }
    }
    let (_, _, retry_after) = refused.expect("five quick guesses after the burst were all let through");
    assert!(retry_after.parse::<u64>().is_ok_and(|s| s >= 1), "Retry-After: {retry_after:?}");
    assert_eq!(accounts_from("127.0.0.2", server.addr, guess).0, 401, "another address has a bucket of its own");
}

#[test]
fn http_settings_out_of_bounds_are_refused_naming_the_setting() {
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("serve-bounds"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    let refused = |args: &[&str], named: &str| {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()];
        all.extend(args);
        let out = crate::support::spark_billing(&url, &all).output().unwrap();
        let stderr = crate::support::stderr(&out);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    };
    refused(&["--header-timeout", "0s"], "--header-timeout");
    refused(&["--header-timeout", "99999999999d"], "--header-timeout");
    refused(&["--body-timeout", "11m"], "--body-timeout");
    refused(&["--max-connections", "0"], "--max-connections");
    refused(&["--rate-limit", "100001"], "--rate-limit");
    refused(&["--address-rate-limit=-1"], "--address-rate-limit");
    refused(&["--metrics-token", "short"], "--metrics-token");
    let config = dir.join("spark-billing.toml");
    std::fs::write(&config, "max_connections = 0\n").unwrap();
    refused(&["--config", config.to_str().unwrap()], "--max-connections");
}
