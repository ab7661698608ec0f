//! Flexiti's bodies as the document spells them (snake_case), in CAD.
//!
//! The document gives the request bodies of capture, return and purchase (with broken
//! JSON in every example: `//` comments, a doubled `{` after `sku_data`, missing and
//! trailing commas, a missing closing brace) and the capture answer's field names; the
//! authorization request and every other answer are elided. The readings chosen are
//! written next to each type.

use chrono::NaiveDate;
use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amount::{AmountError, to_money};

/// Flexiti lends in Canadian dollars only.
pub const CURRENCY: Currency = Currency::CAD;

/// Money given in another currency than CAD.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: Flexiti lends in CAD only, not {amount}")]
pub struct NotCad {
    /// The field.
    pub field: &'static str,
    /// The money as given.
    pub amount: Money,
}

/// The amount of `money` for `field`, refused unless it is CAD.
pub fn cad(field: &'static str, money: Money) -> Result<Decimal, NotCad> {
    if money.currency() == CURRENCY {
        Ok(money.amount())
    } else {
        Err(NotCad { field, amount: money })
    }
}

/// `amount` as CAD money, refused when it has more than two decimals.
pub fn cad_money(field: &'static str, amount: Decimal) -> Result<Money, AmountError> {
    to_money(field, amount, CURRENCY)
}

open_enum! {
    /// `transaction_type` (the list filter's example value; the list is elided).
    TransactionType {
        /// A purchase under a promotional financing plan.
        PromotionalPurchase => "promotional_purchase",
        /// A purchase under the account's regular terms. Reading: named as the
        /// counterpart of the example's value.
        RegularPurchase => "regular_purchase",
    }
}

open_enum! {
    /// `authorization_status` (the list filter's example `opened`). Reading: `closed`
    /// once fully captured, `expired` once lapsed.
    AuthorizationStatus {
        /// Can be captured.
        Opened => "opened",
        /// Captured in full.
        Closed => "closed",
        /// Lapsed without a full capture.
        Expired => "expired",
    }
}

open_enum! {
    /// `capture_status` (the list filter's example `opened`). Reading: `closed` once
    /// fully returned.
    CaptureStatus {
        /// Captured; can be returned.
        Opened => "opened",
        /// Returned in full.
        Closed => "closed",
    }
}

open_enum! {
    /// A return answer's `status`. Reading: the answer is elided; `returned` is what
    /// Kassa and the emulator use.
    ReturnStatus {
        /// Done.
        Returned => "returned",
    }
}

/// `sku_data`: what the customer's statement shows. Flexiti does not validate it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuData {
    /// The merchant's purchase number, ASCII (10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order: Option<String>,
    /// Shipping total.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub shipping_total: Option<Decimal>,
    /// The till, ASCII (50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_id: Option<String>,
    /// Sum of all discounts. Reading: typed "Integer (12,2)" but the examples send
    /// -123.08: a decimal.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub transaction_discount_total: Option<Decimal>,
    /// Sum of the items' totals (also "Integer (12,2)", also a decimal).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub transaction_subtotal: Option<Decimal>,
    /// GST and HST.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub gst_hst: Option<Decimal>,
    /// PST.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub pst: Option<Decimal>,
    /// `transaction_subtotal + gst_hst + pst`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub transaction_total: Option<Decimal>,
    /// The items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<SkuProduct>,
}

/// One item of `sku_data.products`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuProduct {
    /// The SKU, ASCII (150).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_id: Option<String>,
    /// The category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The description, ASCII (150).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Number (5).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub quantity: Option<Decimal>,
    /// The price of one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub unit_price: Option<Decimal>,
    /// `unit_price × quantity − discount`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub extended_price: Option<Decimal>,
}

/// The body of `POST /client-id/{client_id}/authorization`.
///
/// Reading: the document shows only this endpoint's URL; the body is the purchase
/// body's fields, with the account number in the body since the path has no place
/// for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// Kassa's reference (the order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The customer's Flexiti account.
    pub account_number: String,
    /// The amount to authorize.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// A business card's authorized user's card number, ASCII (16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcc_number: Option<String>,
    /// The store (required in store; the client fills it from the settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_location_id: Option<String>,
    /// The cashier (required in store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_employee_id: Option<String>,
    /// What the statement shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_data: Option<SkuData>,
}

impl AuthorizationRequest {
    /// An authorization of `amount` (CAD) on `account_number` by `employee_id`.
    pub fn new(
        account_number: impl Into<String>,
        amount: Money,
        employee_id: impl Into<String>,
    ) -> Result<Self, NotCad> {
        Ok(AuthorizationRequest {
            reference: None,
            account_number: account_number.into(),
            amount: cad("amount", amount)?,
            vcc_number: None,
            external_location_id: None,
            external_employee_id: Some(employee_id.into()),
            sku_data: None,
        })
    }
}

