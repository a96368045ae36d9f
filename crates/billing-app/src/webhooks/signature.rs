//! Signing and verifying webhook requests the *Standard Webhooks* way.
//!
//! A request carries `webhook-id` (the event id, the same on every retry),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: one or more
//! `v1,<base64 HMAC-SHA256>` values separated by spaces, each over
//! `{id}.{timestamp}.{body}` keyed with the bytes of a `whsec_` secret.
//! While a secret is being rotated, the old and the new one both sign.
//!
//! Receivers written in Rust can call [`verify`] as it is; any Standard
//! Webhooks library verifies the same requests.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a request's timestamp may be from the receiver's clock.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;
/// Bytes of key material in a new secret.
const SECRET_BYTES: usize = 24;

/// Why a request does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The secret is not `whsec_` followed by base64.
    #[error("the secret is not whsec_ followed by base64")]
    BadSecret,
    /// The timestamp is further than the tolerance from now.
    #[error("the timestamp is {0} s away from now, more than the 300 s allowed")]
    Stale(i64),
    /// No `v1,` signature was given.
    #[error("no v1 signature was given")]
    NoSignature,
    /// None of the signatures matches.
    #[error("no signature matches the id, timestamp and body")]
    Mismatch,
}

/// A new random secret, `whsec_` followed by base64.
pub fn new_secret() -> String {
    let mut bytes = Vec::with_capacity(SECRET_BYTES);
    while bytes.len() < SECRET_BYTES {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes.truncate(SECRET_BYTES);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_` secret (the prefix may be left out).
fn key(secret: &str) -> Result<Vec<u8>, VerifyError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    match STANDARD.decode(encoded) {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(VerifyError::BadSecret),
    }
}

/// Checks that `secret` is a usable signing secret.
pub fn check_secret(secret: &str) -> Result<(), VerifyError> {
    key(secret).map(|_| ())
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `v1,…` signature of one request with one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, VerifyError> {
    let tag = mac(&key(secret)?, id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` header value: one signature per secret,
/// separated by spaces.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> Result<String, VerifyError> {
    let signatures = secrets.iter().map(|s| sign(s, id, timestamp, body)).collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// Verifies a received request: `header` is the `webhook-signature` value,
/// `now` the receiver's Unix time. Succeeds when the timestamp is within
/// [`TOLERANCE_SECONDS`] of `now` and one `v1` signature matches (compared
/// in constant time).
pub fn verify(secret: &str, id: &str, timestamp: i64, header: &str, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let key = key(secret)?;
    let skew = now.saturating_sub(timestamp);
    if skew.unsigned_abs() > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(VerifyError::Stale(skew));
    }
    let mut any = false;
    for candidate in header.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        any = true;
        let Ok(tag) = STANDARD.decode(encoded) else { continue };
        if mac(&key, id, timestamp, body).verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(if any { VerifyError::Mismatch } else { VerifyError::NoSignature })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example published with the Standard Webhooks specification and
    /// its reference libraries: any receiver library must accept what we sign.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signing_reproduces_the_standard_webhooks_test_vector() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY).unwrap(), SIGNATURE);
    }

    #[test]
    fn the_test_vector_verifies_among_other_signatures_within_five_minutes_only() {
        let header = format!("v1,bm9wZQ== {SIGNATURE}");
        assert_eq!(verify(SECRET, ID, TIMESTAMP, &header, BODY, TIMESTAMP + 300), Ok(()));
        assert_eq!(verify(SECRET, ID, TIMESTAMP, &header, BODY, TIMESTAMP + 301), Err(VerifyError::Stale(301)));
        assert_eq!(verify(SECRET, ID, TIMESTAMP, &header, b"{}", TIMESTAMP), Err(VerifyError::Mismatch));
        assert_eq!(verify(SECRET, ID, TIMESTAMP, "v2,abc", BODY, TIMESTAMP), Err(VerifyError::NoSignature));
        assert_eq!(verify("whsec_!!", ID, TIMESTAMP, SIGNATURE, BODY, TIMESTAMP), Err(VerifyError::BadSecret));
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_and_each_verifies() {
        let new = new_secret();
        assert!(new.starts_with(SECRET_PREFIX) && new != new_secret());
        let header = signature_header(&[&new, SECRET], ID, TIMESTAMP, BODY).unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert_eq!(verify(SECRET, ID, TIMESTAMP, &header, BODY, TIMESTAMP), Ok(()));
        assert_eq!(verify(&new, ID, TIMESTAMP, &header, BODY, TIMESTAMP), Ok(()));
    }
}
