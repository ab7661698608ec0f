//! The Partners API client: headers, the nine endpoints, and how answers map to typed
//! results and errors.

use kassa_core::Money;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::VourityError;
use super::webhook::WebhookToken;
use super::wire::{
    self, ActionRequestAnswer, ActionRequestResponseBody, ActionResponseCode, AddDiscountAnswer,
    AddDiscountBody, ErrorBody, MerchantReferences, PaymentRefundAnswer, PaymentRefundBody,
    PaymentRequestAnswer, PaymentRequestBody, PaymentStatus, PosStatusAnswer, PosStatusCode,
    SessionCommandAnswer, SessionCommandBody, SetPosStatusBody, msg_type,
};
use super::{FIELDS, PROVIDER};
use crate::http::{DEFAULT_TIMEOUT, HttpClient};
use crate::settings::{Settings, SettingsError};
use crate::{CallError, Secret};

/// What a Vourity call returns.
pub type Result<T> = std::result::Result<T, CallError<VourityError>>;

/// The identifiers and credentials of one merchant's terminal.
#[derive(Debug, Clone)]
pub struct Config {
    /// The base URL where the document's paths start (`https://your.apiurl.com`).
    pub base_url: String,
    /// `merchantID`.
    pub merchant_id: String,
    /// `merchantName`.
    pub merchant_name: String,
    /// `pointOfServiceID` of the terminal this till drives.
    pub point_of_service_id: String,
    /// `pointOfServiceName`.
    pub point_of_service_name: String,
    /// Where Vourity reaches this till's webhook listener; each payment's own token is
    /// appended as the last path segment.
    pub webhook_url: String,
    /// The `apikey` header.
    pub api_key: Secret,
    /// The `Ocp-Apim-Subscription-Key` header.
    pub subscription_key: Secret,
}

/// A payment to ask the terminal for.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// The payment session's id; identifies the payment at Vourity (see the module docs):
    /// a new one per payment attempt, the same one when the very same request is retried.
    pub session_id: String,
    /// Kassa's sale id (`merchantReferences.orderId`).
    pub order_id: String,
    /// Kassa's payment id (`merchantReferences.paymentId`); the webhook names it.
    pub payment_id: String,
    /// The amount to pay, VAT included.
    pub total: Money,
    /// The VAT in it.
    pub vat: Money,
    /// This payment's webhook secret.
    pub webhook_token: WebhookToken,
}

/// A payment session as Vourity reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentSession {
    /// The session.
    pub session_id: String,
    /// Its status.
    pub status: PaymentStatus,
    /// The amount the terminal asks for.
    pub total: Money,
    /// The VAT in it.
    pub vat: Money,
}

/// One refund.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    /// Vourity's id of the refund.
    pub refund_id: String,
    /// The amount of this refund.
    pub amount: Money,
    /// Everything refunded on the payment so far.
    pub total_refunded: Money,
    /// The payment's status after it.
    pub status: PaymentStatus,
}

/// A pending payment after a discount.
#[derive(Debug, Clone, PartialEq)]
pub struct Discounted {
    /// The amount the terminal now asks for.
    pub total: Money,
    /// The VAT in it.
    pub vat: Money,
    /// The payment's status (still pending).
    pub status: PaymentStatus,
}

/// The Partners API client for one terminal.
#[derive(Debug, Clone)]
pub struct Client {
    http: HttpClient,
    merchant_id: String,
    merchant_name: String,
    point_of_service_id: String,
    point_of_service_name: String,
    webhook_url: Url,
    api_key: Secret,
    subscription_key: Secret,
}

fn field(key: &str) -> &'static crate::Field {
    FIELDS
        .iter()
        .find(|field| field.key == key)
        .expect("every key read below is in FIELDS")
}

fn invalid(key: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        provider: PROVIDER,
        key,
        label: field(key).label,
        reason: reason.into(),
    }
}

