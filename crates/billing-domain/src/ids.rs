//! Identifiers as types of their own, so that an order's id cannot be
//! passed where an instance's is wanted.
//!
//! An id is text: a prefix naming its kind and a unique part (`ord_0192…`),
//! or a short name in scenarios and tests (`o1`). It is checked once, where
//! it enters from outside ([`OrderId::parse`] and the others, or reading it
//! as JSON); ids the service made itself or read back from its own database
//! are taken as they are ([`Id::trusted`]).
//!
//! A quote's id is longer: it carries the quote it stands for, signed, so it
//! may be up to [`MAX_QUOTE_ID_LEN`] bytes.

use std::fmt;

use thiserror::Error;

/// Longest id accepted from outside, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Longest quote id accepted from outside, in bytes: a quote's id carries
/// the quote, signed.
pub const MAX_QUOTE_ID_LEN: usize = 1024;

/// Text that cannot be an id.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{what} id {text:?} is not an id: {why}")]
pub struct IdError {
    /// The kind of id asked for, e.g. "order".
    pub what: &'static str,
    /// The text given (cut to a readable length).
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

/// What every kind of id offers.
pub trait Id: Sized + Clone + Eq + std::hash::Hash + fmt::Display + AsRef<str> {
    /// The prefix of the ids the service makes, without the underscore.
    const PREFIX: &'static str;
    /// The kind of thing named, for messages.
    const WHAT: &'static str;
    /// Longest id of this kind accepted from outside, in bytes.
    const MAX_LEN: usize = MAX_ID_LEN;
    /// Takes text the service made or stored itself, without checking it.
    fn trusted(text: String) -> Self;
    /// Checks text that came from outside.
    fn parse(text: &str) -> Result<Self, IdError> {
        check(Self::WHAT, Self::MAX_LEN, text).map(|()| Self::trusted(text.to_owned()))
    }
}

/// Whether `text` can be an id: 1 to `max_len` (mostly [`MAX_ID_LEN`])
/// bytes of ASCII letters, digits, `_`, `-` and `.`.
fn check(what: &'static str, max_len: usize, text: &str) -> Result<(), IdError> {
    let why = if text.is_empty() {
        "it is empty".to_owned()
    } else if text.len() > max_len {
        format!("it is longer than {max_len} characters")
    } else if !text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        "only letters, digits, `_`, `-` and `.` are allowed".to_owned()
    } else {
        return Ok(());
    };
    let shown: String = text.chars().take(MAX_ID_LEN).collect();
    Err(IdError { what, text: shown, why })
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident = $prefix:literal, $what:literal $(, max $max:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl Id for $name {
            const PREFIX: &'static str = $prefix;
            const WHAT: &'static str = $what;
            $(const MAX_LEN: usize = $max;)?
            fn trusted(text: String) -> Self {
                $name(text)
            }
        }

        impl $name {
            /// Takes text the service made or stored itself, without
            /// checking it.
            pub fn trusted(text: impl Into<String>) -> Self {
                $name(text.into())
            }

            /// Checks text that came from outside.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                <Self as Id>::parse(text)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as owned text.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                $name::parse(text)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

ids! {
    /// A customer account, `acc_…`.
    AccountId = "acc", "account";
    /// A workspace, `ws_…`.
    WorkspaceId = "ws", "workspace";
    /// A quota or resource plan bought, `ins_…`.
    InstanceId = "ins", "instance";
    /// An order: a purchase or renewal of an instance, `ord_…`.
    OrderId = "ord", "order";
    /// A refund of an unsubscription, `ref_…`.
    RefundId = "ref", "refund";
    /// An unsubscription, downgrade or switch to pay-as-you-go confirmed,
    /// `uns_…`.
    UnsubscriptionId = "uns", "unsubscription";
    /// An invoice or credit note, `doc_…`.
    DocumentId = "doc", "document";
    /// Something that happened, as webhooks and the event list tell it,
    /// `evt_…`.
    EventId = "evt", "event";
    /// A webhook endpoint, `whe_…`.
    WebhookEndpointId = "whe", "webhook endpoint";
    /// An API key, `key_…`.
    ApiKeyId = "key", "API key";
    /// A binding quote, `quo_…` and the quote itself, signed (see
    /// [`MAX_QUOTE_ID_LEN`]).
    QuoteId = "quo", "quote", max MAX_QUOTE_ID_LEN;
    /// A card, PayPal or bank account an account pays with: `pm_…` for a
    /// bank account, the channel's token for a card or PayPal.
    PaymentMethodId = "pm", "payment method";
    /// A voucher or coupon, `ben_…`.
    BenefitId = "ben", "benefit";
    /// What the payment channel was asked to take, `chg_…`: the channel's
    /// idempotency key.
    ChargeId = "chg", "charge";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_outside_is_checked_and_one_of_ours_is_taken_as_it_is() {
        assert_eq!(OrderId::parse("ord_0192ab").unwrap().as_str(), "ord_0192ab");
        assert_eq!(OrderId::parse("o1").unwrap(), "o1");
        for bad in ["", "ord 1", "ord/1", "ürün", &"x".repeat(65)] {
            let error = OrderId::parse(bad).unwrap_err();
            assert_eq!(error.what, "order", "{bad:?}");
        }
        assert!(OrderId::parse(&"x".repeat(64)).is_ok());
        assert_eq!(AccountId::trusted("anything at all").as_str(), "anything at all");
    }

    #[test]
    fn a_quote_id_may_be_longer_since_it_carries_the_quote() {
        let long = format!("quo_{}", "A-z_9".repeat(200));
        assert_eq!(QuoteId::parse(&long).unwrap().as_str(), long);
        let error = QuoteId::parse(&"x".repeat(MAX_QUOTE_ID_LEN + 1)).unwrap_err();
        assert_eq!((error.what, error.why.as_str()), ("quote", "it is longer than 1024 characters"));
        assert_eq!(QuoteId::parse("quo 1").unwrap_err().what, "quote");
        let error = OrderId::parse(&"x".repeat(65)).unwrap_err();
        assert_eq!(error.why, "it is longer than 64 characters");
    }

    #[test]
    fn ids_read_from_json_are_checked_and_written_as_plain_text() {
        let id: InstanceId = serde_json::from_str("\"ins_1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"ins_1\"");
        let error = serde_json::from_str::<InstanceId>("\"ins 1\"").unwrap_err().to_string();
        assert!(error.contains("instance id \"ins 1\" is not an id"), "{error}");
    }
}
