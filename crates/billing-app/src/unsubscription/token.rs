//! Quote ids that carry their quote. A binding quote is everything its
//! confirmation needs — whose it is, which instance, when it was computed
//! and until when it holds, the policy version, the digest of its facts, and
//! what it promised — signed with a key every replica reads from the
//! database. Quoting therefore writes nothing: the quote is stored when it
//! is confirmed, in the confirmation's transaction.
//!
//! Layout before base64url: a version byte, 8 random bytes that make every
//! quote's id its own even when two quotes agree in everything else, then
//! each field in turn (ids of the service's form as their prefix and 16
//! bytes, the digest as 32 bytes, the reason as its place in the list of
//! codes, other strings as a 2-byte big-endian length and UTF-8, instants as
//! 8-byte microseconds, numbers big-endian), then the first 16 bytes of the
//! HMAC-SHA256 of all of it.

use billing_domain::change::ActionKind;
use billing_domain::ids::{AccountId, InstanceId, OrderId, QuoteId};
use billing_domain::money::{Currency, Money};
use billing_domain::reason::ReasonCode;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::records::StoredQuote;
use crate::keyring::Keyring;

/// The keys of quote ids: the one that signs, and those retired from
/// signing that still verify until their time (see [`Keyring`]).
#[derive(Clone, Debug)]
pub struct QuoteKeys {
    signing: QuoteKey,
    retired: Vec<(QuoteKey, Option<DateTime<Utc>>)>,
}

impl QuoteKeys {
    /// One key, kept in the database, that signs and verifies.
    pub fn single(key: QuoteKey) -> QuoteKeys {
        QuoteKeys { signing: key, retired: Vec::new() }
    }

    /// The keys of a ring given from outside the database.
    pub fn from_keyring(ring: &Keyring) -> QuoteKeys {
        QuoteKeys {
            signing: QuoteKey(ring.signing().to_vec()),
            retired: ring.retired().iter().map(|e| (QuoteKey(e.key.clone()), e.until)).collect(),
        }
    }

    /// The id of `quote`, signed with the signing key.
    pub fn sign(&self, quote: &StoredQuote) -> QuoteId {
        self.signing.sign(quote)
    }

    /// The quote an id stands for, when a key that verifies at `now`
    /// signed it.
    pub fn open(&self, id: &QuoteId, now: DateTime<Utc>) -> Option<StoredQuote> {
        let retired = self.retired.iter().filter(|(_, until)| until.is_none_or(|until| now < until));
        std::iter::once(&self.signing).chain(retired.map(|(key, _)| key)).find_map(|key| key.open(id))
    }
}

/// Prefix of every quote id.
const PREFIX: &str = "quo_";
/// The layout's version.
const VERSION: u8 = 1;
/// Bytes of the signature kept.
const TAG_LEN: usize = 16;
/// Longest quote id accepted before decoding: the one a quote id may be.
const MAX_ID_LEN: usize = billing_domain::ids::MAX_QUOTE_ID_LEN;

/// The setting holding the signing key (hex).
pub const KEY_SETTING: &str = "quote_signing_key";

/// A key that signs or checks quote ids.
#[derive(Clone)]
pub struct QuoteKey(Vec<u8>);

impl std::fmt::Debug for QuoteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QuoteKey(…)")
    }
}

impl QuoteKey {
    /// A key from its stored hex form.
    pub fn from_hex(text: &str) -> Option<QuoteKey> {
        hex::decode(text).ok().filter(|k| k.len() == 32).map(QuoteKey)
    }

    /// A new random key in hex, from two version-4 UUIDs (a thread-local
    /// cryptographically secure generator seeded by the operating system).
    pub fn random_hex() -> String {
        format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
    }

