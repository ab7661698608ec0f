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
    /// Categories the catalog does not have yet, which applying creates.
    pub new_categories: Vec<String>,
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
            let rows = csv_rows(csv_text)?;
            Ok(self.plan_import(conn, ImportSource::Csv, rows)?.preview)
        })
    }

    /// Applies an import file, all or nothing: any rejected row refuses the whole file.
    pub fn apply_product_import(&self, actor: &Actor, csv_text: &str) -> Result<ImportPreview, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "import products")?;
            let rows = csv_rows(csv_text)?;
            let plan = self.plan_import(tx, ImportSource::Csv, rows)?;
            self.apply_plan(tx, &audit, plan)
        })
    }

    /// Writes a plan whose every row was accepted; refuses it whole otherwise.
    pub(crate) fn apply_plan(
        &self,
        tx: &Connection,
        audit: &crate::Audit<'_>,
        plan: ImportPlan,
    ) -> Result<ImportPreview, AppError> {
        let ImportPlan {
            source,
            preview,
            products,
        } = plan;
        if let Some(first) = preview.rejected.first() {
            return Err(AppError::validation(
                source.field(),
                format!(
                    "{} row(s) rejected, nothing imported; first: {} {}: {}",
                    preview.rejected.len(),
                    source.row_word(),
                    first.line,
                    first.message
                ),
            ));
        }
        for name in &preview.new_categories {
            let id = catalog::category_id_for(tx, name, &audit.at)?;
            audit.record(
                tx,
                "category",
                id,
                "import_create",
                None,
                Some(&serde_json::json!({ "name": name })),
            )?;
        }
        for product in products {
            let existing = catalog::find_by_sku(tx, &product.sku)?;
            let mut input = product;
            if let Some(existing) = &existing {
                // Keep codes and prices the source does not mention.
                for code in &existing.barcodes {
                    if !input.barcodes.contains(code) {
                        input.barcodes.push(code.clone());
                    }
                }
                // Venue Manager says nothing about a product's category or whether the
                // till sells it: what a manager set here stays.
                if source == ImportSource::VenueManager {
                    input.category = existing.category_name.clone();
                    input.active = existing.active;
                }
            }
            self.store_product(tx, audit, existing.map(|e| e.id), &input, "import_")?;
        }
        Ok(preview)
    }

    /// Checks every row of an import against the stores, the VAT rates and the catalog;
    /// returns the preview and the products to write. The same checks run for every
    /// source, so a CSV file and a Venue Manager shop are held to the same rules.
    pub(crate) fn plan_import(
        &self,
        conn: &Connection,
        source: ImportSource,
        rows: Vec<SourceRow>,
    ) -> Result<ImportPlan, AppError> {
        let stores = stores::list(conn)?;
        let today = self.now().format("%Y-%m-%d").to_string();
        let known_categories: Vec<String> = catalog::list_categories(conn)?
            .into_iter()
            .map(|c| kassa_store::name_key(&c.name))
            .collect();
        let mut preview = ImportPreview {
            rows: Vec::new(),
            rejected: Vec::new(),
            new_categories: Vec::new(),
        };
        let mut products: BTreeMap<String, (u32, ProductInput)> = BTreeMap::new();
        let mut seen_codes: BTreeMap<String, String> = BTreeMap::new();
        let mut categories: Vec<String> = Vec::new();
        for row in rows {
            let SourceRow { line, who, fields } = row;
            let named = |message: String| match &who {
                Some(who) => format!("{who}: {message}"),
                None => message,
            };
            let outcome = fields.and_then(|fields| -> Result<(ImportRow, ProductInput), String> {
                let sku = validate::name("sku", "SKU", &fields.sku).map_err(|e| named(e.to_string()))?;
                let name =
                    validate::name("name", "Product name", &fields.name).map_err(|e| named(e.to_string()))?;
                let store = match &fields.store {
                    StoreRef::Named(store_name) => stores
                        .iter()
                        .find(|s| kassa_store::name_key(&s.name) == kassa_store::name_key(store_name))
                        .ok_or_else(|| format!("there is no store named '{store_name}'"))?,
                    StoreRef::Id(id) => stores
                        .iter()
                        .find(|s| s.id == *id)
                        .ok_or_else(|| format!("there is no store with id {id}"))?,
                };
                let vat_category = match &fields.vat {
                    VatGiven::Text(text) => resolve_vat(conn, &store.country, text, &today)?,
                    VatGiven::Rate(rate) => {
                        category_of_rate(conn, &store.country, *rate, &today).map_err(&named)?
                    }
                };
                let unit = match fields.unit.to_lowercase().as_str() {
                    "" | "each" | "st" | "pcs" => SaleUnit::Each,
                    "kg" => SaleUnit::Kg,
                    other => return Err(format!("unit '{other}' is not 'each' or 'kg'")),
                };
                let currency = currency_of(store).map_err(|e| e.to_string())?;
                let price = match &fields.price {
                    PriceGiven::Text(text) => parse_price(text, currency, SPREADSHEET_NOTATION)?,
                    PriceGiven::Exact(money) => {
                        if money.currency() != currency {
                            return Err(named(format!(
                                "the price is in {}, but store '{}' sells in {}",
                                money.currency(),
                                store.name,
                                currency
                            )));
                        }
                        if money.is_negative() {
                            return Err(named(format!(
                                "price {} must not be negative",
                                money.amount_string()
                            )));
                        }
                        *money
                    }
                };
                let mut barcodes = Vec::new();
                for code in &fields.barcodes {
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
                    category: validate::optional_text(fields.category.as_deref()),
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
            });
            match outcome {
                Ok((row, input)) => {
                    match products.get_mut(&input.sku) {
                        // A shop lists each product once: two with one label would be
                        // one product here with two prices, so the second is refused.
                        Some((first_line, _)) if source == ImportSource::VenueManager => {
                            preview.rejected.push(RejectedRow {
                                line,
                                message: named(format!(
                                    "SKU '{}' is also the SKU of {} {first_line}; give the products different labels in the shop",
                                    input.sku,
                                    source.row_word()
                                )),
                            });
                            continue;
                        }
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
                            for code in &input.barcodes {
                                seen_codes.insert(code.clone(), input.sku.clone());
                            }
                            merged.prices.extend(input.prices);
                            for code in input.barcodes {
                                if !merged.barcodes.contains(&code) {
                                    merged.barcodes.push(code);
                                }
                            }
                        }
                        None => {
                            for code in &input.barcodes {
                                seen_codes.insert(code.clone(), input.sku.clone());
                            }
                            if let Some(category) = &input.category {
                                categories.push(category.clone());
                            }
                            products.insert(input.sku.clone(), (line, input));
                        }
                    }
                    preview.rows.push(row);
                }
                Err(message) => preview.rejected.push(RejectedRow { line, message }),
            }
        }
        preview.new_categories = new_names(categories, &known_categories);
        Ok(ImportPlan {
            source,
            preview,
            products: products.into_values().map(|(_, p)| p).collect(),
        })
    }
}

