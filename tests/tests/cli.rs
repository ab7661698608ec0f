//! The real `kassa` binary, run as a user would: every test has its own data directory
//! and database, PINs come from the environment (never the command line), and results
//! are checked through `--json`, the exit code, and kassa-app reading the same file.

use kassa_app::{Kassa, Place, StoreInput};
mod common;

use common::exit::{AUTH, CONFLICT, DATABASE, FORBIDDEN, LOCKED, NOT_FOUND, VALIDATION};
use common::{World, fails, json, ok, stderr, stdout};
use serde_json::Value;

/// What these tests add to the shared world: the demo database and its lists.
impl World {
    fn demo(&self) {
        let out = self.kassa(&["demo"]).output().unwrap();
        assert!(out.status.success(), "kassa demo failed: {}", stderr(&out));
    }

    fn stores(&self) -> Value {
        json(self.as_manager(&["store", "list"]))
    }

    fn pos_devices(&self) -> Value {
        json(self.as_manager(&["pos", "list", "--include-deleted"]))
    }

    fn audit_len(&self) -> usize {
        json(self.as_manager(&["audit", "--limit", "1000"]))
            .as_array()
            .unwrap()
            .len()
    }
}

/// A failure reported as exactly one `kassa: ...` line.
fn fails_one_line(cmd: assert_cmd::Command, code: i32) -> String {
    let (_, err) = fails(cmd, code);
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "want one line on stderr, got: {err}");
    assert!(lines[0].starts_with("kassa: "), "{err}");
    lines[0].to_owned()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn demo_creates_a_database_and_prints_the_pins() {
    let w = World::new();
    let out = w.kassa(&["demo"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(w.db.is_file());
    assert!(text.contains(&w.db.display().to_string()), "{text}");
    for needle in ["Nordljus", "Malmö C", "København Nørreport", "Till 1", "Kasse 2"] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
    for user in kassa_app::DEMO_USERS {
        let row = text
            .lines()
            .find(|l| l.starts_with(user.name) && l.contains(user.pin))
            .unwrap_or_else(|| panic!("no row for {} with its PIN: {text}", user.name));
        assert!(row.contains(user.role.as_str()));
    }
    // Every demo user can log in with the printed PIN.
    for user in kassa_app::DEMO_USERS {
        w.as_user(user.name, user.pin, &["status"]).assert().success();
        w.as_user(user.name, user.pin, &["store", "list"])
            .assert()
            .success();
    }
    let status = json(w.kassa(&["status"]));
    assert_eq!(status["isDemo"], true);
    assert_eq!(status["boundDevice"]["posName"], "Till 1");

    let again = json(w.kassa(&["demo"]));
    assert_eq!(again["users"][0]["pin"], "1234");
    assert_eq!(names(&again["stores"]).len(), 2);
}

#[test]
fn demo_never_overwrites_a_real_database() {
    let w = World::new();
    w.kassa(&["init", "--manager", "Anna"])
        .env("KASSA_PIN", "9876")
        .assert()
        .success();
    let before = std::fs::read(&w.db).unwrap();
    let err = fails_one_line(w.kassa(&["demo"]), CONFLICT);
    assert!(err.contains("is not a demo database"), "{err}");
    assert_eq!(
        std::fs::read(&w.db).unwrap(),
        before,
        "the real database was changed"
    );
    // Still Anna's database, and Anna can use it.
    let users = json(w.as_user("Anna", "9876", &["user", "list"]));
    assert_eq!(names(&users), ["Anna"]);
    w.as_user("manager", "1234", &["store", "list"])
        .assert()
        .code(AUTH);
}

#[test]
fn demo_twice_recreates_the_demo() {
    let w = World::new();
    w.demo();
    w.as_manager(&["brand", "add", "Extra"]).assert().success();
    assert_eq!(
        names(&json(w.as_manager(&["brand", "list"]))),
        ["Extra", "Nordljus"]
    );
    w.demo();
    assert_eq!(names(&json(w.as_manager(&["brand", "list"]))), ["Nordljus"]);
}

#[test]
fn init_creates_an_empty_database_and_refuses_an_existing_file() {
    let w = World::new();
    let out = w
        .kassa(&["init", "--manager", "Anna"])
        .env("KASSA_PIN", "9876")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let status = json(w.kassa(&["status"]));
    assert_eq!(status["isDemo"], false);
    assert_eq!(status["needsFirstRun"], false);
    assert!(status["boundDevice"].is_null());
    assert_eq!(
        json(w.as_user("Anna", "9876", &["brand", "list"])),
        Value::Array(vec![])
    );

    // An existing database, and any other existing file, are left alone.
    let before = std::fs::read(&w.db).unwrap();
    let err = fails_one_line(
        {
            let mut c = w.kassa(&["init", "--manager", "Bo"]);
            c.env("KASSA_PIN", "1111");
            c
        },
        DATABASE,
    );
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&w.db).unwrap(), before);

    let notes = w.path("notes.txt");
    std::fs::write(&notes, "shopping list").unwrap();
    let mut cmd = w.kassa_db(&notes, &["init", "--manager", "Bo"]);
    cmd.env("KASSA_PIN", "1111");
    fails_one_line(cmd, DATABASE);
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "shopping list");

    // A bad PIN creates nothing.
    let fresh = w.path("fresh.sqlite3");
    let mut cmd = w.kassa_db(&fresh, &["init", "--manager", "Bo"]);
    cmd.env("KASSA_PIN", "12");
    let err = fails_one_line(cmd, VALIDATION);
    assert!(err.contains("PIN"), "{err}");
    assert!(!fresh.exists());
}

