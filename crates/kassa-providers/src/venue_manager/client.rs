//! The Venue Manager client: one method per endpoint of the Core document.
//!
//! Two kinds of credentials: the shop's API user (HTTP Basic, for the invoice endpoints,
//! entered by a manager and kept in the keyring), and per-customer JSON Web Tokens
//! (`Authorization: Bearer`, for everything a customer does), which are obtained from the
//! token endpoints, held in a [`Secret`] in memory and never stored.

use std::time::Duration;

use kassa_core::Currency;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use super::error::VenueManagerError;
use super::wire::{
    AddPaymentCardRequest, AddressField, AddressValue, AnonymizeCheck, Category, ChangePasswordRequest,
    ClientInfo, CreateCustomerRequest, CreateOrderRequest, CreateTokenRequest, CreatedOrderBody, Customer,
    CustomerGroup, EditCustomerRequest, ErrorBody, Geofence, Invoice, LoyaltyPoints, OneTimeToken, OrderLine,
    OrderTransactionId, PayWithMethodRequest, PaymentCard, Product, RedeemVoucherRequest,
    RegisterUsageRequest, ResetPasswordAnswer, ResetPasswordRequest, TestObject, TokenBody, TokenGrant,
    VoucherCode, xml,
};
use super::{FIELDS, PROVIDER};
use crate::amount;
use crate::http::{Answer, DEFAULT_TIMEOUT, HttpClient, Malformed};
use crate::{CallError, Secret, Settings, SettingsError};

/// What a Venue Manager call returns.
pub type Result<T> = std::result::Result<T, CallError<VenueManagerError>>;

/// The format of `GET /invoice`: "Either json (default) or xml".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceFormat {
    /// `format=json`.
    Json,
    /// `format=xml`.
    Xml,
}

impl InvoiceFormat {
    fn as_str(self) -> &'static str {
        match self {
            InvoiceFormat::Json => "json",
            InvoiceFormat::Xml => "xml",
        }
    }
}

/// The answer of `POST /order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrder {
    /// "ID of the created order".
    pub id: u64,
    /// "Number of the created order", for the shop's wait page (`order_number=`).
    pub number: String,
    /// The order's URL (`Location`), when the shop sent one.
    pub location: Option<String>,
}

/// The answer of `POST /order/ordertransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStart {
    /// 201: an amount remained and a payment was created; send the customer to `payment_url`.
    Redirect {
        /// The new order transaction.
        transaction_id: u64,
        /// The Payment Service Provider's page (`Location`).
        payment_url: String,
    },
    /// 200: the order is fully paid (free items, or paid already); its transactions.
    AlreadyPaid {
        /// Every order transaction of the order.
        transaction_ids: Vec<u64>,
    },
}

/// Which endpoint a call went to, with what the error mapping needs to name.
#[derive(Debug, Clone)]
enum Endpoint {
    TestForbidden,
    Demo,
    Config,
    CreateCustomer,
    GetCustomer,
    EditCustomer,
    ChangePassword,
    ResetPassword,
    CreateToken,
    /// Every other call made with a customer token.
    CustomerCall,
    Anonymize,
    CreateOrder,
    PaySavedCard,
    Catalog,
    Product {
        product_id: u64,
    },
    Invoices {
        after_number: Option<u64>,
    },
    MarkPaid {
        external_id: String,
    },
    RegisterUsage,
    Voucher,
    RedeemVoucher,
}

