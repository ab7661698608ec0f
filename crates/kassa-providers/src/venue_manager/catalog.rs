//! The Venue Manager catalog as rows for Kassa's catalog import.
//!
//! Venue Manager products have no SKU and no barcode, and give VAT as an amount inside
//! the price (`priceInclVat` 685, `vat` 137). A row's SKU is the product's `label` (or
//! `vm-<id>` when it has none), and its VAT rate is `vat / (priceInclVat − vat) × 100`,
//! accepted only when that division is exact and the rate is one the store's country
//! has: a product whose VAT does not come out as a valid rate is refused by name rather
//! than imported with a guessed rate.

use std::str::FromStr;

use kassa_core::{Currency, Money};
use rust_decimal::Decimal;

use super::wire::{Category, Product};
use crate::amount;

/// One product ready for Kassa's catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    /// The product's `label`, or `vm-<id>`.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// The category's name, when the caller assigned one.
    pub category: Option<String>,
    /// The price including VAT.
    pub price: Money,
    /// The VAT rate in percent (`25`).
    pub vat_rate: Decimal,
}

/// Why a product cannot become a catalog row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The product's currency is not one Kassa knows.
    #[error("product {name:?} (id {id}): unknown currency {currency:?}")]
    UnknownCurrency {
        /// The product's id.
        id: u64,
        /// The product's name.
        name: String,
        /// The code sent.
        currency: String,
    },
    /// A price with more decimals than the currency has.
    #[error("product {name:?} (id {id}): {source}")]
    Amount {
        /// The product's id.
        id: u64,
        /// The product's name.
        name: String,
        /// Which amount.
        source: amount::AmountError,
    },
    /// The VAT is negative, or not less than the price.
    #[error("product {name:?} (id {id}): VAT {vat} does not fit in the price {price_incl_vat}")]
    VatOutOfRange {
        /// The product's id.
        id: u64,
        /// The product's name.
        name: String,
        /// `vat`.
        vat: Decimal,
        /// `priceInclVat`.
        price_incl_vat: Decimal,
    },
    /// `vat / (priceInclVat − vat)` is not an exact percentage.
    #[error(
        "product {name:?} (id {id}): VAT {vat} in the price {price_incl_vat} is no exact rate; set the product's VAT in the shop"
    )]
    InexactRate {
        /// The product's id.
        id: u64,
        /// The product's name.
        name: String,
        /// `vat`.
        vat: Decimal,
        /// `priceInclVat`.
        price_incl_vat: Decimal,
    },
    /// The rate is exact but not one of the store country's rates.
    #[error("product {name:?} (id {id}): VAT rate {rate} % is not valid here (valid: {})", list(.valid))]
    RateNotValid {
        /// The product's id.
        id: u64,
        /// The product's name.
        name: String,
        /// The rate derived.
        rate: Decimal,
        /// The rates valid in the store's country.
        valid: Vec<Decimal>,
    },
}

fn list(rates: &[Decimal]) -> String {
    let texts: Vec<String> = rates
        .iter()
        .map(|rate| format!("{} %", rate.normalize()))
        .collect();
    texts.join(", ")
}

/// The VAT rate in percent that `vat` is of the net price, when that is exact.
fn exact_rate(vat: Decimal, price_incl_vat: Decimal) -> Option<Decimal> {
    let net = price_incl_vat.checked_sub(vat)?;
    let hundred = Decimal::ONE_HUNDRED;
    // Decimal division rounds a non-terminating quotient to 28 digits, and multiplying
    // that back can round up to the exact product again; so the quotient is cut to 10
    // decimals (far more than any real rate has), where multiplying back cannot round.
    let rate = vat.checked_mul(hundred)?.checked_div(net)?.round_dp(10);
    (rate.checked_mul(net)? == vat.checked_mul(hundred)?).then(|| rate.normalize())
}

/// `product` as a catalog row in `category`, its VAT rate one of `valid_rates` (percent).
pub fn catalog_row(
    product: &Product,
    category: Option<&Category>,
    valid_rates: &[Decimal],
) -> Result<CatalogRow, CatalogError> {
    let id = product.id;
    let name = product.name.clone();
    let currency = Currency::from_str(&product.currency_code).map_err(|_| CatalogError::UnknownCurrency {
        id,
        name: name.clone(),
        currency: product.currency_code.clone(),
    })?;
    let price = amount::to_money("priceInclVat", product.price_incl_vat, currency).map_err(|source| {
        CatalogError::Amount {
            id,
            name: name.clone(),
            source,
        }
    })?;
    amount::to_money("vat", product.vat, currency).map_err(|source| CatalogError::Amount {
        id,
        name: name.clone(),
        source,
    })?;
    let (vat, price_incl_vat) = (product.vat, product.price_incl_vat);
    if vat.is_sign_negative() || vat >= price_incl_vat {
        return Err(CatalogError::VatOutOfRange {
            id,
            name,
            vat,
            price_incl_vat,
        });
    }
    let rate = exact_rate(vat, price_incl_vat).ok_or_else(|| CatalogError::InexactRate {
        id,
        name: name.clone(),
        vat,
        price_incl_vat,
    })?;
    if !valid_rates.contains(&rate) {
        return Err(CatalogError::RateNotValid {
            id,
            name,
            rate,
            valid: valid_rates.to_vec(),
        });
    }
    let sku = match product.label.as_deref().map(str::trim) {
        Some(label) if !label.is_empty() => label.to_owned(),
        _ => format!("vm-{id}"),
    };
    Ok(CatalogRow {
        sku,
        name,
        category: category.map(|category| category.name.clone()),
        price,
        vat_rate: rate,
    })
}

