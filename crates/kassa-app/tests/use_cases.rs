//! The application service against real SQLite files: every use case, its role checks,
//! and the promise that refused input changes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use kassa_app::{
    Actor, AppError, BrandInput, DeviceType, ErrorCode, ExternalId, FirstRunInput, Kassa, ManualClock, Place,
    PosDeviceInput, PosStatus, PrinterSettings, Provider, Role, StoreInput, UserInput,
};
use rusqlite::Connection;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<ManualClock>,
    kassa: Kassa,
}

impl Fixture {
    /// A demo database: brand Nordljus, stores Malmö C (SEK) and København Nørreport (DKK),
    /// four tills, users manager/cashier/accountant.
    fn demo() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kassa.sqlite3");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
        ));
        let kassa = Kassa::create_demo(&path, clock.clone()).unwrap();
        Fixture {
            _dir: dir,
            path,
            clock,
            kassa,
        }
    }

    fn login(&self, name: &str) -> Actor {
        let pin = kassa_app::DEMO_USERS.iter().find(|u| u.name == name).unwrap().pin;
        self.kassa.login(name, pin).unwrap().0
    }

    fn reopen(&self) -> Kassa {
        Kassa::open_with_clock(&self.path, self.clock.clone()).unwrap()
    }

    /// Every row of every table, read through a separate connection, to prove that a
    /// refused request wrote nothing.
    fn snapshot(&self) -> Vec<String> {
        snapshot(&self.path)
    }

    fn store_id(&self, name: &str) -> i64 {
        let manager = self.login("manager");
        self.kassa
            .list_stores(&manager)
            .unwrap()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
            .id
    }
}

fn snapshot(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut rows = Vec::new();
    for table in [
        "brands",
        "stores",
        "pos_devices",
        "pos_external_ids",
        "users",
        "audit_log",
        "settings",
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let columns = stmt.column_count();
        let mut query = stmt.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    rows
}

fn store_input(brand_id: i64, name: &str) -> StoreInput {
    StoreInput {
        brand_id,
        name: name.into(),
        country: "SE".into(),
        address: "Kungsgatan 1, Lund".into(),
        place: Place::Real,
        latitude: Some(55.70),
        longitude: Some(13.19),
        currency: "SEK".into(),
        time_zone: "Europe/Stockholm".into(),
        vat_number: None,
    }
}

fn pos_input(store_id: i64, name: &str) -> PosDeviceInput {
    PosDeviceInput {
        store_id,
        name: name.into(),
        device_type: DeviceType::Till,
        external_ids: vec![],
        terminal: None,
        printer: None,
    }
}

/// Asserts that `result` failed with `code`, that its message contains `needle`, and that
/// the database is exactly as it was before.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(
    fx: &Fixture,
    before: &[String],
    result: Result<T, AppError>,
    code: ErrorCode,
    needle: &str,
) {
    let err = result.expect_err("the request should have been refused");
    assert_eq!(err.code(), code, "unexpected error: {err}");
    assert!(
        err.to_string().contains(needle),
        "message {:?} should contain {needle:?}",
        err.to_string()
    );
    assert_eq!(fx.snapshot(), before, "a refused request changed the database");
}

#[test]
fn demo_has_two_stores_in_two_currencies_four_tills_and_three_roles() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let stores = fx.kassa.list_stores(&manager).unwrap();
    let currencies: Vec<_> = stores
        .iter()
        .map(|s| (s.name.as_str(), s.currency.as_str()))
        .collect();
    assert_eq!(currencies, [("København Nørreport", "DKK"), ("Malmö C", "SEK")]);
    assert_eq!(fx.kassa.list_pos_devices(&manager, None, false).unwrap().len(), 4);
    let roles: Vec<Role> = fx
        .kassa
        .list_users(&manager)
        .unwrap()
        .iter()
        .map(|u| u.role)
        .collect();
    assert_eq!(roles, [Role::Accountant, Role::Cashier, Role::Manager]);
    let status = fx.kassa.status(Some(&manager)).unwrap();
    assert!(status.is_demo && !status.needs_first_run);
    let bound = status.bound_device.unwrap();
    assert_eq!(
        (bound.pos_name.as_str(), bound.store_name.as_str()),
        ("Till 1", "Malmö C")
    );
}

