//! The SWiP client: headers, authentication, one method per endpoint, and how answers
//! map to [`SwipError`].

use kassa_core::{Currency, Money};
use reqwest::Method;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use super::error::SwipError;
use super::wire::{
    CloseOrderRequest, CloseTag, CreateOrderRequest, ErrorBody, ErrorCode, LoyaltyCalculation,
    LoyaltyCalculationRequest, OperationResult, OperationStatus, Order, OrderStatus, Purchase, RefundRequest,
    ReverseRequest,
};
use super::{FIELD_LIST, PROVIDER};
use crate::Secret;
use crate::amount::to_money;
use crate::http::{Answer, CallError, DEFAULT_TIMEOUT, HttpClient, Malformed};
use crate::settings::{Settings, SettingsError};

/// The `Api-Version` header's value: this client speaks version 3.
const API_VERSION: &str = "3";

/// The order [`Client::test_connection`] asks for. Reading: the document has no
/// harmless authenticated read of its own; asking for an order that does not exist
/// needs the credentials (401 without them) and changes nothing, so a 404 (code 9)
/// proves the connection and the credentials.
const PROBE_ORDER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// What a SWiP call returns.
pub type SwipResult<T> = Result<T, CallError<SwipError>>;

/// A client of one SWiP merchant's store and till.
#[derive(Debug, Clone)]
pub struct Client {
    http: HttpClient,
    token: Secret,
    merchant_id: String,
    store_id: String,
    cash_id: String,
    pos_type: String,
    currency: Currency,
}

impl Client {
    /// A client from the settings a manager entered ([`FIELDS`](super::FIELDS)).
    pub fn from_settings(settings: &Settings) -> Result<Client, SettingsError> {
        let [token, merchant_id, store_id, cash_id, pos_type, currency] = &FIELD_LIST;
        let http = HttpClient::new(&settings.base_url, DEFAULT_TIMEOUT).map_err(|source| {
            SettingsError::BaseUrl {
                provider: PROVIDER,
                source,
            }
        })?;
        let currency_text = settings.value(PROVIDER, currency)?;
        // Reading: SWiP's bodies carry no currency; every amount is in the currency of
        // the merchant's SWiP account, which the manager enters.
        let currency = currency_text
            .parse::<Currency>()
            .map_err(|error| SettingsError::Invalid {
                provider: PROVIDER,
                key: currency.key,
                label: currency.label,
                reason: error.to_string(),
            })?;
        Ok(Client {
            http,
            token: settings.secret(PROVIDER, token)?.clone(),
            merchant_id: settings.value(PROVIDER, merchant_id)?.to_owned(),
            store_id: settings.value(PROVIDER, store_id)?.to_owned(),
            cash_id: settings.value(PROVIDER, cash_id)?.to_owned(),
            pos_type: settings.value(PROVIDER, pos_type)?.to_owned(),
            currency,
        })
    }

    /// The merchant account's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The merchant's code, as sent in `X-Merchant-ID` and in refunds.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// A create-order body for this till: totals in the merchant's currency, the
    /// configured `posType`, no `sessionCode` (SWiP makes one).
    pub fn order_request(
        &self,
        merchant_order_id: impl Into<String>,
        cashier: impl Into<String>,
        sale_date_millis: i64,
        total: Money,
        total_original: Money,
        purchases: Vec<Purchase>,
    ) -> CreateOrderRequest {
        CreateOrderRequest {
            guests: None,
            merchant_cashier: cashier.into(),
            merchant_cashier_id: None,
            merchant_order_id: merchant_order_id.into(),
            merchant_order_number: None,
            pos_type: self.pos_type.clone(),
            purchases,
            sale_date: sale_date_millis,
            session_code: None,
            total: total.amount(),
            total_original: total_original.amount(),
            positional_discount: None,
        }
    }