impl Client {
    /// A client for `config`, refused when a value is empty or unusable.
    pub fn new(config: Config) -> std::result::Result<Client, SettingsError> {
        let http =
            HttpClient::new(&config.base_url, DEFAULT_TIMEOUT).map_err(|source| SettingsError::BaseUrl {
                provider: PROVIDER,
                source,
            })?;
        for (key, value) in [
            ("merchant_id", &config.merchant_id),
            ("merchant_name", &config.merchant_name),
            ("point_of_service_id", &config.point_of_service_id),
            ("point_of_service_name", &config.point_of_service_name),
        ] {
            if value.trim().is_empty() {
                let field = field(key);
                return Err(SettingsError::Missing {
                    provider: PROVIDER,
                    key: field.key,
                    label: field.label,
                });
            }
        }
        for (key, secret) in [
            ("api_key", &config.api_key),
            ("subscription_key", &config.subscription_key),
        ] {
            if secret.is_empty() {
                let field = field(key);
                return Err(SettingsError::Missing {
                    provider: PROVIDER,
                    key: field.key,
                    label: field.label,
                });
            }
        }
        if config.point_of_service_id.contains(['/', '?', '#']) {
            return Err(invalid("point_of_service_id", "must not contain '/', '?' or '#'"));
        }
        let webhook_url = Url::parse(config.webhook_url.trim())
            .map_err(|error| invalid("webhook_url", format!("is not a URL ({error})")))?;
        if !matches!(webhook_url.scheme(), "http" | "https") || webhook_url.cannot_be_a_base() {
            return Err(invalid("webhook_url", "must be an http:// or https:// address"));
        }
        Ok(Client {
            http,
            merchant_id: config.merchant_id.trim().to_owned(),
            merchant_name: config.merchant_name.trim().to_owned(),
            point_of_service_id: config.point_of_service_id.trim().to_owned(),
            point_of_service_name: config.point_of_service_name.trim().to_owned(),
            webhook_url,
            api_key: config.api_key,
            subscription_key: config.subscription_key,
        })
    }

    /// A client from the settings a manager entered (keys of [`FIELDS`]).
    pub fn from_settings(settings: &Settings) -> std::result::Result<Client, SettingsError> {
        let value = |key| settings.value(PROVIDER, field(key)).map(str::to_owned);
        let secret = |key| settings.secret(PROVIDER, field(key)).cloned();
        Client::new(Config {
            base_url: settings.base_url.clone(),
            merchant_id: value("merchant_id")?,
            merchant_name: value("merchant_name")?,
            point_of_service_id: value("point_of_service_id")?,
            point_of_service_name: value("point_of_service_name")?,
            webhook_url: value("webhook_url")?,
            api_key: secret("api_key")?,
            subscription_key: secret("subscription_key")?,
        })
    }

    /// The terminal this client drives.
    pub fn point_of_service_id(&self) -> &str {
        &self.point_of_service_id
    }

