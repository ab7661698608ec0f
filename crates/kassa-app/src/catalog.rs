//! The catalog: products, their codes and per-store prices, and the CSV import with a
//! preview. Managers change it; everyone may look things up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kassa_core::org::{Role, SaleUnit, VatCategory};
use kassa_core::{Currency, Money};
use kassa_store::catalog::{self, Category, Product, ProductRecord, StoredPrice};
use kassa_store::{Connection, stores};

use crate::{Actor, AppError, Kassa, NumberLocale, validate};

const MANAGE: &[Role] = &[Role::Manager];

/// A product as the back office shows it, with its price in each store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ProductView {
    #[serde(flatten)]
    pub product: Product,
    pub prices: Vec<StorePrice>,
}

/// A price including VAT, as a decimal string in the store's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StorePrice {
    pub store_id: i64,
    /// "24.90"; never a JavaScript number.
    pub price: String,
    /// Filled in by the backend; ignored on input.
    #[serde(default)]
    pub currency: String,
}

/// What a manager enters to create or edit a product.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub vat_category: VatCategory,
    pub unit: SaleUnit,
    pub active: bool,
    pub barcodes: Vec<String>,
    pub prices: Vec<StorePrice>,
}

/// One row of an import that would be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    pub line: u32,
    pub sku: String,
    pub name: String,
    pub store_name: String,
    pub price: String,
    pub currency: String,
    pub vat_category: VatCategory,
    /// Whether the SKU already exists (the row updates it) or is new.
    pub existing: bool,
}

/// A rejected line and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RejectedRow {
    pub line: u32,
    pub message: String,
}

/// What an import would do. Nothing is written until it is applied, and it is applied
/// only when no row is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    pub rejected: Vec<RejectedRow>,
}

/// The columns an import file must and may have (case-insensitive headers).
pub const IMPORT_REQUIRED_COLUMNS: &[&str] = &["sku", "name", "vat", "store", "price"];
pub const IMPORT_OPTIONAL_COLUMNS: &[&str] = &["category", "unit", "barcodes"];

/// A price, typed in `locale`'s notation. Import files are read with
/// [`SPREADSHEET_NOTATION`] instead: a spreadsheet's notation is its own, not the UI's.
fn parse_price(text: &str, currency: Currency, locale: NumberLocale) -> Result<Money, String> {
    let money = crate::numbers::parse_amount(locale, "price", text, currency).map_err(|e| e.to_string())?;
    if money.is_negative() {
        return Err(format!("price '{}' must not be negative", text.trim()));
    }
    Ok(money)
}

/// How prices in an import file are read. Nordic spreadsheets write `24,90`, others
/// `24.90`, sometimes in one file; Swedish notation takes either mark as the decimal
/// separator and groups only with spaces, so no cell has two readings.
const SPREADSHEET_NOTATION: NumberLocale = NumberLocale::Sv;

fn clean_codes(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut codes = Vec::new();
    for code in raw.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let normalised = kassa_core::barcode::validate_product_code(code)
            .map_err(|e| AppError::validation("barcodes", e.to_string()))?;
        if !codes.contains(&normalised) {
            codes.push(normalised);
        }
    }
    Ok(codes)
}

fn currency_of(store: &kassa_store::stores::Store) -> Result<Currency, AppError> {
    store
        .currency
        .parse()
        .map_err(|e| AppError::Internal(format!("store '{}' has an unusable currency: {e}", store.name)))
}

