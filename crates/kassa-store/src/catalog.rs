//! The catalog: categories, products with their codes, per-store prices (including VAT,
//! in minor units of the store's currency) and the dated VAT rate table.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use kassa_core::org::{SaleUnit, VatCategory};

use crate::StoreError;
use crate::pos_devices::parse_text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category_id: Option<i64>,
    pub category_name: Option<String>,
    pub vat_category: VatCategory,
    pub unit: SaleUnit,
    pub active: bool,
    pub barcodes: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A product's fields as validated by the application service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub category_id: Option<i64>,
    pub vat_category: VatCategory,
    pub unit: SaleUnit,
    pub active: bool,
}

/// A price including VAT in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPrice {
    pub unit_price_minor: i64,
    pub currency: String,
}

const SELECT: &str = "SELECT p.id, p.sku, p.name, p.category_id, c.name, p.vat_category, p.unit, p.active, \
     p.created_at, p.updated_at FROM products p LEFT JOIN categories c ON c.id = p.category_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: row.get(0)?,
        sku: row.get(1)?,
        name: row.get(2)?,
        category_id: row.get(3)?,
        category_name: row.get(4)?,
        vat_category: parse_text(row, 5)?,
        unit: parse_text(row, 6)?,
        active: row.get(7)?,
        barcodes: Vec::new(),
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

fn with_barcodes(conn: &Connection, mut products: Vec<Product>) -> Result<Vec<Product>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT code FROM product_barcodes WHERE product_id = ?1 ORDER BY code")?;
    for product in &mut products {
        product.barcodes = stmt
            .query_map([product.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(products)
}

pub fn list_categories(conn: &Connection) -> Result<Vec<Category>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, name FROM categories ORDER BY name_key")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Category {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The category with this name (any letter case), created if new.
pub fn category_id_for(conn: &Connection, name: &str, now: &str) -> Result<i64, StoreError> {
    let key = crate::name_key(name);
    if let Some(id) = crate::cached::query_row(
        conn,
        "SELECT id FROM categories WHERE name_key = ?1",
        [&key],
        |r| r.get(0),
    )
    .optional()?
    {
        return Ok(id);
    }
    crate::cached::execute(
        conn,
        "INSERT INTO categories (name, name_key, created_at) VALUES (?1, ?2, ?3)",
        params![name.trim(), key, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Products whose name, SKU or code matches `query` (all when empty), by name.
pub fn search(
    conn: &Connection,
    query: &str,
    include_inactive: bool,
    limit: u32,
) -> Result<Vec<Product>, StoreError> {
    let pattern = format!("%{}%", crate::name_key(query).replace(['%', '_'], ""));
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 OR p.active = 1) AND (p.name_key LIKE ?2 OR lower(p.sku) LIKE ?2 \
         OR p.id IN (SELECT product_id FROM product_barcodes WHERE code LIKE ?2)) \
         ORDER BY p.name_key, p.id LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![include_inactive, pattern, limit], from_row)?
        .collect::<Result<_, _>>()?;
    with_barcodes(conn, rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Product>, StoreError> {
    let product =
        crate::cached::query_row(conn, &format!("{SELECT} WHERE p.id = ?1"), [id], from_row).optional()?;
    Ok(with_barcodes(conn, product.into_iter().collect())?.pop())
}

pub fn find_by_sku(conn: &Connection, sku: &str) -> Result<Option<Product>, StoreError> {
    let id: Option<i64> =
        crate::cached::query_row(conn, "SELECT id FROM products WHERE sku = ?1", [sku], |r| {
            r.get(0)
        })
        .optional()?;
    id.map(|id| get(conn, id)).transpose().map(Option::flatten)
}

/// The product registered under a (normalised) code.
pub fn find_by_code(conn: &Connection, code: &str) -> Result<Option<Product>, StoreError> {
    let id: Option<i64> = crate::cached::query_row(
        conn,
        "SELECT product_id FROM product_barcodes WHERE code = ?1",
        [code],
        |r| r.get(0),
    )
    .optional()?;
    id.map(|id| get(conn, id)).transpose().map(Option::flatten)
}

pub fn insert(conn: &Connection, p: &ProductRecord<'_>, now: &str) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO products (sku, name, name_key, category_id, vat_category, unit, active, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            p.sku,
            p.name,
            crate::name_key(p.name),
            p.category_id,
            p.vat_category.as_str(),
            p.unit.as_str(),
            p.active,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, p: &ProductRecord<'_>, now: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE products SET sku = ?2, name = ?3, name_key = ?4, category_id = ?5, vat_category = ?6, unit = ?7, \
         active = ?8, updated_at = ?9 WHERE id = ?1",
        params![
            id,
            p.sku,
            p.name,
            crate::name_key(p.name),
            p.category_id,
            p.vat_category.as_str(),
            p.unit.as_str(),
            p.active,
            now
        ],
    )?;
    Ok(())
}

/// Replaces a product's codes. The caller has checked no other product uses them.
pub fn set_barcodes(conn: &Connection, product_id: i64, codes: &[String]) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "DELETE FROM product_barcodes WHERE product_id = ?1",
        [product_id],
    )?;
    let mut stmt = conn.prepare_cached("INSERT INTO product_barcodes (code, product_id) VALUES (?1, ?2)")?;
    for code in codes {
        stmt.execute(params![code, product_id])?;
    }
    Ok(())
}

/// The product that owns `code`, if any.
pub fn code_owner(conn: &Connection, code: &str) -> Result<Option<i64>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT product_id FROM product_barcodes WHERE code = ?1",
        [code],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn set_price(
    conn: &Connection,
    product_id: i64,
    store_id: i64,
    price: &StoredPrice,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO product_prices (product_id, store_id, unit_price_minor, currency, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (product_id, store_id) DO UPDATE SET \
         unit_price_minor = excluded.unit_price_minor, currency = excluded.currency, updated_at = excluded.updated_at",
        params![product_id, store_id, price.unit_price_minor, price.currency, now],
    )?;
    Ok(())
}

pub fn price(conn: &Connection, product_id: i64, store_id: i64) -> Result<Option<StoredPrice>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT unit_price_minor, currency FROM product_prices WHERE product_id = ?1 AND store_id = ?2",
        params![product_id, store_id],
        |r| {
            Ok(StoredPrice {
                unit_price_minor: r.get(0)?,
                currency: r.get(1)?,
            })
        },
    )
    .optional()?)
}

/// The VAT percentage (canonical decimal text) in force on `date` (YYYY-MM-DD).
pub fn vat_rate(
    conn: &Connection,
    country: &str,
    category: VatCategory,
    date: &str,
) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT rate FROM vat_rates WHERE country = ?1 AND category = ?2 AND valid_from <= ?3 \
             AND (valid_to IS NULL OR valid_to > ?3) ORDER BY valid_from DESC LIMIT 1",
        params![country, category.as_str(), date],
        |r| r.get(0),
    )
    .optional()?)
}

/// The VAT categories a country has rates for on `date`.
pub fn vat_categories(
    conn: &Connection,
    country: &str,
    date: &str,
) -> Result<Vec<(VatCategory, String)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT category, rate FROM vat_rates WHERE country = ?1 AND valid_from <= ?2 \
         AND (valid_to IS NULL OR valid_to > ?2) ORDER BY category",
    )?;
    let rows = stmt
        .query_map(params![country, date], |r| Ok((parse_text(r, 0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