#[test]
fn manager_creates_store_and_pos_and_both_are_audited() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let brand = fx.kassa.list_brands(&manager).unwrap()[0].clone();
    let store = fx
        .kassa
        .create_store(&manager, &store_input(brand.id, "  Lund  "))
        .unwrap();
    assert_eq!(store.name, "Lund", "names are trimmed");
    let mut input = pos_input(store.id, "Till 1");
    input.external_ids = vec![ExternalId {
        provider: Provider::Droppay,
        external_id: "POS12JY6DS8".into(),
    }];
    input.printer = Some(PrinterSettings {
        port: "/dev/ttyUSB1".into(),
        baud_rate: 19200,
        columns: 48,
    });
    let pos = fx.kassa.create_pos_device(&manager, &input).unwrap();
    assert_eq!(pos.status, PosStatus::Enabled);
    assert_eq!(pos.external_ids[0].external_id, "POS12JY6DS8");

    // A second service over the same file (as the CLI would be) sees both.
    let other = fx.reopen();
    let again = other.login("manager", "1234").unwrap().0;
    assert!(
        other
            .list_stores(&again)
            .unwrap()
            .iter()
            .any(|s| s.name == "Lund")
    );
    assert_eq!(
        other.list_pos_devices(&again, Some(store.id), false).unwrap(),
        vec![pos.clone()]
    );

    let trail = fx
        .kassa
        .audit_trail(&manager, Some("pos_device"), Some(pos.id), 10)
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "create");
    assert_eq!(trail[0].actor_name.as_deref(), Some("manager"));
    assert!(trail[0].before.is_none());
    assert!(trail[0].after.as_deref().unwrap().contains("POS12JY6DS8"));
}

#[test]
fn blank_names_are_refused_and_change_nothing() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let malmo = fx.store_id("Malmö C");
    let before = fx.snapshot();
    let brand = BrandInput {
        name: " \t ".into(),
        description: None,
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_brand(&manager, &brand),
        ErrorCode::Validation,
        "Brand name must not be empty",
    );
    let store = store_input(1, "   ");
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_store(&manager, &store),
        ErrorCode::Validation,
        "Store name must not be empty",
    );
    let pos = pos_input(malmo, "");
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_pos_device(&manager, &pos),
        ErrorCode::Validation,
        "POS name must not be empty",
    );
    let user = UserInput {
        name: " ".into(),
        role: Role::Cashier,
        pin: "4321".into(),
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_user(&manager, &user),
        ErrorCode::Validation,
        "User name must not be empty",
    );
}

#[test]
fn duplicate_names_within_their_parent_are_refused() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let malmo = fx.store_id("Malmö C");
    let copenhagen = fx.store_id("København Nørreport");
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_pos_device(&manager, &pos_input(malmo, "till 1")),
        ErrorCode::Conflict,
        "store 'Malmö C' already has a POS named 'Till 1'",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_store(&manager, &store_input(1, "MALMÖ C")),
        ErrorCode::Conflict,
        "brand 'Nordljus' already has a store named 'Malmö C'",
    );
    let brand = BrandInput {
        name: "nordljus".into(),
        description: None,
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_brand(&manager, &brand),
        ErrorCode::Conflict,
        "a brand named 'Nordljus' already exists",
    );
    let user = UserInput {
        name: "Cashier".into(),
        role: Role::Cashier,
        pin: "4321".into(),
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_user(&manager, &user),
        ErrorCode::Conflict,
        "a user named 'cashier' already exists",
    );
    // The same POS name in another store is fine.
    fx.kassa
        .create_pos_device(&manager, &pos_input(copenhagen, "Till 1"))
        .unwrap();
}

