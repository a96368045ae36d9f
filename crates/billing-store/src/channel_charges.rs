//! The simulated channel's instruments and charges: tokens for cards and
//! PayPal accounts, and charges taken at once under their ids.
//!
//! Test instruments behave as a processor's sandbox's do: card
//! `4000 0000 0000 0002` is always declined, `4000 0000 0000 9995` always
//! lacks funds, and a PayPal address whose name starts with `declined` is
//! always refused; any other valid card number or address is charged (but
//! for the configured share of declines).

use billing_app::channel::{ChannelCharge, ChargeAnswer, IssuedMethod, MethodRequest};
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};

use crate::SimulatedChannel;
use crate::error::map_err;
use crate::rows::{RowExt, micros};

/// Card numbers that are always declined, with the reason given.
const DECLINING_CARDS: [(&str, &str); 2] =
    [("4000000000000002", "the card was declined"), ("4000000000009995", "the card has insufficient funds")];

/// One charge in the channel's own records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeLogEntry {
    /// The charge id received.
    pub charge_id: String,
    /// `captured`, `declined` or `voided`.
    pub outcome: String,
    /// How much was asked, in minor units.
    pub amount_minor: i64,
    /// How much of it was refunded since.
    pub refunded_minor: i64,
    /// How many times the same id was asked about again.
    pub repeats: i64,
}

fn text_error(e: sqlx::Error) -> String {
    map_err(e).to_string()
}

/// Whether `digits` passes the Luhn check every card number carries.
fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// A card number's digits, its label and whether it always declines; or
/// why it is refused.
fn check_card(details: &str) -> Result<(String, Option<&'static str>), String> {
    let digits: String = details.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || !luhn_ok(&digits) {
        return Err("not a valid card number".to_owned());
    }
    let declines = DECLINING_CARDS.iter().find(|(n, _)| *n == digits).map(|(_, why)| *why);
    Ok((format!("{} ending {}", card_brand(&digits), &digits[digits.len() - 4..]), declines))
}

/// The card's network, told by its first digits.
fn card_brand(digits: &str) -> &'static str {
    match digits.as_bytes() {
        [b'4', ..] => "Visa",
        [b'5', b'1'..=b'5', ..] | [b'2', b'2'..=b'7', ..] => "Mastercard",
        [b'3', b'4' | b'7', ..] => "American Express",
        [b'6', ..] => "Discover",
        _ => "Card",
    }
}

/// A PayPal address as shown: the first letter of its name, then the
/// domain — enough to recognise it, not to be read off a screen.
fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((name, domain)) => {
            let first: String = name.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_owned(),
    }
}

/// A PayPal address's label and whether it always declines; or why it is
/// refused.
fn check_paypal(details: &str) -> Result<(String, Option<&'static str>), String> {
    let address = details.trim();
    let valid = address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        && address.split_once('@').is_some_and(|(name, domain)| {
            !name.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.contains('@')
        });
    if !valid {
        return Err("not a valid PayPal account address".to_owned());
    }
    let declines = address.starts_with("declined").then_some("PayPal refused the payment");
    Ok((format!("PayPal ({})", masked(address)), declines))
}

