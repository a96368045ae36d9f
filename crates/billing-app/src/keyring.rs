//! Signing keys given from outside the database (an environment variable
//! or a file), with rotation: the first key signs, and keys retired from
//! signing still verify until the instant written beside them (or, without
//! one, for as long as they are listed).
//!
//! The text is a list of entries, one per line or separated by commas;
//! `#` starts a comment. An entry is a key of at least 32 bytes in hex,
//! optionally followed by `until` and an RFC 3339 instant:
//!
//! ```text
//! # signs from now on
//! 5c1f…e0
//! # signed until the rotation; its quotes and sessions live out their time
//! 9ab2…41 until 2026-12-03T18:00:00Z
//! ```

use chrono::{DateTime, Utc};

/// Fewest bytes a key may have.
pub const MIN_KEY_BYTES: usize = 32;
/// Most keys one list may hold.
pub const MAX_KEYS: usize = 16;

/// A key and, for a retired one, until when it verifies.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The key's bytes.
    pub key: Vec<u8>,
    /// The instant after which it no longer verifies; `None` while listed.
    pub until: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyEntry(…, until: {:?})", self.until)
    }
}

/// A signing key and the retired keys that still verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    signing: Vec<u8>,
    retired: Vec<KeyEntry>,
}

impl Keyring {
    /// A ring of one key, which signs and verifies.
    pub fn single(key: Vec<u8>) -> Keyring {
        Keyring { signing: key, retired: Vec::new() }
    }

    /// Reads a list of keys (see the module's documentation); the error
    /// names the entry at fault, never a key.
    pub fn parse(text: &str) -> Result<Keyring, String> {
        let entries: Vec<&str> = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or(""))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        if entries.len() > MAX_KEYS {
            return Err(format!("at most {MAX_KEYS} keys, not {}", entries.len()));
        }
        let mut parsed = entries.iter().enumerate().map(|(i, entry)| parse_entry(i + 1, entry));
        let first = parsed.next().ok_or("no key given")??;
        if first.until.is_some() {
            return Err("the first key signs, so it cannot have an `until`".to_owned());
        }
        let retired = parsed.collect::<Result<Vec<_>, _>>()?;
        Ok(Keyring { signing: first.key, retired })
    }

    /// The key that signs.
    pub fn signing(&self) -> &[u8] {
        &self.signing
    }

    /// The retired keys, with their times.
    pub fn retired(&self) -> &[KeyEntry] {
        &self.retired
    }

    /// The keys that verify at `now`: the signing key first, then each
    /// retired key whose time has not run out.
    pub fn verifying(&self, now: DateTime<Utc>) -> impl Iterator<Item = &[u8]> {
        let retired = self.retired.iter().filter(move |e| e.until.is_none_or(|until| now < until));
        std::iter::once(self.signing.as_slice()).chain(retired.map(|e| e.key.as_slice()))
    }
}

fn parse_entry(place: usize, entry: &str) -> Result<KeyEntry, String> {
    let mut words = entry.split_whitespace();
    let hex_key = words.next().unwrap_or("");
    let key = hex::decode(hex_key).ok().filter(|k| k.len() >= MIN_KEY_BYTES).ok_or_else(|| {
        format!("key {place} is not hex of at least {MIN_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)")
    })?;
    let until = match (words.next(), words.next(), words.next()) {
        (None, ..) => None,
        (Some("until"), Some(at), None) => Some(
            DateTime::parse_from_rfc3339(at)
                .map_err(|_| format!("key {place}: `until` needs an RFC 3339 instant, e.g. 2026-12-03T18:00:00Z"))?
                .with_timezone(&Utc),
        ),
        _ => return Err(format!("key {place}: expected `KEY` or `KEY until INSTANT`")),
    };
    Ok(KeyEntry { key, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const B: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_first_key_signs_and_a_retired_one_verifies_until_its_time() {
        let ring = Keyring::parse(&format!("# new\n{A}\n{B} until 2026-12-03T18:00:00Z\n")).unwrap();
        assert_eq!(ring.signing(), hex::decode(A).unwrap().as_slice());
        assert_eq!(ring.verifying(at("2026-12-03T17:59:59Z")).count(), 2);
        assert_eq!(ring.verifying(at("2026-12-03T18:00:00Z")).count(), 1);
        let commas = Keyring::parse(&format!("{A}, {B}")).unwrap();
        assert_eq!(commas.verifying(at("2100-01-01T00:00:00Z")).count(), 2, "listed without a time: verifies");
    }

    #[test]
    fn bad_lists_are_refused_with_the_entry_named() {
        let cases = [
            (String::new(), "no key"),
            ("abcd".to_owned(), "key 1"),
            (format!("{A} until 2026-12-03T18:00:00Z"), "first key"),
            (format!("{A}\n{B} until tomorrow"), "key 2"),
            (format!("{A}\n{B} after 2026-12-03T18:00:00Z"), "key 2"),
            (vec![A; 17].join(","), "at most"),
        ];
        for (text, expected) in cases {
            let error = Keyring::parse(&text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(!error.contains(A), "an error must not show a key");
        }
    }
}
