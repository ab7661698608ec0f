//! The webhook Vourity posts to `responseWebhookUrl` when a payment changes, read and
//! authenticated.
//!
//! Reading: the document shows neither the webhook's body nor how it is authenticated.
//! Ours: the URL given in each payment request ends in a [`WebhookToken`] made for that
//! payment alone (32 random bytes, base64url), so only the party the URL was sent to can
//! post to it; the body is JSON ([`WebhookBody`]) naming the payment by
//! `merchantReferences.paymentId`. The app's small HTTP listener takes the last path
//! segment as `path_token`, looks up the token it stored for the payment id, and calls
//! [`parse`]. The emulator posts exactly this.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kassa_core::Money;

use super::wire::{self, PaymentStatus, WebhookBody, msg_type};
use crate::Secret;

/// The per-payment secret at the end of `responseWebhookUrl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookToken(Secret);

/// A token that is too short or has characters a URL path segment cannot carry as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Vourity webhook token must be at least 32 characters of A-Z, a-z, 0-9, '-' and '_'")]
pub struct BadWebhookToken;

impl WebhookToken {
    /// The token for 32 bytes from a cryptographic random source.
    pub fn from_random_bytes(bytes: &[u8; 32]) -> WebhookToken {
        WebhookToken(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token kept from earlier (the app stores it with the pending payment).
    pub fn new(text: impl Into<String>) -> Result<WebhookToken, BadWebhookToken> {
        let text = text.into();
        let acceptable = text.len() >= 32
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if acceptable {
            Ok(WebhookToken(Secret::new(text)))
        } else {
            Err(BadWebhookToken)
        }
    }

    /// The token's text, for the URL and for storing.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether `candidate` is this token, compared in time that does not depend on where
    /// they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        let ours = self.expose().as_bytes();
        let theirs = candidate.as_bytes();
        let mut difference = u8::from(ours.len() != theirs.len());
        for (index, byte) in ours.iter().enumerate() {
            difference |= byte ^ theirs.get(index).copied().unwrap_or(!byte);
        }
        difference == 0
    }
}

/// Why a webhook call is refused; the listener answers 404, 400 and 401 respectively.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The body names a payment this till does not wait for.
    #[error("a Vourity webhook named payment {payment_id:?}, which this till does not know")]
    UnknownPayment {
        /// The `merchantReferences.paymentId` sent.
        payment_id: String,
    },
    /// The body is not the webhook body.
    #[error("a Vourity webhook body could not be read: {detail}")]
    BadBody {
        /// What is wrong with it.
        detail: String,
    },
    /// The URL's token is not the payment's.
    #[error("a Vourity webhook for payment {payment_id:?} came with the wrong token; ignored")]
    WrongSecret {
        /// The payment it claimed to be about.
        payment_id: String,
    },
}

impl WebhookError {
    /// The HTTP status the listener answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::UnknownPayment { .. } => 404,
            WebhookError::BadBody { .. } => 400,
            WebhookError::WrongSecret { .. } => 401,
        }
    }
}

/// What changed.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookKind {
    /// The card holder paid; the payment waits for capture.
    Approved {
        /// The amount authorized.
        total: Money,
    },
    /// The terminal or the issuer refused.
    Declined,
    /// The payment was cancelled.
    Cancelled,
    /// The payment was captured.
    Captured,
    /// A refund went through.
    Refunded {
        /// Vourity's id of the refund.
        refund_id: String,
        /// This refund's amount.
        amount: Money,
        /// Everything refunded on the payment so far.
        total_refunded: Money,
        /// `partiallyRefunded` or `refunded`.
        status: PaymentStatus,
    },
    /// A discount changed the amount of the pending payment.
    DiscountApplied {
        /// The new amount to pay.
        total: Money,
    },
    /// The terminal asks something; answer with `action_request_response`.
    ActionRequested {
        /// The action request to read with `action_request`.
        action_request_id: String,
    },
    /// A message type or payment status our reading does not list; poll `pos_status`.
    Unknown {
        /// The `msgType` sent.
        msg_type: String,
        /// The `paymentStatus` sent, if any.
        payment_status: Option<String>,
    },
}

/// One authenticated webhook call.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The payment (`merchantReferences.paymentId`).
    pub payment_id: String,
    /// The sale (`merchantReferences.orderId`).
    pub order_id: String,
    /// The session.
    pub session_id: String,
    /// The terminal.
    pub point_of_service_id: String,
    /// What changed.
    pub kind: WebhookKind,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    merchant_references: Option<EnvelopeReferences>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeReferences {
    payment_id: Option<String>,
}

/// Reads and authenticates a webhook call: `path_token` is the last segment of the path
/// it was posted to; `expected_token` looks up the token stored for a payment id (`None`
/// for a payment the till does not know).
///
/// The payment id is read first, from the least of the body, so that a call with a
/// wrong token learns nothing from how the rest of its body is judged.
pub fn parse(
    path_token: &str,
    expected_token: impl FnOnce(&str) -> Option<WebhookToken>,
    body: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let bad = |detail: String| WebhookError::BadBody { detail };
    let envelope: Envelope = serde_json::from_slice(body).map_err(|error| bad(error.to_string()))?;
    let payment_id = envelope
        .merchant_references
        .and_then(|references| references.payment_id)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| bad("merchantReferences.paymentId is missing".to_owned()))?;
    let token = expected_token(&payment_id).ok_or_else(|| WebhookError::UnknownPayment {
        payment_id: payment_id.clone(),
    })?;
    if !token.matches(path_token) {
        return Err(WebhookError::WrongSecret { payment_id });
    }
    let body: WebhookBody = serde_json::from_slice(body).map_err(|error| bad(error.to_string()))?;
    let kind = kind_of(&body).map_err(bad)?;
    Ok(WebhookEvent {
        payment_id,
        order_id: body.merchant_references.order_id,
        session_id: body.session_id,
        point_of_service_id: body.point_of_service_id,
        kind,
    })
}