#[test]
fn unknown_codes_and_out_of_range_coordinates_are_refused() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let before = fx.snapshot();
    let cases: Vec<(StoreInput, &str, &str)> = vec![
        (
            StoreInput {
                currency: "SEKK".into(),
                ..store_input(1, "Lund")
            },
            "currency",
            "SEKK",
        ),
        (
            StoreInput {
                currency: "XYZ".into(),
                ..store_input(1, "Lund")
            },
            "currency",
            "XYZ",
        ),
        (
            StoreInput {
                country: "XX".into(),
                ..store_input(1, "Lund")
            },
            "country",
            "XX",
        ),
        (
            StoreInput {
                latitude: Some(91.0),
                ..store_input(1, "Lund")
            },
            "latitude",
            "latitude must be between -90 and 90",
        ),
        (
            StoreInput {
                longitude: Some(-181.0),
                ..store_input(1, "Lund")
            },
            "longitude",
            "longitude must be between -180 and 180",
        ),
        (
            StoreInput {
                time_zone: "Europe/Malmo".into(),
                ..store_input(1, "Lund")
            },
            "timeZone",
            "Europe/Malmo",
        ),
        (
            store_input(999, "Lund"),
            "brandId",
            "there is no brand with id 999",
        ),
    ];
    for (input, field, needle) in cases {
        let err = fx.kassa.create_store(&manager, &input).unwrap_err();
        assert_eq!(err.field(), Some(field));
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(fx.snapshot(), before);
    }
    let mut pos = pos_input(fx.store_id("Malmö C"), "Till 9");
    pos.printer = Some(PrinterSettings {
        port: "/dev/ttyUSB1".into(),
        baud_rate: 19200,
        columns: 40,
    });
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_pos_device(&manager, &pos),
        ErrorCode::Validation,
        "32, 42 or 48",
    );
}

#[test]
fn cashiers_and_accountants_are_refused_by_the_backend() {
    let fx = Fixture::demo();
    let cashier = fx.login("cashier");
    let accountant = fx.login("accountant");
    let malmo = fx.store_id("Malmö C");
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_store(&cashier, &store_input(1, "Lund")),
        ErrorCode::Forbidden,
        "only a manager can create stores; 'cashier' is a cashier",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa
            .create_pos_device(&accountant, &pos_input(malmo, "Till 9")),
        ErrorCode::Forbidden,
        "an accountant",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.delete_pos_device(&cashier, 2),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.set_pos_device_status(&cashier, 2, PosStatus::Disabled),
        ErrorCode::Forbidden,
        "only a manager",
    );
    let user = UserInput {
        name: "mallory".into(),
        role: Role::Manager,
        pin: "9999".into(),
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_user(&cashier, &user),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.change_user_role(&cashier, 2, Role::Manager),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.list_users(&accountant),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.audit_trail(&cashier, None, None, 10),
        ErrorCode::Forbidden,
        "accountant",
    );
    assert!(fx.kassa.audit_trail(&accountant, None, None, 10).is_ok());
    // Reading the organisation is open to every role.
    assert_eq!(fx.kassa.list_stores(&cashier).unwrap().len(), 2);
}

#[test]
fn a_demoted_manager_loses_rights_at_once() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let second = fx
        .kassa
        .create_user(
            &manager,
            &UserInput {
                name: "Anna".into(),
                role: Role::Manager,
                pin: "5555".into(),
            },
        )
        .unwrap();
    let anna = fx.kassa.login("anna", "5555").unwrap().0;
    fx.kassa
        .change_user_role(&manager, second.id, Role::Cashier)
        .unwrap();
    let err = fx.kassa.create_store(&anna, &store_input(1, "Lund")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
    fx.kassa.set_user_active(&manager, second.id, false).unwrap();
    assert_eq!(
        fx.kassa.list_stores(&anna).unwrap_err().code(),
        ErrorCode::Unauthenticated
    );
}

#[test]
fn wrong_pins_lock_the_user_for_five_minutes_across_instances() {
    let fx = Fixture::demo();
    for attempt in 1..=4 {
        // A fresh service each time, as separate CLI runs would be.
        let err = fx.reopen().login("cashier", "0000").unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthFailed, "attempt {attempt}");
        // The same words as for a name that does not exist: no count of attempts left.
        assert!(err.to_string().contains("wrong user name or PIN"), "{err}");
    }
    let err = fx.reopen().login("cashier", "0000").unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked);
    assert!(err.to_string().contains("locked for 5 minutes"), "{err}");

    let err = fx.reopen().login("cashier", "2222").unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::Locked,
        "the right PIN does not open a locked user"
    );
    assert!(err.to_string().contains("until 09:05:00 UTC"), "{err}");

    fx.clock.advance(Duration::minutes(4) + Duration::seconds(59));
    assert_eq!(
        fx.reopen().login("cashier", "2222").unwrap_err().code(),
        ErrorCode::Locked
    );
    fx.clock.advance(Duration::seconds(1));
    fx.reopen()
        .login("cashier", "2222")
        .expect("the lock ends after 5 minutes");

    // A success resets the count: four more wrong PINs do not lock.
    for _ in 0..4 {
        assert_eq!(
            fx.kassa.login("cashier", "0000").unwrap_err().code(),
            ErrorCode::AuthFailed
        );
    }
    fx.kassa.login("cashier", "2222").unwrap();
}