/// The body of the capture: `POST .../authorization/{authorization_id}/capture`.
///
/// Reading: the path is elided; its parameter table names `authorization_id` as a path
/// parameter and the answer a `capture_id`, so the capture sits below the authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRequest {
    /// Kassa's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The amount to capture, at most what is left of the authorization.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// The store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_location_id: Option<String>,
    /// The cashier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_employee_id: Option<String>,
    /// What the statement shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_data: Option<SkuData>,
}

impl CaptureRequest {
    /// A capture of `amount` (CAD) by `employee_id`.
    pub fn new(amount: Money, employee_id: impl Into<String>) -> Result<Self, NotCad> {
        Ok(CaptureRequest {
            reference: None,
            amount: cad("amount", amount)?,
            external_location_id: None,
            external_employee_id: Some(employee_id.into()),
            sku_data: None,
        })
    }
}

/// The body of the return: `POST .../authorization/{authorization_id}/capture/{capture_id}/return`.
///
/// Reading: the path is elided; the table names both ids as path parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequest {
    /// Kassa's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A business card's authorized user's card number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcc_number: Option<String>,
    /// Everything left of the capture. Reading: absent means false.
    #[serde(default)]
    pub full_return: bool,
    /// The amount ("Yes if full_return is false").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub amount: Option<Decimal>,
    /// What the statement shows (negative totals, as in the example).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_data: Option<SkuData>,
    /// The store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_location_id: Option<String>,
    /// The cashier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_employee_id: Option<String>,
}

impl ReturnRequest {
    /// A return of `amount` (CAD), or of everything left when `None`.
    pub fn new(amount: Option<Money>, employee_id: impl Into<String>) -> Result<Self, NotCad> {
        Ok(ReturnRequest {
            reference: None,
            vcc_number: None,
            full_return: amount.is_none(),
            amount: amount.map(|amount| cad("amount", amount)).transpose()?,
            sku_data: None,
            external_location_id: None,
            external_employee_id: Some(employee_id.into()),
        })
    }
}

/// The body of the purchase by account number:
/// `POST /client-id/{client_id}/account/{account_number}/purchase`.
///
/// Reading: the path is elided; the table names `account_number` a path parameter. The
/// example's `capture_id` is not explained ("No" in Required); it is carried as given
/// and Kassa never sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRequest {
    /// Kassa's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The amount, authorized and captured at once.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// The store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_location_id: Option<String>,
    /// The cashier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_employee_id: Option<String>,
    /// A business card's authorized user's card number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcc_number: Option<String>,
    /// See the type's reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<i64>,
    /// What the statement shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_data: Option<SkuData>,
}

impl PurchaseRequest {
    /// A purchase of `amount` (CAD) by `employee_id`.
    pub fn new(amount: Money, employee_id: impl Into<String>) -> Result<Self, NotCad> {
        Ok(PurchaseRequest {
            reference: None,
            amount: cad("amount", amount)?,
            external_location_id: None,
            external_employee_id: Some(employee_id.into()),
            vcc_number: None,
            capture_id: None,
            sku_data: None,
        })
    }
}

/// An authorization. Reading: the answer is elided; these fields are the list filters'
/// names plus the amounts a till needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// Flexiti's id (a number, as in the document's `authorization/12343`).
    pub authorization_id: i64,
    /// Kassa's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// The customer's account.
    #[serde(default)]
    pub account_number: Option<String>,
    /// The financing plan.
    #[serde(default)]
    pub transaction_type: Option<TransactionType>,
    /// opened, closed, expired.
    pub status: AuthorizationStatus,
    /// The amount authorized.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// Captured so far.
    #[serde(default, with = "crate::amount::option_number")]
    pub captured_amount: Option<Decimal>,
    /// What can still be captured.
    #[serde(default, with = "crate::amount::option_number")]
    pub remaining_authorization_amount: Option<Decimal>,
    /// The day it was made (YYYY-MM-DD, as the filters take it).
    #[serde(default)]
    pub creation_date: Option<String>,
    /// The store.
    #[serde(default)]
    pub external_location_id: Option<String>,
    /// The cashier.
    #[serde(default)]
    pub employee_username: Option<String>,
}