fn kind_of(body: &WebhookBody) -> Result<WebhookKind, String> {
    let money = |field: &'static str, amount: Option<rust_decimal::Decimal>| -> Result<Money, String> {
        let amount = amount.ok_or_else(|| format!("{field} is missing"))?;
        let currency = body.currency.as_deref().ok_or("currency is missing")?;
        wire::money(field, amount, currency).map_err(|error| error.to_string())
    };
    let required = |field: &'static str, value: &Option<String>| -> Result<String, String> {
        value.clone().ok_or_else(|| format!("{field} is missing"))
    };
    let unknown = || WebhookKind::Unknown {
        msg_type: body.msg_type.clone(),
        payment_status: body
            .payment_status
            .as_ref()
            .map(|status| status.as_str().to_owned()),
    };
    match body.msg_type.as_str() {
        msg_type::ACTION_REQUEST => Ok(WebhookKind::ActionRequested {
            action_request_id: required("actionRequestID", &body.action_request_id)?,
        }),
        msg_type::PAYMENT_STATUS_UPDATE => {
            let status = body.payment_status.as_ref().ok_or("paymentStatus is missing")?;
            Ok(match status {
                PaymentStatus::Approved => WebhookKind::Approved {
                    total: money("totalAmountInclVat", body.total_amount_incl_vat)?,
                },
                PaymentStatus::Declined => WebhookKind::Declined,
                PaymentStatus::Cancelled => WebhookKind::Cancelled,
                PaymentStatus::Captured => WebhookKind::Captured,
                PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => WebhookKind::Refunded {
                    refund_id: required("refundID", &body.refund_id)?,
                    amount: money("refundAmount", body.refund_amount)?,
                    total_refunded: money("totalRefundedAmount", body.total_refunded_amount)?,
                    status: status.clone(),
                },
                PaymentStatus::Pending => WebhookKind::DiscountApplied {
                    total: money("totalAmountInclVat", body.total_amount_incl_vat)?,
                },
                PaymentStatus::Unknown(_) => unknown(),
            })
        }
        _ => Ok(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> WebhookToken {
        WebhookToken::from_random_bytes(&[7; 32])
    }

    fn body(extra: &str) -> Vec<u8> {
        format!(
            r#"{{"sessionID":"s1","pointOfServiceID":"p1","merchantReferences":{{"orderId":"o1","paymentId":"pay1"}}{extra}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn tokens_are_long_and_url_safe() {
        assert_eq!(token().expose().len(), 43);
        assert!(WebhookToken::new(token().expose()).is_ok());
        assert_eq!(WebhookToken::new("short"), Err(BadWebhookToken));
        assert_eq!(
            WebhookToken::new(format!("{}/", "a".repeat(40))),
            Err(BadWebhookToken)
        );
        assert!(token().matches(token().expose()));
        assert!(!token().matches(&token().expose()[..42]));
        assert!(!token().matches(""));
    }

    #[test]
    fn an_approval_is_read_with_its_amount() {
        let body = body(
            r#","msgType":"paymentStatusUpdate","paymentStatus":"approved","totalAmountInclVat":19.80,"currency":"SEK""#,
        );
        let event = parse(token().expose(), |id| (id == "pay1").then(token), &body).unwrap();
        assert_eq!(event.payment_id, "pay1");
        match event.kind {
            WebhookKind::Approved { total } => assert_eq!(total.to_string(), "19.80 SEK"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_payment_bad_body_and_wrong_secret_are_told_apart() {
        let approved = body(
            r#","msgType":"paymentStatusUpdate","paymentStatus":"approved","totalAmountInclVat":2,"currency":"SEK""#,
        );
        assert_eq!(
            parse(token().expose(), |_| None, &approved),
            Err(WebhookError::UnknownPayment {
                payment_id: "pay1".to_owned()
            })
        );
        assert!(matches!(
            parse(token().expose(), |_| Some(token()), b"{\"msgType\":"),
            Err(WebhookError::BadBody { .. })
        ));
        let other = WebhookToken::from_random_bytes(&[8; 32]);
        assert_eq!(
            parse(other.expose(), |_| Some(token()), &approved),
            Err(WebhookError::WrongSecret {
                payment_id: "pay1".to_owned()
            })
        );
        let too_precise = body(
            r#","msgType":"paymentStatusUpdate","paymentStatus":"approved","totalAmountInclVat":2.005,"currency":"SEK""#,
        );
        assert!(matches!(
            parse(token().expose(), |_| Some(token()), &too_precise),
            Err(WebhookError::BadBody { .. })
        ));
    }

    #[test]
    fn unlisted_kinds_are_unknown() {
        let event = parse(
            token().expose(),
            |_| Some(token()),
            &body(r#","msgType":"loyaltyPoints""#),
        )
        .unwrap();
        assert_eq!(
            event.kind,
            WebhookKind::Unknown {
                msg_type: "loyaltyPoints".to_owned(),
                payment_status: None
            }
        );
        let event = parse(
            token().expose(),
            |_| Some(token()),
            &body(r#","msgType":"paymentStatusUpdate","paymentStatus":"teleported""#),
        )
        .unwrap();
        assert!(
            matches!(event.kind, WebhookKind::Unknown { payment_status: Some(status), .. } if status == "teleported")
        );
    }
}