#[test]
fn a_pin_reset_unlocks_and_stored_pins_are_hashed() {
    let fx = Fixture::demo();
    for _ in 0..5 {
        let _ = fx.kassa.login("cashier", "0000");
    }
    let manager = fx.login("manager");
    let cashier_id = fx
        .kassa
        .list_users(&manager)
        .unwrap()
        .iter()
        .find(|u| u.name == "cashier")
        .unwrap()
        .id;
    assert!(
        fx.kassa
            .list_users(&manager)
            .unwrap()
            .iter()
            .any(|u| u.locked_until.is_some())
    );
    fx.kassa.reset_user_pin(&manager, cashier_id, "8642").unwrap();
    fx.kassa.login("cashier", "8642").unwrap();

    let conn = Connection::open(&fx.path).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT pin_hash FROM users")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for hash in hashes {
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        for pin in ["1234", "2222", "3333", "8642"] {
            assert!(!hash.contains(pin));
        }
    }
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.reset_user_pin(&manager, cashier_id, "12"),
        ErrorCode::Validation,
        "4 to 12 digits",
    );
}

#[test]
fn disabled_users_cannot_log_in_and_unknown_users_are_not_told_apart() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let cashier_id = fx
        .kassa
        .list_users(&manager)
        .unwrap()
        .iter()
        .find(|u| u.name == "cashier")
        .unwrap()
        .id;
    fx.kassa.set_user_active(&manager, cashier_id, false).unwrap();
    let err = fx.kassa.login("cashier", "2222").unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed);
    assert!(err.to_string().contains("disabled"), "{err}");
    let err = fx.kassa.login("nobody", "1234").unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed);
    assert!(err.to_string().contains("wrong user name or PIN"), "{err}");
    assert!(!err.to_string().contains("nobody"), "{err}");
}

#[test]
fn the_last_active_manager_cannot_be_disabled_or_demoted() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let me = fx.kassa.session(&manager).unwrap().user_id;
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.set_user_active(&manager, me, false),
        ErrorCode::Conflict,
        "last active manager",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.change_user_role(&manager, me, Role::Cashier),
        ErrorCode::Conflict,
        "last active manager",
    );
    // With a second manager, the first may step down.
    fx.kassa
        .create_user(
            &manager,
            &UserInput {
                name: "Anna".into(),
                role: Role::Manager,
                pin: "5555".into(),
            },
        )
        .unwrap();
    fx.kassa.change_user_role(&manager, me, Role::Cashier).unwrap();
}

#[test]
fn pos_lifecycle_disable_enable_delete_keeps_history() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let malmo = fx.store_id("Malmö C");
    let till2 = fx
        .kassa
        .list_pos_devices(&manager, Some(malmo), false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Till 2")
        .unwrap();
    fx.kassa
        .set_pos_device_status(&manager, till2.id, PosStatus::Disabled)
        .unwrap();
    fx.kassa
        .set_pos_device_status(&manager, till2.id, PosStatus::Enabled)
        .unwrap();
    let deleted = fx.kassa.delete_pos_device(&manager, till2.id).unwrap();
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.status, PosStatus::Disabled);
    assert!(
        !fx.kassa
            .list_pos_devices(&manager, Some(malmo), false)
            .unwrap()
            .iter()
            .any(|p| p.id == till2.id)
    );
    assert!(
        fx.kassa
            .list_pos_devices(&manager, Some(malmo), true)
            .unwrap()
            .iter()
            .any(|p| p.id == till2.id)
    );
    let actions: Vec<String> = fx
        .kassa
        .audit_trail(&manager, Some("pos_device"), Some(till2.id), 10)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["delete", "enable", "disable", "create"]);

    // The name is free again, and the deleted device cannot be changed.
    fx.kassa
        .create_pos_device(&manager, &pos_input(malmo, "Till 2"))
        .unwrap();
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa
            .set_pos_device_status(&manager, till2.id, PosStatus::Enabled),
        ErrorCode::Conflict,
        "was deleted",
    );
    assert_refused(
        &fx,
        &before,
        fx.kassa.bind_installation(&manager, till2.id),
        ErrorCode::Conflict,
        "deleted",
    );

    // The till this installation is bound to cannot be deleted.
    let bound = fx.kassa.status(Some(&manager)).unwrap().bound_device.unwrap();
    assert_refused(
        &fx,
        &before,
        fx.kassa.delete_pos_device(&manager, bound.pos_id),
        ErrorCode::Conflict,
        "this installation's own till",
    );
}