    /// The `responseWebhookUrl` of a payment: the configured address with the payment's
    /// token as the last path segment.
    // Reading: the document has no webhook authentication. The token in the URL is
    // unguessable and differs per payment, so only Vourity (which was given the URL)
    // can post to it; the listener checks it with `webhook::parse`.
    pub fn webhook_url_for(&self, token: &WebhookToken) -> String {
        let mut url = self.webhook_url.clone();
        let path = format!("{}/{}", url.path().trim_end_matches('/'), token.expose());
        url.set_path(&path);
        url.to_string()
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        // Reading: the examples' `Host: api.vourity.com` next to a URL on
        // `your.apiurl.com` is the same host written twice in a template; the HTTP client
        // sets Host from the configured base URL, which is what reaches the gateway.
        // `Ocp-Apim-Trace: true` is API Management's tracing switch, sent as the examples
        // do; it is not an idempotency key.
        self.http
            .request(method, path)
            .header("apikey", self.api_key.expose())
            .header("Ocp-Apim-Subscription-Key", self.subscription_key.expose())
            .header("Ocp-Apim-Trace", "true")
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        what: &'static str,
    ) -> Result<T> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            let text = serde_json::to_vec(body).map_err(|error| {
                CallError::Refused(format!("the {what} request cannot be written: {error}"))
            })?;
            request = request.body(text);
        }
        let answer = self.http.send(request).await?;
        // Reading: every endpoint answers 200 with a JSON body on success.
        if answer.status == StatusCode::OK {
            return Ok(answer.json::<T>(what)?);
        }
        if matches!(answer.status.as_u16(), 400 | 401 | 403 | 404 | 409)
            && let Ok(body) = serde_json::from_slice::<ErrorBody>(&answer.body)
            && let Some(error) = VourityError::from_body(answer.status.as_u16(), &body)
        {
            return Err(CallError::Api(error));
        }
        Err(answer.unexpected_status())
    }

    /// `POST /pos-payment-request`: shows the payment on the terminal. The result comes
    /// by webhook (and by [`Client::pos_status`] as the fallback).
    pub async fn payment_request(&self, payment: &NewPayment) -> Result<PaymentSession> {
        check_session_id(&payment.session_id)?;
        for (name, value) in [
            ("order id", &payment.order_id),
            ("payment id", &payment.payment_id),
        ] {
            if value.trim().is_empty() {
                return Err(CallError::Refused(format!("a Vourity payment needs a {name}")));
            }
        }
        let currency = payment.total.currency();
        if payment.vat.currency() != currency {
            return Err(CallError::Refused(format!(
                "the VAT is in {} but the total in {currency}",
                payment.vat.currency()
            )));
        }
        check_minor_exact("totalAmountInclVat", &payment.total)?;
        check_minor_exact("totalVatAmount", &payment.vat)?;
        if !payment.total.is_positive() {
            return Err(CallError::Refused(format!(
                "a card payment must be more than zero, not {}",
                payment.total
            )));
        }
        if payment.vat.is_negative() || payment.vat.amount() > payment.total.amount() {
            return Err(CallError::Refused(format!(
                "the VAT {} must be between zero and the total {}",
                payment.vat, payment.total
            )));
        }
        let body = PaymentRequestBody {
            session_id: payment.session_id.clone(),
            msg_type: msg_type::PAYMENT_REQUEST.to_owned(),
            merchant_id: self.merchant_id.clone(),
            merchant_name: self.merchant_name.clone(),
            point_of_service_id: self.point_of_service_id.clone(),
            point_of_service_name: self.point_of_service_name.clone(),
            total_amount_incl_vat: payment.total.amount(),
            total_vat_amount: payment.vat.amount(),
            currency: currency.code().to_owned(),
            response_webhook_url: self.webhook_url_for(&payment.webhook_token),
            merchant_references: MerchantReferences {
                order_id: payment.order_id.clone(),
                payment_id: payment.payment_id.clone(),
            },
            id: Some(payment.session_id.clone()),
        };
        let answer: PaymentRequestAnswer = self
            .call(
                Method::POST,
                "pos-payment-request",
                Some(&body),
                "payment request answer",
            )
            .await?;
        self.check_echo(
            &answer.session_id,
            &answer.point_of_service_id,
            &payment.session_id,
        )?;
        if answer.merchant_references != body.merchant_references {
            return Err(CallError::Contradiction(format!(
                "the answer names payment {:?} of order {:?}, not the one requested",
                answer.merchant_references.payment_id, answer.merchant_references.order_id
            )));
        }
        let total = answer.total().map_err(contradiction)?;
        let vat = answer.vat().map_err(contradiction)?;
        if total != payment.total || vat != payment.vat {
            return Err(CallError::Contradiction(format!(
                "the terminal asks for {total} (VAT {vat}), not the {} (VAT {}) requested",
                payment.total, payment.vat
            )));
        }
        expect_status(
            &answer.payment_status,
            &[
                PaymentStatus::Pending,
                PaymentStatus::Approved,
                PaymentStatus::Declined,
            ],
        )?;
        Ok(PaymentSession {
            session_id: answer.session_id,
            status: answer.payment_status,
            total,
            vat,
        })
    }

    async fn session_command(
        &self,
        path: &str,
        msg_type: &str,
        session_id: &str,
        expected: PaymentStatus,
    ) -> Result<PaymentStatus> {
        check_session_id(session_id)?;
        let body = SessionCommandBody {
            session_id: session_id.to_owned(),
            point_of_service_id: self.point_of_service_id.clone(),
            msg_type: msg_type.to_owned(),
        };
        let answer: SessionCommandAnswer = self
            .call(Method::POST, path, Some(&body), "payment answer")
            .await?;
        self.check_echo(&answer.session_id, &answer.point_of_service_id, session_id)?;
        expect_status(&answer.payment_status, std::slice::from_ref(&expected))?;
        Ok(answer.payment_status)
    }

    /// `POST /pos-payment-cancel`: cancels a payment that is pending or approved but not
    /// captured.
    pub async fn payment_cancel(&self, session_id: &str) -> Result<PaymentStatus> {
        self.session_command(
            "pos-payment-cancel",
            msg_type::PAYMENT_CANCEL,
            session_id,
            PaymentStatus::Cancelled,
        )
        .await
    }

    /// `POST /pos-payment-capture`: captures an approved payment.
    pub async fn payment_capture(&self, session_id: &str) -> Result<PaymentStatus> {
        self.session_command(
            "pos-payment-capture",
            msg_type::PAYMENT_CAPTURE,
            session_id,
            PaymentStatus::Captured,
        )
        .await
    }

    /// `POST /pos-payment-refund`: gives back `amount` of a captured payment. Every call
    /// refunds again (the document promises no deduplication of refunds).
    pub async fn payment_refund(&self, session_id: &str, amount: &Money, reason: &str) -> Result<Refund> {
        check_session_id(session_id)?;
        check_minor_exact("refundAmount", amount)?;
        if !amount.is_positive() {
            return Err(CallError::Refused(format!(
                "a refund must be more than zero, not {amount}"
            )));
        }
        let body = PaymentRefundBody {
            session_id: session_id.to_owned(),
            point_of_service_id: self.point_of_service_id.clone(),
            msg_type: msg_type::PAYMENT_REFUND.to_owned(),
            currency: amount.currency().code().to_owned(),
            refund_amount: amount.amount(),
            refund_reason: reason.to_owned(),
        };
        let answer: PaymentRefundAnswer = self
            .call(Method::POST, "pos-payment-refund", Some(&body), "refund answer")
            .await?;
        self.check_echo(&answer.session_id, &answer.point_of_service_id, session_id)?;
        let refunded = answer.refunded().map_err(contradiction)?;
        let total_refunded = answer.total_refunded().map_err(contradiction)?;
        if refunded != *amount {
            return Err(CallError::Contradiction(format!(
                "Vourity refunded {refunded}, not the {amount} requested"
            )));
        }
        if total_refunded.currency() != amount.currency() || total_refunded.amount() < amount.amount() {
            return Err(CallError::Contradiction(format!(
                "the payment's refunds total {total_refunded}, less than this refund of {amount}"
            )));
        }
        expect_status(
            &answer.payment_status,
            &[PaymentStatus::PartiallyRefunded, PaymentStatus::Refunded],
        )?;
        Ok(Refund {
            refund_id: answer.refund_id,
            amount: refunded,
            total_refunded,
            status: answer.payment_status,
        })
    }

    /// `GET /pointOfServices/{id}/pos-status` of this client's terminal: its status and
    /// its current or last payment session (the polling fallback for a lost webhook).
    pub async fn pos_status(&self) -> Result<PosStatusAnswer> {
        let path = format!("pointOfServices/{}/pos-status", self.point_of_service_id);
        let answer: PosStatusAnswer = self.call(Method::GET, &path, None::<&()>, "POS status").await?;
        if answer.point_of_service_id != self.point_of_service_id {
            return Err(CallError::Contradiction(format!(
                "the status is of terminal {:?}, not {:?}",
                answer.point_of_service_id, self.point_of_service_id
            )));
        }
        Ok(answer)
    }

    /// `GET /action-request/{id}`: what the terminal asks.
    pub async fn action_request(&self, action_request_id: &str) -> Result<ActionRequestAnswer> {
        check_path_id("action request id", action_request_id)?;
        let path = format!("action-request/{action_request_id}");
        let answer: ActionRequestAnswer = self
            .call(Method::GET, &path, None::<&()>, "action request")
            .await?;
        if answer.action_request_id != action_request_id {
            return Err(CallError::Contradiction(format!(
                "the answer is action request {:?}, not {action_request_id:?}",
                answer.action_request_id
            )));
        }
        Ok(answer)
    }

    /// `POST /action-request-response`: answers the terminal's question.
    pub async fn action_request_response(
        &self,
        action_request_id: &str,
        session_id: &str,
        response: ActionResponseCode,
    ) -> Result<ActionRequestAnswer> {
        check_path_id("action request id", action_request_id)?;
        check_session_id(session_id)?;
        if let ActionResponseCode::Unknown(text) = &response {
            return Err(CallError::Refused(format!(
                "{text:?} is not an answer Vourity takes (accepted or rejected)"
            )));
        }
        let body = ActionRequestResponseBody {
            response_code: response.clone(),
            action_request_id: Some(action_request_id.to_owned()),
            session_id: Some(session_id.to_owned()),
        };
        let answer: ActionRequestAnswer = self
            .call(
                Method::POST,
                "action-request-response",
                Some(&body),
                "action request",
            )
            .await?;
        if answer.action_request_id != action_request_id || answer.response_code.as_ref() != Some(&response) {
            return Err(CallError::Contradiction(format!(
                "the answer records {:?} for action request {:?}, not {response} for {action_request_id:?}",
                answer.response_code, answer.action_request_id
            )));
        }
        Ok(answer)
    }

    /// `PATCH /set-pos-status`: takes this client's terminal in or out of service.
    pub async fn set_pos_status(&self, status: PosStatusCode) -> Result<PosStatusAnswer> {
        if matches!(status, PosStatusCode::Busy | PosStatusCode::Unknown(_)) {
            return Err(CallError::Refused(format!(
                "a terminal can be set available, offline or outOfOrder, not {status}"
            )));
        }
        let body = SetPosStatusBody {
            status_code: status.clone(),
            point_of_service_id: Some(self.point_of_service_id.clone()),
        };
        let answer: PosStatusAnswer = self
            .call(Method::PATCH, "set-pos-status", Some(&body), "POS status")
            .await?;
        if answer.point_of_service_id != self.point_of_service_id || answer.status_code != status {
            return Err(CallError::Contradiction(format!(
                "terminal {:?} is {}, not {status} as set",
                answer.point_of_service_id, answer.status_code
            )));
        }
        Ok(answer)
    }

    /// `POST /add-discount`: lowers a pending payment by `discount` (VAT included), of
    /// which `discount_vat` is VAT.
    pub async fn add_discount(
        &self,
        session_id: &str,
        discount: &Money,
        discount_vat: &Money,
        reason: Option<&str>,
    ) -> Result<Discounted> {
        check_session_id(session_id)?;
        check_minor_exact("discountAmountInclVat", discount)?;
        check_minor_exact("discountVatAmount", discount_vat)?;
        if discount.currency() != discount_vat.currency() {
            return Err(CallError::Refused(format!(
                "the discount's VAT is in {} but the discount in {}",
                discount_vat.currency(),
                discount.currency()
            )));
        }
        if !discount.is_positive() || discount_vat.is_negative() || discount_vat.amount() > discount.amount()
        {
            return Err(CallError::Refused(format!(
                "a discount must be more than zero with VAT between zero and it, not {discount} (VAT {discount_vat})"
            )));
        }
        let body = AddDiscountBody {
            session_id: session_id.to_owned(),
            point_of_service_id: self.point_of_service_id.clone(),
            msg_type: msg_type::ADD_DISCOUNT.to_owned(),
            discount_amount_incl_vat: discount.amount(),
            discount_vat_amount: discount_vat.amount(),
            currency: discount.currency().code().to_owned(),
            discount_reason: reason.map(str::to_owned),
        };
        let answer: AddDiscountAnswer = self
            .call(Method::POST, "add-discount", Some(&body), "discount answer")
            .await?;
        self.check_echo(&answer.session_id, &answer.point_of_service_id, session_id)?;
        let total = answer.total().map_err(contradiction)?;
        let vat = answer.vat().map_err(contradiction)?;
        if total.currency() != discount.currency() {
            return Err(CallError::Contradiction(format!(
                "the discounted total is in {}, the discount in {}",
                total.currency(),
                discount.currency()
            )));
        }
        expect_status(&answer.payment_status, &[PaymentStatus::Pending])?;
        Ok(Discounted {
            total,
            vat,
            status: answer.payment_status,
        })
    }

    /// Checks the settings with a call that needs both keys and the terminal id: the POS
    /// status of the configured terminal.
    pub async fn test_connection(&self) -> Result<()> {
        self.pos_status().await.map(|_| ())
    }

    fn check_echo(&self, session_id: &str, point_of_service_id: &str, requested: &str) -> Result<()> {
        if session_id != requested || point_of_service_id != self.point_of_service_id {
            return Err(CallError::Contradiction(format!(
                "the answer is for session {session_id:?} on terminal {point_of_service_id:?}, not session {requested:?} on {:?}",
                self.point_of_service_id
            )));
        }
        Ok(())
    }
}

