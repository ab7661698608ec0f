//! Plain enums shared by the store, the application service and the UI bindings: the
//! organisation (roles, devices, providers) and the catalog and sales vocabulary; their string forms are the ones
//! written to SQLite and shown to providers (DropPay uses `ENABLED`/`DISABLED` and
//! `REAL`/`VIRTUAL`), so changing one is a migration.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do. Checked in `kassa-app`, never only in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Cashier,
    Accountant,
}

/// Whether a store is a place to step into or a virtual one (DropPay's `place`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "UPPERCASE")]
pub enum Place {
    Real,
    Virtual,
}

/// A POS device may be taken out of service without losing its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "UPPERCASE")]
pub enum PosStatus {
    Enabled,
    Disabled,
}

/// The kind of point of sale a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// A staffed checkout running Kassa.
    Till,
    SelfCheckout,
    Mobile,
}

/// The external services a POS device can be known to, each under its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Droppay,
    Vourity,
    Swip,
    Flexiti,
    VenueManager,
}

/// The serial protocol of an attached card terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TerminalProtocol {
    Zvt,
}

/// The parity bit of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SerialParity {
    #[default]
    None,
    Even,
    Odd,
}

/// How a serial line holds back a sender that is too fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SerialFlowControl {
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// The character set of a card terminal's text (its receipt lines): CP437 is ZVT's
/// default, some terminals send ISO 8859.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TerminalCharset {
    #[default]
    Cp437,
    Iso8859_1,
    Iso8859_15,
}

/// Which of a country's VAT rates a product is taxed at; the percentage comes from the
/// dated `vat_rates` table for the store's country and the sale date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    Standard,
    Reduced,
    ReducedLow,
    Zero,
}

/// How a product is sold: by the piece, or by weight with a price per kilogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SaleUnit {
    Each,
    Kg,
}

/// Where a sale is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    /// Being rung up.
    Open,
    /// Put aside to be recalled later.
    Parked,
    /// A tender is pending at a terminal or provider.
    Paying,
    /// A tender's outcome was lost (crash, timeout); must be resolved before anything else.
    Unknown,
    Completed,
    /// Cancelled before completion.
    Voided,
    /// Completed, then reversed by a post-void record.
    PostVoided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    Sale,
    /// A credit note: quantities and amounts are negative.
    Refund,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TenderMethod {
    Cash,
    /// A stand-alone card terminal: the amount is keyed in there and the cashier
    /// confirms the outcome.
    ExternalCard,
    /// SWiP: the customer scans a QR code and pays in the SWiP app.
    Swip,
    /// Vourity: a card payment on the cloud-driven terminal, asked for by the till.
    Vourity,
    /// Flexiti: consumer financing on the customer's Flexiti account.
    Flexiti,
    /// A Venue Manager voucher code, redeemed whole.
    Voucher,
    /// The integrated card terminal (ZVT on a serial line or the LAN): the till sends the
    /// amount and the terminal's result comes back by itself.
    CardTerminal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TenderStatus {
    Pending,
    Approved,
    Declined,
    Cancelled,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CashMovementKind {
    CashIn,
    CashOut,
    /// The drawer opened without a sale ("no sale").
    DrawerOpen,
}

/// A text that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a valid {what}; expected one of: {}", expected.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub expected: &'static [&'static str],
}

macro_rules! text_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The name stored in SQLite and sent over the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err(UnknownName {
                        what: $what,
                        given: s.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}

text_enum!(Role, "role", { Manager => "manager", Cashier => "cashier", Accountant => "accountant" });
text_enum!(Place, "place", { Real => "REAL", Virtual => "VIRTUAL" });
text_enum!(PosStatus, "POS status", { Enabled => "ENABLED", Disabled => "DISABLED" });
text_enum!(DeviceType, "device type", { Till => "till", SelfCheckout => "self_checkout", Mobile => "mobile" });
text_enum!(Provider, "provider", {
    Droppay => "droppay",
    Vourity => "vourity",
    Swip => "swip",
    Flexiti => "flexiti",
    VenueManager => "venue_manager",
});
text_enum!(TerminalProtocol, "terminal protocol", { Zvt => "zvt" });
text_enum!(SerialParity, "parity", { None => "none", Even => "even", Odd => "odd" });
text_enum!(SerialFlowControl, "flow control", {
    None => "none",
    Software => "software",
    Hardware => "hardware",
});
text_enum!(TerminalCharset, "character set", {
    Cp437 => "cp437",
    Iso8859_1 => "iso8859_1",
    Iso8859_15 => "iso8859_15",
});
text_enum!(VatCategory, "VAT category", {
    Standard => "standard",
    Reduced => "reduced",
    ReducedLow => "reduced_low",
    Zero => "zero",
});
text_enum!(SaleUnit, "unit", { Each => "each", Kg => "kg" });
text_enum!(SaleStatus, "sale status", {
    Open => "open",
    Parked => "parked",
    Paying => "paying",
    Unknown => "unknown",
    Completed => "completed",
    Voided => "voided",
    PostVoided => "post_voided",
});
text_enum!(SaleKind, "sale kind", { Sale => "sale", Refund => "refund" });
text_enum!(TenderMethod, "tender method", {
    Cash => "cash",
    ExternalCard => "external_card",
    Swip => "swip",
    Vourity => "vourity",
    Flexiti => "flexiti",
    Voucher => "voucher",
    CardTerminal => "card_terminal",
});
text_enum!(TenderStatus, "tender status", {
    Pending => "pending",
    Approved => "approved",
    Declined => "declined",
    Cancelled => "cancelled",
    Unknown => "unknown",
});
text_enum!(CashMovementKind, "cash movement", { CashIn => "cash_in", CashOut => "cash_out", DrawerOpen => "drawer_open" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
            assert_eq!(serde_json::to_string(role).unwrap(), format!("\"{role}\""));
        }
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>().unwrap(), *provider);
            assert_eq!(
                serde_json::to_string(provider).unwrap(),
                format!("\"{provider}\"")
            );
        }
        assert_eq!(serde_json::to_string(&Place::Virtual).unwrap(), "\"VIRTUAL\"");
        assert_eq!(serde_json::to_string(&PosStatus::Enabled).unwrap(), "\"ENABLED\"");
        assert_eq!(
            serde_json::to_string(&DeviceType::SelfCheckout).unwrap(),
            "\"self_checkout\""
        );
    }

    #[test]
    fn unknown_names_say_what_was_expected() {
        let err = "boss".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'boss' is not a valid role; expected one of: manager, cashier, accountant"
        );
    }
}
