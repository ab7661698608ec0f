//! The Flexiti client: headers, the idempotency reference, one method per endpoint, and
//! how answers map to [`FlexitiError`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::FlexitiError;
use super::wire::{
    Authorization, AuthorizationFilter, AuthorizationPage, AuthorizationRequest, Capture, CaptureFilter,
    CapturePage, CaptureRequest, ErrorBody, LANG, PurchaseRequest, Return, ReturnRequest, cad_money,
};
use super::{FIELD_LIST, PROVIDER};
use crate::Secret;
use crate::http::{Answer, CallError, DEFAULT_TIMEOUT, HttpClient, Malformed};
use crate::settings::{Settings, SettingsError};

/// What a Flexiti call returns.
pub type FlexitiResult<T> = Result<T, CallError<FlexitiError>>;

/// The longest `x-reference-id` Kassa sends. Reading: the document gives no limit; 64
/// visible ASCII characters hold any UUID or Kassa operation id.
const MAX_REFERENCE_ID: usize = 64;

/// A client of one Flexiti merchant (client id) at one store.
#[derive(Debug, Clone)]
pub struct Client {
    http: HttpClient,
    client_id: String,
    api_key: Secret,
    location_id: String,
}

impl Client {
    /// A client from the settings a manager entered ([`FIELDS`](super::FIELDS)).
    pub fn from_settings(settings: &Settings) -> Result<Client, SettingsError> {
        let [client_id, api_key, location_id] = &FIELD_LIST;
        let http = HttpClient::new(&settings.base_url, DEFAULT_TIMEOUT).map_err(|source| {
            SettingsError::BaseUrl {
                provider: PROVIDER,
                source,
            }
        })?;
        let client_id_value = settings.value(PROVIDER, client_id)?;
        if !is_path_safe(client_id_value) {
            return Err(SettingsError::Invalid {
                provider: PROVIDER,
                key: client_id.key,
                label: client_id.label,
                reason: "may hold only letters, digits, '-' and '_'".to_owned(),
            });
        }
        Ok(Client {
            http,
            client_id: client_id_value.to_owned(),
            api_key: settings.secret(PROVIDER, api_key)?.clone(),
            location_id: settings.value(PROVIDER, location_id)?.to_owned(),
        })
    }

    /// Proves the base URL, client id and key with a harmless read: the first
    /// authorization of a one-item page.
    pub async fn test_connection(&self) -> FlexitiResult<()> {
        let filter = AuthorizationFilter {
            page_number: Some(1),
            page_size: Some(1),
            ..AuthorizationFilter::default()
        };
        self.list_authorizations(&filter).await.map(drop)
    }

    /// `POST .../authorization`: authorizes the amount on the customer's account.
    pub async fn authorize(
        &self,
        x_reference_id: &str,
        request: &AuthorizationRequest,
    ) -> FlexitiResult<Authorization> {
        let mut request = request.clone();
        self.in_store(&mut request.external_location_id, &request.external_employee_id)?;
        outgoing("amount", request.amount)?;
        if !is_path_safe(&request.account_number) {
            return Err(CallError::Refused(format!(
                "{:?} is not a Flexiti account number",
                request.account_number
            )));
        }
        let answer = self.post("authorization", x_reference_id, &request).await?;
        let authorization: Authorization = success(&answer, "authorization")?;
        check_authorization(&answer, &authorization)?;
        if authorization.amount != request.amount {
            return Err(CallError::Contradiction(format!(
                "Flexiti authorized {} CAD where Kassa asked for {}",
                authorization.amount, request.amount
            )));
        }
        if authorization
            .account_number
            .as_deref()
            .is_some_and(|number| number != request.account_number)
        {
            return Err(CallError::Contradiction(format!(
                "Flexiti authorized account {:?} where Kassa asked for {}",
                authorization.account_number, request.account_number
            )));
        }
        Ok(authorization)
    }

    /// `POST .../authorization/{authorization_id}/capture`: captures up to what is left
    /// of the authorization.
    pub async fn capture(
        &self,
        x_reference_id: &str,
        authorization_id: i64,
        request: &CaptureRequest,
    ) -> FlexitiResult<Capture> {
        let mut request = request.clone();
        self.in_store(&mut request.external_location_id, &request.external_employee_id)?;
        outgoing("amount", request.amount)?;
        let path = format!("authorization/{authorization_id}/capture");
        let answer = self.post(&path, x_reference_id, &request).await?;
        let capture: Capture = success(&answer, "capture")?;
        check_capture(&answer, &capture, request.amount)?;
        if capture.authorization_id != authorization_id {
            return Err(CallError::Contradiction(format!(
                "Flexiti captured authorization {} where Kassa asked for {authorization_id}",
                capture.authorization_id
            )));
        }
        Ok(capture)
    }

