//! `kassa product import|list`.

use std::collections::BTreeSet;
use std::path::Path;

use kassa_app::{Actor, AppError, ImportPreview, Kassa, ProductView};

use crate::cli::ProductCommand;
use crate::context::Context;
use crate::output::{self, Table};
use crate::pin;

pub fn run(ctx: &Context, command: ProductCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        ProductCommand::Import {
            file,
            from_venue_manager,
            pos,
            yes,
        } => {
            let source = match (file, from_venue_manager) {
                (Some(file), false) => {
                    if pos.pos.is_some() || pos.store.is_some() {
                        return Err(AppError::validation(
                            "pos",
                            "--pos and --store go with --from-venue-manager; a CSV file names its stores",
                        ));
                    }
                    Source::Csv(read_csv(&file)?)
                }
                (None, true) => Source::VenueManager(super::provider::pos_id(&kassa, &actor, &pos)?),
                // clap's group makes the source required and exclusive.
                _ => {
                    return Err(AppError::validation(
                        "file",
                        "give either a CSV file or --from-venue-manager",
                    ));
                }
            };
            let preview = source.preview(&kassa, &actor)?;
            let products = distinct_products(&preview);
            if let Some(first) = preview.rejected.first() {
                show_preview(ctx, &preview)?;
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
            if !ctx.json {
                show_preview(ctx, &preview)?;
            }
            let accepted = yes
                || pin::confirm(&format!(
                    "Import {products} product(s) ({} row(s))?",
                    preview.rows.len()
                ))?
                .unwrap_or(false);
            if !accepted {
                if ctx.json {
                    return output::json(&preview);
                }
                let hint = if yes {
                    ""
                } else {
                    " (pass --yes to import without asking)"
                };
                return output::line(format!("Nothing imported{hint}."));
            }
            let applied = source.apply(&kassa, &actor)?;
            output::record(
                ctx.json,
                &applied,
                format!(
                    "Imported {} product(s) from {} row(s).",
                    distinct_products(&applied),
                    applied.rows.len()
                ),
            )
        }
        ProductCommand::List {
            query,
            include_inactive,
        } => {
            let products =
                kassa.search_products(&actor, query.as_deref().unwrap_or(""), include_inactive, 500)?;
            if ctx.json {
                return output::json(&products);
            }
            let stores = kassa.list_stores(&actor).unwrap_or_default();
            table(&products, &stores).print("(no products)")
        }
    }
}

/// Where `kassa product import` reads from.
enum Source {
    Csv(String),
    /// The Venue Manager account of this POS device.
    VenueManager(i64),
}

impl Source {
    fn preview(&self, kassa: &Kassa, actor: &Actor) -> Result<ImportPreview, AppError> {
        match self {
            Source::Csv(text) => kassa.preview_product_import(actor, text),
            Source::VenueManager(pos_id) => kassa.preview_venue_manager_import(actor, *pos_id),
        }
    }

    fn apply(&self, kassa: &Kassa, actor: &Actor) -> Result<ImportPreview, AppError> {
        match self {
            Source::Csv(text) => kassa.apply_product_import(actor, text),
            Source::VenueManager(pos_id) => kassa.apply_venue_manager_import(actor, *pos_id),
        }
    }

    fn field(&self) -> &'static str {
        match self {
            Source::Csv(_) => "file",
            Source::VenueManager(_) => "products",
        }
    }

    /// What the preview's row numbers count.
    fn row_word(&self) -> &'static str {
        match self {
            Source::Csv(_) => "line",
            Source::VenueManager(_) => "product",
        }
    }
}

fn read_csv(file: &Path) -> Result<String, AppError> {
    let bytes = std::fs::read(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AppError::NotFound(format!("there is no file {}", file.display())),
        _ => AppError::validation("file", format!("cannot read {}: {e}", file.display())),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        AppError::validation(
            "file",
            format!("{} is not UTF-8 text (save it as CSV UTF-8): {e}", file.display()),
        )
    })?;
    // Spreadsheets often save "CSV UTF-8" with a byte-order mark.
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}

fn distinct_products(preview: &ImportPreview) -> usize {
    preview.rows.iter().map(|r| &r.sku).collect::<BTreeSet<_>>().len()
}

/// The preview: the rows that would be imported, then the rejected lines.
fn show_preview(ctx: &Context, preview: &ImportPreview) -> Result<(), AppError> {
    if ctx.json {
        return output::json(preview);
    }
    let mut rows = Table::new(&["LINE", "SKU", "NAME", "STORE", "PRICE", "VAT", "NEW/UPDATE"]);
    for r in &preview.rows {
        rows.row(vec![
            r.line.to_string(),
            r.sku.clone(),
            r.name.clone(),
            r.store_name.clone(),
            format!("{} {}", r.price, r.currency),
            r.vat_category.to_string(),
            if r.existing { "update" } else { "new" }.into(),
        ]);
    }
    output::line(format!("Rows to import: {}", preview.rows.len()))?;
    if !preview.rows.is_empty() {
        output::print(&rows.render())?;
    }
    if !preview.new_categories.is_empty() {
        output::line(format!("New categories: {}", preview.new_categories.join(", ")))?;
    }
    if !preview.rejected.is_empty() {
        output::line(format!("Rejected rows: {}", preview.rejected.len()))?;
        let mut rejected = Table::new(&["LINE", "PROBLEM"]);
        for r in &preview.rejected {
            rejected.row(vec![r.line.to_string(), r.message.clone()]);
        }
        output::print(&rejected.render())?;
    }
    Ok(())
}

fn table(products: &[ProductView], stores: &[kassa_app::Store]) -> Table {
    let mut table = Table::new(&[
        "ID", "SKU", "NAME", "CATEGORY", "VAT", "UNIT", "ACTIVE", "BARCODES", "PRICES",
    ]);
    for p in products {
        let prices: Vec<String> = p
            .prices
            .iter()
            .map(|price| {
                let store = stores
                    .iter()
                    .find(|s| s.id == price.store_id)
                    .map_or_else(|| format!("store {}", price.store_id), |s| s.name.clone());
                format!("{store}: {} {}", price.price, price.currency)
            })
            .collect();
        table.row(vec![
            p.product.id.to_string(),
            p.product.sku.clone(),
            p.product.name.clone(),
            output::opt(p.product.category_name.as_deref()),
            p.product.vat_category.to_string(),
            p.product.unit.to_string(),
            if p.product.active { "yes" } else { "no" }.into(),
            if p.product.barcodes.is_empty() {
                "-".into()
            } else {
                p.product.barcodes.join(" ")
            },
            if prices.is_empty() {
                "-".into()
            } else {
                prices.join(", ")
            },
        ]);
    }
    table
}