impl Kassa {
    pub fn list_categories(&self, actor: &Actor) -> Result<Vec<Category>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see the catalog")?;
            Ok(catalog::list_categories(conn)?)
        })
    }

    /// Products matching a name, SKU or code fragment (all when empty).
    pub fn search_products(
        &self,
        actor: &Actor,
        query: &str,
        include_inactive: bool,
        limit: u32,
    ) -> Result<Vec<ProductView>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see the catalog")?;
            let products = catalog::search(conn, query.trim(), include_inactive, limit.clamp(1, 500))?;
            products.into_iter().map(|p| view(conn, p)).collect()
        })
    }

    pub fn save_product(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &ProductInput,
    ) -> Result<ProductView, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "change the catalog")?;
            self.store_product(tx, &audit, id, input, "")
        })
    }

    /// Validates and writes one product with its codes and prices, and audits it.
    /// `action_prefix` marks imported changes ("import_").
    fn store_product(
        &self,
        tx: &Connection,
        audit: &crate::Audit<'_>,
        id: Option<i64>,
        input: &ProductInput,
        action_prefix: &str,
    ) -> Result<ProductView, AppError> {
        let before = match id {
            Some(id) => Some(
                catalog::get(tx, id)?
                    .ok_or_else(|| AppError::NotFound(format!("there is no product with id {id}")))?,
            ),
            None => None,
        };
        let sku = validate::name("sku", "SKU", &input.sku)?;
        let name = validate::name("name", "Product name", &input.name)?;
        if let Some(other) = catalog::find_by_sku(tx, &sku)?
            && Some(other.id) != id
        {
            return Err(AppError::Conflict(format!(
                "SKU '{sku}' is already used by '{}'",
                other.name
            )));
        }
        let codes = clean_codes(&input.barcodes)?;
        for code in &codes {
            if let Some(owner) = catalog::code_owner(tx, code)?
                && Some(owner) != id
            {
                let other = catalog::get(tx, owner)?.map(|p| p.name).unwrap_or_default();
                return Err(AppError::Conflict(format!(
                    "code {code} already belongs to '{other}'"
                )));
            }
        }
        let category_id = match validate::optional_text(input.category.as_deref()) {
            Some(category) => Some(catalog::category_id_for(tx, &category, &audit.at)?),
            None => None,
        };
        let mut prices = Vec::new();
        for price in &input.prices {
            let store = stores::get(tx, price.store_id)?.ok_or_else(|| {
                AppError::validation("prices", format!("there is no store with id {}", price.store_id))
            })?;
            let money = parse_price(&price.price, currency_of(&store)?, self.number_locale_in(tx)?)
                .map_err(|m| AppError::validation("prices", format!("{} in '{}'", m, store.name)))?;
            self.require_vat_rate(tx, &store, input.vat_category)?;
            prices.push((store.id, money));
        }
        let record = ProductRecord {
            sku: &sku,
            name: &name,
            category_id,
            vat_category: input.vat_category,
            unit: input.unit,
            active: input.active,
        };
        let product_id = match id {
            Some(id) => {
                catalog::update(tx, id, &record, &audit.at)?;
                id
            }
            None => catalog::insert(tx, &record, &audit.at)?,
        };
        catalog::set_barcodes(tx, product_id, &codes)?;
        for (store_id, money) in prices {
            let stored = StoredPrice {
                unit_price_minor: money.to_minor()?,
                currency: money.currency().code().into(),
            };
            catalog::set_price(tx, product_id, store_id, &stored, &audit.at)?;
        }
        let after = view(
            tx,
            catalog::get(tx, product_id)?.ok_or_else(|| AppError::Internal("product vanished".into()))?,
        )?;
        let action = format!(
            "{action_prefix}{}",
            if before.is_some() { "update" } else { "create" }
        );
        let before_view = before.map(|b| view(tx, b)).transpose()?;
        audit.record(
            tx,
            "product",
            product_id,
            &action,
            before_view.as_ref(),
            Some(&after),
        )?;
        Ok(after)
    }

    fn require_vat_rate(
        &self,
        conn: &Connection,
        store: &kassa_store::stores::Store,
        category: VatCategory,
    ) -> Result<String, AppError> {
        let today = self.now().format("%Y-%m-%d").to_string();
        catalog::vat_rate(conn, &store.country, category, &today)?.ok_or_else(|| {
            AppError::validation(
                "vatCategory",
                format!(
                    "{} has no {} VAT rate (store '{}')",
                    store.country, category, store.name
                ),
            )
        })
    }

    /// Checks an import file and says what it would do, changing nothing.
    pub fn preview_product_import(&self, actor: &Actor, csv_text: &str) -> Result<ImportPreview, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "import products")?;
            Ok(self.plan_import(conn, csv_text)?.0)
        })
    }

    /// Applies an import file, all or nothing: any rejected row refuses the whole file.
    pub fn apply_product_import(&self, actor: &Actor, csv_text: &str) -> Result<ImportPreview, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "import products")?;
            let (preview, products) = self.plan_import(tx, csv_text)?;
            if !preview.rejected.is_empty() {
                let first = &preview.rejected[0];
                return Err(AppError::validation(
                    "file",
                    format!(
                        "{} row(s) rejected, nothing imported; first: line {}: {}",
                        preview.rejected.len(),
                        first.line,
                        first.message
                    ),
                ));
            }
            for product in products {
                let existing = catalog::find_by_sku(tx, &product.sku)?;
                let mut input = product;
                if let Some(existing) = &existing {
                    // Keep codes and prices the file does not mention.
                    for code in &existing.barcodes {
                        if !input.barcodes.contains(code) {
                            input.barcodes.push(code.clone());
                        }
                    }
                }
                self.store_product(tx, &audit, existing.map(|e| e.id), &input, "import_")?;
            }
            Ok(preview)
        })
    }

    /// Parses and validates every line; returns the preview and the products to write.
    fn plan_import(
        &self,
        conn: &Connection,
        csv_text: &str,
    ) -> Result<(ImportPreview, Vec<ProductInput>), AppError> {
        let delimiter = detect_delimiter(csv_text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(csv_text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| AppError::validation("file", format!("line 1: cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let missing: Vec<&str> = IMPORT_REQUIRED_COLUMNS
            .iter()
            .copied()
            .filter(|c| !headers.iter().any(|h| h == c))
            .collect();
        let unknown: Vec<&String> = headers
            .iter()
            .filter(|h| {
                !IMPORT_REQUIRED_COLUMNS.contains(&h.as_str())
                    && !IMPORT_OPTIONAL_COLUMNS.contains(&h.as_str())
            })
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(AppError::validation(
                "file",
                format!(
                    "line 1: wrong columns{}{}; expected {} and optionally {}",
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!(", missing: {}", missing.join(", "))
                    },
                    if unknown.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", unknown: {}",
                            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    },
                    IMPORT_REQUIRED_COLUMNS.join(", "),
                    IMPORT_OPTIONAL_COLUMNS.join(", ")
                ),
            ));
        }
        let col = |name: &str| headers.iter().position(|h| h == name);
        let stores = stores::list(conn)?;
        let today = self.now().format("%Y-%m-%d").to_string();
        let mut preview = ImportPreview {
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        let mut products: BTreeMap<String, (u32, ProductInput)> = BTreeMap::new();
        let mut seen_codes: BTreeMap<String, String> = BTreeMap::new();
        for (index, record) in reader.records().enumerate() {
            let line = index as u32 + 2;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    preview.rejected.push(RejectedRow {
                        line,
                        message: format!("cannot read the row: {e}"),
                    });
                    continue;
                }
            };
            let field = |name: &str| {
                col(name)
                    .and_then(|i| record.get(i))
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            };
            let outcome = (|| -> Result<(ImportRow, ProductInput), String> {
                let sku = validate::name("sku", "SKU", &field("sku")).map_err(|e| e.to_string())?;
                let name =
                    validate::name("name", "Product name", &field("name")).map_err(|e| e.to_string())?;
                let store_name = field("store");
                let store = stores
                    .iter()
                    .find(|s| kassa_store::name_key(&s.name) == kassa_store::name_key(&store_name))
                    .ok_or_else(|| format!("there is no store named '{store_name}'"))?;
                let vat_text = field("vat");
                let vat_category = resolve_vat(conn, &store.country, &vat_text, &today)?;
                let unit = match field("unit").to_lowercase().as_str() {
                    "" | "each" | "st" | "pcs" => SaleUnit::Each,
                    "kg" => SaleUnit::Kg,
                    other => return Err(format!("unit '{other}' is not 'each' or 'kg'")),
                };
                let currency = currency_of(store).map_err(|e| e.to_string())?;
                let price = parse_price(&field("price"), currency, SPREADSHEET_NOTATION)?;
                let mut barcodes = Vec::new();
                for code in field("barcodes").split([' ', '|']).filter(|c| !c.is_empty()) {
                    let normalised =
                        kassa_core::barcode::validate_product_code(code).map_err(|e| e.to_string())?;
                    if let Some(other) = seen_codes.get(&normalised)
                        && other != &sku
                    {
                        return Err(format!(
                            "code {normalised} is also given for SKU '{other}' in this file"
                        ));
                    }
                    if let Some(owner) = catalog::code_owner(conn, &normalised).map_err(|e| e.to_string())? {
                        let owner = catalog::get(conn, owner).map_err(|e| e.to_string())?;
                        if owner.as_ref().is_some_and(|o| o.sku != sku) {
                            return Err(format!(
                                "code {normalised} already belongs to '{}'",
                                owner.map(|o| o.name).unwrap_or_default()
                            ));
                        }
                    }
                    barcodes.push(normalised);
                }
                let existing = catalog::find_by_sku(conn, &sku)
                    .map_err(|e| e.to_string())?
                    .is_some();
                let row = ImportRow {
                    line,
                    sku: sku.clone(),
                    name: name.clone(),
                    store_name: store.name.clone(),
                    price: price.amount_string(),
                    currency: store.currency.clone(),
                    vat_category,
                    existing,
                };
                let input = ProductInput {
                    sku,
                    name,
                    category: validate::optional_text(Some(&field("category"))),
                    vat_category,
                    unit,
                    active: true,
                    barcodes,
                    prices: vec![StorePrice {
                        store_id: store.id,
                        price: price.amount_string(),
                        currency: store.currency.clone(),
                    }],
                };
                Ok((row, input))
            })();
            match outcome {
                Ok((row, input)) => {
                    for code in &input.barcodes {
                        seen_codes.insert(code.clone(), input.sku.clone());
                    }
                    match products.get_mut(&input.sku) {
                        Some((first_line, merged)) => {
                            if merged.name != input.name
                                || merged.vat_category != input.vat_category
                                || merged.unit != input.unit
                            {
                                preview.rejected.push(RejectedRow {
                                    line,
                                    message: format!(
                                        "SKU '{}' is also on line {first_line} with a different name, VAT or unit",
                                        input.sku
                                    ),
                                });
                                continue;
                            }
                            merged.prices.extend(input.prices);
                            for code in input.barcodes {
                                if !merged.barcodes.contains(&code) {
                                    merged.barcodes.push(code);
                                }
                            }
                        }
                        None => {
                            products.insert(input.sku.clone(), (line, input));
                        }
                    }
                    preview.rows.push(row);
                }
                Err(message) => preview.rejected.push(RejectedRow { line, message }),
            }
        }
        if preview.rows.is_empty() && preview.rejected.is_empty() {
            return Err(AppError::validation(
                "file",
                "the file has a header but no products",
            ));
        }
        Ok((preview, products.into_values().map(|(_, p)| p).collect()))
    }
}

fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// A VAT column holds a category name or a percentage that must exist in the country.
fn resolve_vat(conn: &Connection, country: &str, text: &str, date: &str) -> Result<VatCategory, String> {
    if let Ok(category) = text.to_lowercase().parse::<VatCategory>() {
        return match catalog::vat_rate(conn, country, category, date).map_err(|e| e.to_string())? {
            Some(_) => Ok(category),
            None => Err(format!("{country} has no {category} VAT rate")),
        };
    }
    let wanted: kassa_core::VatRate = text
        .trim_end_matches('%')
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("VAT '{text}' is neither a VAT category nor a percentage"))?;
    for (category, rate) in catalog::vat_categories(conn, country, date).map_err(|e| e.to_string())? {
        if rate.parse::<kassa_core::VatRate>().ok() == Some(wanted) {
            return Ok(category);
        }
    }
    Err(format!(
        "{country} has no VAT rate of {}%",
        text.trim_end_matches('%').trim()
    ))
}

fn view(conn: &Connection, product: Product) -> Result<ProductView, AppError> {
    let mut prices = Vec::new();
    for store in stores::list(conn)? {
        if let Some(price) = catalog::price(conn, product.id, store.id)? {
            let currency: Currency = price
                .currency
                .parse()
                .map_err(|e| AppError::Internal(format!("{e}")))?;
            prices.push(StorePrice {
                store_id: store.id,
                price: Money::from_minor(price.unit_price_minor, currency).amount_string(),
                currency: price.currency,
            });
        }
    }
    Ok(ProductView { product, prices })
}