    /// Proves the base URL and the credentials by asking for an order that does not
    /// exist: a "not found" answer is success, a 401 is [`SwipError::AuthenticationFailed`].
    ///
    /// Only SWiP's own error object counts as that answer: a 404 page of some other web
    /// server (a wrong base URL, a proxy) is not proof of anything, so it is reported as
    /// malformed instead.
    pub async fn test_connection(&self) -> SwipResult<()> {
        let path = format!("/orders/{PROBE_ORDER_ID}");
        let answer = self.send::<()>(Method::GET, &path, None).await?;
        if answer.status.as_u16() == 404 {
            return match answer.json::<ErrorBody>("error object") {
                // Code 9 of the numbered table, or `not_found` of the HTTP table.
                Ok(ErrorBody {
                    code: Some(ErrorCode::Number(9)),
                    ..
                }) => Ok(()),
                Ok(ErrorBody {
                    code: Some(ErrorCode::Name(name)),
                    ..
                }) if name == "not_found" => Ok(()),
                Ok(_) | Err(_) => Err(malformed(
                    &answer,
                    "error object",
                    "a 404 without SWiP's NOT FOUND error object (is the base URL SWiP's?)",
                )),
            };
        }
        let order: Order = self.success(&answer, "Order object")?;
        self.check_order(&answer, &order)?;
        Ok(())
    }

    /// `POST /orders`: creates the order the customer pays; its `sessionCode` is the
    /// QR to show or print.
    pub async fn create_order(&self, request: &CreateOrderRequest) -> SwipResult<Order> {
        self.outgoing("total", request.total)?;
        self.outgoing("totalOriginal", request.total_original)?;
        self.outgoing_purchases(&request.purchases)?;
        if request.merchant_order_id.trim().is_empty() {
            return Err(CallError::Refused(
                "a SWiP order needs a merchantOrderId".to_owned(),
            ));
        }
        let answer = self.send(Method::POST, "/orders", Some(request)).await?;
        let order: Order = self.success(&answer, "Order object")?;
        self.check_order(&answer, &order)?;
        if order.merchant_order_id != request.merchant_order_id {
            return Err(CallError::Contradiction(format!(
                "SWiP answered order {} for merchantOrderId {}",
                order.merchant_order_id, request.merchant_order_id
            )));
        }
        if order.total != request.total || order.total_original != request.total_original {
            return Err(CallError::Contradiction(format!(
                "SWiP created the order with total {} (original {}) where Kassa sent {} (original {})",
                order.total, order.total_original, request.total, request.total_original
            )));
        }
        Ok(order)
    }

    /// `GET /orders/{id}`: the order as it is now (poll it while the customer pays).
    pub async fn get_order(&self, id: &str) -> SwipResult<Order> {
        let path = format!("/orders/{}", path_segment(id)?);
        let answer = self.send::<()>(Method::GET, &path, None).await?;
        let order: Order = self.success(&answer, "Order object")?;
        self.check_order(&answer, &order)?;
        if order.id != id {
            return Err(CallError::Contradiction(format!(
                "asked for order {id}, SWiP answered order {}",
                order.id
            )));
        }
        Ok(order)
    }

    /// `POST /orders/{id}/actions/close`: closes the order with the amount the till
    /// takes (callable once). `amount` 0 cancels; use [`Client::cancel_order`] for that.
    /// `ROUNDED` marks a cash total rounded by less than one unit.
    pub async fn close_order(&self, id: &str, amount: Money, tags: &[CloseTag]) -> SwipResult<Order> {
        let amount = self.outgoing_money("amount", amount)?;
        let request = CloseOrderRequest {
            amount,
            tags: tags.to_vec(),
        };
        self.close(id, &request).await
    }

    /// `POST /orders/{id}/actions/close` with amount 0: cancels an OPEN order (the
    /// document's "Cancel an order", which shares the close path); what the customer
    /// paid in the app goes back to them.
    pub async fn cancel_order(&self, id: &str) -> SwipResult<Order> {
        // Reading: the body is optional ("If it is absent, the entire order is
        // cancelled"); Kassa sends the example's `{"amount":0.0}` so that the intent is
        // in the request rather than in its absence.
        let request = CloseOrderRequest {
            amount: Decimal::new(0, 1),
            tags: Vec::new(),
        };
        self.close(id, &request).await
    }