/// Every product as a row, or the reason it is refused, in the products' order.
// Reading: the document's products carry no category reference and its categories list
// no products, so the caller says which category a product is in (`category_of`, by
// product id), from wherever the shop's other modules tell it; `None` is uncategorised.
pub fn catalog_rows(
    products: &[Product],
    categories: &[Category],
    category_of: impl Fn(&Product) -> Option<u64>,
    valid_rates: &[Decimal],
) -> Vec<Result<CatalogRow, CatalogError>> {
    products
        .iter()
        .map(|product| {
            let category =
                category_of(product).and_then(|id| categories.iter().find(|category| category.id == id));
            catalog_row(product, category, valid_rates)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue_manager::wire::ProductType;

    fn product(id: u64, label: Option<&str>, price: &str, vat: &str) -> Product {
        Product {
            id,
            name: format!("Product {id}"),
            label: label.map(str::to_owned),
            product_type: ProductType::SeasonCard,
            price_incl_vat: price.parse().unwrap(),
            vat: vat.parse().unwrap(),
            currency_code: "DKK".to_owned(),
            has_inventory_per_date: false,
            app_data: None,
            properties: None,
        }
    }

    fn danish_rates() -> Vec<Decimal> {
        vec![Decimal::from(25), Decimal::ZERO]
    }

    #[test]
    fn the_documents_product_is_25_percent() {
        let category = Category {
            id: 8,
            name: "Årskort".to_owned(),
            label: "aarskort".to_owned(),
            app_data: None,
        };
        let row = catalog_row(
            &product(3, Some("aarskort2019"), "685", "137"),
            Some(&category),
            &danish_rates(),
        )
        .unwrap();
        assert_eq!(row.sku, "aarskort2019");
        assert_eq!(row.name, "Product 3");
        assert_eq!(row.category.as_deref(), Some("Årskort"));
        assert_eq!(row.price, Money::new(Decimal::from(685), Currency::DKK));
        assert_eq!(row.vat_rate.to_string(), "25");
    }

    #[test]
    fn a_product_without_a_label_is_named_by_its_id() {
        for label in [None, Some(""), Some("  ")] {
            let row = catalog_row(&product(51, label, "100", "20"), None, &danish_rates()).unwrap();
            assert_eq!(row.sku, "vm-51");
            assert_eq!(row.category, None);
        }
    }

    #[test]
    fn fractional_rates_are_exact_when_the_amounts_are() {
        // 12.5 % of 80 is 10; 6 % of 100 is 6 (rates valid elsewhere).
        let rates = [Decimal::new(125, 1), Decimal::from(6)];
        let row = catalog_row(&product(1, Some("a"), "90", "10"), None, &rates).unwrap();
        assert_eq!(row.vat_rate, Decimal::new(125, 1));
        let row = catalog_row(&product(2, Some("b"), "106", "6"), None, &rates).unwrap();
        assert_eq!(row.vat_rate.to_string(), "6");
        // Zero VAT is the rate 0 where the caller allows it.
        let row = catalog_row(&product(4, Some("c"), "50", "0"), None, &danish_rates()).unwrap();
        assert_eq!(row.vat_rate, Decimal::ZERO);
    }

    #[test]
    fn an_inexact_rate_is_refused_by_name() {
        // 100 / 1 → 33.333… %
        let error = catalog_row(&product(7, Some("x"), "400", "100"), None, &danish_rates()).unwrap_err();
        assert!(
            matches!(error, CatalogError::InexactRate { id: 7, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("\"Product 7\""), "{error}");
        // A VAT amount rounded to øre: 25 % of 99.99 is 24.9975.
        let error = catalog_row(&product(8, Some("y"), "124.99", "25"), None, &danish_rates()).unwrap_err();
        assert!(
            matches!(error, CatalogError::InexactRate { id: 8, .. }),
            "{error}"
        );
    }

    #[test]
    fn an_exact_rate_the_country_lacks_is_refused() {
        // 100 / 400 = 25 %, but only 12 % and 6 % are allowed.
        let rates = [Decimal::from(12), Decimal::from(6)];
        let error = catalog_row(&product(9, Some("z"), "500", "100"), None, &rates).unwrap_err();
        assert_eq!(
            error.to_string(),
            "product \"Product 9\" (id 9): VAT rate 25 % is not valid here (valid: 12 %, 6 %)"
        );
    }

    #[test]
    fn impossible_amounts_are_refused() {
        let error = catalog_row(&product(10, None, "100", "100"), None, &danish_rates()).unwrap_err();
        assert!(matches!(error, CatalogError::VatOutOfRange { .. }), "{error}");
        let error = catalog_row(&product(11, None, "100", "-1"), None, &danish_rates()).unwrap_err();
        assert!(matches!(error, CatalogError::VatOutOfRange { .. }), "{error}");
        let error = catalog_row(&product(12, None, "100.005", "20"), None, &danish_rates()).unwrap_err();
        assert!(matches!(error, CatalogError::Amount { id: 12, .. }), "{error}");
        let mut other = product(13, None, "100", "20");
        other.currency_code = "XYZ".to_owned();
        let error = catalog_row(&other, None, &danish_rates()).unwrap_err();
        assert!(matches!(error, CatalogError::UnknownCurrency { .. }), "{error}");
    }

    #[test]
    fn rows_keep_the_products_order_and_their_categories() {
        let categories = vec![Category {
            id: 8,
            name: "Årskort".to_owned(),
            label: "aarskort".to_owned(),
            app_data: None,
        }];
        let products = vec![
            product(3, Some("a"), "685", "137"),
            product(4, Some("b"), "400", "100"),
        ];
        let rows = catalog_rows(
            &products,
            &categories,
            |p| (p.id == 3).then_some(8),
            &danish_rates(),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().unwrap().category.as_deref(), Some("Årskort"));
        assert!(rows[1].is_err());
    }
}