impl Endpoint {
    /// The documented meaning of an error body at `status` on this endpoint.
    fn error(&self, status: u16, body: ErrorBody) -> VenueManagerError {
        use Endpoint as E;
        use VenueManagerError as V;
        let code = body.error_code.clone();
        let has_code = |wanted: u32| code.as_ref().is_some_and(|code| code.is(wanted));
        match (self, status) {
            (E::TestForbidden, 403) => V::DemoForbidden {
                message: body.error,
                code,
            },
            (E::CreateToken, 401) => V::LoginFailed { message: body.error },
            (E::EditCustomer, 400) => V::AddressNotUpdated { message: body.error },
            (E::ChangePassword, 400) if has_code(1001) => V::WrongOldPassword { message: body.error },
            (E::ResetPassword, 404) => V::UnknownUsername { message: body.error },
            (E::Anonymize, 400) if has_code(1000) => V::CannotBeAnonymized { message: body.error },
            (E::CreateOrder, 400) => V::OrderRejected {
                message: body.error,
                code,
            },
            (E::PaySavedCard, 400) => V::PaymentFailed { message: body.error },
            (E::Product { product_id }, 404) => V::UnknownProduct {
                product_id: *product_id,
                message: body.error,
            },
            (E::Invoices { .. } | E::MarkPaid { .. }, 401) => V::ApiUserRejected { message: body.error },
            (E::Invoices { .. }, 400) => V::InvalidInvoiceQuery { message: body.error },
            (
                E::Invoices {
                    after_number: Some(after_number),
                },
                404,
            ) => V::UnknownInvoiceNumber {
                after_number: *after_number,
                message: body.error,
            },
            (E::MarkPaid { external_id }, 404) => V::UnknownExternalId {
                external_id: external_id.clone(),
                message: body.error,
            },
            (E::MarkPaid { external_id }, 406) => V::AmbiguousExternalId {
                external_id: external_id.clone(),
                message: body.error,
            },
            (E::RegisterUsage, 403) if has_code(1001) => V::LoyaltyBarcodeExpired { message: body.error },
            (E::RegisterUsage, 403) if has_code(1002) => V::LoyaltyBarcodeUsed { message: body.error },
            (E::RegisterUsage, 404) => V::UnknownLoyaltyBarcode { message: body.error },
            (E::Voucher | E::RedeemVoucher, 404) => V::UnknownVoucherCode { message: body.error },
            (E::RedeemVoucher, 403) => V::VoucherAlreadyRedeemed { message: body.error },
            (
                E::CreateCustomer
                | E::CreateToken
                | E::ChangePassword
                | E::RegisterUsage
                | E::Voucher
                | E::RedeemVoucher,
                400,
            ) => V::InvalidRequest {
                message: body.error,
                code,
            },
            // Reading: every call made with a customer token answers 401 when the token is
            // missing, invalid or expired, whether or not its section shows the 401; the
            // document shows it for edit customer, validate, data and one-time tokens.
            (
                E::GetCustomer
                | E::EditCustomer
                | E::ChangePassword
                | E::CustomerCall
                | E::Anonymize
                | E::CreateOrder
                | E::PaySavedCard
                | E::RegisterUsage
                | E::Voucher
                | E::RedeemVoucher,
                401,
            ) => V::NotLoggedIn { message: body.error },
            (E::Demo | E::Config | E::Catalog | _, _) => VenueManagerError::unknown(status, body),
        }
    }
}

/// Percent-encodes one path segment (everything but RFC 3986's unreserved characters).
fn path_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn malformed(answer: &Answer, what: &'static str, detail: impl Into<String>) -> Malformed {
    Malformed {
        status: answer.status.as_u16(),
        what,
        detail: detail.into(),
        excerpt: answer.excerpt(),
    }
}

/// A client of one shop's Venue Manager API.
#[derive(Debug, Clone)]
pub struct Client {
    http: HttpClient,
    api_user: String,
    api_password: Secret,
    client_name: String,
    client_os: String,
    currency: Currency,
}

impl Client {
    /// A client for the shop at `base_url` (`https://customer.admin.venuemanager.net/api/core`).
    pub fn new(
        base_url: &str,
        api_user: impl Into<String>,
        api_password: Secret,
        client_name: impl Into<String>,
        currency: Currency,
        timeout: Duration,
    ) -> std::result::Result<Client, crate::http::BaseUrlError> {
        Ok(Client {
            http: HttpClient::new(base_url, timeout)?,
            api_user: api_user.into(),
            api_password,
            client_name: client_name.into(),
            // Reading: `clientOs` is free text shown to the customer in lists of their
            // tokens ("iOS - 12.0"); Kassa names itself and the system it runs on.
            client_os: format!("Kassa {} - {}", env!("CARGO_PKG_VERSION"), std::env::consts::OS),
            currency,
        })
    }