    async fn close(&self, id: &str, request: &CloseOrderRequest) -> SwipResult<Order> {
        let path = format!("/orders/{}/actions/close", path_segment(id)?);
        let answer = self.send(Method::POST, &path, Some(request)).await?;
        let order: Order = self.success(&answer, "Order object")?;
        self.check_order(&answer, &order)?;
        if order.id != id {
            return Err(CallError::Contradiction(format!(
                "closed order {id}, SWiP answered order {}",
                order.id
            )));
        }
        if order.order_status != OrderStatus::Closed {
            return Err(CallError::Contradiction(format!(
                "SWiP answered the close of order {id} with status {}",
                order.order_status
            )));
        }
        let closed_with = order.close_amount.unwrap_or(Decimal::ZERO);
        if closed_with != request.amount {
            return Err(CallError::Contradiction(format!(
                "order {id} was closed with {} where Kassa sent {}",
                closed_with, request.amount
            )));
        }
        Ok(order)
    }

    /// `POST /refunds`: gives `amount` of a CLOSED order back to the customer. Not
    /// deduplicated by SWiP: each call refunds again.
    pub async fn refund(&self, merchant_order_id: &str, amount: Money) -> SwipResult<OperationResult> {
        let amount = self.outgoing_money("amount", amount)?;
        if amount <= Decimal::ZERO {
            return Err(CallError::Refused(format!(
                "a SWiP refund must be more than 0, not {amount}"
            )));
        }
        let request = RefundRequest {
            amount,
            merchant_id: self.merchant_id.clone(),
            merchant_order_id: merchant_order_id.to_owned(),
        };
        let answer = self.send(Method::POST, "/refunds", Some(&request)).await?;
        self.operation(&answer, "refund")
    }

    /// `POST /reverses`: releases the held funds of a CLOSED order (all of them when
    /// `amount` is `None`); SWiP answers code 27 once they were captured.
    pub async fn reverse(
        &self,
        merchant_order_id: &str,
        amount: Option<Money>,
    ) -> SwipResult<OperationResult> {
        let amount = amount
            .map(|amount| self.outgoing_money("amount", amount))
            .transpose()?;
        let request = ReverseRequest {
            amount,
            merchant_id: self.merchant_id.clone(),
            merchant_order_id: merchant_order_id.to_owned(),
        };
        let answer = self.send(Method::POST, "/reverses", Some(&request)).await?;
        self.operation(&answer, "reverse")
    }

    /// `POST /loyalty-calculations`: the anonymous discount SWiP gives this basket.
    pub async fn loyalty_calculation(
        &self,
        request: &LoyaltyCalculationRequest,
    ) -> SwipResult<LoyaltyCalculation> {
        self.outgoing("total", request.total)?;
        self.outgoing_purchases(&request.purchases)?;
        let answer = self
            .send(Method::POST, "/loyalty-calculations", Some(request))
            .await?;
        let calculation: LoyaltyCalculation = self.success(&answer, "loyalty calculation")?;
        let result = &calculation.discount_calc_result;
        let checked = [
            ("totalBeforeCalc", calculation.total_before_calc),
            ("total", calculation.total),
            ("discount", result.discount),
        ];
        for (field, amount) in checked {
            to_money(field, amount, self.currency)
                .map_err(|error| malformed(&answer, "loyalty calculation", error))?;
        }
        if calculation.total_before_calc != request.total {
            return Err(CallError::Contradiction(format!(
                "SWiP calculated the discount for a total of {} where Kassa sent {}",
                calculation.total_before_calc, request.total
            )));
        }
        if calculation.total > calculation.total_before_calc || result.discount < Decimal::ZERO {
            return Err(CallError::Contradiction(format!(
                "SWiP's discount {} makes the total {} out of {}",
                result.discount, calculation.total, calculation.total_before_calc
            )));
        }
        Ok(calculation)
    }

    // ---------------------------------------------------------------------------------

    async fn send<B: serde::Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> SwipResult<Answer> {
        let mut request = self
            .http
            .request(method, path)
            .bearer_auth(self.token.expose())
            .header("X-Merchant-ID", &self.merchant_id)
            .header("X-Store-ID", &self.store_id)
            .header("X-Cash-ID", &self.cash_id)
            .header("Api-Version", API_VERSION)
            .header("Accept", "application/json");
        if let Some(body) = body {
            let json = serde_json::to_vec(body)
                .map_err(|error| CallError::Refused(format!("the request could not be written: {error}")))?;
            request = request.header("Content-Type", "application/json").body(json);
        }
        Ok(self.http.send(request).await?)
    }