    /// `POST .../account/{account_number}/purchase`: authorizes and captures at once.
    pub async fn purchase(
        &self,
        x_reference_id: &str,
        account_number: &str,
        request: &PurchaseRequest,
    ) -> FlexitiResult<Capture> {
        let mut request = request.clone();
        self.in_store(&mut request.external_location_id, &request.external_employee_id)?;
        outgoing("amount", request.amount)?;
        if !is_path_safe(account_number) {
            return Err(CallError::Refused(format!(
                "{account_number:?} is not a Flexiti account number"
            )));
        }
        let path = format!("account/{account_number}/purchase");
        let answer = self.post(&path, x_reference_id, &request).await?;
        let capture: Capture = success(&answer, "capture")?;
        check_capture(&answer, &capture, request.amount)?;
        if capture
            .account_number
            .as_deref()
            .is_some_and(|number| number != account_number)
        {
            return Err(CallError::Contradiction(format!(
                "Flexiti charged account {:?} where Kassa asked for {account_number}",
                capture.account_number
            )));
        }
        Ok(capture)
    }

    /// `POST .../authorization/{authorization_id}/capture/{capture_id}/return`: gives
    /// back all (`full_return`) or part of a capture, never more than was captured.
    pub async fn return_capture(
        &self,
        x_reference_id: &str,
        authorization_id: i64,
        capture_id: i64,
        request: &ReturnRequest,
    ) -> FlexitiResult<Return> {
        let mut request = request.clone();
        self.in_store(&mut request.external_location_id, &request.external_employee_id)?;
        match (request.full_return, request.amount) {
            (false, None) => {
                return Err(CallError::Refused(
                    "a partial Flexiti return needs an amount".to_owned(),
                ));
            }
            (true, Some(_)) => {
                return Err(CallError::Refused(
                    "a full Flexiti return takes no amount".to_owned(),
                ));
            }
            (_, Some(amount)) => outgoing("amount", amount).map(drop)?,
            (true, None) => {}
        }
        let path = format!("authorization/{authorization_id}/capture/{capture_id}/return");
        let answer = self.post(&path, x_reference_id, &request).await?;
        let returned: Return = success(&answer, "return")?;
        for (field, amount) in [
            ("amount", Some(returned.amount)),
            ("remaining_capture_amount", returned.remaining_capture_amount),
        ] {
            if let Some(amount) = amount {
                cad_money(field, amount).map_err(|error| malformed(&answer, "return", error))?;
            }
        }
        if returned.capture_id != capture_id || returned.authorization_id != authorization_id {
            return Err(CallError::Contradiction(format!(
                "Flexiti returned capture {} of authorization {} where Kassa asked for {capture_id} of {authorization_id}",
                returned.capture_id, returned.authorization_id
            )));
        }
        match request.amount {
            Some(amount) if returned.amount != amount => Err(CallError::Contradiction(format!(
                "Flexiti returned {} CAD where Kassa asked for {amount}",
                returned.amount
            ))),
            None if returned.amount <= Decimal::ZERO => Err(CallError::Contradiction(format!(
                "Flexiti answered a full return with {} CAD",
                returned.amount
            ))),
            _ => Ok(returned),
        }
    }

    /// `GET .../authorizations`: authorizations, filtered and paged.
    pub async fn list_authorizations(
        &self,
        filter: &AuthorizationFilter,
    ) -> FlexitiResult<AuthorizationPage> {
        let answer = self.get("authorizations", &filter.to_query()).await?;
        let page: AuthorizationPage = success(&answer, "page of authorizations")?;
        for authorization in &page.authorizations {
            check_authorization(&answer, authorization)?;
        }
        check_page(
            page.page_number,
            page.page_size,
            page.authorizations.len(),
            filter.page_number,
            filter.page_size,
        )?;
        Ok(page)
    }

    /// `GET .../authorization/{authorization_id}`: one authorization.
    pub async fn get_authorization(&self, authorization_id: i64) -> FlexitiResult<Authorization> {
        // Reading: the document's example `authorization/12343&lang=en` has `&` where
        // the query starts; read as `?lang=en`.
        let path = format!("authorization/{authorization_id}");
        let answer = self.get(&path, &[("lang", LANG.to_owned())]).await?;
        let authorization: Authorization = success(&answer, "authorization")?;
        check_authorization(&answer, &authorization)?;
        if authorization.authorization_id != authorization_id {
            return Err(CallError::Contradiction(format!(
                "asked for authorization {authorization_id}, Flexiti answered {}",
                authorization.authorization_id
            )));
        }
        Ok(authorization)
    }

