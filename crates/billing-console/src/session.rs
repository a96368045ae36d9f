//! Session cookies and CSRF tokens: pure functions over a server secret.
//!
//! A session cookie names a session kept in the database (a random id,
//! never the API key) and says until when it is good; an HMAC-SHA256
//! signature with the console secret binds the two, so a cookie that was
//! not made here is refused before the database is asked. The session row
//! is what signing out ends: a copy of the cookie then signs no one in. A
//! CSRF token is the HMAC of the cookie's value and the word `csrf`: a page
//! from this server can put it in its forms, another site cannot compute it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sb_session";
/// Name of the cookie that ties the sign-in form to one browser before a
/// session exists.
pub const SIGN_IN_COOKIE: &str = "sb_signin";
/// How long a session lasts, in seconds.
pub const SESSION_TTL_SECONDS: i64 = 8 * 60 * 60;
/// How long a sign-in form stays usable, in seconds.
pub const SIGN_IN_TTL_SECONDS: i64 = 60 * 60;
/// Path every console cookie is scoped to.
pub const COOKIE_PATH: &str = "/console";

/// Format version written at the start of every session value.
const VERSION: &str = "v2";

type HmacSha256 = Hmac<Sha256>;

/// The server secret that signs sessions and CSRF tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A secret from its stored hex form; `None` unless it is at least 32
    /// bytes of valid hex.
    pub fn from_hex(text: &str) -> Option<Secret> {
        hex::decode(text.trim()).ok().and_then(Secret::from_bytes)
    }

    /// A secret of at least 32 bytes; `None` for a shorter one.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Secret> {
        (bytes.len() >= 32).then_some(Secret(bytes))
    }

    /// A new random secret in hex: 64 hex digits from two version-4 UUIDs
    /// (a thread-local cryptographically secure generator seeded by the
    /// operating system; 244 random bits).
    pub fn generate_hex() -> String {
        format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
    }

    fn mac(&self, parts: &[&str]) -> HmacSha256 {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(part.as_bytes());
        }
        mac
    }

    fn sign(&self, parts: &[&str]) -> String {
        hex::encode(self.mac(parts).finalize().into_bytes())
    }

    /// Checks `signature_hex` in constant time.
    fn verify(&self, parts: &[&str], signature_hex: &str) -> bool {
        match hex::decode(signature_hex) {
            Ok(signature) => self.mac(parts).verify_slice(&signature).is_ok(),
            Err(_) => false,
        }
    }
}

/// What a valid session cookie says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionClaims {
    /// The session's id, `ses_…`, as kept in the database.
    pub session_id: String,
    /// Unix second after which the session is over.
    pub expires_at: i64,
}

/// Why a session cookie was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Not of the form `v2.<session id>.<expiry>.<signature>`.
    Malformed,
    /// The signature does not match: forged, altered, or signed with
    /// another secret.
    BadSignature,
    /// Signed, but past its expiry.
    Expired,
}

fn is_session_id(text: &str) -> bool {
    text.strip_prefix("ses_")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The cookie value for session `session_id`, which ends at `expires_at`
/// (Unix seconds).
pub fn sign_session(secret: &Secret, session_id: &str, expires_at: i64) -> String {
    let body = format!("{VERSION}.{session_id}.{expires_at}");
    let signature = secret.sign(&[&body]);
    format!("{body}.{signature}")
}

/// Checks a session cookie's signature and expiry at `now` (Unix seconds).
pub fn verify_session(secret: &Secret, value: &str, now: i64) -> Result<SessionClaims, SessionError> {
    let mut parts = value.split('.');
    let (Some(version), Some(session_id), Some(expiry), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SessionError::Malformed);
    };
    let expires_at: i64 = expiry.parse().map_err(|_| SessionError::Malformed)?;
    if version != VERSION || !is_session_id(session_id) || expires_at.to_string() != expiry {
        return Err(SessionError::Malformed);
    }
    let body = format!("{version}.{session_id}.{expiry}");
    if !secret.verify(&[&body], signature) {
        return Err(SessionError::BadSignature);
    }
    if now >= expires_at {
        return Err(SessionError::Expired);
    }
    Ok(SessionClaims { session_id: session_id.to_owned(), expires_at })
}

/// The CSRF token of the forms served with the cookie value `bound_to`.
pub fn csrf_token(secret: &Secret, bound_to: &str) -> String {
    secret.sign(&[bound_to, "csrf"])
}

/// Whether `token` is the CSRF token for `bound_to` (constant time).
pub fn csrf_valid(secret: &Secret, bound_to: &str, token: &str) -> bool {
    !bound_to.is_empty() && secret.verify(&[bound_to, "csrf"], token)
}

/// The value of the sign-in cookie: a random nonce with its expiry, signed,
/// so a stale or invented one is refused.
pub fn sign_in_nonce(secret: &Secret, expires_at: i64) -> String {
    let body = format!("{}.{expires_at}", uuid::Uuid::new_v4().simple());
    let signature = secret.sign(&["sign-in", &body]);
    format!("{body}.{signature}")
}

/// Whether a sign-in cookie is one this server made and still good at `now`.
pub fn sign_in_nonce_valid(secret: &Secret, value: &str, now: i64) -> bool {
    let Some((body, signature)) = value.rsplit_once('.') else { return false };
    let Some((_, expiry)) = body.split_once('.') else { return false };
    let Ok(expires_at) = expiry.parse::<i64>() else { return false };
    secret.verify(&["sign-in", body], signature) && now < expires_at
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, scoped to the console,
/// and with `secure` sent by browsers over HTTPS only.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={COOKIE_PATH}; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict{secure}")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", 0, secure)
}

/// The value of cookie `name` in `Cookie` header values.
pub fn read_cookie<'a>(headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    headers
        .into_iter()
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}
