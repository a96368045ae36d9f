//! Signing keys given from outside the database, and how the console's
//! cookies are sent.
//!
//! The quote signing key (`SPARK_BILLING_QUOTE_KEY` or `--quote-key-file`)
//! and the console's cookie key (`SPARK_BILLING_COOKIE_KEY` or
//! `--cookie-key-file`) are each a list of keys: the first signs, the others
//! (retired by a rotation) still verify, until the instant written beside
//! them. Without either, a key is made once and kept in the database, as
//! before. See [`billing_app::keyring`] for the format.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use billing_app::keyring::Keyring;

use crate::files::require_private;

/// Variable holding the quote signing keys.
pub const QUOTE_KEY_ENV: &str = "SPARK_BILLING_QUOTE_KEY";
/// Variable holding the console's cookie keys.
pub const COOKIE_KEY_ENV: &str = "SPARK_BILLING_COOKIE_KEY";
/// Longest public URL accepted.
const MAX_PUBLIC_URL_LEN: usize = 2048;

/// The keys named by the variable `env` or the file after `flag` (one or
/// the other), or `None` when neither is given. A key file must be readable
/// by its owner alone.
pub fn keyring(env: &str, file: Option<&Path>, flag: &str) -> anyhow::Result<Option<Keyring>> {
    let value = std::env::var(env).ok().filter(|v| !v.trim().is_empty());
    match (value, file) {
        (Some(_), Some(_)) => bail!("give the keys either in {env} or with {flag}, not both"),
        (Some(text), None) => Keyring::parse(&text).map(Some).map_err(|e| anyhow!("{env}: {e}")),
        (None, Some(path)) => {
            require_private(path, "signing keys")?;
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Keyring::parse(&text).map(Some).map_err(|e| anyhow!("{}: {e}", path.display()))
        }
        (None, None) => Ok(None),
    }
}

/// The address users reach the service at, e.g. `https://billing.example.com`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Whether it is served over HTTPS.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail =
            || format!("must be an http:// or https:// URL with a host, at most {MAX_PUBLIC_URL_LEN} characters");
        if text.len() > MAX_PUBLIC_URL_LEN {
            return Err(fail());
        }
        let url = url::Url::parse(text).map_err(|_| fail())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(fail());
        }
        Ok(PublicUrl(url.as_str().trim_end_matches('/').to_owned()))
    }
}

/// The console's flags of `serve`.
#[derive(Debug, clap::Args)]
pub struct ConsoleArgs {
    /// A file (readable by its owner alone) of the keys console cookies are
    /// signed with, instead of the key kept in the database: the first
    /// signs, each other one still verifies (`KEY until 2026-12-03T18:00:00Z`
    /// stops it then). The list may also be given in SPARK_BILLING_COOKIE_KEY.
    #[arg(long, env = "SPARK_BILLING_COOKIE_KEY_FILE", value_name = "FILE")]
    cookie_key_file: Option<std::path::PathBuf>,
    /// The address users reach the service at, e.g.
    /// `https://billing.example.com`; an https:// URL marks cookies Secure.
    #[arg(long, env = "SPARK_BILLING_PUBLIC_URL", value_name = "URL")]
    public_url: Option<PublicUrl>,
    /// Mark console cookies `Secure` (sent over HTTPS only) [default: true
    /// when --public-url is https://, else false].
    #[arg(long, env = "SPARK_BILLING_SECURE_COOKIES", value_name = "BOOL")]
    secure_cookies: Option<bool>,
}

/// What the console is started with.
#[derive(Debug)]
pub struct ConsoleSettings {
    keys: Option<Keyring>,
    secure_cookies: bool,
}

impl ConsoleArgs {
    /// Reads the cookie keys and settles the `Secure` flag.
    pub fn settings(&self) -> anyhow::Result<ConsoleSettings> {
        let keys = keyring(COOKIE_KEY_ENV, self.cookie_key_file.as_deref(), "--cookie-key-file")?;
        Ok(ConsoleSettings { keys, secure_cookies: secure_cookies(self.secure_cookies, self.public_url.as_ref()) })
    }
}

impl ConsoleSettings {
    /// The console's state over `billing`.
    pub fn state(&self, billing: billing_app::Billing) -> billing_console::ConsoleState {
        let state = billing_console::ConsoleState::new(billing).with_secure_cookies(self.secure_cookies);
        match &self.keys {
            Some(keys) => state.with_keys(keys.clone()),
            None => state,
        }
    }
}

/// Whether the console marks its cookies `Secure`: as told, or else when
/// the public URL is `https://`.
pub fn secure_cookies(told: Option<bool>, public_url: Option<&PublicUrl>) -> bool {
    told.unwrap_or_else(|| public_url.is_some_and(PublicUrl::is_https))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_by_default_only_behind_an_https_public_url() {
        let https: PublicUrl = "https://billing.example.com/".parse().unwrap();
        let http: PublicUrl = "http://10.0.0.5:8080".parse().unwrap();
        assert!(secure_cookies(None, Some(&https)));
        assert!(!secure_cookies(None, Some(&http)));
        assert!(!secure_cookies(None, None));
        assert!(!secure_cookies(Some(false), Some(&https)), "told wins");
        assert!(secure_cookies(Some(true), None));
    }

    #[test]
    fn a_public_url_is_http_or_https_with_a_host_and_bounded() {
        for bad in [
            "",
            "billing.example.com",
            "ftp://x",
            "https://",
            "mailto:ops@example.com",
            &format!("https://{}", "a".repeat(2048)),
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }
}