    /// `GET .../captures`: captures, filtered and paged.
    pub async fn list_captures(&self, filter: &CaptureFilter) -> FlexitiResult<CapturePage> {
        // Reading: the example `captures&lang=en&...` is read as `captures?lang=en&...`.
        let answer = self.get("captures", &filter.to_query()).await?;
        let page: CapturePage = success(&answer, "page of captures")?;
        for capture in &page.captures {
            check_capture_amounts(&answer, capture)?;
        }
        check_page(
            page.page_number,
            page.page_size,
            page.captures.len(),
            filter.page_number,
            filter.page_size,
        )?;
        Ok(page)
    }

    // ---------------------------------------------------------------------------------

    /// Fills the store and refuses a missing cashier. Reading: Kassa is the in-store
    /// channel, where both are "Yes".
    fn in_store(&self, location: &mut Option<String>, employee: &Option<String>) -> FlexitiResult<()> {
        if location.as_deref().is_none_or(|text| text.trim().is_empty()) {
            *location = Some(self.location_id.clone());
        }
        if employee.as_deref().is_none_or(|text| text.trim().is_empty()) {
            return Err(CallError::Refused(
                "Flexiti needs the cashier (external_employee_id) for an in-store transaction".to_owned(),
            ));
        }
        Ok(())
    }

    fn path(&self, rest: &str) -> String {
        format!("client-id/{}/{rest}", self.client_id)
    }

