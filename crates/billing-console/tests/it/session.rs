//! Session cookies and CSRF tokens: signed, bound, and refused when altered.

use billing_console::session::{
    Secret, SessionError, clear_cookie, csrf_token, csrf_valid, read_cookie, set_cookie, sign_in_nonce,
    sign_in_nonce_valid, sign_session, verify_session,
};

const SESSION_ID: &str = "ses_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn secret() -> Secret {
    Secret::from_hex(&Secret::generate_hex()).unwrap()
}

#[test]
fn a_signed_session_verifies_until_it_expires() {
    let s = secret();
    let cookie = sign_session(&s, SESSION_ID, 1_000);
    let claims = verify_session(&s, &cookie, 999).unwrap();
    assert_eq!((claims.session_id.as_str(), claims.expires_at), (SESSION_ID, 1_000));
    assert_eq!(verify_session(&s, &cookie, 1_000), Err(SessionError::Expired));
}

#[test]
fn a_session_signed_with_another_secret_is_refused() {
    let cookie = sign_session(&secret(), SESSION_ID, 1_000);
    assert_eq!(verify_session(&secret(), &cookie, 0), Err(SessionError::BadSignature));
}

#[test]
fn an_altered_expiry_or_session_id_breaks_the_signature() {
    let s = secret();
    let cookie = sign_session(&s, SESSION_ID, 1_000);
    let later = cookie.replacen(".1000.", ".9999999999.", 1);
    assert_eq!(verify_session(&s, &later, 0), Err(SessionError::BadSignature));
    let other = cookie.replacen(SESSION_ID, &SESSION_ID.replace('9', "8"), 1);
    assert_eq!(verify_session(&s, &other, 0), Err(SessionError::BadSignature));
}

#[test]
fn malformed_cookies_are_refused_before_any_signature_check() {
    let s = secret();
    let good = sign_session(&s, SESSION_ID, 1_000);
    for bad in
        ["", "v2", "v2.abc.1000.00", "v1.x.1.y", &format!("{good}.extra"), &good.replacen(".1000.", ".+1000.", 1)]
    {
        assert_eq!(verify_session(&s, bad, 0), Err(SessionError::Malformed), "{bad}");
    }
    let upper = good.replacen(SESSION_ID, &SESSION_ID.to_uppercase(), 1);
    assert_eq!(verify_session(&s, &upper, 0), Err(SessionError::Malformed));
    // A cookie of the earlier form, which named the key's hash, is refused.
    let key_hash = &SESSION_ID["ses_".len()..];
    let old = good.replacen(&format!("v2.{SESSION_ID}"), &format!("v1.{key_hash}"), 1);
    assert_eq!(verify_session(&s, &old, 0), Err(SessionError::Malformed));
}

#[test]
fn the_cookie_carries_the_session_id_never_the_key() {
    let cookie = sign_session(&secret(), SESSION_ID, 1_000);
    assert!(cookie.starts_with(&format!("v2.{SESSION_ID}.1000.")));
}

#[test]
fn a_csrf_token_is_bound_to_its_session_and_secret() {
    let s = secret();
    let session = sign_session(&s, SESSION_ID, 1_000);
    let token = csrf_token(&s, &session);
    assert!(csrf_valid(&s, &session, &token));
    assert!(!csrf_valid(&s, &sign_session(&s, SESSION_ID, 2_000), &token));
    assert!(!csrf_valid(&secret(), &session, &token));
    assert!(!csrf_valid(&s, &session, ""));
    assert!(!csrf_valid(&s, &session, "zz"));
    assert!(!csrf_valid(&s, "", &csrf_token(&s, "")));
}

#[test]
fn a_sign_in_nonce_is_signed_and_expires() {
    let s = secret();
    let nonce = sign_in_nonce(&s, 500);
    assert!(sign_in_nonce_valid(&s, &nonce, 499));
    assert!(!sign_in_nonce_valid(&s, &nonce, 500));
    assert!(!sign_in_nonce_valid(&secret(), &nonce, 0));
    assert!(!sign_in_nonce_valid(&s, "made-up.500.00", 0));
}

#[test]
fn cookies_are_http_only_strict_and_scoped_to_the_console() {
    let set = set_cookie("sb_session", "v", 60, false);
    for part in ["sb_session=v", "Path=/console", "Max-Age=60", "HttpOnly", "SameSite=Strict"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"));
    assert!(set_cookie("sb_session", "v", 60, true).ends_with("; Secure"));
    assert!(clear_cookie("sb_session", false).contains("Max-Age=0"));
    assert_eq!(read_cookie(["a=1; sb_session=xyz", "b=2"], "sb_session"), Some("xyz"));
    assert_eq!(read_cookie(["sb_session_old=1"], "sb_session"), None);
}

#[test]
fn a_short_or_malformed_secret_is_not_accepted() {
    assert!(Secret::from_hex("abcd").is_none());
    assert!(Secret::from_hex("not hex at all, not hex at all, not hex at all, not hex at all!").is_none());
    assert_eq!(Secret::generate_hex().len(), 64);
}
