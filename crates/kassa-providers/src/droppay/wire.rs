//! The POS device bodies as the document spells them (`device.type`, `device.ref`,
//! `business_categories`, `georef`...).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

open_enum! {
    /// A POS's status: "one of [ENABLED, DISABLED]", plus `DELETED`.
    PosStatus {
        /// Takes payments.
        Enabled => "ENABLED",
        /// Temporarily out of order; history kept, can be enabled again.
        Disabled => "DISABLED",
        // Reading: DELETE is "not physical" and the entity "will retain valid referenced
        // info"; the document names no status for that. We read a deleted POS back with
        // status DELETED (GET still answers 200), and it can no longer be changed.
        /// Soft-deleted: kept for the transactions' history, no longer usable.
        Deleted => "DELETED",
    }
}

open_enum! {
    /// A brand's or store's status, "one of [ENABLED, DISABLED]".
    EntityStatus {
        /// Active.
        Enabled => "ENABLED",
        /// Inactive.
        Disabled => "DISABLED",
    }
}

open_enum! {
    /// `device.type`: "APP (fixed string)".
    DeviceType {
        /// This application acting as the POS device.
        App => "APP",
    }
}

open_enum! {
    /// `store.place`, "one of [REAL, VIRTUAL]".
    Place {
        /// A place to step in.
        Real => "REAL",
        /// A web address, a magazine...
        Virtual => "VIRTUAL",
    }
}

/// A value the document types one way and its examples another: `georef.lat` is
/// "(string, returned)" but `41.8922566` in the examples, `business_categories` an
/// "array of strings" but `[1,12,19]`. Reading: both forms are accepted and the text is
/// kept exactly (a number is never read through f64), and written back in the form it
/// came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberOrText {
    /// Sent as a JSON number: its text.
    Number(String),
    /// Sent as a JSON string.
    Text(String),
}

impl NumberOrText {
    /// The text, whichever form it came in.
    pub fn as_str(&self) -> &str {
        match self {
            NumberOrText::Number(text) | NumberOrText::Text(text) => text,
        }
    }

    /// The value as an exact decimal, where it is one.
    pub fn decimal(&self) -> Option<Decimal> {
        Decimal::from_str(self.as_str().trim()).ok()
    }
}

impl Serialize for NumberOrText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            NumberOrText::Number(text) => RawValue::from_string(text.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
            NumberOrText::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NumberOrText, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        if text.starts_with('"') {
            let text: String = serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            Ok(NumberOrText::Text(text))
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(NumberOrText::Number(text.to_owned()))
        } else {
            Err(serde::de::Error::custom(format!(
                "expected a number or a string, found {text}"
            )))
        }
    }
}

/// The device part of a request: `{"type": "APP", "ref": "<application key>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    /// Always `APP`.
    #[serde(rename = "type")]
    pub device_type: DeviceType,
    /// The Application Key.
    #[serde(rename = "ref")]
    pub reference: String,
}

/// `POST /brand/{brand_id}/store/{store_id}/pos` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePosBody {
    /// The device to register.
    pub device: DeviceRef,
}

/// `PATCH /brand/{brand_id}/store/{store_id}/pos/{pos_id}` body: the "allowed
/// properties", status and device, each optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePosBody {
    /// `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PosStatus>,
    /// Another Application Key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceRef>,
}

/// The POS Device as returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// `APP`.
    #[serde(rename = "type")]
    pub device_type: DeviceType,
    /// The Application Key.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The Application's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The Application's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `georef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoReference {
    /// Latitude.
    pub lat: NumberOrText,
    /// Longitude.
    pub lon: NumberOrText,
}

/// A Store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// DropPay public id (`STR...`).
    pub id: String,
    /// Status (in the examples, not in the entity's property list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EntityStatus>,
    /// Short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `REAL` or `VIRTUAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// Street address, or what stands for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Present when `place` is REAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub georef: Option<GeoReference>,
}

/// A Brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brand {
    /// DropPay public id (`BRN...`).
    pub id: String,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EntityStatus>,
    /// Brand name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    // Reading: the entity calls the logo `image`, the examples `logo`; both are read.
    /// Logo URL.
    #[serde(default, alias = "image", skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Description or payoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// "For forthcoming use"; numbers in the examples, strings in the entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub business_categories: Vec<NumberOrText>,
    /// "For forthcoming use".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payable_account: Option<String>,
    /// The brand's stores, where listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<Store>,
}

/// The POS object every endpoint but DELETE returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    /// DropPay public id (`POS...`).
    pub id: String,
    /// `ENABLED`, `DISABLED` (or `DELETED`, our reading).
    pub status: PosStatus,
    /// The device.
    pub device: Device,
    /// The brand it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<Brand>,
    /// The store it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<Store>,
}

/// The Error Info payload of DropPay's Common Errors page, which the document refers
/// to: `{"code": "100", "description": "Missing arguments"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Three digits as a string; the first names the service context (1xx global).
    pub code: NumberOrText,
    /// A sentence in English.
    #[serde(default)]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_keep_their_text_in_either_form() {
        let geo: GeoReference = serde_json::from_str(r#"{"lat":41.8922566,"lon":"12.476499"}"#).unwrap();
        assert_eq!(geo.lat, NumberOrText::Number("41.8922566".to_owned()));
        assert_eq!(geo.lon.decimal(), Some(Decimal::from_str("12.476499").unwrap()));
        assert_eq!(
            serde_json::to_string(&geo).unwrap(),
            r#"{"lat":41.8922566,"lon":"12.476499"}"#
        );
        assert!(serde_json::from_str::<GeoReference>(r#"{"lat":true,"lon":1}"#).is_err());
    }

    #[test]
    fn a_status_the_document_does_not_list_is_kept() {
        let status: PosStatus = serde_json::from_str("\"SUSPENDED\"").unwrap();
        assert_eq!(status, PosStatus::Unknown("SUSPENDED".to_owned()));
    }
}