    /// The body of a 200 answer, or the error the answer stands for.
    fn success<T: DeserializeOwned>(&self, answer: &Answer, what: &'static str) -> SwipResult<T> {
        if answer.status.as_u16() != 200 {
            return Err(failure(answer));
        }
        Ok(answer.json(what)?)
    }

    fn check_order(&self, answer: &Answer, order: &Order) -> SwipResult<()> {
        order
            .amounts(self.currency)
            .map(drop)
            .map_err(|error| malformed(answer, "Order object", error))
    }

    fn operation(&self, answer: &Answer, what: &'static str) -> SwipResult<OperationResult> {
        let result: OperationResult = self.success(answer, "refund or reverse answer")?;
        match &result.status {
            OperationStatus::Success => Ok(result),
            OperationStatus::Fail => Err(CallError::Api(match &result.code {
                Some(code) if !code.is_none() => {
                    SwipError::from_code(code, result.description.clone(), Vec::new())
                }
                _ => SwipError::Failed {
                    description: result.description.clone(),
                },
            })),
            // Neither done nor refused: whether money moved must be found out, so this
            // is a malformed success (outcome unknown), not an error to show and forget.
            OperationStatus::Unknown(status) => Err(CallError::Malformed(Malformed {
                status: answer.status.as_u16(),
                what: "refund or reverse answer",
                detail: format!("the {what} status {status:?} is neither SUCCESS nor FAIL"),
                excerpt: answer.excerpt(),
            })),
        }
    }

    fn outgoing(&self, field: &'static str, amount: Decimal) -> SwipResult<Decimal> {
        to_money(field, amount, self.currency).map_err(|error| CallError::Refused(error.to_string()))?;
        Ok(amount)
    }

    fn outgoing_money(&self, field: &'static str, amount: Money) -> SwipResult<Decimal> {
        if amount.currency() != self.currency {
            return Err(CallError::Refused(format!(
                "{field}: {amount} is not in {}, the SWiP account's currency",
                self.currency
            )));
        }
        self.outgoing(field, amount.amount())
    }

    fn outgoing_purchases(&self, purchases: &[Purchase]) -> SwipResult<()> {
        for purchase in purchases {
            if purchase.name.as_deref().is_none_or(|name| name.trim().is_empty()) {
                return Err(CallError::Refused("every SWiP purchase needs a name".to_owned()));
            }
            if purchase.amount.is_none() {
                return Err(CallError::Refused(
                    "every SWiP purchase needs an amount".to_owned(),
                ));
            }
            self.outgoing("price", purchase.price)?;
            if let Some(amount) = purchase.amount {
                self.outgoing("amount", amount)?;
            }
        }
        Ok(())
    }
}

/// An id as one path segment; one that would change the path is refused.
fn path_segment(id: &str) -> SwipResult<&str> {
    let id = id.trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CallError::Refused(format!("{id:?} is not a SWiP order id")));
    }
    Ok(id)
}

fn malformed(answer: &Answer, what: &'static str, error: impl std::fmt::Display) -> CallError<SwipError> {
    CallError::Malformed(Malformed {
        status: answer.status.as_u16(),
        what,
        detail: error.to_string(),
        excerpt: answer.excerpt(),
    })
}

