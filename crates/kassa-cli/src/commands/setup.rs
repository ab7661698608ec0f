//! `kassa init`, `kassa demo`, `kassa status`: creating databases and looking at one.

use std::sync::Arc;

use kassa_app::{
    AppError, AppStatus, Brand, DEMO_USERS, Kassa, PosDevice, Role, Store, StoreError, SystemClock, paths,
    validate,
};
use serde::Serialize;

use crate::context::Context;
use crate::output::{self, Table};
use crate::pin;

pub fn init(ctx: &Context, manager: &str) -> Result<(), AppError> {
    let path = ctx.db_path()?;
    // Refuse before asking for a PIN; `Kassa::create` refuses an existing file again.
    if path.exists() {
        return Err(StoreError::AlreadyExists { path }.into());
    }
    let name = validate::name("name", "User name", manager)?;
    let pin = pin::chosen_pin(pin::PIN_ENV, &name)?;
    let (_kassa, user) = Kassa::init(&path, &name, &pin)?;
    output::record(
        ctx.json,
        &user,
        format!(
            "Created {} with manager '{}'. Next: kassa --db {} --user {} brand add NAME",
            path.display(),
            user.name,
            shell_quote(&path.display().to_string()),
            shell_quote(&user.name)
        ),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DemoUserOut {
    name: &'static str,
    role: Role,
    pin: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DemoOut {
    db_path: String,
    brands: Vec<Brand>,
    stores: Vec<Store>,
    pos_devices: Vec<PosDevice>,
    users: Vec<DemoUserOut>,
}

pub fn demo(ctx: &Context) -> Result<(), AppError> {
    let path = match &ctx.db {
        Some(path) => path.clone(),
        None => paths::demo_database_path()?,
    };
    let kassa = Kassa::create_demo(&path, Arc::new(SystemClock))?;
    let manager = DEMO_USERS
        .iter()
        .find(|u| u.role == Role::Manager)
        .ok_or_else(|| AppError::Internal("the demo has no manager".into()))?;
    let (actor, _) = kassa.login(manager.name, manager.pin)?;
    connect_demo_providers(&kassa, &actor)?;
    let out = DemoOut {
        db_path: path.display().to_string(),
        brands: kassa.list_brands(&actor)?,
        stores: kassa.list_stores(&actor)?,
        pos_devices: kassa.list_pos_devices(&actor, None, false)?,
        users: DEMO_USERS
            .iter()
            .map(|u| DemoUserOut {
                name: u.name,
                role: u.role,
                pin: u.pin,
            })
            .collect(),
    };
    if ctx.json {
        return output::json(&out);
    }
    let brands: Vec<&str> = out.brands.iter().map(|b| b.name.as_str()).collect();
    output::line(format!("Demo database: {}", out.db_path))?;
    output::line(format!("Brand: {}", brands.join(", ")))?;
    output::line("")?;
    super::store::table(&out.stores).print("(no stores)")?;
    output::line("")?;
    super::pos::table(&out.pos_devices).print("(no POS devices)")?;
    output::line("")?;
    let mut users = Table::new(&["USER", "ROLE", "PIN"]);
    for u in &out.users {
        users.row(vec![u.name.into(), u.role.to_string(), u.pin.into()]);
    }
    users.print("(no users)")?;
    output::line("")?;
    output::line(format!(
        "Try: KASSA_PIN={} kassa --db {} --user {} store list",
        manager.pin,
        shell_quote(&out.db_path),
        manager.name
    ))
}

pub fn status(ctx: &Context) -> Result<(), AppError> {
    let kassa = ctx.open()?;
    let status: AppStatus = kassa.status(None)?;
    if ctx.json {
        return output::json(&status);
    }
    let language = serde_json::to_value(status.language)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let pos = match &status.bound_device {
        Some(d) => format!(
            "'{}' (id {}) in '{}', brand '{}', {}",
            d.pos_name, d.pos_id, d.store_name, d.brand_name, d.currency
        ),
        None => "not bound to a POS (kassa pos bind POS)".into(),
    };
    // The app itself names its file only to a manager; here the caller chose the file.
    output::line(format!("Database:  {}", ctx.db_path()?.display()))?;
    output::line(format!(
        "Demo:      {}",
        if status.is_demo { "yes" } else { "no" }
    ))?;
    output::line(format!(
        "Set up:    {}",
        if status.needs_first_run {
            "no users yet (first run needed)"
        } else {
            "yes"
        }
    ))?;
    output::line(format!("Language:  {language}"))?;
    output::line(format!("This POS:  {pos}"))
}

/// Quotes a value for a copy-pasteable shell hint.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=,".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Points every demo till at the sandbox's fixed loopback ports with the emulators' demo
/// credentials, so `scripts/demo.sh` (which starts `kassa sandbox`) shows every provider
/// connected with no account anywhere.
fn connect_demo_providers(kassa: &Kassa, actor: &kassa_app::Actor) -> Result<(), AppError> {
    use kassa_sandbox::Provider as Emulated;
    let stores = kassa.list_stores(actor)?;
    for pos in kassa.list_pos_devices(actor, None, false)? {
        // A SWiP merchant account takes one currency, set per till: the one its store
        // sells in, so every demo till can take SWiP payments.
        let till_currency = stores
            .iter()
            .find(|s| s.id == pos.store_id)
            .map(|s| s.currency.clone());
        for emulated in Emulated::ALL {
            let (provider, settings) = match emulated {
                Emulated::Vourity => (
                    kassa_app::Provider::Vourity,
                    kassa_sandbox::vourity::DEMO_SETTINGS,
                ),
                Emulated::VenueManager => (
                    kassa_app::Provider::VenueManager,
                    kassa_sandbox::venue_manager::DEMO_SETTINGS,
                ),
                Emulated::Flexiti => (
                    kassa_app::Provider::Flexiti,
                    kassa_sandbox::flexiti::DEMO_SETTINGS,
                ),
                Emulated::Swip => (kassa_app::Provider::Swip, kassa_sandbox::swip::DEMO_SETTINGS),
                Emulated::DropPay => (
                    kassa_app::Provider::Droppay,
                    kassa_sandbox::droppay::DEMO_SETTINGS,
                ),
            };
            let fields = kassa_app::provider_fields(provider);
            let mut input = kassa_app::ProviderAccountInput {
                base_url: format!(
                    "http://127.0.0.1:{}{}",
                    emulated.demo_port(),
                    emulated.base_path()
                ),
                ..Default::default()
            };
            for (key, value) in settings {
                let value = match (emulated, *key, &till_currency) {
                    (Emulated::Swip, "currency", Some(currency)) => currency.as_str(),
                    _ => *value,
                };
                let secret = fields.iter().any(|f| f.key == *key && f.secret);
                let map = if secret {
                    &mut input.secrets
                } else {
                    &mut input.values
                };
                map.insert((*key).to_owned(), value.to_owned());
            }
            kassa.set_provider_account(actor, pos.id, provider, input)?;
        }
    }
    Ok(())
}
