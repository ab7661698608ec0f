//! Vourity Partners API (seeds/000): the cloud-driven card terminal ("POS 3").
//!
//! Kassa sends a payment request to Vourity's cloud; the terminal shows it, the card
//! holder pays, and Vourity posts the outcome to the `responseWebhookUrl` given in the
//! request. The app answers that webhook with a small HTTP listener ([`webhook::parse`])
//! and polls [`Client::pos_status`] / [`Client::action_request`] as the fallback when no
//! webhook arrives. An approved payment is captured ([`Client::payment_capture`]) when
//! the sale completes, or cancelled; captured payments can be refunded, again and again
//! until nothing is left.
//!
//! Every request carries `apikey`, `Ocp-Apim-Subscription-Key` (both [`Secret`](crate::Secret)s) and
//! `Ocp-Apim-Trace: true`. The last is Azure API Management's tracing switch, sent
//! because the examples send it; it is not an idempotency key.
//!
//! # Readings
//!
//! The document gives request examples only: no response bodies, status codes, error
//! codes, webhook body or webhook authentication. Everything below is our reading; the
//! emulator in `kassa-sandbox` behaves exactly so.
//!
//! - **Success**: every endpoint answers 200 with a JSON body ([`wire`]'s `*Answer`
//!   types), echoing `sessionID` and `pointOfServiceID` and the amounts; an echo that
//!   differs from the request is a [`CallError::Contradiction`](crate::CallError::Contradiction).
//! - **Errors**: `{"errorCode", "message"}` with 400/401/403/404/409, listed in
//!   [`error`]; a wrong subscription key gets API Management's own
//!   `{"statusCode": 401, "message"}`.
//! - **Identity and deduplication**: `sessionID` identifies the payment. A payment request
//!   repeated with the same `sessionID` and the same body answers the existing session
//!   (its current status) without a second payment; the same `sessionID` with a different
//!   body is `409 sessionIdInUse`. So a payment request whose answer was lost is retried
//!   with the same session id. Nothing else is deduplicated: each refund call refunds
//!   again; capture and cancel are refused by state once done (`409 invalidPaymentState`).
//! - **Payment states**: `pending` → `approved` | `declined` (the terminal);
//!   `pending`/`approved` → `cancelled`; `approved` → `captured`; `captured` →
//!   `partiallyRefunded` → `refunded`. Only one pending payment per terminal
//!   (`409 pointOfServiceBusy`); none while it is `offline`/`outOfOrder`.
//! - **Webhook**: see [`webhook`]: a per-payment token as the last path segment of
//!   `responseWebhookUrl` authenticates the call; the body names the payment by
//!   `merchantReferences.paymentId`. Posted on approval, decline, cancel, capture, each
//!   refund, each discount and each action request.
//! - **Bodies the document leaves short**: `/action-request-response` and
//!   `/set-pos-status` also carry `actionRequestID`/`sessionID` and `pointOfServiceID`
//!   (without them the target is ambiguous); `/add-discount`, shown without a body, takes
//!   `sessionID`, `pointOfServiceID`, `discountAmountInclVat`, `discountVatAmount`,
//!   `currency` and an optional `discountReason`, and lowers a pending payment.
//! - **`Host: api.vourity.com`** is not sent by hand; the base URL decides the host.
//! - **`_id`** is sent with the session id and never read back.
//! - **Currency**: the merchant's is SEK; the emulator refuses others
//!   (`400 unsupportedCurrency`), the client sends whatever the sale's currency is.

mod client;
pub mod error;
pub mod webhook;
pub mod wire;

pub use client::{Client, Config, Discounted, NewPayment, PaymentSession, Refund, Result};
pub use error::VourityError;
pub use webhook::{WebhookError, WebhookEvent, WebhookKind, WebhookToken};
pub use wire::{
    ActionRequestAnswer, ActionRequestStatus, ActionResponseCode, ActionType, PaymentStatus, PosSession,
    PosStatusAnswer, PosStatusCode,
};

use crate::settings::Field;

/// The provider's name in messages.
pub const PROVIDER: &str = "Vourity";

/// What a manager enters for Vourity (the base URL apart).
pub const FIELDS: &[Field] = &[
    Field {
        key: "merchant_id",
        label: "Merchant ID (merchantID)",
        secret: false,
        example: "0bc01e2d-cbe4-4593-be3a-e4e22effdb36",
    },
    Field {
        key: "merchant_name",
        label: "Merchant name (merchantName)",
        secret: false,
        example: "My Company Name",
    },
    Field {
        key: "point_of_service_id",
        label: "Terminal ID (pointOfServiceID)",
        secret: false,
        example: "2114b1a2-ad68-469a-9fab-2bdd53eee06a",
    },
    Field {
        key: "point_of_service_name",
        label: "Terminal name (pointOfServiceName)",
        secret: false,
        example: "Till 1",
    },
    Field {
        key: "webhook_url",
        label: "Webhook address where Vourity reaches this till (responseWebhookUrl)",
        secret: false,
        example: "https://till1.example.com/vourity/webhook",
    },
    Field {
        key: "api_key",
        label: "API key (apikey)",
        secret: true,
        example: "f2014e88-ec80-45ef-ad60-c29087efa97a",
    },
    Field {
        key: "subscription_key",
        label: "Subscription key (Ocp-Apim-Subscription-Key)",
        secret: true,
        example: "0b6c621c08e54f4b9900c89666e63618",
    },
];