/// The error a non-200 answer stands for.
///
/// Reading: 5xx answers stay `CallError::Status` whatever their body says (code 1
/// included), since a server error may come after the change was made and the outcome
/// must be checked; 429 too, to keep its Retry-After. Otherwise the error object's
/// `code` decides; without a usable code the status does, and the HTTP table's
/// `unauthorized` for 400 is read as the slip it is: a 400 is a validation failure.
pub(crate) fn failure(answer: &Answer) -> CallError<SwipError> {
    let status = answer.status.as_u16();
    if status >= 500 || status == 429 {
        return answer.unexpected_status();
    }
    let body = answer.json::<ErrorBody>("error object").ok();
    let (description, field_errors) = match &body {
        Some(body) => (body.description.clone(), body.field_errors.clone()),
        None => (None, Vec::new()),
    };
    if let Some(code) = body.as_ref().and_then(|body| body.code.as_ref())
        && !code.is_none()
    {
        return CallError::Api(SwipError::from_code(code, description, field_errors));
    }
    let description = description.or_else(|| Some(answer.excerpt()).filter(|text| !text.is_empty()));
    CallError::Api(match status {
        400 => SwipError::ValidationFailed {
            description,
            field_errors,
        },
        401 => SwipError::AuthenticationFailed { description },
        403 => SwipError::AccessDenied { description },
        404 => SwipError::NotFound { description },
        405 => SwipError::MethodNotSupported { description },
        _ => return answer.unexpected_status(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    fn api(status: u16, body: &str) -> SwipError {
        match failure(&answer(status, body)) {
            CallError::Api(error) => error,
            other => panic!("expected a SWiP error, got {other:?}"),
        }
    }

    #[test]
    fn every_numbered_code_has_its_own_error() {
        let codes = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 27, 28, 29, 30, 31, 32];
        let mut seen = Vec::new();
        for code in codes {
            let error = api(
                400,
                &format!(r#"{{"code":{code},"description":"d{code}","fieldErrors":[]}}"#),
            );
            assert_eq!(error.code().0, code.to_string(), "{error:?}");
            assert!(error.to_string().contains(&format!("(SWiP: d{code})")), "{error}");
            assert!(!matches!(error, SwipError::Unknown { .. }), "{code}");
            seen.push(std::mem::discriminant(&error));
        }
        seen.dedup();
        assert_eq!(seen.len(), codes.len(), "two codes share a variant");
        assert_eq!(
            api(400, r#"{"code":"28"}"#),
            SwipError::OrderAlreadyExists { description: None }
        );
        assert_eq!(
            api(400, r#"{"code":99,"description":"new"}"#),
            SwipError::Unknown {
                code: "99".to_owned(),
                description: Some("new".to_owned())
            }
        );
    }

    #[test]
    fn the_string_codes_of_the_http_table_are_read() {
        let named = [
            ("unauthorized", "2"),
            ("forbidden", "4"),
            ("not_found", "9"),
            ("method_not_allowed", "7"),
            ("too_many_request", "too_many_request"),
            ("internal_server_error", "1"),
        ];
        for (name, code) in named {
            assert_eq!(
                api(400, &format!(r#"{{"code":"{name}"}}"#)).code().0,
                code,
                "{name}"
            );
        }
        assert!(matches!(
            api(400, r#"{"code":"brand_new"}"#),
            SwipError::Unknown { code, .. } if code == "brand_new"
        ));
    }

    #[test]
    fn statuses_without_a_code_are_read_by_status() {
        assert!(matches!(api(400, "bad"), SwipError::ValidationFailed { .. }));
        assert!(matches!(
            api(400, r#"{"code":0}"#),
            SwipError::ValidationFailed { .. }
        ));
        assert!(matches!(api(401, ""), SwipError::AuthenticationFailed { .. }));
        assert!(matches!(api(403, ""), SwipError::AccessDenied { .. }));
        assert!(matches!(api(404, "Not Found"), SwipError::NotFound { .. }));
        assert!(matches!(api(405, ""), SwipError::MethodNotSupported { .. }));
        for status in [429, 500, 503] {
            let error = failure(&answer(status, r#"{"code":1,"description":"boom"}"#));
            assert!(
                matches!(error, CallError::Status { status: s, .. } if s == status),
                "{error:?}"
            );
        }
        assert!(failure(&answer(500, "{}")).outcome_unknown());
        assert!(matches!(
            failure(&answer(418, "")),
            CallError::Status { status: 418, .. }
        ));
    }

    #[test]
    fn validation_errors_name_their_fields() {
        let error = api(
            400,
            r#"{"code":5,"description":"VALIDATION FAILED","fieldErrors":[{"field":"total","message":"must not be null","objectName":"Order"}]}"#,
        );
        assert_eq!(
            error.to_string(),
            "SWiP rejected the request as invalid: total must not be null (SWiP: VALIDATION FAILED)"
        );
    }

    #[test]
    fn ids_cannot_change_the_path() {
        assert!(path_segment("1374289e-12fd-47e1-b111-0c6ae5568ff1").is_ok());
        assert!(matches!(path_segment("../refunds"), Err(CallError::Refused(_))));
        assert!(matches!(path_segment(""), Err(CallError::Refused(_))));
    }
}