impl SimulatedChannel {
    pub(crate) async fn issue(&self, request: &MethodRequest) -> Result<Result<IssuedMethod, String>, String> {
        let checked = match request.kind {
            PaymentMethodKind::Card => check_card(&request.details),
            PaymentMethodKind::Paypal => check_paypal(&request.details),
            _ => Err("the channel issues cards and PayPal accounts only".to_owned()),
        };
        let (label, declines) = match checked {
            Ok(checked) => checked,
            Err(reason) => return Ok(Err(reason)),
        };
        let token = billing_app::ids::new_id("pm");
        sqlx::query(
            "INSERT INTO channel_methods (token, kind, label, declines, issued_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token)
        .bind(request.kind.as_str())
        .bind(&label)
        .bind(declines.unwrap_or(""))
        .bind(micros(request.now))
        .execute(self.pool())
        .await
        .map_err(text_error)?;
        Ok(Ok(IssuedMethod { token, label }))
    }

    /// Takes a charge, or declines it with the reason; a charge id seen
    /// before answers as it did then.
    pub(crate) async fn take(&self, request: &ChannelCharge) -> Result<ChargeAnswer, String> {
        let rolled = Self::rolls_under(&request.charge_id, self.settings().charge_declines_per_mille);
        // Receipt and repeat in one statement: the first request decides
        // from the instrument the channel issued (none, another kind, a test
        // number that always declines, or the simulated decline rate), and
        // every later one only counts and gets the same answer.
        let row = sqlx::query(
            "INSERT INTO channel_charges (charge_id, token, currency, amount_minor, outcome, reason, refunded_minor, \
             received_at, repeats) \
             SELECT $1, $2, $3, $4, \
             CASE WHEN m.token IS NULL OR m.kind <> $5 OR m.declines <> '' OR $6 <> 0 THEN 'declined' \
             ELSE 'captured' END, \
             CASE WHEN m.token IS NULL THEN 'the channel never issued this instrument' \
             WHEN m.kind <> $5 THEN 'the instrument is a ' || m.kind || ', not a ' || $5 \
             WHEN m.declines <> '' THEN m.declines \
             WHEN $6 <> 0 THEN 'the issuer declined the charge (simulated)' END, \
             0, $7, 0 FROM (SELECT 1 AS one) o LEFT JOIN channel_methods m ON m.token = $2 WHERE 1 = 1 \
             ON CONFLICT (charge_id) DO UPDATE \
             SET repeats = channel_charges.repeats + 1 RETURNING outcome, reason, amount_minor",
        )
        .bind(&request.charge_id)
        .bind(&request.payment_method_id)
        .bind(request.amount.currency().code())
        .bind(request.amount.minor())
        .bind(request.method.as_str())
        .bind(i64::from(rolled))
        .bind(micros(request.now))
        .fetch_one(self.pool())
        .await
        .map_err(text_error)?;
        let text = |e: billing_app::store::StoreError| e.to_string();
        let outcome = row.text("outcome").map_err(text)?;
        if outcome != "voided" && row.int("amount_minor").map_err(text)? != request.amount.minor() {
            return Err(format!("charge {} was received before with another amount", request.charge_id));
        }
        Ok(match outcome.as_str() {
            "captured" => ChargeAnswer::Captured,
            "voided" => ChargeAnswer::Declined("the charge was voided".to_owned()),
            _ => ChargeAnswer::Declined(row.opt_text("reason").map_err(text)?.unwrap_or_default()),
        })
    }

    pub(crate) async fn void(&self, charge_id: &str, now: DateTime<Utc>) -> Result<(), String> {
        // A charge never seen is recorded as voided, so that a request for
        // it arriving late is refused; a captured one gives its money back.
        sqlx::query(
            "INSERT INTO channel_charges (charge_id, token, currency, amount_minor, outcome, reason, refunded_minor, \
             received_at, repeats) VALUES ($1, '', '', 0, 'voided', 'voided before it was taken', 0, $2, 0) \
             ON CONFLICT (charge_id) DO UPDATE SET outcome = CASE WHEN channel_charges.outcome = 'captured' \
             THEN 'voided' ELSE channel_charges.outcome END",
        )
        .bind(charge_id)
        .bind(micros(now))
        .execute(self.pool())
        .await
        .map_err(text_error)?;
        Ok(())
    }

    /// Every charge the channel received, oldest first.
    pub async fn charge_log(&self) -> Result<Vec<ChargeLogEntry>, String> {
        let rows = sqlx::query(
            "SELECT charge_id, outcome, amount_minor, refunded_minor, repeats FROM channel_charges \
             ORDER BY received_at, charge_id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(text_error)?;
        let text = |e: billing_app::store::StoreError| e.to_string();
        rows.iter()
            .map(|r| {
                Ok(ChargeLogEntry {
                    charge_id: r.text("charge_id").map_err(text)?,
                    outcome: r.text("outcome").map_err(text)?,
                    amount_minor: r.int("amount_minor").map_err(text)?,
                    refunded_minor: r.int("refunded_minor").map_err(text)?,
                    repeats: r.int("repeats").map_err(text)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{check_card, check_paypal};

    #[test]
    fn card_numbers_are_checked_and_labelled_by_their_last_four_digits() {
        assert_eq!(check_card("4242 4242 4242 4242"), Ok(("Visa ending 4242".to_owned(), None)));
        assert_eq!(check_card("5555 5555 5555 4444").unwrap().0, "Mastercard ending 4444");
        assert_eq!(check_card("4000000000000002").unwrap().1, Some("the card was declined"));
        assert!(check_card("4242424242424241").is_err(), "fails the Luhn check");
        assert!(check_card("4242").is_err());
        assert!(check_card("4242a42424242424").is_err());
    }

    #[test]
    fn paypal_addresses_are_checked() {
        assert_eq!(check_paypal("billing@example.com"), Ok(("PayPal (b…@example.com)".to_owned(), None)));
        assert!(check_paypal("declined@example.com").unwrap().1.is_some());
        assert!(check_paypal("no-at-sign").is_err());
        assert!(check_paypal("a@b").is_err());
    }
}