/// The names in `wanted` that no category has yet, each once, in their first spelling.
fn new_names(wanted: Vec<String>, known_keys: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = known_keys.to_vec();
    let mut out = Vec::new();
    for name in wanted {
        let Some(name) = validate::optional_text(Some(&name)) else {
            continue;
        };
        let key = kassa_store::name_key(&name);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(name);
        }
    }
    out
}

/// Where an import's rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportSource {
    /// A CSV file; rows are numbered by their line in the file.
    Csv,
    /// A Venue Manager shop's catalog; rows are numbered by their place in its product
    /// list.
    VenueManager,
}

impl ImportSource {
    /// The input field a refused import is about.
    fn field(self) -> &'static str {
        match self {
            ImportSource::Csv => "file",
            ImportSource::VenueManager => "products",
        }
    }

    /// What a row number counts.
    fn row_word(self) -> &'static str {
        match self {
            ImportSource::Csv => "line",
            ImportSource::VenueManager => "product",
        }
    }
}

/// A checked import: what it would do, and the products to write when nothing is
/// rejected.
pub(crate) struct ImportPlan {
    pub(crate) source: ImportSource,
    pub(crate) preview: ImportPreview,
    products: Vec<ProductInput>,
}

impl ImportPlan {
    /// Adds categories the source has besides those its products name (Venue Manager's
    /// category list); they are created when the plan is applied.
    pub(crate) fn add_categories(&mut self, conn: &Connection, names: Vec<String>) -> Result<(), AppError> {
        let mut known: Vec<String> = catalog::list_categories(conn)?
            .into_iter()
            .map(|c| kassa_store::name_key(&c.name))
            .collect();
        known.extend(
            self.preview
                .new_categories
                .iter()
                .map(|n| kassa_store::name_key(n)),
        );
        let added = new_names(names, &known);
        self.preview.new_categories.extend(added);
        Ok(())
    }
}