    /// A client from the settings a manager entered ([`FIELDS`]).
    pub fn from_settings(settings: &Settings) -> std::result::Result<Client, SettingsError> {
        let [user_field, password_field, client_name_field, currency_field] = FIELDS else {
            unreachable!("FIELDS has four entries");
        };
        let api_user = settings.value(PROVIDER, user_field)?;
        let api_password = settings.secret(PROVIDER, password_field)?;
        let client_name = settings.value(PROVIDER, client_name_field)?;
        let currency_text = settings.value(PROVIDER, currency_field)?;
        let currency: Currency = currency_text
            .parse()
            .map_err(|error: kassa_core::UnknownCurrency| SettingsError::Invalid {
                provider: PROVIDER,
                key: currency_field.key,
                label: currency_field.label,
                reason: error.to_string(),
            })?;
        Client::new(
            &settings.base_url,
            api_user,
            api_password.clone(),
            client_name,
            currency,
            DEFAULT_TIMEOUT,
        )
        .map_err(|source| SettingsError::BaseUrl {
            provider: PROVIDER,
            source,
        })
    }

    /// The shop's base URL, where the document's paths start.
    pub fn base_url(&self) -> &url::Url {
        self.http.base_url()
    }

    /// The shop's currency, which every amount it sends must be in.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The `clientName` sent with every customer call.
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// The `clientOs` sent with every customer call.
    pub fn client_os(&self) -> &str {
        &self.client_os
    }

    /// Proves the API user's credentials with the most harmless call that needs them:
    /// `GET /invoice?limit=1` (the `test/*` endpoints take no credentials).
    pub async fn test_connection(&self) -> Result<()> {
        self.invoices(None, 1, InvoiceFormat::Json).await.map(|_| ())
    }

    fn client_info(&self) -> ClientInfo {
        ClientInfo {
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        }
    }