    async fn post<B: Serialize>(&self, rest: &str, x_reference_id: &str, body: &B) -> FlexitiResult<Answer> {
        let x_reference_id = x_reference_id.trim();
        if x_reference_id.is_empty()
            || x_reference_id.len() > MAX_REFERENCE_ID
            || !x_reference_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(CallError::Refused(format!(
                "{x_reference_id:?} is not a usable x-reference-id (1 to {MAX_REFERENCE_ID} visible ASCII characters)"
            )));
        }
        let json = serde_json::to_vec(body)
            .map_err(|error| CallError::Refused(format!("the request could not be written: {error}")))?;
        let request = self
            .http
            .request(Method::POST, &self.path(rest))
            .query(&[("lang", LANG)])
            .bearer_auth(self.api_key.expose())
            .header("x-reference-id", x_reference_id)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(json);
        Ok(self.http.send(request).await?)
    }

    async fn get(&self, rest: &str, query: &[(&'static str, String)]) -> FlexitiResult<Answer> {
        let request = self
            .http
            .request(Method::GET, &self.path(rest))
            .query(query)
            .bearer_auth(self.api_key.expose())
            // Reading: the tables list x-reference-id for the transactions only; a read
            // gets a fresh one, so a proxy that requires it on every call is satisfied.
            .header("x-reference-id", fresh_reference_id())
            .header("Accept", "application/json");
        Ok(self.http.send(request).await?)
    }
}

fn fresh_reference_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("kassa-read-{nanos}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn is_path_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn outgoing(field: &'static str, amount: Decimal) -> FlexitiResult<Decimal> {
    cad_money(field, amount).map_err(|error| CallError::Refused(error.to_string()))?;
    if amount <= Decimal::ZERO {
        return Err(CallError::Refused(format!(
            "{field}: a Flexiti amount must be more than 0, not {amount}"
        )));
    }
    Ok(amount)
}

fn malformed(answer: &Answer, what: &'static str, error: impl std::fmt::Display) -> CallError<FlexitiError> {
    CallError::Malformed(Malformed {
        status: answer.status.as_u16(),
        what,
        detail: error.to_string(),
        excerpt: answer.excerpt(),
    })
}

fn success<T: DeserializeOwned>(answer: &Answer, what: &'static str) -> FlexitiResult<T> {
    if answer.status.as_u16() != 200 {
        return Err(failure(answer));
    }
    Ok(answer.json(what)?)
}

fn check_authorization(answer: &Answer, authorization: &Authorization) -> FlexitiResult<()> {
    let amounts = [
        ("amount", Some(authorization.amount)),
        ("captured_amount", authorization.captured_amount),
        (
            "remaining_authorization_amount",
            authorization.remaining_authorization_amount,
        ),
    ];
    for (field, amount) in amounts {
        if let Some(amount) = amount {
            cad_money(field, amount).map_err(|error| malformed(answer, "authorization", error))?;
        }
    }
    Ok(())
}

fn check_capture_amounts(answer: &Answer, capture: &Capture) -> FlexitiResult<()> {
    let amounts = [
        ("amount", Some(capture.amount)),
        ("returned_amount", capture.returned_amount),
        (
            "remaining_authorization_amount",
            capture.remaining_authorization_amount,
        ),
        ("term_amount", capture.term_amount),
    ];
    for (field, amount) in amounts {
        if let Some(amount) = amount {
            cad_money(field, amount).map_err(|error| malformed(answer, "capture", error))?;
        }
    }
    Ok(())
}

fn check_capture(answer: &Answer, capture: &Capture, asked: Decimal) -> FlexitiResult<()> {
    check_capture_amounts(answer, capture)?;
    if capture.amount != asked {
        return Err(CallError::Contradiction(format!(
            "Flexiti captured {} CAD where Kassa asked for {asked}",
            capture.amount
        )));
    }
    Ok(())
}

fn check_page(
    number: u32,
    size: u32,
    items: usize,
    asked_number: Option<u32>,
    asked_size: Option<u32>,
) -> FlexitiResult<()> {
    let contradicts = asked_number.is_some_and(|asked| asked != number)
        || asked_size.is_some_and(|asked| asked != size)
        || items > size as usize;
    if contradicts {
        return Err(CallError::Contradiction(format!(
            "Flexiti answered page {number} of size {size} with {items} items for page {asked_number:?} of size {asked_size:?}"
        )));
    }
    Ok(())
}

/// The error a non-200 answer stands for.
///
/// Reading: 5xx and 429 stay `CallError::Status` (a server error may come after the
/// change; a 429 keeps its Retry-After). Otherwise the body's `status` code decides,
/// and without one the HTTP status.
pub(crate) fn failure(answer: &Answer) -> CallError<FlexitiError> {
    let status = answer.status.as_u16();
    if status >= 500 || status == 429 {
        return answer.unexpected_status();
    }
    let body = answer.json::<ErrorBody>("error").ok();
    let message = body
        .as_ref()
        .and_then(|body| body.message.clone())
        .or_else(|| Some(answer.excerpt()).filter(|text| !text.is_empty()));
    if let Some(code) = body.as_ref().and_then(|body| body.status.as_deref()) {
        return CallError::Api(FlexitiError::from_code(status, code, message));
    }
    CallError::Api(match status {
        400 => FlexitiError::InvalidRequest { message },
        401 => FlexitiError::Unauthorized { message },
        403 => FlexitiError::Forbidden { message },
        404 => FlexitiError::NotFound { message },
        409 => FlexitiError::ReferenceConflict { message },
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

    #[test]
    fn every_error_code_has_its_own_variant() {
        let codes = [
            (400, "invalid_request"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "not_found"),
            (409, "reference_conflict"),
            (422, "insufficient_credit"),
            (422, "authorization_not_open"),
            (422, "amount_exceeds_authorization"),
            (422, "return_exceeds_capture"),
        ];
        for (status, code) in codes {
            let body = format!(r#"{{"status":"{code}","message":"m"}}"#);
            match failure(&answer(status, &body)) {
                CallError::Api(error) => {
                    assert_eq!(error.code(), code);
                    assert!(!matches!(error, FlexitiError::Unknown { .. }));
                    assert!(error.to_string().ends_with("(Flexiti: m)"), "{error}");
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        assert!(matches!(
            failure(&answer(422, r#"{"status":"account_frozen"}"#)),
            CallError::Api(FlexitiError::Unknown { status: 422, code, .. }) if code == "account_frozen"
        ));
    }

    #[test]
    fn statuses_without_a_code_are_read_by_status() {
        assert!(matches!(
            failure(&answer(401, "")),
            CallError::Api(FlexitiError::Unauthorized { .. })
        ));
        assert!(matches!(
            failure(&answer(404, "Not Found")),
            CallError::Api(FlexitiError::NotFound { .. })
        ));
        assert!(matches!(
            failure(&answer(409, "")),
            CallError::Api(FlexitiError::ReferenceConflict { .. })
        ));
        assert!(matches!(
            failure(&answer(422, "")),
            CallError::Status { status: 422, .. }
        ));
        assert!(failure(&answer(503, r#"{"status":"invalid_request"}"#)).outcome_unknown());
    }
}
