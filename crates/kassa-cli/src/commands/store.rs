//! `kassa store add|list|edit`.

use kassa_app::{AppError, Place, Store, StoreInput};

use crate::cli::{StoreAdd, StoreCommand, StoreEdit};
use crate::context::Context;
use crate::output::{self, Table, opt};
use crate::resolve;

pub fn run(ctx: &Context, command: StoreCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        StoreCommand::Add(StoreAdd {
            brand,
            name,
            country,
            currency,
            time_zone,
            place,
            details,
        }) => {
            let brand = resolve::brand(&kassa, &actor, &brand)?;
            let input = StoreInput {
                brand_id: brand.id,
                name,
                country,
                address: details.address.unwrap_or_default(),
                place: place.unwrap_or(Place::Real),
                latitude: details.lat,
                longitude: details.lon,
                currency,
                time_zone,
                vat_number: details.vat_number,
            };
            let store = kassa.create_store(&actor, &input)?;
            output::record(
                ctx.json,
                &store,
                format!(
                    "Created store '{}' (id {}) in brand '{}'.",
                    store.name, store.id, store.brand_name
                ),
            )
        }
        StoreCommand::List => {
            let stores = kassa.list_stores(&actor)?;
            if ctx.json {
                return output::json(&stores);
            }
            table(&stores).print("(no stores)")
        }
        StoreCommand::Edit(StoreEdit {
            store,
            brand,
            name,
            country,
            currency,
            time_zone,
            place,
            details,
            clear_location,
        }) => {
            let current = resolve::store(&kassa, &actor, &store)?;
            let brand_id = match brand {
                Some(brand) => resolve::brand(&kassa, &actor, &brand)?.id,
                None => current.brand_id,
            };
            let (latitude, longitude) = if clear_location {
                (None, None)
            } else if details.lat.is_some() || details.lon.is_some() {
                (details.lat, details.lon)
            } else {
                (current.latitude, current.longitude)
            };
            let input = StoreInput {
                brand_id,
                name: name.unwrap_or(current.name),
                country: country.unwrap_or(current.country),
                address: details.address.unwrap_or(current.address),
                place: place.unwrap_or(current.place),
                latitude,
                longitude,
                currency: currency.unwrap_or(current.currency),
                time_zone: time_zone.unwrap_or(current.time_zone),
                vat_number: details.vat_number.or(current.vat_number),
            };
            let store = kassa.update_store(&actor, current.id, &input)?;
            output::record(
                ctx.json,
                &store,
                format!("Updated store '{}' (id {}).", store.name, store.id),
            )
        }
        StoreCommand::DiscountLimit { store, set } => {
            let store = resolve::store(&kassa, &actor, &store)?;
            let (limit, message) = match set {
                Some(percent) => {
                    let limit = kassa.set_discount_limit(&actor, store.id, &percent)?;
                    let message = format!("Set the discount limit of store '{}' to {limit} %.", store.name);
                    (limit, message)
                }
                None => {
                    let limit = kassa.discount_limit(&actor, store.id)?;
                    let message = format!(
                        "Store '{}' allows discounts up to {limit} % without a manager.",
                        store.name
                    );
                    (limit, message)
                }
            };
            output::record(
                ctx.json,
                &serde_json::json!({ "storeId": store.id, "store": store.name, "discountLimitPercent": limit }),
                message,
            )
        }
        StoreCommand::SetFlexitiLocation {
            store,
            location_id,
            clear: _,
        } => {
            let store = resolve::store(&kassa, &actor, &store)?;
            let set = kassa.set_store_flexiti_location(&actor, store.id, location_id.as_deref())?;
            let message = match &set {
                Some(id) => format!("Store '{}' sends Flexiti location id {id}.", store.name),
                None => format!(
                    "Store '{}' has no Flexiti location id; the Flexiti account's location_id is sent.",
                    store.name
                ),
            };
            output::record(
                ctx.json,
                &serde_json::json!({ "storeId": store.id, "store": store.name, "flexitiLocationId": set }),
                message,
            )
        }
    }
}

pub fn table(stores: &[Store]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "BRAND",
        "STORE",
        "COUNTRY",
        "CURRENCY",
        "TIME ZONE",
        "PLACE",
        "VAT NUMBER",
        "ADDRESS",
    ]);
    for s in stores {
        table.row(vec![
            s.id.to_string(),
            s.brand_name.clone(),
            s.name.clone(),
            s.country.clone(),
            s.currency.clone(),
            s.time_zone.clone(),
            s.place.to_string(),
            opt(s.vat_number.as_deref()),
            if s.address.is_empty() {
                "-".into()
            } else {
                s.address.clone()
            },
        ]);
    }
    table
}