#[test]
fn a_missing_database_is_an_error_and_nothing_is_created() {
    let w = World::new();
    let missing = w.path("nowhere").join("kassa.sqlite3");
    for args in [&["status"][..], &["store", "list"], &["db", "check"]] {
        let mut cmd = w.kassa_db(&missing, args);
        cmd.env("KASSA_USER", "manager").env("KASSA_PIN", "1234");
        let err = fails_one_line(cmd, DATABASE);
        assert!(err.contains(&missing.display().to_string()), "{err}");
        assert!(err.contains("no Kassa database"), "{err}");
    }
    assert!(!missing.exists());
    assert!(!w.path("nowhere").exists(), "a directory was created");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let w = World::new();
    std::fs::write(&w.db, "this is a text file, not a database\n".repeat(200)).unwrap();
    let before = std::fs::read(&w.db).unwrap();
    let err = fails_one_line(w.kassa(&["status"]), DATABASE);
    assert!(err.contains("is not a SQLite database"), "{err}");
    assert_eq!(std::fs::read(&w.db).unwrap(), before);
}

#[test]
fn a_database_from_a_newer_kassa_is_refused() {
    let w = World::new();
    w.demo();
    {
        let conn = rusqlite::Connection::open(&w.db).unwrap();
        conn.pragma_update(None, "user_version", kassa_app::SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = fails_one_line(w.as_manager(&["store", "list"]), DATABASE);
    assert!(err.contains("newer than this Kassa"), "{err}");
    let (_, json_err) = fails(w.kassa(&["status", "--json"]), DATABASE);
    let api: Value = serde_json::from_str(json_err.trim()).expect("JSON error on stderr");
    assert_eq!(api["code"], "database");
    assert!(api["message"].as_str().unwrap().contains("newer"));
}

#[test]
fn a_corrupt_database_is_reported_not_a_panic() {
    let w = World::new();
    w.demo();
    let mut bytes = std::fs::read(&w.db).unwrap();
    assert!(bytes.len() >= 8192, "demo database is only {} bytes", bytes.len());
    for (i, b) in bytes[4096..8192].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37) ^ 0xA5;
    }
    std::fs::write(&w.db, &bytes).unwrap();
    for args in [&["status"][..], &["store", "list"], &["db", "check"]] {
        let err = fails_one_line(w.as_manager(args), DATABASE);
        let lower = err.to_lowercase();
        assert!(
            ["integrity", "malformed", "corrupt", "not a sqlite"]
                .iter()
                .any(|w| lower.contains(w)),
            "not reported as corrupt: {err}"
        );
    }
}