#[test]
fn external_ids_are_unique_per_provider() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let malmo = fx.store_id("Malmö C");
    let mut holder = pos_input(malmo, "Till 4");
    holder.external_ids = vec![ExternalId {
        provider: Provider::Droppay,
        external_id: "POSDEMO0003".into(),
    }];
    fx.kassa.create_pos_device(&manager, &holder).unwrap();
    let mut input = pos_input(malmo, "Till 3");
    input.external_ids = holder.external_ids.clone();
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_pos_device(&manager, &input),
        ErrorCode::ExternalIdTaken,
        "already belongs to another POS",
    );
    input.external_ids = vec![
        ExternalId {
            provider: Provider::Vourity,
            external_id: "A".into(),
        },
        ExternalId {
            provider: Provider::Vourity,
            external_id: "B".into(),
        },
    ];
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_pos_device(&manager, &input),
        ErrorCode::Validation,
        "only one vourity id",
    );
}

#[test]
fn binding_the_installation_moves_the_top_bar() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let kasse = fx
        .kassa
        .list_pos_devices(&manager, None, false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Kasse 1")
        .unwrap();
    let status = fx.kassa.bind_installation(&manager, kasse.id).unwrap();
    let bound = status.bound_device.unwrap();
    assert_eq!(
        (bound.store_name.as_str(), bound.currency.as_str()),
        ("København Nørreport", "DKK")
    );
    assert_eq!(
        fx.reopen().status(None).unwrap().bound_device.unwrap().pos_id,
        kasse.id
    );
}

#[test]
fn first_run_sets_up_everything_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite3");
    let kassa = Kassa::create(&path).unwrap();
    assert!(kassa.status(None).unwrap().needs_first_run);
    let input = FirstRunInput {
        brand_name: "Fika & Co".into(),
        store_name: "Lund".into(),
        country: "SE".into(),
        currency: "SEKK".into(),
        time_zone: "Europe/Stockholm".into(),
        address: "Kungsgatan 1".into(),
        manager_name: "Anna".into(),
        manager_pin: "2468".into(),
    };
    let empty = snapshot(&path);
    let err = kassa.first_run_setup(&input).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert_eq!(
        snapshot(&path),
        empty,
        "a failed first run leaves the database empty"
    );

    let (_, session) = kassa
        .first_run_setup(&FirstRunInput {
            currency: "SEK".into(),
            ..input.clone()
        })
        .unwrap();
    assert_eq!((session.name.as_str(), session.role), ("Anna", Role::Manager));
    let status = kassa.status(None).unwrap();
    assert!(!status.needs_first_run && !status.is_demo);
    assert_eq!(status.bound_device.unwrap().pos_name, "Till 1");
    let err = kassa.first_run_setup(&input).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
}

#[test]
fn opening_refuses_missing_foreign_corrupt_and_newer_files() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("typo.sqlite3");
    let err = Kassa::open(&missing).unwrap_err();
    assert!(err.to_string().contains("no Kassa database at"), "{err}");
    assert!(!missing.exists(), "a mistyped path must not create a file");

    let text = dir.path().join("notes.txt");
    let shopping_list = "this is not a database, it is a shopping list\n".repeat(100);
    std::fs::write(&text, &shopping_list).unwrap();
    let err = Kassa::open(&text).unwrap_err();
    assert!(err.to_string().contains("is not a SQLite database"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        shopping_list,
        "the file is left alone"
    );

    let foreign = dir.path().join("other.sqlite3");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE recipes (name TEXT)")
        .unwrap();
    let err = Kassa::open(&foreign).unwrap_err();
    assert!(err.to_string().contains("not a Kassa database"), "{err}");

    let newer = dir.path().join("newer.sqlite3");
    drop(Kassa::create(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", kassa_app::SCHEMA_VERSION + 1)
        .unwrap();
    let err = Kassa::open(&newer).unwrap_err();
    assert!(
        err.to_string().contains("newer than this Kassa understands"),
        "{err}"
    );

    // Overwrite a table's pages in the middle of a real database.
    let corrupt = dir.path().join("corrupt.sqlite3");
    let fx_clock = Arc::new(ManualClock::new(Utc::now()));
    drop(Kassa::create_demo(&corrupt, fx_clock).unwrap());
    let conn = Connection::open(&corrupt).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&corrupt).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[4096..8192] {
        *b = 0x5A;
    }
    std::fs::write(&corrupt, &bytes).unwrap();
    let err = Kassa::open(&corrupt).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Database);
    assert!(
        err.to_string().contains("integrity check") || err.to_string().contains("not a SQLite database"),
        "{err}"
    );
}