    fn client_query(&self) -> [(&'static str, &str); 2] {
        [("clientName", &self.client_name), ("clientOs", &self.client_os)]
    }

    fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, path)
    }

    fn as_customer(&self, method: Method, path: &str, token: &Secret) -> RequestBuilder {
        self.http.request(method, path).bearer_auth(token.expose())
    }

    fn as_api_user(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, path)
            .basic_auth(&self.api_user, Some(self.api_password.expose()))
    }

    /// Sends and keeps the answer when its status is one of `expected`; any other status
    /// becomes the endpoint's documented error, or [`CallError::Status`].
    async fn exchange(
        &self,
        endpoint: Endpoint,
        request: RequestBuilder,
        expected: &[u16],
    ) -> Result<Answer> {
        let answer = self.http.send(request).await?;
        let status = answer.status.as_u16();
        if expected.contains(&status) {
            return Ok(answer);
        }
        // A 5xx stays a status even with an error body: the shop may have acted on it.
        if (400..500).contains(&status)
            && status != 429
            && let Ok(body) = serde_json::from_slice::<ErrorBody>(&answer.body)
        {
            return Err(CallError::Api(endpoint.error(status, body)));
        }
        Err(answer.unexpected_status())
    }

    async fn json<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        request: RequestBuilder,
        expected: &[u16],
        what: &'static str,
    ) -> Result<T> {
        let answer = self.exchange(endpoint, request, expected).await?;
        Ok(answer.json(what)?)
    }

    fn check_currency(&self, what: &str, currency_code: &str) -> Result<()> {
        if currency_code == self.currency.code() {
            Ok(())
        } else {
            Err(CallError::Contradiction(format!(
                "{what} is in {currency_code:?}, but the shop's currency is {}",
                self.currency
            )))
        }
    }

    // ----- Demo endpoints -------------------------------------------------------------

    /// `GET /test/integer`: 42.
    pub async fn test_integer(&self) -> Result<i64> {
        let request = self.anonymous(Method::GET, "test/integer");
        self.json(Endpoint::Demo, request, &[200], "integer").await
    }

    /// `GET /test/integerArray`.
    pub async fn test_integer_array(&self) -> Result<Vec<i64>> {
        let request = self.anonymous(Method::GET, "test/integerArray");
        self.json(Endpoint::Demo, request, &[200], "integer array").await
    }

    /// `GET /test/string`.
    pub async fn test_string(&self) -> Result<String> {
        let request = self.anonymous(Method::GET, "test/string");
        self.json(Endpoint::Demo, request, &[200], "string").await
    }

    /// `GET /test/object`.
    pub async fn test_object(&self) -> Result<TestObject> {
        let request = self.anonymous(Method::GET, "test/object");
        self.json(Endpoint::Demo, request, &[200], "object").await
    }

    /// `GET /test/noContent`: 204.
    pub async fn test_no_content(&self) -> Result<()> {
        let request = self.anonymous(Method::GET, "test/noContent");
        self.exchange(Endpoint::Demo, request, &[204]).await.map(|_| ())
    }

    /// `GET /test/forbidden`: "This endpoint always fails", with
    /// [`VenueManagerError::DemoForbidden`].
    pub async fn test_forbidden(&self) -> Result<()> {
        let request = self.anonymous(Method::GET, "test/forbidden");
        self.exchange(Endpoint::TestForbidden, request, &[])
            .await
            .map(|_| ())
    }

    // ----- Configuration --------------------------------------------------------------

    /// `GET /config/address?languageCode=&addressType=`: the address fields of a
    /// customer (`billing` when `address_type` is `None`).
    pub async fn address_config(
        &self,
        language_code: &str,
        address_type: Option<&str>,
    ) -> Result<Vec<AddressField>> {
        let mut request = self
            .anonymous(Method::GET, "config/address")
            .query(&[("languageCode", language_code)]);
        if let Some(address_type) = address_type {
            request = request.query(&[("addressType", address_type)]);
        }
        self.json(Endpoint::Config, request, &[200], "address configuration")
            .await
    }

    /// `GET /config/geofence?languageCode=`.
    pub async fn geofences(&self, language_code: &str) -> Result<Vec<Geofence>> {
        let request = self
            .anonymous(Method::GET, "config/geofence")
            .query(&[("languageCode", language_code)]);
        self.json(Endpoint::Config, request, &[200], "geofences").await
    }

    // ----- Customers ------------------------------------------------------------------

    /// `POST /customer`: creates a customer and returns a token for them.
    pub async fn create_customer(&self, password: &Secret, address: Vec<AddressValue>) -> Result<TokenGrant> {
        let body = CreateCustomerRequest {
            password: password.clone(),
            address,
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        };
        let request = self.anonymous(Method::POST, "customer").json(&body);
        self.json(Endpoint::CreateCustomer, request, &[200], "customer token")
            .await
    }

    /// `GET /customer/{customerId}?clientName=&clientOs=`.
    pub async fn customer(&self, token: &Secret, customer_id: u64) -> Result<Customer> {
        let request = self
            .as_customer(Method::GET, &format!("customer/{customer_id}"), token)
            .query(&self.client_query());
        let customer: Customer = self
            .json(Endpoint::GetCustomer, request, &[200], "customer")
            .await?;
        if customer.id != customer_id {
            return Err(CallError::Contradiction(format!(
                "asked for customer {customer_id}, got customer {}",
                customer.id
            )));
        }
        Ok(customer)
    }

    /// `POST /customer/{customerId}`: updates address fields.
    // Reading: the document shows no Authorization header here but answers 401 "No
    // customer logged in.", so the customer's token is sent.
    pub async fn edit_customer(
        &self,
        token: &Secret,
        customer_id: u64,
        address: Vec<AddressValue>,
    ) -> Result<()> {
        let request = self
            .as_customer(Method::POST, &format!("customer/{customer_id}"), token)
            .json(&EditCustomerRequest { address });
        self.exchange(Endpoint::EditCustomer, request, &[204])
            .await
            .map(|_| ())
    }

    /// `POST /customer/updatePass`.
    // Reading: "the password of the customer" is the logged-in customer's; the token is
    // sent as on every customer call.
    pub async fn change_password(
        &self,
        token: &Secret,
        old_password: &Secret,
        new_password: &Secret,
    ) -> Result<()> {
        let body = ChangePasswordRequest {
            old_password: old_password.clone(),
            new_password: new_password.clone(),
        };
        let request = self
            .as_customer(Method::POST, "customer/updatePass", token)
            .json(&body);
        self.exchange(Endpoint::ChangePassword, request, &[204])
            .await
            .map(|_| ())
    }

    /// `POST /customer/resetpass`: mails the customer a reset link.
    pub async fn reset_password(&self, username: &str) -> Result<ResetPasswordAnswer> {
        let body = ResetPasswordRequest {
            username: username.to_owned(),
        };
        let request = self.anonymous(Method::POST, "customer/resetpass").json(&body);
        self.json(Endpoint::ResetPassword, request, &[200], "reset password answer")
            .await
    }

    /// `POST /customer/token`: logs a customer in.
    pub async fn create_token(&self, username: &str, password: &Secret) -> Result<TokenGrant> {
        let body = CreateTokenRequest {
            username: username.to_owned(),
            password: password.clone(),
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        };
        let request = self.anonymous(Method::POST, "customer/token").json(&body);
        self.json(Endpoint::CreateToken, request, &[200], "customer token")
            .await
    }

    /// `GET /customer/token`: `Ok` when the token is valid (204).
    pub async fn validate_token(&self, token: &Secret) -> Result<()> {
        let request = self.as_customer(Method::GET, "customer/token", token);
        self.exchange(Endpoint::CustomerCall, request, &[204])
            .await
            .map(|_| ())
    }

    /// `POST /customer/dataToken`: a token with the customer's name, e-mail and season
    /// rank in its payload.
    // Reading: the body's `token` is the simple token being extended, the same one as in
    // `Authorization` ("requires a simple bearer token to be created").
    pub async fn create_data_token(&self, token: &Secret) -> Result<TokenGrant> {
        let request = self
            .as_customer(Method::POST, "customer/dataToken", token)
            .json(&TokenBody { token: token.clone() });
        self.json(Endpoint::CustomerCall, request, &[200], "data token")
            .await
    }

    /// `POST /customer/pushToken`: replaces the customer's push token.
    pub async fn set_push_token(&self, token: &Secret, push_token: &Secret) -> Result<()> {
        let request = self
            .as_customer(Method::POST, "customer/pushToken", token)
            .json(&TokenBody {
                token: push_token.clone(),
            });
        self.exchange(Endpoint::CustomerCall, request, &[204])
            .await
            .map(|_| ())
    }

    /// `POST /customer/guestToken`: a token for a guest customer.
    pub async fn create_guest_token(&self) -> Result<TokenGrant> {
        let request = self
            .anonymous(Method::POST, "customer/guestToken")
            .json(&self.client_info());
        self.json(Endpoint::CustomerCall, request, &[200], "guest token")
            .await
    }

    /// `POST /customer/onetimetoken`: a 60-second token for `<shop>/?login_by_token=`.
    pub async fn create_one_time_token(&self, token: &Secret) -> Result<OneTimeToken> {
        let request = self
            .as_customer(Method::POST, "customer/onetimetoken", token)
            .json(&self.client_info());
        self.json(Endpoint::CustomerCall, request, &[200], "one-time token")
            .await
    }

    /// `GET /customer/anonymize?clientName=&clientOs=`: whether the customer can be
    /// anonymized, and why not.
    pub async fn anonymize_check(&self, token: &Secret) -> Result<AnonymizeCheck> {
        let request = self
            .as_customer(Method::GET, "customer/anonymize", token)
            .query(&self.client_query());
        self.json(Endpoint::Anonymize, request, &[200], "anonymization check")
            .await
    }

    /// `POST /customer/anonymize`: anonymizes the customer and everything related.
    pub async fn anonymize(&self, token: &Secret) -> Result<()> {
        let request = self
            .as_customer(Method::POST, "customer/anonymize", token)
            .json(&self.client_info());
        self.exchange(Endpoint::Anonymize, request, &[204])
            .await
            .map(|_| ())
    }

    /// `GET /customer/paymentcards?clientName=&clientOs=`: the saved cards.
    pub async fn payment_cards(&self, token: &Secret) -> Result<Vec<PaymentCard>> {
        let request = self
            .as_customer(Method::GET, "customer/paymentcards", token)
            .query(&self.client_query());
        self.json(Endpoint::CustomerCall, request, &[200], "payment cards")
            .await
    }

    /// `POST /customer/paymentcards`: starts saving a card; returns the PSP page
    /// (`Location`) where the customer enters it.
    pub async fn add_payment_card(
        &self,
        token: &Secret,
        success_url: &str,
        failed_url: &str,
    ) -> Result<String> {
        let body = AddPaymentCardRequest {
            success_url: success_url.to_owned(),
            failed_url: failed_url.to_owned(),
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        };
        let request = self
            .as_customer(Method::POST, "customer/paymentcards", token)
            .json(&body);
        let answer = self.exchange(Endpoint::CustomerCall, request, &[201]).await?;
        location(&answer, "card registration")
    }

    // ----- Customer groups ------------------------------------------------------------

    /// `GET /customergroup`.
    pub async fn customer_groups(&self) -> Result<Vec<CustomerGroup>> {
        let request = self.anonymous(Method::GET, "customergroup");
        self.json(Endpoint::Catalog, request, &[200], "customer groups")
            .await
    }

    // ----- Orders ---------------------------------------------------------------------

    /// `POST /order`: a new order for the customer.
    pub async fn create_order(&self, token: &Secret, lines: Vec<OrderLine>) -> Result<CreatedOrder> {
        if lines.is_empty() {
            return Err(CallError::Refused("an order needs at least one line".to_owned()));
        }
        if let Some(line) = lines
            .iter()
            .find(|line| line.sellable_id.is_none() && line.product_id.is_none())
        {
            return Err(CallError::Refused(format!(
                "an order line of quantity {} names neither a product nor a sellable",
                line.quantity
            )));
        }
        let body = CreateOrderRequest {
            order_lines: lines,
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        };
        let request = self.as_customer(Method::POST, "order", token).json(&body);
        let answer = self.exchange(Endpoint::CreateOrder, request, &[201]).await?;
        let created: CreatedOrderBody = answer.json("created order")?;
        Ok(CreatedOrder {
            id: created.id,
            number: created.number,
            location: location(&answer, "order").ok(),
        })
    }

    /// `POST /order/ordertransaction/savedcard/{cardId}`: pays the customer's order with
    /// a saved card.
    // Reading: the document names no order; the order paid is the customer's most recent
    // one with an amount outstanding (the one `POST /order` just created).
    pub async fn pay_with_saved_card(&self, token: &Secret, card_id: u64) -> Result<OrderTransactionId> {
        let request = self.as_customer(
            Method::POST,
            &format!("order/ordertransaction/savedcard/{card_id}"),
            token,
        );
        self.json(Endpoint::PaySavedCard, request, &[200], "order transaction")
            .await
    }

    /// `POST /order/ordertransaction`: starts paying the customer's order at the PSP.
    // Reading: the same order as for a saved card: the most recent one outstanding.
    pub async fn pay_with_method(
        &self,
        token: &Secret,
        success_url: &str,
        failed_url: &str,
        payment_method: Option<&str>,
    ) -> Result<PaymentStart> {
        let body = PayWithMethodRequest {
            success_url: success_url.to_owned(),
            failed_url: failed_url.to_owned(),
            payment_method: payment_method.map(str::to_owned),
            client_name: self.client_name.clone(),
            client_os: Some(self.client_os.clone()),
        };
        let request = self
            .as_customer(Method::POST, "order/ordertransaction", token)
            .json(&body);
        let answer = self
            .exchange(Endpoint::CustomerCall, request, &[200, 201])
            .await?;
        if answer.status.as_u16() == 201 {
            let created: OrderTransactionId = answer.json("order transaction")?;
            Ok(PaymentStart::Redirect {
                transaction_id: created.id,
                payment_url: location(&answer, "payment")?,
            })
        } else {
            let all: Vec<OrderTransactionId> = answer.json("order transactions")?;
            Ok(PaymentStart::AlreadyPaid {
                transaction_ids: all.into_iter().map(|transaction| transaction.id).collect(),
            })
        }
    }

    // ----- Catalog --------------------------------------------------------------------

    /// `GET /catalog/categories?languageCode=`.
    pub async fn categories(&self, language_code: Option<&str>) -> Result<Vec<Category>> {
        let mut request = self.anonymous(Method::GET, "catalog/categories");
        if let Some(language_code) = language_code {
            request = request.query(&[("languageCode", language_code)]);
        }
        self.json(Endpoint::Catalog, request, &[200], "categories").await
    }

    /// `GET /catalog/products/?languageCode=&productType=`, every price checked against
    /// the shop's currency.
    pub async fn products(
        &self,
        language_code: Option<&str>,
        product_type: Option<&str>,
    ) -> Result<Vec<Product>> {
        let mut request = self.anonymous(Method::GET, "catalog/products/");
        if let Some(language_code) = language_code {
            request = request.query(&[("languageCode", language_code)]);
        }
        if let Some(product_type) = product_type {
            request = request.query(&[("productType", product_type)]);
        }
        let answer = self.exchange(Endpoint::Catalog, request, &[200]).await?;
        let products: Vec<Product> = answer.json("products")?;
        for product in &products {
            self.check_product(&answer, product)?;
        }
        Ok(products)
    }

    /// `GET /catalog/product/{id}?languageCode=`.
    // Reading: the document's path `/catalog/product/?languageCode=` names no product; the
    // id goes in the path, as in `/customer/{customerId}` and `/savedcard/{cardId}`.
    pub async fn product(&self, product_id: u64, language_code: Option<&str>) -> Result<Product> {
        let mut request = self.anonymous(Method::GET, &format!("catalog/product/{product_id}"));
        if let Some(language_code) = language_code {
            request = request.query(&[("languageCode", language_code)]);
        }
        let answer = self
            .exchange(Endpoint::Product { product_id }, request, &[200])
            .await?;
        let product: Product = answer.json("product")?;
        if product.id != product_id {
            return Err(CallError::Contradiction(format!(
                "asked for product {product_id}, got product {}",
                product.id
            )));
        }
        self.check_product(&answer, &product)?;
        Ok(product)
    }

    fn check_product(&self, answer: &Answer, product: &Product) -> Result<()> {
        self.check_currency(&format!("product {}", product.id), &product.currency_code)?;
        for (field, value) in [("priceInclVat", product.price_incl_vat), ("vat", product.vat)] {
            amount::to_money(field, value, self.currency)
                .map_err(|error| malformed(answer, "product", format!("product {}: {error}", product.id)))?;
        }
        Ok(())
    }

    // ----- Invoices -------------------------------------------------------------------

    /// `GET /invoice?afterNumber=&limit=&format=` with the API user: up to `limit`
    /// invoices and credit notes numbered after `after_number` (from the first when
    /// `None`), oldest first.
    pub async fn invoices(
        &self,
        after_number: Option<u64>,
        limit: u32,
        format: InvoiceFormat,
    ) -> Result<Vec<Invoice>> {
        if limit == 0 {
            return Err(CallError::Refused(
                "ask for at least one invoice (limit 0)".to_owned(),
            ));
        }
        let mut request = self.as_api_user(Method::GET, "invoice");
        if let Some(after_number) = after_number {
            request = request.query(&[("afterNumber", after_number)]);
        }
        request = request.query(&[("limit", limit.to_string().as_str()), ("format", format.as_str())]);
        let answer = self
            .exchange(Endpoint::Invoices { after_number }, request, &[200])
            .await?;
        let invoices = match format {
            InvoiceFormat::Json => answer.json::<Vec<Invoice>>("invoice list")?,
            InvoiceFormat::Xml => {
                let content_type = answer
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("");
                if !content_type.contains("xml") {
                    return Err(malformed(
                        &answer,
                        "invoice list (XML)",
                        format!("Content-Type is {content_type:?}, not application/xml"),
                    )
                    .into());
                }
                let text = std::str::from_utf8(&answer.body)
                    .map_err(|error| malformed(&answer, "invoice list (XML)", error.to_string()))?;
                xml::parse_invoices(text)
                    .map_err(|error| malformed(&answer, "invoice list (XML)", error.to_string()))?
            }
        };
        self.check_invoices(&answer, after_number, limit, &invoices)?;
        Ok(invoices)
    }

    fn check_invoices(
        &self,
        answer: &Answer,
        after_number: Option<u64>,
        limit: u32,
        invoices: &[Invoice],
    ) -> Result<()> {
        if invoices.len() > limit as usize {
            return Err(CallError::Contradiction(format!(
                "asked for at most {limit} invoices, got {}",
                invoices.len()
            )));
        }
        let mut previous = after_number;
        for invoice in invoices {
            if let Some(previous) = previous
                && invoice.number <= previous
            {
                return Err(CallError::Contradiction(match after_number {
                    Some(after) if previous == after => format!(
                        "asked for invoices after number {after}, got number {}",
                        invoice.number
                    ),
                    _ => format!(
                        "invoice number {} follows number {previous}; the shop's invoices are not in order",
                        invoice.number
                    ),
                }));
            }
            previous = Some(invoice.number);
            self.check_currency(&format!("invoice {}", invoice.number), &invoice.currency_code)?;
            invoice
                .money()
                .map_err(|error| malformed(answer, "invoice list", error.to_string()))?;
        }
        Ok(())
    }

    /// `PUT /invoice/markAsPaidByExternalId/{externalId}` with the API user.
    pub async fn mark_invoice_paid(&self, external_id: &str) -> Result<()> {
        let external_id = external_id.trim();
        if external_id.is_empty() {
            return Err(CallError::Refused(
                "an invoice's external ID is needed to mark it paid".to_owned(),
            ));
        }
        let request = self.as_api_user(
            Method::PUT,
            &format!("invoice/markAsPaidByExternalId/{}", path_segment(external_id)),
        );
        let endpoint = Endpoint::MarkPaid {
            external_id: external_id.to_owned(),
        };
        self.exchange(endpoint, request, &[204]).await.map(|_| ())
    }

    // ----- Loyalty and vouchers -------------------------------------------------------

    /// `POST /loyalty/barcode/registerUsage`: registers a scanned loyalty barcode.
    pub async fn register_loyalty_usage(&self, token: &Secret, code: &str) -> Result<LoyaltyPoints> {
        let body = RegisterUsageRequest {
            client_name: self.client_name.clone(),
            client_os: self.client_os.clone(),
            code: code.to_owned(),
        };
        let request = self
            .as_customer(Method::POST, "loyalty/barcode/registerUsage", token)
            .json(&body);
        self.json(Endpoint::RegisterUsage, request, &[200], "loyalty points")
            .await
    }

    /// `GET /voucher/code?code=`: a voucher code by its text.
    pub async fn voucher_code(&self, token: &Secret, code: &str) -> Result<VoucherCode> {
        let request = self
            .as_customer(Method::GET, "voucher/code", token)
            .query(&[("code", code)]);
        let answer = self.exchange(Endpoint::Voucher, request, &[200]).await?;
        let voucher: VoucherCode = answer.json("voucher code")?;
        if voucher.code != code {
            return Err(CallError::Contradiction(format!(
                "asked for voucher code {code:?}, got {:?}",
                voucher.code
            )));
        }
        if let Some(price) = &voucher.creation_price {
            self.check_currency(&format!("voucher code {code:?}"), &price.currency_code)?;
            for (field, value) in [
                ("creationPrice.amount", price.amount),
                ("creationPrice.discount", price.discount),
            ] {
                amount::to_money(field, value, self.currency)
                    .map_err(|error| malformed(&answer, "voucher code", error.to_string()))?;
            }
        }
        Ok(voucher)
    }

    /// `POST /voucher/code/redeem`: sets a voucher code as used, without an order.
    pub async fn redeem_voucher_code(&self, token: &Secret, code_id: u64) -> Result<()> {
        let request = self
            .as_customer(Method::POST, "voucher/code/redeem", token)
            .json(&RedeemVoucherRequest { id: code_id });
        self.exchange(Endpoint::RedeemVoucher, request, &[204])
            .await
            .map(|_| ())
    }
}