/// A capture, as the capture and purchase answer it and the capture list lists it. The
/// document names the capture answer's fields; `account_number`, `transaction_type` and
/// `returned_amount` are Kassa's reading for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// Flexiti's id.
    pub capture_id: i64,
    /// Kassa's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// The authorization captured.
    pub authorization_id: i64,
    /// The customer's account.
    #[serde(default)]
    pub account_number: Option<String>,
    /// The financing plan.
    #[serde(default)]
    pub transaction_type: Option<TransactionType>,
    /// When.
    #[serde(default)]
    pub date: Option<String>,
    /// Captured amount, number (18,2).
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// Returned so far.
    #[serde(default, with = "crate::amount::option_number")]
    pub returned_amount: Option<Decimal>,
    /// What is left of the authorization.
    #[serde(default, with = "crate::amount::option_number")]
    pub remaining_authorization_amount: Option<Decimal>,
    /// The amount financed under the plan's term. Reading: not explained; read as an
    /// amount.
    #[serde(default, with = "crate::amount::option_number")]
    pub term_amount: Option<Decimal>,
    /// The employee who captured.
    #[serde(default)]
    pub username: Option<String>,
    /// opened, closed.
    pub status: CaptureStatus,
    /// Flexiti's message.
    #[serde(default)]
    pub message: Option<String>,
}

/// A return's answer. Reading: elided in the document; the fields mirror the capture
/// answer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    /// Flexiti's id of the return.
    pub return_id: i64,
    /// Kassa's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// The authorization.
    pub authorization_id: i64,
    /// The capture returned.
    pub capture_id: i64,
    /// When.
    #[serde(default)]
    pub date: Option<String>,
    /// The amount returned.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// What can still be returned of the capture.
    #[serde(default, with = "crate::amount::option_number")]
    pub remaining_capture_amount: Option<Decimal>,
    /// returned.
    pub status: ReturnStatus,
    /// Flexiti's message.
    #[serde(default)]
    pub message: Option<String>,
}

/// A page of authorizations. Reading: elided; the page echoes `page_number` and
/// `page_size` and says how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationPage {
    /// This page, from 1.
    pub page_number: u32,
    /// Items per page.
    pub page_size: u32,
    /// How many match the filters in all.
    pub total_count: u64,
    /// The page's authorizations.
    pub authorizations: Vec<Authorization>,
}

/// A page of captures (see [`AuthorizationPage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturePage {
    /// This page, from 1.
    pub page_number: u32,
    /// Items per page.
    pub page_size: u32,
    /// How many match the filters in all.
    pub total_count: u64,
    /// The page's captures.
    pub captures: Vec<Capture>,
}