#[test]
fn records_added_through_the_cli_are_listed_as_json() {
    let w = World::new();
    w.demo();
    let brand = json(w.as_manager(&["brand", "add", "Solsken", "--description", "Ice cream"]));
    assert_eq!(brand["name"], "Solsken");
    assert_eq!(brand["description"], "Ice cream");
    assert!(brand["id"].as_i64().unwrap() > 0);

    let store = json(w.as_manager(&[
        "store",
        "add",
        "--brand",
        "Solsken",
        "--name",
        "  Lund  ",
        "--country",
        "SE",
        "--currency",
        "SEK",
        "--time-zone",
        "Europe/Stockholm",
        "--place",
        "virtual",
        "--lat",
        "55.7",
        "--lon",
        "13.19",
        "--vat-number",
        "SE000111222301",
    ]));
    assert_eq!(store["name"], "Lund");
    assert_eq!(store["brandName"], "Solsken");
    assert_eq!(store["place"], "VIRTUAL");
    assert_eq!(store["latitude"], 55.7);
    assert_eq!(store["vatNumber"], "SE000111222301");

    let pos = json(w.as_manager(&[
        "pos",
        "add",
        "--store",
        "Lund",
        "--name",
        "Kiosk",
        "--type",
        "self-checkout",
        "--droppay-id",
        "POS-LUND-1",
        "--external-id",
        "swip=SW1",
        "--terminal-port",
        "/dev/ttyS0",
        "--terminal-baud",
        "9600",
        "--printer-port",
        "/dev/ttyS1",
        "--printer-baud",
        "19200",
        "--printer-columns",
        "48",
    ]));
    assert_eq!(pos["name"], "Kiosk");
    assert_eq!(pos["storeName"], "Lund");
    assert_eq!(pos["deviceType"], "self_checkout");
    assert_eq!(pos["status"], "ENABLED");
    assert_eq!(pos["externalIds"][0]["provider"], "droppay");
    assert_eq!(pos["externalIds"][0]["externalId"], "POS-LUND-1");
    assert_eq!(pos["externalIds"][1]["provider"], "swip");
    assert_eq!(pos["terminal"]["baudRate"], 9600);
    assert_eq!(pos["printer"]["columns"], 48);

    let mut add_user = w.as_manager(&["user", "add", "Bo", "--role", "cashier"]);
    add_user.env("KASSA_NEW_PIN", "4455");
    let user = json(add_user);
    assert_eq!(user["name"], "Bo");
    assert_eq!(user["role"], "cashier");
    assert_eq!(user["active"], true);
    assert!(user.get("pin").is_none() && user.get("pinHash").is_none());

    assert!(names(&json(w.as_manager(&["brand", "list"]))).contains(&"Solsken".into()));
    assert!(names(&w.stores()).contains(&"Lund".into()));
    let lund = json(w.as_manager(&["pos", "list", "--store", "Lund"]));
    assert_eq!(names(&lund), ["Kiosk"]);
    assert!(names(&json(w.as_manager(&["user", "list"]))).contains(&"Bo".into()));
    // The new user logs in with the new PIN; a cashier sees stores.
    w.as_user("Bo", "4455", &["store", "list"]).assert().success();

    // Edits change only what was given.
    let edited = json(w.as_manager(&["store", "edit", "Lund", "--address", "Storgatan 1"]));
    assert_eq!(edited["address"], "Storgatan 1");
    assert_eq!(edited["latitude"], 55.7);
    assert_eq!(edited["vatNumber"], "SE000111222301");
    let edited = json(w.as_manager(&[
        "pos",
        "edit",
        "Kiosk",
        "--name",
        "Kiosk 1",
        "--printer-columns",
        "32",
        "--remove-external-id",
        "swip",
        "--no-terminal",
    ]));
    assert_eq!(edited["name"], "Kiosk 1");
    assert_eq!(edited["printer"]["columns"], 32);
    assert_eq!(edited["printer"]["port"], "/dev/ttyS1");
    assert!(edited["terminal"].is_null());
    assert_eq!(edited["externalIds"].as_array().unwrap().len(), 1);

    // The text forms are tables with headers.
    let out = w.as_manager(&["pos", "list"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.lines().next().unwrap().starts_with("ID"), "{text}");
    assert!(text.contains("Kiosk 1"), "{text}");
}

#[test]
fn the_cli_and_kassa_app_see_the_same_stores() {
    let w = World::new();
    w.demo();
    w.as_manager(&[
        "store",
        "add",
        "--brand",
        "Nordljus",
        "--name",
        "Oslo S",
        "--country",
        "NO",
        "--currency",
        "NOK",
        "--time-zone",
        "Europe/Oslo",
    ])
    .assert()
    .success();

    let kassa = Kassa::open(&w.db).unwrap();
    let (actor, _) = kassa.login("manager", "1234").unwrap();
    let stores = kassa.list_stores(&actor).unwrap();
    let oslo = stores
        .iter()
        .find(|s| s.name == "Oslo S")
        .expect("CLI store seen by kassa-app");
    assert_eq!(oslo.currency, "NOK");
    assert_eq!(oslo.place, Place::Real);

    let brand_id = oslo.brand_id;
    kassa
        .create_store(
            &actor,
            &StoreInput {
                brand_id,
                name: "Bergen".into(),
                country: "NO".into(),
                address: String::new(),
                place: Place::Real,
                latitude: None,
                longitude: None,
                currency: "NOK".into(),
                time_zone: "Europe/Oslo".into(),
                vat_number: None,
            },
        )
        .unwrap();
    drop(kassa);
    let listed = names(&w.stores());
    assert!(
        listed.contains(&"Bergen".into()) && listed.contains(&"Oslo S".into()),
        "{listed:?}"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let w = World::new();
    w.demo();
    // A POS holding a DropPay id, for the refusal of a second POS with the same id.
    ok(w.as_manager(&[
        "pos",
        "add",
        "--store",
        "Malmö C",
        "--name",
        "Till 8",
        "--droppay-id",
        "POSDEMO0003",
    ]));
    let stores = w.stores();
    let devices = w.pos_devices();
    let audit = w.audit_len();

    let store_add = |name: &str, country: &str, currency: &str, extra: &[&str]| {
        let mut args = vec![
            "store",
            "add",
            "--brand",
            "Nordljus",
            "--name",
            name,
            "--country",
            country,
            "--currency",
            currency,
            "--time-zone",
            "Europe/Stockholm",
        ];
        args.extend_from_slice(extra);
        w.as_manager(&args)
    };
    let err = fails_one_line(store_add("", "SE", "SEK", &[]), VALIDATION);
    assert!(err.contains("Store name must not be empty"), "{err}");
    let err = fails_one_line(store_add("   ", "SE", "SEK", &[]), VALIDATION);
    assert!(err.contains("Store name must not be empty"), "{err}");
    let err = fails_one_line(store_add("Lund", "SE", "XYZ", &[]), VALIDATION);
    assert!(err.contains("XYZ"), "{err}");
    let err = fails_one_line(store_add("Lund", "XX", "SEK", &[]), VALIDATION);
    assert!(err.contains("XX"), "{err}");
    let err = fails_one_line(
        store_add("Lund", "SE", "SEK", &["--lat", "91", "--lon", "13"]),
        VALIDATION,
    );
    assert!(err.contains("latitude must be between -90 and 90"), "{err}");
    let err = fails_one_line(store_add("Malmö C", "SE", "SEK", &[]), CONFLICT);
    assert!(err.contains("already has a store named 'Malmö C'"), "{err}");
    let err = fails_one_line(
        w.as_manager(&[
            "store",
            "add",
            "--brand",
            "Nobody",
            "--name",
            "Lund",
            "--country",
            "SE",
            "--currency",
            "SEK",
            "--time-zone",
            "Europe/Stockholm",
        ]),
        NOT_FOUND,
    );
    assert!(err.contains("there is no brand named 'Nobody'"), "{err}");

    let err = fails_one_line(
        w.as_manager(&["pos", "add", "--store", "Malmö C", "--name", "Till 1"]),
        CONFLICT,
    );
    assert_eq!(err, "kassa: store 'Malmö C' already has a POS named 'Till 1'");
    let err = fails_one_line(
        w.as_manager(&["pos", "add", "--store", "Malmö C", "--name", " \t "]),
        VALIDATION,
    );
    assert!(err.contains("POS name must not be empty"), "{err}");
    let err = fails_one_line(
        w.as_manager(&[
            "pos",
            "add",
            "--store",
            "Malmö C",
            "--name",
            "Till 9",
            "--droppay-id",
            "POSDEMO0003",
        ]),
        CONFLICT,
    );
    assert!(err.contains("already belongs to another POS"), "{err}");
    let err = fails_one_line(
        w.as_manager(&[
            "pos",
            "add",
            "--store",
            "Malmö C",
            "--name",
            "Till 9",
            "--terminal-port",
            "/dev/ttyS0",
        ]),
        VALIDATION,
    );
    assert!(err.contains("--terminal-baud"), "{err}");
    let err = fails_one_line(
        w.as_manager(&[
            "pos",
            "add",
            "--store",
            "Malmö C",
            "--name",
            "Till 9",
            "--printer-port",
            "/dev/ttyS0",
            "--printer-baud",
            "9600",
            "--printer-columns",
            "40",
        ]),
        VALIDATION,
    );
    assert!(err.contains("32, 42 or 48"), "{err}");
    let err = fails_one_line(
        w.as_manager(&["pos", "add", "--store", "Atlantis", "--name", "T"]),
        NOT_FOUND,
    );
    assert!(err.contains("there is no store named 'Atlantis'"), "{err}");
    // A clap usage error: exit 2.
    w.as_manager(&[
        "pos", "add", "--store", "Malmö C", "--name", "T", "--type", "robot",
    ])
    .assert()
    .code(2);

    // With --json the error is the ApiError object.
    let (_, err) = fails(
        {
            let mut c = store_add("", "SE", "SEK", &[]);
            c.arg("--json");
            c
        },
        VALIDATION,
    );
    let api: Value = serde_json::from_str(err.trim()).expect("JSON error");
    assert_eq!(api["code"], "validation");
    assert_eq!(api["field"], "name");

    assert_eq!(w.stores(), stores);
    assert_eq!(w.pos_devices(), devices);
    assert_eq!(w.audit_len(), audit);
}

#[test]
fn a_cashier_cannot_add_stores() {
    let w = World::new();
    w.demo();
    let stores = w.stores();
    let devices = w.pos_devices();
    let err = fails_one_line(
        w.as_user(
            "cashier",
            "2222",
            &[
                "store",
                "add",
                "--brand",
                "Nordljus",
                "--name",
                "Lund",
                "--country",
                "SE",
                "--currency",
                "SEK",
                "--time-zone",
                "Europe/Stockholm",
            ],
        ),
        FORBIDDEN,
    );
    assert!(err.contains("only a manager can"), "{err}");
    fails_one_line(
        w.as_user("cashier", "2222", &["pos", "disable", "Till 2"]),
        FORBIDDEN,
    );
    assert_eq!(w.stores(), stores);
    assert_eq!(w.pos_devices(), devices);
}

#[test]
fn five_wrong_pins_in_separate_runs_lock_the_user() {
    let w = World::new();
    w.demo();
    let (_, unknown) = fails(w.as_user("nobody", "0000", &["store", "list"]), AUTH);
    for _ in 1..=4 {
        let (_, err) = fails(w.as_user("manager", "0000", &["store", "list"]), AUTH);
        // Word for word what a name that does not exist gets.
        assert_eq!(err, unknown);
    }
    let (_, err) = fails(w.as_user("manager", "0000", &["store", "list"]), LOCKED);
    assert!(err.contains("locked for 5 minutes"), "{err}");
    let (_, err) = fails(w.as_manager(&["store", "list"]), LOCKED);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("5 min"), "{err}");
    // Other users are not affected.
    w.as_user("cashier", "2222", &["store", "list"])
        .assert()
        .success();
}

#[test]
fn no_user_or_no_pin_is_a_clear_error() {
    let w = World::new();
    w.demo();
    let mut cmd = w.kassa(&["store", "list"]);
    cmd.env("KASSA_USER", "manager");
    let err = fails_one_line(cmd, AUTH);
    assert!(err.contains("set KASSA_PIN"), "{err}");
    let mut cmd = w.kassa(&["store", "list"]);
    cmd.env("KASSA_PIN", "1234");
    let err = fails_one_line(cmd, AUTH);
    assert!(err.contains("--user"), "{err}");
    let mut cmd = w.kassa(&["--user", "manager", "user", "add", "Bo", "--role", "cashier"]);
    cmd.env("KASSA_PIN", "1234");
    let err = fails_one_line(cmd, VALIDATION);
    assert!(err.contains("set KASSA_NEW_PIN"), "{err}");
    // `--user` on the command line works like KASSA_USER.
    let mut cmd = w.kassa(&["--user", "manager", "store", "list"]);
    cmd.env("KASSA_PIN", "1234");
    cmd.assert().success();
}

#[test]
fn a_disabled_user_cannot_log_in() {
    let w = World::new();
    w.demo();
    w.as_manager(&["user", "disable", "cashier"]).assert().success();
    let err = fails_one_line(w.as_user("cashier", "2222", &["store", "list"]), AUTH);
    assert!(err.contains("disabled"), "{err}");
    w.as_manager(&["user", "enable", "cashier"]).assert().success();
    w.as_user("cashier", "2222", &["store", "list"])
        .assert()
        .success();
}

#[test]
fn the_last_manager_cannot_be_disabled_or_demoted() {
    let w = World::new();
    w.demo();
    let err = fails_one_line(w.as_manager(&["user", "disable", "manager"]), CONFLICT);
    assert!(err.contains("last active manager"), "{err}");
    let err = fails_one_line(w.as_manager(&["user", "role", "manager", "cashier"]), CONFLICT);
    assert!(err.contains("last active manager"), "{err}");
    w.as_manager(&["store", "list"]).assert().success();
    // With a second manager, the first may go.
    w.as_manager(&["user", "role", "accountant", "manager"])
        .assert()
        .success();
    w.as_manager(&["user", "disable", "manager"]).assert().success();
    w.as_user("accountant", "3333", &["user", "list"])
        .assert()
        .success();
}

#[test]
fn pos_devices_are_found_by_name_or_id() {
    let w = World::new();
    w.demo();
    w.as_manager(&["pos", "add", "--store", "København Nørreport", "--name", "Till 2"])
        .assert()
        .success();
    let err = fails_one_line(w.as_manager(&["pos", "disable", "Till 2"]), VALIDATION);
    assert!(
        err.contains("could mean 2 POS devices") && err.contains("--store"),
        "{err}"
    );
    let disabled = json(w.as_manager(&["pos", "disable", "Till 2", "--store", "Malmö C"]));
    assert_eq!(disabled["storeName"], "Malmö C");
    assert_eq!(disabled["status"], "DISABLED");
    let id = disabled["id"].as_i64().unwrap().to_string();
    w.as_manager(&["pos", "enable", &id]).assert().success();

    // The installation's own till cannot be deleted; after binding another, it can.
    let err = fails_one_line(w.as_manager(&["pos", "delete", "Till 1"]), CONFLICT);
    assert!(err.contains("this installation's own till"), "{err}");
    w.as_manager(&["pos", "bind", &id]).assert().success();
    assert_eq!(json(w.kassa(&["status"]))["boundDevice"]["posId"], disabled["id"]);
    w.as_manager(&["pos", "delete", "Till 1"]).assert().success();
    let live = json(w.as_manager(&["pos", "list", "--store", "Malmö C"]));
    assert_eq!(names(&live), ["Till 2"]);
    let err = fails_one_line(
        w.as_manager(&["pos", "enable", "Till 1", "--store", "Malmö C"]),
        NOT_FOUND,
    );
    assert!(err.contains("no POS device named 'Till 1'"), "{err}");

    let trail = json(w.as_manager(&["audit", "--entity", "pos_device", "--limit", "3"]));
    assert_eq!(trail.as_array().unwrap().len(), 3);
    assert_eq!(trail[0]["action"], "delete");
    assert_eq!(trail[0]["actorName"], "manager");
}

#[test]
fn db_check_passes_on_a_sound_database() {
    let w = World::new();
    w.demo();
    let out = w.as_manager(&["db", "check"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok"));
    let report = json(w.as_manager(&["db", "check"]));
    assert_eq!(report["ok"], true);
    assert_eq!(report["problems"], Value::Array(vec![]));
    let err = fails_one_line(w.as_user("cashier", "2222", &["db", "check"]), FORBIDDEN);
    assert!(err.contains("only a manager can check the database"), "{err}");
}

#[test]
fn backup_and_restore_round_trip() {
    let w = World::new();
    w.demo();
    let backup = w.path("backup.sqlite3");
    w.as_manager(&["backup", "--out", backup.to_str().unwrap()])
        .assert()
        .success();
    let original = w.stores();
    {
        let copy = Kassa::open(&backup).unwrap();
        let (actor, _) = copy.login("manager", "1234").unwrap();
        let copied: Vec<String> = copy
            .list_stores(&actor)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(copied, names(&original));
    }
    // An existing file is never overwritten; only managers make backups.
    fails_one_line(
        w.as_manager(&["backup", "--out", backup.to_str().unwrap()]),
        DATABASE,
    );
    fails_one_line(
        w.as_user(
            "accountant",
            "3333",
            &["backup", "--out", w.path("b2").to_str().unwrap()],
        ),
        FORBIDDEN,
    );
    assert!(!w.path("b2").exists());

    w.as_manager(&[
        "store",
        "add",
        "--brand",
        "Nordljus",
        "--name",
        "Lund",
        "--country",
        "SE",
        "--currency",
        "SEK",
        "--time-zone",
        "Europe/Stockholm",
    ])
    .assert()
    .success();
    let with_lund = w.stores();
    assert_eq!(with_lund.as_array().unwrap().len(), 3);

    // A file that is not SQLite is refused and the database is unchanged.
    let junk = w.path("junk.sqlite3");
    std::fs::write(&junk, "not a backup ".repeat(500)).unwrap();
    let err = fails_one_line(w.as_manager(&["restore", junk.to_str().unwrap()]), DATABASE);
    assert!(err.contains("is not a SQLite database"), "{err}");
    assert_eq!(w.stores(), with_lund);

    w.as_manager(&["restore", backup.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(w.stores(), original);
    let out = w.as_manager(&["db", "check"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// PINs never reach the console or the log files, even at the most verbose level, and a
/// wrong PIN is still reported as a single line.
#[test]
fn pins_never_appear_in_logs() {
    let w = World::new();
    w.demo();
    let secret_new_pin = "80417093";
    let mut wrong = w.as_user("cashier", "975318642", &["store", "list"]);
    wrong.env("RUST_LOG", "trace");
    let (_, err) = fails(wrong, AUTH);
    assert!(!err.contains("975318642"), "{err}");

    let mut ok = w.as_manager(&["user", "add", "nils", "--role", "cashier"]);
    ok.env("RUST_LOG", "trace").env("KASSA_NEW_PIN", secret_new_pin);
    let out = ok.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains(secret_new_pin));
    assert!(!stdout(&out).contains(secret_new_pin));

    let logs = w.dir.path().join("logs");
    let mut log_text = String::new();
    for entry in std::fs::read_dir(&logs).expect("the CLI writes a log file") {
        log_text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(
        log_text.contains("wrong PIN"),
        "the log records the failed attempt: {log_text}"
    );
    for pin in ["975318642", secret_new_pin] {
        assert!(
            !log_text.contains(pin),
            "PIN {pin} leaked into the log: {log_text}"
        );
    }

    // Without RUST_LOG the wrong-PIN error is one line.
    fails_one_line(w.as_user("cashier", "975318642", &["store", "list"]), AUTH);
}

/// `kassa product import --from-venue-manager` against the Venue Manager emulator: the
/// preview by default, the import with --yes, a refused product refusing everything.
#[test]
fn products_are_imported_from_a_venue_manager_shop() {
    use kassa_sandbox::venue_manager::DEMO_SETTINGS;
    let sandbox = kassa_sandbox::BackgroundSandbox::start(kassa_sandbox::Ports::Ephemeral).unwrap();
    let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::VenueManager);
    let w = World::new();
    // The file store: a test must not write to the keyring of the machine it runs on.
    let run = |args: &[&str]| {
        let mut cmd = w.as_manager(args);
        cmd.env("KASSA_SECRETS", "file");
        cmd
    };
    let mut demo = w.kassa(&["demo"]);
    demo.env("KASSA_SECRETS", "file");
    assert!(demo.output().unwrap().status.success());
    let base_url = emulator.base_url();
    let mut set: Vec<String> = vec![
        "provider".into(),
        "set".into(),
        "venue_manager".into(),
        "--pos".into(),
        "Kasse 1".into(),
        "--base-url".into(),
        base_url,
        "--secret".into(),
        "api_password".into(),
    ];
    for (key, value) in DEMO_SETTINGS.iter().filter(|(key, _)| *key != "api_password") {
        set.push(format!("{key}={value}"));
    }
    let set: Vec<&str> = set.iter().map(String::as_str).collect();
    let mut cmd = run(&set);
    cmd.env(
        "KASSA_SECRET_API_PASSWORD",
        kassa_sandbox::venue_manager::DEMO_API_PASSWORD,
    );
    ok(cmd);

    // Without --yes (and no terminal to ask on) it is a preview.
    let text = ok(run(&[
        "product",
        "import",
        "--from-venue-manager",
        "--pos",
        "Kasse 1",
    ]));
    for needle in [
        "aarskort2019",
        "billet-voksen",
        "vm-52",
        "København Nørreport",
        "685.00 DKK",
        "New categories: Årskort, Billetter",
        "Nothing imported",
    ] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
    assert_eq!(
        json(run(&["product", "list", "--query", "vm-52"])),
        serde_json::json!([])
    );

    let applied = json(run(&[
        "product",
        "import",
        "--from-venue-manager",
        "--pos",
        "Kasse 1",
        "--yes",
    ]));
    assert_eq!(applied["rows"].as_array().unwrap().len(), 3, "{applied}");
    let listed = json(run(&["product", "list", "--query", "vm-52"]));
    assert_eq!(listed[0]["name"], "Kampprogram", "{listed}");
    assert_eq!(listed[0]["prices"][0]["price"], "20.00", "{listed}");

    // A product whose VAT is 20 % of its net price: refused in Denmark, nothing imported.
    let url = format!("{}/_sandbox/products", emulator.origin());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(&url)
            .json(&serde_json::json!({"id": 60, "name": "Halstørklæde", "label": "scarf", "priceInclVat": 600, "vat": 100}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success());
    let before = json(run(&["product", "list"]));
    let (out, err) = fails(
        run(&[
            "product",
            "import",
            "--from-venue-manager",
            "--pos",
            "Kasse 1",
            "--yes",
        ]),
        VALIDATION,
    );
    assert!(out.contains("VAT rate 20 % is not valid here"), "{out}");
    assert!(
        err.contains(
            "1 row(s) rejected, nothing imported; first: product 4: product \"Halstørklæde\" (id 60)"
        ),
        "{err}"
    );
    assert_eq!(json(run(&["product", "list"])), before);

    // A CSV file and the shop are exclusive sources.
    fails(run(&["product", "import", "x.csv", "--from-venue-manager"]), 2);
}