    fn tag(&self, body: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// The id of `quote`: its fields, signed.
    pub fn sign(&self, quote: &StoredQuote) -> QuoteId {
        let mut body = Vec::with_capacity(160);
        body.push(VERSION);
        body.extend(&uuid::Uuid::new_v4().as_bytes()[..8]);
        put_id(&mut body, &quote.account_id);
        put_id(&mut body, &quote.instance_id);
        put_id(&mut body, quote.order_id.as_deref().unwrap_or(""));
        body.extend(quote.created_at.timestamp_micros().to_be_bytes());
        body.extend(quote.expires_at.timestamp_micros().to_be_bytes());
        body.extend(quote.policy_version.to_be_bytes());
        // The digest is hex of SHA-256: 32 bytes when it decodes as such.
        match hex::decode(&quote.digest).ok().filter(|d| d.len() == 32) {
            Some(raw) => {
                body.push(1);
                body.extend(raw);
            }
            None => {
                body.push(0);
                put_text(&mut body, &quote.digest);
            }
        }
        body.push(u8::from(quote.eligible));
        body.push(quote.reason.map_or(0, ReasonCode::number));
        put_text(&mut body, quote.refund.currency().code());
        body.extend(quote.refund.minor().to_be_bytes());
        // An unsubscription's id ends here, as it did before quotes of other
        // actions existed; theirs add the action and the CUs kept.
        if quote.action != ActionKind::Unsubscribe {
            body.push(action_number(quote.action));
            body.extend(quote.new_quota_cu.unwrap_or(0).to_be_bytes());
        }
        let tag = self.tag(&body);
        body.extend(tag);
        QuoteId::trusted(format!("{PREFIX}{}", base64url(&body)))
    }

    /// The quote an id stands for, when this key signed it; `None` for
    /// anything else. Its body is empty: the id does not carry the lines.
    pub fn open(&self, id: &str) -> Option<StoredQuote> {
        let encoded = id.strip_prefix(PREFIX).filter(|_| id.len() <= MAX_ID_LEN)?;
        let bytes = from_base64url(encoded)?;
        let (body, tag) = bytes.split_at(bytes.len().checked_sub(TAG_LEN)?);
        // Compared in constant time by the MAC itself.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(body);
        mac.verify_truncated_left(tag).ok()?;
        let mut r = Reader(body);
        (r.byte()? == VERSION).then_some(())?;
        r.take::<8>()?;
        let account_id = AccountId::trusted(r.id()?);
        let instance_id = InstanceId::trusted(r.id()?);
        let order_id = Some(r.id()?).filter(|o| !o.is_empty()).map(OrderId::trusted);
        let created_at = DateTime::<Utc>::from_timestamp_micros(r.i64()?)?;
        let expires_at = DateTime::<Utc>::from_timestamp_micros(r.i64()?)?;
        let policy_version = u32::from_be_bytes(r.take()?);
        let digest = match r.byte()? {
            1 => hex::encode(r.take::<32>()?),
            0 => r.text()?,
            _ => return None,
        };
        let eligible = r.byte()? == 1;
        let reason = match r.byte()? {
            0 => None,
            n => Some(ReasonCode::from_number(n)?),
        };
        let currency: Currency = r.text()?.parse().ok()?;
        let refund = Money::from_minor(currency, r.i64()?);
        let (action, new_quota_cu) = if r.0.is_empty() {
            (ActionKind::Unsubscribe, None)
        } else {
            let number = r.byte()?;
            let action = ActionKind::ALL.into_iter().find(|&a| action_number(a) == number)?;
            let cu = u32::from_be_bytes(r.take()?);
            (action, (action == ActionKind::Downgrade).then_some(cu))
        };
        r.0.is_empty().then_some(())?;
        Some(StoredQuote {
            id: QuoteId::trusted(id),
            account_id,
            instance_id,
            order_id,
            created_at,
            expires_at,
            policy_version,
            digest,
            eligible,
            reason,
            refund,
            body: String::new(),
            action,
            new_quota_cu,
        })
    }
}

/// The byte an action is signed as (never 0).
const fn action_number(action: ActionKind) -> u8 {
    match action {
        ActionKind::Unsubscribe => 1,
        ActionKind::Downgrade => 2,
        ActionKind::SwitchToPayAsYouGo => 3,
    }
}

/// An id of the service's own form (`acc_` and 32 hex digits) as its prefix
/// and 16 bytes; anything else as text.
fn put_id(out: &mut Vec<u8>, id: &str) {
    let packed = id.split_once('_').and_then(|(prefix, hex_part)| {
        let raw = hex::decode(hex_part).ok().filter(|r| r.len() == 16)?;
        (hex_part.len() == 32 && hex::encode(&raw) == hex_part && !prefix.is_empty() && prefix.len() < 16)
            .then_some((prefix, raw))
    });
    match packed {
        Some((prefix, raw)) => {
            out.push(1);
            put_text(out, prefix);
            out.extend(raw);
        }
        None => {
            out.push(0);
            put_text(out, id);
        }
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
    out.extend(len.to_be_bytes());
    out.extend(&text.as_bytes()[..usize::from(len)]);
}

/// Reads fields off the front of a signed body.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }

    fn byte(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }

    fn id(&mut self) -> Option<String> {
        match self.byte()? {
            1 => {
                let prefix = self.text()?;
                Some(format!("{prefix}_{}", hex::encode(self.take::<16>()?)))
            }
            0 => self.text(),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<String> {
        let len = usize::from(u16::from_be_bytes(self.take()?));
        let (head, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        String::from_utf8(head.to_vec()).ok()
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 with the URL-safe alphabet and no padding.
fn base64url(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]);
        }
    }
    // The alphabet is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| ALPHABET.iter().position(|&a| a == c).and_then(|p| u32::try_from(p).ok());
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= digit(c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)).to_be_bytes()[3]);
        }
    }
    // Only the canonical encoding is accepted.
    (base64url(&out) == text).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote() -> StoredQuote {
        StoredQuote {
            id: QuoteId::trusted(String::new()),
            account_id: crate::ids::mint(),
            instance_id: crate::ids::mint(),
            order_id: None,
            created_at: DateTime::from_timestamp_micros(1_773_123_785_000_000).unwrap(),
            expires_at: DateTime::from_timestamp_micros(1_773_124_685_000_000).unwrap(),
            policy_version: 3,
            digest: "ab".repeat(32),
            eligible: false,
            reason: Some(ReasonCode::AnnualLimitReached),
            refund: Money::from_minor(Currency::Usd, 1_386_431),
            body: String::new(),
            action: ActionKind::Unsubscribe,
            new_quota_cu: None,
        }
    }

    #[test]
    fn an_id_opens_to_the_quote_it_was_signed_from() {
        let key = QuoteKey::from_hex(&QuoteKey::random_hex()).unwrap();
        for order_id in [None, Some(crate::ids::mint::<OrderId>())] {
            let mut q = quote();
            q.order_id = order_id;
            let id = key.sign(&q);
            assert!(id.starts_with("quo_") && id.len() <= 220, "{} characters: {id}", id.len());
            assert_ne!(key.sign(&q), id, "two quotes of the same facts share an id");
            let opened = key.open(&id).expect("the id opens");
            assert_eq!(opened, StoredQuote { id: id.clone(), ..q });
        }
    }

    #[test]
    fn an_id_carries_its_action_and_the_cus_a_downgrade_keeps() {
        let key = QuoteKey::from_hex(&QuoteKey::random_hex()).unwrap();
        for (action, cu) in
            [(ActionKind::Downgrade, Some(50)), (ActionKind::SwitchToPayAsYouGo, None), (ActionKind::Unsubscribe, None)]
        {
            let q = StoredQuote { action, new_quota_cu: cu, ..quote() };
            let id = key.sign(&q);
            assert_eq!(key.open(&id).unwrap(), StoredQuote { id: id.clone(), ..q }, "{action}");
        }
        // The action is signed: changing its byte breaks the id.
        let id = key.sign(&StoredQuote { action: ActionKind::Downgrade, new_quota_cu: Some(50), ..quote() });
        let mut bytes = from_base64url(id.strip_prefix(PREFIX).unwrap()).unwrap();
        let at = bytes.len() - TAG_LEN - 5;
        assert_eq!(bytes[at], action_number(ActionKind::Downgrade));
        bytes[at] = action_number(ActionKind::SwitchToPayAsYouGo);
        assert_eq!(key.open(&format!("{PREFIX}{}", base64url(&bytes))), None);
    }

    #[test]
    fn ids_and_digests_of_other_forms_are_carried_as_text() {
        let key = QuoteKey::from_hex(&QuoteKey::random_hex()).unwrap();
        let q = StoredQuote {
            digest: "not hex".into(),
            account_id: AccountId::trusted("acc_short"),
            instance_id: InstanceId::trusted("ins_0123456789ABCDEF0123456789abcdef"),
            ..quote()
        };
        let id = key.sign(&q);
        assert_eq!(key.open(&id).unwrap(), StoredQuote { id: id.clone(), ..q });
    }

    #[test]
    fn a_changed_id_or_another_key_opens_nothing() {
        let key = QuoteKey::from_hex(&QuoteKey::random_hex()).unwrap();
        let other = QuoteKey::from_hex(&QuoteKey::random_hex()).unwrap();
        let id = key.sign(&quote());
        assert!(other.open(&id).is_none());
        for at in 4..id.len() {
            let mut bytes = id.clone().into_string().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(key.open(&changed).is_none(), "a change at {at} still opened");
        }
        for bad in ["", "quo_", "quo_!!!!", "quo_A", "ins_0123", &id[..id.len() - 1]] {
            assert!(key.open(bad).is_none(), "{bad} opened");
        }
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..70u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(len)).collect();
            assert_eq!(from_base64url(&base64url(&bytes)), Some(bytes));
        }
    }
}