/// An error answer. Reading: the document describes none; the capture answer's own
/// `status` and `message` carry the error's code and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error's code.
    #[serde(default)]
    pub status: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The filters of `GET /client-id/{client_id}/authorizations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationFilter {
    /// One customer's account.
    pub account_number: Option<String>,
    /// One plan.
    pub transaction_type: Option<TransactionType>,
    /// One status.
    pub authorization_status: Option<AuthorizationStatus>,
    /// Made on or after.
    pub creation_date_from: Option<NaiveDate>,
    /// Made on or before.
    pub creation_date_to: Option<NaiveDate>,
    /// The page, from 1.
    pub page_number: Option<u32>,
    /// Items per page.
    pub page_size: Option<u32>,
}

/// The filters of `GET /client-id/{client_id}/captures`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureFilter {
    /// One customer's account.
    pub account_number: Option<String>,
    /// One plan.
    pub transaction_type: Option<TransactionType>,
    /// One status.
    pub capture_status: Option<CaptureStatus>,
    /// Made on or after.
    pub creation_date_from: Option<NaiveDate>,
    /// Made on or before.
    pub creation_date_to: Option<NaiveDate>,
    /// One capture.
    pub capture_id: Option<i64>,
    /// The authorization's corporation.
    pub authorization_corporation_id: Option<String>,
    /// The authorization's merchant.
    pub authorization_merchant_id: Option<String>,
    /// The authorization's store.
    pub authorization_location_id: Option<String>,
    /// Who authorized.
    pub authorization_employee_username: Option<String>,
    /// Who captured.
    pub capture_employee_username: Option<String>,
    /// The page, from 1.
    pub page_number: Option<u32>,
    /// Items per page.
    pub page_size: Option<u32>,
}

fn push(pairs: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<String>) {
    if let Some(value) = value {
        pairs.push((name, value));
    }
}

fn date(value: Option<NaiveDate>) -> Option<String> {
    value.map(|date| date.format("%Y-%m-%d").to_string())
}

/// Why a query of the document's examples cannot be read as filters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter {name}: {reason}")]
pub struct QueryError {
    /// The parameter.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

fn parsed<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, QueryError> {
    value.parse().map_err(|_| QueryError {
        name: name.to_owned(),
        reason: format!("{value:?} is not valid"),
    })
}

fn parsed_date(name: &str, value: &str) -> Result<NaiveDate, QueryError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| QueryError {
        name: name.to_owned(),
        reason: format!("{value:?} is not a date (YYYY-MM-DD)"),
    })
}

/// The language of Flexiti's messages. Reading: `lang` is optional; Kassa always asks
/// for English, as every example does.
pub const LANG: &str = "en";

impl AuthorizationFilter {
    /// The query, in the order of the document's example (`lang` first).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("lang", LANG.to_owned())];
        push(&mut pairs, "account_number", self.account_number.clone());
        push(
            &mut pairs,
            "transaction_type",
            self.transaction_type.as_ref().map(ToString::to_string),
        );
        push(
            &mut pairs,
            "authorization_status",
            self.authorization_status.as_ref().map(ToString::to_string),
        );
        push(&mut pairs, "creation_date_from", date(self.creation_date_from));
        push(&mut pairs, "creation_date_to", date(self.creation_date_to));
        push(&mut pairs, "page_number", self.page_number.map(|n| n.to_string()));
        push(&mut pairs, "page_size", self.page_size.map(|n| n.to_string()));
        pairs
    }

    /// The filters of a query (the document's example URL); `lang` is skipped.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, QueryError> {
        let mut filter = AuthorizationFilter::default();
        for (name, value) in pairs {
            match name {
                "lang" => {}
                "account_number" => filter.account_number = Some(value.to_owned()),
                "transaction_type" => filter.transaction_type = Some(TransactionType::from(value)),
                "authorization_status" => {
                    filter.authorization_status = Some(AuthorizationStatus::from(value))
                }
                "creation_date_from" => filter.creation_date_from = Some(parsed_date(name, value)?),
                "creation_date_to" => filter.creation_date_to = Some(parsed_date(name, value)?),
                "page_number" => filter.page_number = Some(parsed(name, value)?),
                "page_size" => filter.page_size = Some(parsed(name, value)?),
                other => {
                    return Err(QueryError {
                        name: other.to_owned(),
                        reason: "is not a filter of /authorizations".to_owned(),
                    });
                }
            }
        }
        Ok(filter)
    }
}

impl CaptureFilter {
    /// The query, in the order of the document's example (`lang` first).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("lang", LANG.to_owned())];
        push(&mut pairs, "account_number", self.account_number.clone());
        push(
            &mut pairs,
            "transaction_type",
            self.transaction_type.as_ref().map(ToString::to_string),
        );
        push(
            &mut pairs,
            "capture_status",
            self.capture_status.as_ref().map(ToString::to_string),
        );
        push(&mut pairs, "creation_date_from", date(self.creation_date_from));
        push(&mut pairs, "creation_date_to", date(self.creation_date_to));
        push(&mut pairs, "capture_id", self.capture_id.map(|id| id.to_string()));
        push(
            &mut pairs,
            "authorization_corporation_id",
            self.authorization_corporation_id.clone(),
        );
        push(
            &mut pairs,
            "authorization_merchant_id",
            self.authorization_merchant_id.clone(),
        );
        push(
            &mut pairs,
            "authorization_location_id",
            self.authorization_location_id.clone(),
        );
        push(
            &mut pairs,
            "authorization_employee_username",
            self.authorization_employee_username.clone(),
        );
        push(
            &mut pairs,
            "capture_employee_username",
            self.capture_employee_username.clone(),
        );
        push(&mut pairs, "page_number", self.page_number.map(|n| n.to_string()));
        push(&mut pairs, "page_size", self.page_size.map(|n| n.to_string()));
        pairs
    }

    /// The filters of a query (the document's example URL); `lang` is skipped.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, QueryError> {
        let mut filter = CaptureFilter::default();
        for (name, value) in pairs {
            let text = Some(value.to_owned());
            match name {
                "lang" => {}
                "account_number" => filter.account_number = text,
                "transaction_type" => filter.transaction_type = Some(TransactionType::from(value)),
                "capture_status" => filter.capture_status = Some(CaptureStatus::from(value)),
                "creation_date_from" => filter.creation_date_from = Some(parsed_date(name, value)?),
                "creation_date_to" => filter.creation_date_to = Some(parsed_date(name, value)?),
                "capture_id" => filter.capture_id = Some(parsed(name, value)?),
                "authorization_corporation_id" => filter.authorization_corporation_id = text,
                "authorization_merchant_id" => filter.authorization_merchant_id = text,
                "authorization_location_id" => filter.authorization_location_id = text,
                "authorization_employee_username" => filter.authorization_employee_username = text,
                "capture_employee_username" => filter.capture_employee_username = text,
                "page_number" => filter.page_number = Some(parsed(name, value)?),
                "page_size" => filter.page_size = Some(parsed(name, value)?),
                other => {
                    return Err(QueryError {
                        name: other.to_owned(),
                        reason: "is not a filter of /captures".to_owned(),
                    });
                }
            }
        }
        Ok(filter)
    }
}