#[test]
fn init_creates_nothing_when_the_manager_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite3");
    assert_eq!(
        Kassa::init(&path, "owner", "12").unwrap_err().code(),
        ErrorCode::Validation
    );
    assert_eq!(
        Kassa::init(&path, "  ", "1234").unwrap_err().code(),
        ErrorCode::Validation
    );
    assert!(!path.exists());
    let (kassa, user) = Kassa::init(&path, "owner", "9876").unwrap();
    assert_eq!(user.role, Role::Manager);
    assert!(kassa.status(None).unwrap().bound_device.is_none());
}

#[test]
fn half_a_location_is_refused() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let before = fx.snapshot();
    let input = StoreInput {
        longitude: None,
        ..store_input(1, "Lund")
    };
    assert_refused(
        &fx,
        &before,
        fx.kassa.create_store(&manager, &input),
        ErrorCode::Validation,
        "both latitude and longitude",
    );
}

#[test]
fn demo_never_overwrites_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("real.sqlite3");
    let (kassa, _) = Kassa::init(&path, "owner", "9876").unwrap();
    drop(kassa);
    let before = snapshot(&path);
    let err = Kassa::create_demo(&path, Arc::new(ManualClock::new(Utc::now()))).unwrap_err();
    assert!(err.to_string().contains("is not a demo database"), "{err}");
    assert_eq!(snapshot(&path), before);

    // A demo database is recreated from scratch.
    let demo = dir.path().join("demo.sqlite3");
    let first = Kassa::create_demo(&demo, Arc::new(ManualClock::new(Utc::now()))).unwrap();
    let manager = first.login("manager", "1234").unwrap().0;
    first
        .create_brand(
            &manager,
            &BrandInput {
                name: "Extra".into(),
                description: None,
            },
        )
        .unwrap();
    drop(first);
    let second = Kassa::create_demo(&demo, Arc::new(ManualClock::new(Utc::now()))).unwrap();
    let manager = second.login("manager", "1234").unwrap().0;
    assert_eq!(second.list_brands(&manager).unwrap().len(), 1);
}

#[test]
fn backup_and_restore_round_trip_and_restore_refuses_bad_files() {
    let fx = Fixture::demo();
    let manager = fx.login("manager");
    let backup = fx.path.with_file_name("backup.sqlite3");
    fx.kassa.backup(&manager, &backup).unwrap();
    let err = fx.kassa.backup(&manager, &backup).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");

    fx.kassa.create_store(&manager, &store_input(1, "Lund")).unwrap();
    assert_eq!(fx.kassa.list_stores(&manager).unwrap().len(), 3);

    let garbage = fx.path.with_file_name("garbage.sqlite3");
    std::fs::write(&garbage, vec![7u8; 10_000]).unwrap();
    let before = fx.snapshot();
    assert_refused(
        &fx,
        &before,
        fx.kassa.restore(&manager, &garbage),
        ErrorCode::Database,
        "not a SQLite database",
    );

    fx.kassa.restore(&manager, &backup).unwrap();
    assert_eq!(fx.kassa.list_stores(&manager).unwrap().len(), 2);
    assert!(fx.kassa.integrity_problems(&manager).unwrap().is_empty());
    let cashier = fx.login("cashier");
    assert_eq!(
        fx.kassa
            .backup(&cashier, &fx.path.with_file_name("b2.sqlite3"))
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
}

#[test]
fn the_audit_log_is_append_only() {
    let fx = Fixture::demo();
    let conn = Connection::open(&fx.path).unwrap();
    let err = conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("UPDATE audit_log SET action = 'x'", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn tables_are_strict() {
    let fx = Fixture::demo();
    let conn = Connection::open(&fx.path).unwrap();
    let err = conn
        .execute(
            "UPDATE users SET failed_pin_attempts = 'many' WHERE name = 'cashier'",
            [],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot store TEXT value in INTEGER column"),
        "{err}"
    );
}