/// One row of an import as its source gives it, before it is checked.
pub(crate) struct SourceRow {
    /// The row's number in its source (a file's line, a shop's product list).
    pub(crate) line: u32,
    /// How messages name the row beyond its number (`product 52 "Kampprogram"`).
    pub(crate) who: Option<String>,
    /// The row's values, or why the source could not give them.
    pub(crate) fields: Result<RowFields, String>,
}

pub(crate) struct RowFields {
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) category: Option<String>,
    pub(crate) store: StoreRef,
    pub(crate) vat: VatGiven,
    pub(crate) unit: String,
    pub(crate) price: PriceGiven,
    pub(crate) barcodes: Vec<String>,
}

/// Which store a row prices the product in.
pub(crate) enum StoreRef {
    /// By name, as a file gives it.
    Named(String),
    /// By id: the store of the POS the import is for.
    Id(i64),
}

/// A row's VAT.
pub(crate) enum VatGiven {
    /// A category name or a percentage, as typed in a file.
    Text(String),
    /// An exact rate in percent, already derived (Venue Manager).
    Rate(rust_decimal::Decimal),
}

/// A row's price including VAT.
pub(crate) enum PriceGiven {
    /// As typed in a file, read in [`SPREADSHEET_NOTATION`].
    Text(String),
    /// An exact amount from a provider.
    Exact(Money),
}

/// Reads an import file into rows: the header is checked here, every value later.
fn csv_rows(csv_text: &str) -> Result<Vec<SourceRow>, AppError> {
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
            !IMPORT_REQUIRED_COLUMNS.contains(&h.as_str()) && !IMPORT_OPTIONAL_COLUMNS.contains(&h.as_str())
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
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u32 + 2;
        let fields = match record {
            Err(e) => Err(format!("cannot read the row: {e}")),
            Ok(record) => {
                let field = |name: &str| {
                    col(name)
                        .and_then(|i| record.get(i))
                        .unwrap_or("")
                        .trim()
                        .to_owned()
                };
                Ok(RowFields {
                    sku: field("sku"),
                    name: field("name"),
                    category: Some(field("category")),
                    store: StoreRef::Named(field("store")),
                    vat: VatGiven::Text(field("vat")),
                    unit: field("unit"),
                    price: PriceGiven::Text(field("price")),
                    barcodes: field("barcodes")
                        .split([' ', '|'])
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            }
        };
        rows.push(SourceRow {
            line,
            who: None,
            fields,
        });
    }
    if rows.is_empty() {
        return Err(AppError::validation(
            "file",
            "the file has a header but no products",
        ));
    }
    Ok(rows)
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

/// The VAT category whose rate in `country` is exactly `rate` percent. Where several
/// categories share the rate (Denmark taxes all but zero at 25 %), the standard one is
/// taken, then reduced, reduced_low and zero: the category says no more than the rate.
fn category_of_rate(
    conn: &Connection,
    country: &str,
    rate: rust_decimal::Decimal,
    date: &str,
) -> Result<VatCategory, String> {
    let rates = catalog::vat_categories(conn, country, date).map_err(|e| e.to_string())?;
    let preference = [
        VatCategory::Standard,
        VatCategory::Reduced,
        VatCategory::ReducedLow,
        VatCategory::Zero,
    ];
    for wanted in preference {
        let found = rates.iter().any(|(category, text)| {
            *category == wanted
                && text.parse::<rust_decimal::Decimal>().ok().map(|r| r.normalize()) == Some(rate.normalize())
        });
        if found {
            return Ok(wanted);
        }
    }
    Err(format!("{country} has no VAT rate of {} %", rate.normalize()))
}

/// The distinct VAT rates (percent) valid in `country` on `date`, highest first.
pub(crate) fn valid_rates(
    conn: &Connection,
    country: &str,
    date: &str,
) -> Result<Vec<rust_decimal::Decimal>, AppError> {
    let mut rates: Vec<rust_decimal::Decimal> = Vec::new();
    for (category, text) in catalog::vat_categories(conn, country, date)? {
        let rate: rust_decimal::Decimal = text.parse().map_err(|e| {
            AppError::Internal(format!(
                "the {category} VAT rate of {country} ({text:?}) is not a number: {e}"
            ))
        })?;
        if !rates.contains(&rate.normalize()) {
            rates.push(rate.normalize());
        }
    }
    rates.sort_by(|a, b| b.cmp(a));
    Ok(rates)
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