fn contradiction(error: wire::MoneyFieldError) -> CallError<VourityError> {
    CallError::Contradiction(error.to_string())
}

fn check_minor_exact(field: &'static str, money: &Money) -> Result<()> {
    crate::amount::to_money(field, money.amount(), money.currency())
        .map(|_| ())
        .map_err(|error| CallError::Refused(error.to_string()))
}

// Reading: the examples' session ids are UUIDs; the document sets no format, so any
// id up to 64 visible characters is sent, and one with '/', '?' or '#' is refused
// because the same ids appear in paths elsewhere.
fn check_session_id(session_id: &str) -> Result<()> {
    check_path_id("session id", session_id)
}

fn check_path_id(name: &str, id: &str) -> Result<()> {
    let acceptable = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '?' | '#' | '%'));
    if acceptable {
        Ok(())
    } else {
        Err(CallError::Refused(format!(
            "{id:?} is not a usable Vourity {name} (1 to 64 visible characters, no '/', '?', '#' or '%')"
        )))
    }
}

fn expect_status(status: &PaymentStatus, expected: &[PaymentStatus]) -> Result<()> {
    if expected.contains(status) {
        return Ok(());
    }
    let listed: Vec<&str> = expected.iter().map(PaymentStatus::as_str).collect();
    let what = match status {
        PaymentStatus::Unknown(text) => format!("an unknown payment status {text:?}"),
        known => format!("the payment status {known}"),
    };
    Err(CallError::Contradiction(format!(
        "Vourity answered {what} where {} was expected; check the payment on the terminal",
        listed.join(" or ")
    )))
}
