//! The Partners API's bodies as the document spells them (`sessionID`,
//! `pointOfServiceID`, `totalAmountInclVat`, ...), and conversions to kassa-core money.
//!
//! The document gives request bodies only. Every response body, error body and the
//! webhook body below is our reading (see the module docs of [`super`]); each carries
//! the same field names the requests use, so one vocabulary serves both directions.

use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amount::{self, AmountError};

/// `msgType` of each request, as the document's examples send it.
pub mod msg_type {
    /// `POST /pos-payment-request`.
    pub const PAYMENT_REQUEST: &str = "paymentRequest";
    /// `POST /pos-payment-cancel`.
    pub const PAYMENT_CANCEL: &str = "paymentCancel";
    /// `POST /pos-payment-capture`.
    pub const PAYMENT_CAPTURE: &str = "paymentCapture";
    /// `POST /pos-payment-refund`.
    pub const PAYMENT_REFUND: &str = "paymentRefund";
    /// `POST /add-discount` (our reading: the document shows no body).
    pub const ADD_DISCOUNT: &str = "addDiscount";
    /// The webhook's `msgType` when a payment changed (our reading).
    pub const PAYMENT_STATUS_UPDATE: &str = "paymentStatusUpdate";
    /// The webhook's `msgType` when the terminal asks the partner something (our reading).
    pub const ACTION_REQUEST: &str = "actionRequest";
}

open_enum! {
    /// Where a payment session stands (our reading; the document lists no statuses).
    PaymentStatus {
        /// Sent to the terminal, waiting for the card holder.
        Pending => "pending",
        /// Authorized on the terminal; not yet captured.
        Approved => "approved",
        /// Refused on the terminal or by the card issuer.
        Declined => "declined",
        /// Cancelled by the partner before capture.
        Cancelled => "cancelled",
        /// Captured: the money is the merchant's.
        Captured => "captured",
        /// Part of the captured amount refunded.
        PartiallyRefunded => "partiallyRefunded",
        /// The whole captured amount refunded.
        Refunded => "refunded",
    }
}

open_enum! {
    /// A point of service's status (`statusCode` of Set POS Status; the document's
    /// example has `available`, the others are our reading).
    PosStatusCode {
        /// Ready for a payment request.
        Available => "available",
        /// A payment is in progress on the terminal.
        Busy => "busy",
        /// Switched off or not connected.
        Offline => "offline",
        /// Taken out of service by the partner.
        OutOfOrder => "outOfOrder",
    }
}

open_enum! {
    /// What the terminal asks in an action request (our reading).
    ActionType {
        /// The card holder's signature must be checked by the staff.
        Signature => "signature",
        /// The staff must confirm the card holder's identity.
        IdentityCheck => "identityCheck",
        /// The staff must confirm the amount shown on the terminal.
        ConfirmAmount => "confirmAmount",
    }
}

open_enum! {
    /// The partner's answer to an action request (`responseCode`; the document's
    /// example has `accepted`, `rejected` is our reading).
    ActionResponseCode {
        /// Go on with the payment.
        Accepted => "accepted",
        /// Refuse: the terminal declines the payment.
        Rejected => "rejected",
    }
}

open_enum! {
    /// Whether an action request still waits for its answer (our reading).
    ActionRequestStatus {
        /// Waiting for `POST /action-request-response`.
        Open => "open",
        /// Answered.
        Answered => "answered",
    }
}

/// `merchantReferences`: the partner's own keys of the sale and of this payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantReferences {
    /// The sale (Kassa's sale id).
    pub order_id: String,
    /// This payment attempt (Kassa's payment id); the webhook names it.
    pub payment_id: String,
}

/// `POST /pos-payment-request` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequestBody {
    /// The payment session; our reading makes it the payment's identity (see the module
    /// docs).
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// Always `paymentRequest`.
    pub msg_type: String,
    /// The merchant's id at Vourity.
    #[serde(rename = "merchantID")]
    pub merchant_id: String,
    /// The merchant's name.
    pub merchant_name: String,
    /// The terminal that shows the payment.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// The terminal's name.
    pub point_of_service_name: String,
    /// The amount to pay, VAT included.
    #[serde(with = "crate::amount::number")]
    pub total_amount_incl_vat: Decimal,
    /// The VAT in it.
    #[serde(with = "crate::amount::number")]
    pub total_vat_amount: Decimal,
    /// ISO 4217 code (`SEK`).
    pub currency: String,
    /// Where Vourity posts the payment's changes.
    pub response_webhook_url: String,
    /// The partner's keys.
    pub merchant_references: MerchantReferences,
    // Reading: `_id` looks like a document id the partner keeps for the request itself
    // (its value differs from `sessionID` in one group of digits). Nothing in the
    // document reads it back; we send the session id there and never rely on it.
    /// The partner's id of this request document.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST /pos-payment-cancel` and `POST /pos-payment-capture` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionCommandBody {
    /// The payment session.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// `paymentCancel` or `paymentCapture`.
    pub msg_type: String,
}

