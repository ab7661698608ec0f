//! One module per group of commands. Each command gets the input, calls one kassa-app
//! use case (after resolving names to ids), and prints what came back.

mod brand;
mod db;
mod journal;
mod pos;
mod product;
mod provider;
mod report;
mod sale;
mod setup;
mod shift;
mod store;
mod terminal;
mod user;

use kassa_app::AppError;

use crate::cli::{Cli, Command};
use crate::context::Context;

pub fn run(cli: Cli) -> Result<(), AppError> {
    tracing::info!(command = cli.command.name(), "kassa command");
    let ctx = Context {
        db: cli.db,
        user: cli.user,
        json: cli.json,
        locale: cli.locale,
    };
    match cli.command {
        Command::Init { manager } => setup::init(&ctx, &manager),
        Command::Demo => setup::demo(&ctx),
        Command::Status => setup::status(&ctx),
        Command::Brand(command) => brand::run(&ctx, command),
        Command::Store(command) => store::run(&ctx, command),
        Command::Pos(command) => pos::run(&ctx, command),
        Command::User(command) => user::run(&ctx, command),
        Command::Product(command) => product::run(&ctx, command),
        Command::Sale(command) => sale::run(&ctx, command),
        Command::Shift(command) => shift::run(&ctx, command),
        Command::Journal(command) => journal::run(&ctx, command),
        Command::Audit { entity, id, limit } => db::audit(&ctx, entity.as_deref(), id, limit),
        Command::Db(crate::cli::DbCommand::Check) => db::check(&ctx),
        Command::Provider(command) => provider::run(&ctx, command),
        Command::Sandbox { ephemeral } => provider::sandbox(ephemeral),
        Command::Terminal(args) => terminal::run(&ctx, &args),
        Command::Backup { out } => db::backup(&ctx, &out),
        Command::Restore { file } => db::restore(&ctx, &file),
    }
}
