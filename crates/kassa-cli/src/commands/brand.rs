//! `kassa brand add|list|edit`.

use kassa_app::{AppError, Brand, BrandInput};

use crate::cli::BrandCommand;
use crate::context::Context;
use crate::output::{self, Table, opt};
use crate::resolve;

pub fn run(ctx: &Context, command: BrandCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        BrandCommand::Add { name, description } => {
            let brand = kassa.create_brand(&actor, &BrandInput { name, description })?;
            output::record(
                ctx.json,
                &brand,
                format!("Created brand '{}' (id {}).", brand.name, brand.id),
            )
        }
        BrandCommand::List => {
            let brands = kassa.list_brands(&actor)?;
            if ctx.json {
                return output::json(&brands);
            }
            table(&brands).print("(no brands)")
        }
        BrandCommand::Edit {
            brand,
            name,
            description,
        } => {
            let current = resolve::brand(&kassa, &actor, &brand)?;
            let input = BrandInput {
                name: name.unwrap_or(current.name),
                description: description.or(current.description),
            };
            let brand = kassa.update_brand(&actor, current.id, &input)?;
            output::record(
                ctx.json,
                &brand,
                format!("Updated brand '{}' (id {}).", brand.name, brand.id),
            )
        }
    }
}

fn table(brands: &[Brand]) -> Table {
    let mut table = Table::new(&["ID", "BRAND", "DESCRIPTION"]);
    for b in brands {
        table.row(vec![
            b.id.to_string(),
            b.name.clone(),
            opt(b.description.as_deref()),
        ]);
    }
    table
}