/// `POST /pos-payment-refund` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefundBody {
    /// The payment session.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// Always `paymentRefund`.
    pub msg_type: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The amount to give back.
    #[serde(with = "crate::amount::number")]
    pub refund_amount: Decimal,
    /// Why, as the manager typed it.
    pub refund_reason: String,
}

/// `POST /action-request-response` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequestResponseBody {
    /// The answer.
    pub response_code: ActionResponseCode,
    // Reading: the document's body has only `responseCode`, which cannot say which of
    // several open action requests it answers. We add the action request's id (the `id`
    // of `GET /action-request/id`) and the session; the emulator refuses a body
    // without the id.
    /// The action request answered.
    #[serde(rename = "actionRequestID", default, skip_serializing_if = "Option::is_none")]
    pub action_request_id: Option<String>,
    /// Its payment session.
    #[serde(rename = "sessionID", default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// `PATCH /set-pos-status` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetPosStatusBody {
    /// The new status.
    pub status_code: PosStatusCode,
    // Reading: as with the action request response, the document's body does not say
    // which point of service; we add `pointOfServiceID`, always sent by this client and
    // required by the emulator.
    /// The terminal.
    #[serde(rename = "pointOfServiceID", default, skip_serializing_if = "Option::is_none")]
    pub point_of_service_id: Option<String>,
}

/// `POST /add-discount` body. Reading: the document shows the request with no body at
/// all; a discount must name its payment session and amount, so we send these fields,
/// named like those of the payment request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddDiscountBody {
    /// The pending payment session the discount lowers.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// Always `addDiscount`.
    pub msg_type: String,
    /// The discount, VAT included.
    #[serde(with = "crate::amount::number")]
    pub discount_amount_incl_vat: Decimal,
    /// The VAT in the discount.
    #[serde(with = "crate::amount::number")]
    pub discount_vat_amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Why, as shown to the manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_reason: Option<String>,
}

/// Answer to a payment request (our reading).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequestAnswer {
    /// `paymentRequestResponse`.
    pub msg_type: String,
    /// The session, as sent.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal, as sent.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// `pending` for a new session; a repeated identical request answers the session's
    /// current status.
    pub payment_status: PaymentStatus,
    /// The amount the terminal asks for.
    #[serde(with = "crate::amount::number")]
    pub total_amount_incl_vat: Decimal,
    /// The VAT in it.
    #[serde(with = "crate::amount::number")]
    pub total_vat_amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// The partner's keys, as sent.
    pub merchant_references: MerchantReferences,
}

/// Answer to a cancel or capture (our reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionCommandAnswer {
    /// `paymentCancelResponse` or `paymentCaptureResponse`.
    pub msg_type: String,
    /// The session, as sent.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal, as sent.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// The payment's status after the command.
    pub payment_status: PaymentStatus,
}

/// Answer to a refund (our reading).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefundAnswer {
    /// `paymentRefundResponse`.
    pub msg_type: String,
    /// The session, as sent.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal, as sent.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// Vourity's id of this refund: each refund call makes a new one.
    #[serde(rename = "refundID")]
    pub refund_id: String,
    /// The amount refunded by this call.
    #[serde(with = "crate::amount::number")]
    pub refund_amount: Decimal,
    /// Everything refunded on this payment so far, this call included.
    #[serde(with = "crate::amount::number")]
    pub total_refunded_amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// `partiallyRefunded` or `refunded`.
    pub payment_status: PaymentStatus,
}

/// The payment session a terminal is busy with or last handled (our reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PosSession {
    /// The session.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// Its status.
    pub payment_status: PaymentStatus,
    /// The partner's keys.
    pub merchant_references: MerchantReferences,
    /// The action request waiting for an answer, if any.
    #[serde(rename = "actionRequestID", default)]
    pub action_request_id: Option<String>,
}

/// Answer to `GET /pointOfServices/id/pos-status` and `PATCH /set-pos-status` (our
/// reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PosStatusAnswer {
    /// The terminal.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// Its name.
    #[serde(default)]
    pub point_of_service_name: Option<String>,
    /// Its status.
    pub status_code: PosStatusCode,
    // Reading: the POS status also shows the terminal's current (or last) payment
    // session, which is what makes polling a fallback for a lost webhook.
    /// The session it is busy with or last handled.
    #[serde(default)]
    pub current_session: Option<PosSession>,
}

/// Answer to `GET /action-request/id` and `POST /action-request-response` (our reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequestAnswer {
    /// The action request.
    #[serde(rename = "actionRequestID")]
    pub action_request_id: String,
    /// Its payment session.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal asking.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// What it asks.
    pub action_type: ActionType,
    /// The text the terminal shows.
    #[serde(default)]
    pub message: Option<String>,
    /// Open or answered.
    pub status: ActionRequestStatus,
    /// The answer given, once answered.
    #[serde(default)]
    pub response_code: Option<ActionResponseCode>,
}

/// Answer to `POST /add-discount` (our reading).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddDiscountAnswer {
    /// `addDiscountResponse`.
    pub msg_type: String,
    /// The session, as sent.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal, as sent.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// The amount the terminal now asks for.
    #[serde(with = "crate::amount::number")]
    pub total_amount_incl_vat: Decimal,
    /// The VAT in it.
    #[serde(with = "crate::amount::number")]
    pub total_vat_amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Still `pending`.
    pub payment_status: PaymentStatus,
}

