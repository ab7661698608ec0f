//! The Venue Manager catalog import: a shop's categories and products pulled into the
//! local catalog through the same preview and all-or-nothing apply as a CSV file
//! ([`crate::catalog`]).
//!
//! The rows come from `kassa_providers::venue_manager::catalog_rows`: the SKU is the
//! product's `label` (or `vm-<id>`), no barcodes are imported (the shop has none), and the
//! VAT rate is `vat / (priceInclVat − vat)`, accepted only when that is exactly one of the
//! rates valid today in the country of the POS device's store (the dated `vat_rates`
//! table). Every product is priced in that store.
//!
//! Decisions:
//! - **The account is proven first.** The catalog endpoints take no credentials, so a
//!   misconfigured account (a wrong API user, another shop's address) would import
//!   silently. The import first makes the call **Test connection** makes
//!   (`GET /invoice?limit=1` with the API user) and stops on its failure.
//! - **A re-import updates, never duplicates.** A product is identified by its SKU: the
//!   same label updates the same local product (name, VAT, the price in this store).
//!   Codes, prices in other stores, and the product's local category and active flag are
//!   kept; Venue Manager knows none of them. A label changed in the shop makes a new
//!   local product beside the old one, which a manager deactivates.
//! - **Categories** are created locally by name. The document links no product to a
//!   category (its products carry no category, its categories list no products), so
//!   imported products get none.
//! - **Preview and apply each read the shop.** Nothing is held between the two calls;
//!   what apply returns is what it wrote, checked by the same rules, so a catalog changed
//!   at the shop in between is imported as it is then (or refused whole).

use kassa_core::org::{Provider, Role};
use kassa_providers::venue_manager::wire::{Category, Product};
use kassa_providers::venue_manager::{self, CatalogRow, Client};
use kassa_store::{Connection, pos_devices, stores};

use crate::catalog::{
    ImportPlan, ImportPreview, ImportSource, PriceGiven, RowFields, SourceRow, StoreRef, VatGiven,
};
use crate::{Actor, AppError, ErrorCode, Kassa};

/// What the shop sent.
struct ShopCatalog {
    categories: Vec<Category>,
    products: Vec<Product>,
    base_url: String,
}

impl Kassa {
    /// Reads the Venue Manager shop of `pos_id`'s account and says what importing its
    /// catalog would do, changing nothing (managers only).
    pub fn preview_venue_manager_import(
        &self,
        actor: &Actor,
        pos_id: i64,
    ) -> Result<ImportPreview, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, &[Role::Manager], "import products")?;
            store_of(conn, pos_id).map(drop)
        })?;
        let shop = self.fetch_shop_catalog(pos_id)?;
        self.read(|conn| {
            self.authorize(conn, actor, &[Role::Manager], "import products")?;
            Ok(self.plan_venue_manager(conn, pos_id, &shop)?.preview)
        })
    }

    /// Imports the catalog of `pos_id`'s Venue Manager shop, all or nothing: any refused
    /// product refuses the whole import (managers only).
    pub fn apply_venue_manager_import(&self, actor: &Actor, pos_id: i64) -> Result<ImportPreview, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, &[Role::Manager], "import products")?;
            store_of(conn, pos_id).map(drop)
        })?;
        // The shop is read before the transaction: no network wait holds the database.
        let shop = self.fetch_shop_catalog(pos_id)?;
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, &[Role::Manager], "import products")?;
            let plan = self.plan_venue_manager(tx, pos_id, &shop)?;
            self.apply_plan(tx, &audit, plan)
        })
    }

    fn fetch_shop_catalog(&self, pos_id: i64) -> Result<ShopCatalog, AppError> {
        let settings = self.provider_settings(pos_id, Provider::VenueManager)?;
        let client = Client::from_settings(&settings).map_err(|e| {
            AppError::validation(
                "provider",
                format!("{e}; a manager completes the Venue Manager settings of this POS"),
            )
        })?;
        let failed = |step: &str, error: kassa_providers::CallError<venue_manager::VenueManagerError>| {
            AppError::coded(
                ErrorCode::ProviderFailed,
                None,
                format!(
                    "Venue Manager at {} ({step}): {error}; nothing was imported",
                    settings.base_url
                ),
            )
        };
        let (categories, products) = self.block_on(async {
            client
                .test_connection()
                .await
                .map_err(|e| failed("checking the API user", e))?;
            let categories = client
                .categories(None)
                .await
                .map_err(|e| failed("reading the categories", e))?;
            let products = client
                .products(None, None)
                .await
                .map_err(|e| failed("reading the products", e))?;
            Ok::<_, AppError>((categories, products))
        })?;
        Ok(ShopCatalog {
            categories,
            products,
            base_url: settings.base_url.clone(),
        })
    }

    fn plan_venue_manager(
        &self,
        conn: &Connection,
        pos_id: i64,
        shop: &ShopCatalog,
    ) -> Result<ImportPlan, AppError> {
        let store = store_of(conn, pos_id)?;
        if shop.products.is_empty() {
            return Err(AppError::validation(
                "products",
                format!(
                    "the Venue Manager shop at {} lists no products; nothing to import",
                    shop.base_url
                ),
            ));
        }
        let today = self.now().format("%Y-%m-%d").to_string();
        let rates = crate::catalog::valid_rates(conn, &store.country, &today)?;
        let outcomes = venue_manager::catalog_rows(&shop.products, &shop.categories, |_| None, &rates);
        let rows = shop
            .products
            .iter()
            .zip(outcomes)
            .enumerate()
            .map(|(index, (product, outcome))| SourceRow {
                line: index as u32 + 1,
                who: Some(format!("product {:?} (id {})", product.name, product.id)),
                fields: outcome
                    .map(|row| fields_of(row, store.id))
                    .map_err(|error| format!("{error} (store '{}', {})", store.name, store.country)),
            })
            .collect();
        let mut plan = self.plan_import(conn, ImportSource::VenueManager, rows)?;
        plan.add_categories(conn, shop.categories.iter().map(|c| c.name.clone()).collect())?;
        Ok(plan)
    }
}

fn fields_of(row: CatalogRow, store_id: i64) -> RowFields {
    RowFields {
        sku: row.sku,
        name: row.name,
        category: row.category,
        store: StoreRef::Id(store_id),
        vat: VatGiven::Rate(row.vat_rate),
        unit: String::new(),
        price: PriceGiven::Exact(row.price),
        barcodes: Vec::new(),
    }
}

/// The store of a live POS device.
fn store_of(conn: &Connection, pos_id: i64) -> Result<stores::Store, AppError> {
    let pos = match pos_devices::get(conn, pos_id)? {
        Some(pos) if pos.deleted_at.is_none() => pos,
        _ => return Err(AppError::NotFound(format!("no POS device with id {pos_id}"))),
    };
    stores::get(conn, pos.store_id)?
        .ok_or_else(|| AppError::Internal(format!("POS {pos_id} belongs to no store")))
}