/// The `Location` header of a 201, which the document gives as the answer's meaning.
fn location(answer: &Answer, what: &'static str) -> Result<String> {
    answer
        .headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| malformed(answer, what, "the answer has no Location header").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: serde_json::Value) -> ErrorBody {
        serde_json::from_value(serde_json::json!({"error": "message", "errorCode": code})).unwrap()
    }

    #[test]
    fn documented_codes_pick_the_variant_and_others_stay_unknown() {
        use VenueManagerError as V;
        let invoices = Endpoint::Invoices { after_number: None };
        assert!(matches!(
            invoices.error(400, body(0.into())),
            V::InvalidInvoiceQuery { .. }
        ));
        // Without an afterNumber a 404 is not "unknown invoice number".
        assert!(matches!(
            invoices.error(404, body(0.into())),
            V::Unknown { status: 404, .. }
        ));
        assert!(matches!(
            Endpoint::ChangePassword.error(400, body(1001.into())),
            V::WrongOldPassword { .. }
        ));
        assert!(matches!(
            Endpoint::ChangePassword.error(400, body(0.into())),
            V::InvalidRequest { .. }
        ));
        assert!(matches!(
            Endpoint::RegisterUsage.error(403, body("1002".into())),
            V::LoyaltyBarcodeUsed { .. }
        ));
        assert!(matches!(
            Endpoint::RegisterUsage.error(403, body(1001.into())),
            V::LoyaltyBarcodeExpired { .. }
        ));
        let unknown = Endpoint::RegisterUsage.error(403, body("1003".into()));
        assert_eq!(
            unknown.to_string(),
            "the shop answered HTTP 403 (error code 1003): message"
        );
        assert!(matches!(
            Endpoint::Anonymize.error(400, body(7.into())),
            V::Unknown { status: 400, .. }
        ));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("DG817"), "DG817");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("æ"), "%C3%A6");
    }
}