/// An error answer (our reading): `{"errorCode": "...", "message": "..."}`. Azure API
/// Management, which the `Ocp-Apim-*` headers show sits in front of the API, answers a
/// missing or wrong subscription key itself with `{"statusCode": 401, "message": ...}`;
/// both shapes read into this struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Vourity's code.
    #[serde(default)]
    pub error_code: Option<String>,
    /// A sentence in English.
    #[serde(default)]
    pub message: Option<String>,
    /// API Management's copy of the HTTP status.
    #[serde(default)]
    pub status_code: Option<u16>,
}

/// The webhook body the emulator posts to `responseWebhookUrl` (our reading; the
/// document has none). Parsed by [`super::webhook::parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    /// `paymentStatusUpdate`, `actionRequest`, or a kind we do not know.
    pub msg_type: String,
    /// The session.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// The terminal.
    #[serde(rename = "pointOfServiceID")]
    pub point_of_service_id: String,
    /// The partner's keys.
    pub merchant_references: MerchantReferences,
    /// The payment's status now.
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
    /// The amount the terminal asks for (after discounts).
    #[serde(default, with = "crate::amount::option_number")]
    pub total_amount_incl_vat: Option<Decimal>,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// For a refund: its id.
    #[serde(rename = "refundID", default)]
    pub refund_id: Option<String>,
    /// For a refund: the amount of this refund.
    #[serde(default, with = "crate::amount::option_number")]
    pub refund_amount: Option<Decimal>,
    /// For a refund: everything refunded so far.
    #[serde(default, with = "crate::amount::option_number")]
    pub total_refunded_amount: Option<Decimal>,
    /// For an action request: its id.
    #[serde(rename = "actionRequestID", default)]
    pub action_request_id: Option<String>,
}

/// Why an amount in a Vourity body is not usable money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyFieldError {
    /// A currency code Kassa does not trade in.
    #[error("{field}: the currency {code:?} is not one Kassa supports")]
    UnknownCurrency {
        /// The field.
        field: &'static str,
        /// The code as sent.
        code: String,
    },
    /// Too many decimals for the currency.
    #[error(transparent)]
    Amount(#[from] AmountError),
}

/// `amount` in the currency named by `code`, checked against its minor units.
pub fn money(field: &'static str, amount: Decimal, code: &str) -> Result<Money, MoneyFieldError> {
    let currency: Currency = code.parse().map_err(|_| MoneyFieldError::UnknownCurrency {
        field,
        code: code.to_owned(),
    })?;
    Ok(amount::to_money(field, amount, currency)?)
}

impl PaymentRequestAnswer {
    /// The amount the terminal asks for, as money.
    pub fn total(&self) -> Result<Money, MoneyFieldError> {
        money("totalAmountInclVat", self.total_amount_incl_vat, &self.currency)
    }

    /// The VAT in it, as money.
    pub fn vat(&self) -> Result<Money, MoneyFieldError> {
        money("totalVatAmount", self.total_vat_amount, &self.currency)
    }
}

impl PaymentRefundAnswer {
    /// This refund's amount, as money.
    pub fn refunded(&self) -> Result<Money, MoneyFieldError> {
        money("refundAmount", self.refund_amount, &self.currency)
    }

    /// Everything refunded so far, as money.
    pub fn total_refunded(&self) -> Result<Money, MoneyFieldError> {
        money("totalRefundedAmount", self.total_refunded_amount, &self.currency)
    }
}

impl AddDiscountAnswer {
    /// The new amount to pay, as money.
    pub fn total(&self) -> Result<Money, MoneyFieldError> {
        money("totalAmountInclVat", self.total_amount_incl_vat, &self.currency)
    }

    /// The VAT in it, as money.
    pub fn vat(&self) -> Result<Money, MoneyFieldError> {
        money("totalVatAmount", self.total_vat_amount, &self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_statuses_are_kept_as_sent() {
        let status: PaymentStatus = serde_json::from_str("\"teleported\"").unwrap();
        assert_eq!(status, PaymentStatus::Unknown("teleported".to_owned()));
        assert_eq!(serde_json::to_string(&status).unwrap(), "\"teleported\"");
        let status: PosStatusCode = serde_json::from_str("\"outOfOrder\"").unwrap();
        assert_eq!(status, PosStatusCode::OutOfOrder);
    }

    #[test]
    fn money_is_checked_against_the_currency() {
        assert_eq!(
            money("refundAmount", Decimal::new(1980, 2), "SEK")
                .unwrap()
                .to_string(),
            "19.80 SEK"
        );
        assert!(matches!(
            money("refundAmount", Decimal::new(19805, 3), "SEK"),
            Err(MoneyFieldError::Amount(AmountError::NotMinorExact { .. }))
        ));
        assert!(matches!(
            money("refundAmount", Decimal::ONE, "XXX"),
            Err(MoneyFieldError::UnknownCurrency { .. })
        ));
    }
}
