//! Registering POS devices with DropPay, through kassa-app on a real SQLite file against
//! the DropPay emulator over loopback HTTP. What the emulator "saw" is read through its
//! control routes (`/_sandbox/log`, `/_sandbox/droppay/pos`), faults are armed through
//! `/_sandbox/faults`, exactly as a test outside the process would.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kassa_app::{
    Actor, AppError, DroppayState, ErrorCode, Kassa, Provider, ProviderAccountInput, RegistrationState,
    SecretBackend, SystemClock,
};
use kassa_sandbox::{BackgroundSandbox, Ports};
use rusqlite::Connection;
use serde_json::{Value, json};

const POS_PATH: &str = "/shop/v1/brand/*/store/*/pos";
const ONE_POS_PATH: &str = "/shop/v1/brand/*/store/*/pos/*";

/// The demo database with Till 1 and Till 2 (Malmö C) pointed at the DropPay emulator.
struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    kassa: Kassa,
    manager: Actor,
    sandbox: BackgroundSandbox,
    /// Where the emulator's control routes are.
    origin: String,
    http: tokio::runtime::Runtime,
    till1: i64,
    till2: i64,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kassa.sqlite3");
    let kassa = Kassa::create_demo(&path, Arc::new(SystemClock)).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::DropPay);
    let (origin, base_url) = (emulator.origin(), emulator.base_url());
    let devices = kassa.list_pos_devices(&manager, None, false).unwrap();
    let id = |name: &str| devices.iter().find(|d| d.name == name).unwrap().id;
    let (till1, till2) = (id("Till 1"), id("Till 2"));
    let world = World {
        _dir: dir,
        path,
        kassa,
        manager,
        sandbox,
        origin,
        http: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        till1,
        till2,
    };
    for pos in [till1, till2] {
        world.set_account(pos, &base_url, kassa_sandbox::droppay::ACCESS_TOKEN);
    }
    world
}

impl World {
    fn set_account(&self, pos_id: i64, base_url: &str, token: &str) {
        let mut input = ProviderAccountInput {
            base_url: base_url.to_owned(),
            ..Default::default()
        };
        for (key, value) in kassa_sandbox::droppay::DEMO_SETTINGS {
            if *key == "access_token" {
                input.secrets.insert((*key).to_owned(), token.to_owned());
            } else {
                input.values.insert((*key).to_owned(), (*value).to_owned());
            }
        }
        self.kassa
            .set_provider_account(&self.manager, pos_id, Provider::Droppay, input)
            .unwrap();
    }

    fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.http.block_on(async {
            let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.origin));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let answer = request.send().await.unwrap();
            assert!(answer.status().is_success(), "{path}: {}", answer.status());
            let text = answer.text().await.unwrap();
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            }
        })
    }

    /// Arms one fault for the next matching request.
    fn fault(&self, method: &str, path: &str, fault: Value) {
        self.control(
            reqwest::Method::POST,
            "/_sandbox/faults",
            Some(json!({"method": method, "path": path, "fault": fault, "times": 1})),
        );
    }

    /// The emulator's log entries of `kind` named `what` (state changes) or whose
    /// method and path match (requests).
    fn log(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/_sandbox/log", None)
            .as_array()
            .unwrap()
            .clone()
    }

    fn state_changes(&self, what: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e["kind"] == "state" && e["what"] == what)
            .map(|e| e["detail"].clone())
            .collect()
    }

    fn requests(&self) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e["kind"] == "request")
            .collect()
    }

    /// Every POS device the emulator holds.
    fn remote_devices(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/_sandbox/droppay/pos", None)
            .as_array()
            .unwrap()
            .clone()
    }

    fn droppay_id(&self, pos_id: i64) -> Option<String> {
        self.kassa
            .list_pos_devices(&self.manager, None, true)
            .unwrap()
            .into_iter()
            .find(|d| d.id == pos_id)
            .unwrap()
            .external_ids
            .into_iter()
            .find(|e| e.provider == Provider::Droppay)
            .map(|e| e.external_id)
    }

    /// Every row of the tables a registration touches, to show a refusal changed nothing.
    fn snapshot(&self) -> Vec<String> {
        snapshot(&self.path)
    }

    fn login(&self, name: &str, pin: &str) -> Actor {
        self.kassa.login(name, pin).unwrap().0
    }
}

fn snapshot(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut rows = Vec::new();
    for table in ["pos_external_ids", "droppay_registrations", "audit_log"] {
        let mut statement = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let columns = statement.column_count();
        let mut query = statement.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    rows
}

fn refused<T: std::fmt::Debug>(result: Result<T, AppError>, code: ErrorCode, needles: &[&str]) -> String {
    let error = result.expect_err("the request should have been refused");
    assert_eq!(error.code(), code, "unexpected error: {error}");
    let text = error.to_string();
    for needle in needles {
        assert!(text.contains(needle), "{text:?} should contain {needle:?}");
    }
    text
}

fn audit_actions(world: &World, pos_id: i64) -> Vec<String> {
    let mut actions: Vec<String> = world
        .kassa
        .audit_trail(&world.manager, Some("pos_device"), Some(pos_id), 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("droppay_"))
        .collect();
    actions.reverse();
    actions
}

#[test]
fn a_till_is_registered_read_and_soft_deleted_at_droppay() {
    let w = world();
    let before = w.kassa.droppay_registration(&w.manager, w.till1).unwrap();
    assert_eq!(before.state, DroppayState::NotRegistered);

    let registered = w.kassa.register_with_droppay(&w.manager, w.till1).unwrap();
    assert_eq!(registered.state, DroppayState::Registered);
    let id = registered.droppay_pos_id.clone().unwrap();
    assert!(id.starts_with("POS"), "{id}");
    assert_eq!(w.droppay_id(w.till1).as_deref(), Some(id.as_str()));
    let remote = registered.remote.as_ref().unwrap();
    assert_eq!(
        (remote.id.as_str(), remote.status.as_str()),
        (id.as_str(), "ENABLED")
    );
    assert_eq!(
        registered.latest.as_ref().unwrap().state,
        RegistrationState::Registered
    );
    assert_eq!(w.state_changes("pos_created").len(), 1);

    let state = w.kassa.droppay_state(&w.manager, w.till1).unwrap();
    let remote = state.remote.unwrap();
    assert_eq!(remote.status, "ENABLED");
    assert!(!remote.deleted);
    assert_eq!(remote.application_name.as_deref(), Some("my Application name"));
    assert_eq!(remote.application_key, kassa_sandbox::droppay::APPLICATION_KEY);
    assert_eq!(remote.store_id.as_deref(), Some(kassa_sandbox::droppay::STORE_ID));
    assert_eq!(remote.brand_name.as_deref(), Some("Acme Super Toons"));

    let deleted = w.kassa.delete_droppay_pos(&w.manager, w.till1).unwrap();
    assert_eq!(deleted.state, DroppayState::Deleted);
    assert_eq!(deleted.droppay_pos_id.as_deref(), Some(id.as_str()));
    let remote = deleted.remote.unwrap();
    assert_eq!(remote.status, "DELETED");
    assert!(remote.deleted);
    assert_eq!(
        w.droppay_id(w.till1),
        None,
        "the id left the device's external ids"
    );
    // DropPay keeps the device, soft-deleted, as its control route shows.
    let devices = w.remote_devices();
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["id"], id.as_str());
    assert_eq!(devices[0]["status"], "DELETED");
    assert_eq!(w.state_changes("pos_deleted").len(), 1);
    // Its state is still readable from DropPay after the delete.
    let state = w.kassa.droppay_state(&w.manager, w.till1).unwrap();
    assert_eq!(state.state, DroppayState::Deleted);
    assert_eq!(state.remote.unwrap().status, "DELETED");

    // A deleted registration does not block a new one.
    let again = w.kassa.register_with_droppay(&w.manager, w.till1).unwrap();
    assert_ne!(again.droppay_pos_id.as_deref(), Some(id.as_str()));
    assert_eq!(w.state_changes("pos_created").len(), 2);
    assert_eq!(
        audit_actions(&w, w.till1),
        [
            "droppay_register_sent",
            "droppay_registered",
            "droppay_deleted",
            "droppay_register_sent",
            "droppay_registered"
        ]
    );
}

#[test]
fn a_create_whose_answer_was_lost_is_unknown_and_never_sent_twice() {
    let w = world();
    // DropPay commits the device, then the connection drops before the answer.
    w.fault("POST", POS_PATH, json!({"kind": "drop", "after_commit": true}));
    let text = refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::RegistrationUnknown,
        &["may or may not", "back office", "confirm-none", "link"],
    );
    assert!(text.contains(kassa_sandbox::droppay::STORE_ID), "{text}");
    let view = w.kassa.droppay_registration(&w.manager, w.till1).unwrap();
    assert_eq!(view.state, DroppayState::Unknown);
    assert_eq!(view.latest.as_ref().unwrap().state, RegistrationState::Unknown);
    assert_eq!(w.droppay_id(w.till1), None);

    // A second create is refused before anything is sent.
    let before = w.snapshot();
    let requests = w.requests().len();
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::RegistrationUnknown,
        &["will not send a second create"],
    );
    assert_eq!(w.snapshot(), before, "a refused create changed the database");
    assert_eq!(w.requests().len(), requests, "a refused create reached DropPay");
    let created = w.state_changes("pos_created");
    assert_eq!(created.len(), 1, "exactly one device at DropPay: {created:?}");
    let posts = w.requests().into_iter().filter(|r| r["method"] == "POST").count();
    assert_eq!(posts, 1, "one create was sent");

    // Confirming "none" is refused while it is not true? Kassa cannot know; but linking
    // the id the manager found in the back office resolves it.
    let found = created[0]["id"].as_str().unwrap().to_owned();
    let linked = w
        .kassa
        .link_droppay_pos(&w.manager, w.till1, &found.to_lowercase())
        .unwrap();
    assert_eq!(linked.state, DroppayState::Registered);
    assert_eq!(linked.droppay_pos_id.as_deref(), Some(found.as_str()));
    assert_eq!(linked.remote.unwrap().status, "ENABLED");
    assert_eq!(w.droppay_id(w.till1).as_deref(), Some(found.as_str()));
    assert_eq!(w.state_changes("pos_created").len(), 1);
    assert_eq!(
        audit_actions(&w, w.till1),
        [
            "droppay_register_sent",
            "droppay_register_unknown",
            "droppay_linked"
        ]
    );
    // Now registered: another create is refused for that reason instead.
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::Conflict,
        &["already registered", &found],
    );
}

#[test]
fn confirming_that_none_was_created_allows_a_new_create() {
    let w = world();
    // The connection drops before DropPay handles the create: nothing was made, but
    // Kassa cannot tell that from a lost answer.
    w.fault("POST", POS_PATH, json!({"kind": "drop", "after_commit": false}));
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::RegistrationUnknown,
        &["back office"],
    );
    assert!(w.state_changes("pos_created").is_empty());
    let resolved = w.kassa.confirm_no_droppay_pos(&w.manager, w.till1).unwrap();
    assert_eq!(resolved.state, DroppayState::NotRegistered);
    assert_eq!(resolved.latest.unwrap().state, RegistrationState::NoneCreated);
    // Nothing left to confirm.
    refused(
        w.kassa.confirm_no_droppay_pos(&w.manager, w.till1),
        ErrorCode::Conflict,
        &["nothing to confirm"],
    );
    let registered = w.kassa.register_with_droppay(&w.manager, w.till1).unwrap();
    assert_eq!(registered.state, DroppayState::Registered);
    assert_eq!(w.state_changes("pos_created").len(), 1);
}

#[test]
fn an_attempt_left_sending_by_a_process_that_is_gone_counts_as_unknown() {
    let w = world();
    // What a crash between recording the attempt and DropPay's answer leaves behind: a
    // 'sending' row whose Kassa instance holds no lock any more.
    let conn = Connection::open(&w.path).unwrap();
    conn.execute(
        "INSERT INTO droppay_registrations (pos_id, state, how, brand_id, store_id, owner_instance, \
         started_at, started_by, updated_at) VALUES (?1, 'sending', 'created', 'BRNC8K195PZ1Q', \
         'STRX88DHT129M', 'dead-1', '2026-12-01T10:00:00Z', 1, '2026-12-01T10:00:00Z')",
        [w.till1],
    )
    .unwrap();
    drop(conn);
    let view = w.kassa.droppay_registration(&w.manager, w.till1).unwrap();
    assert_eq!(view.state, DroppayState::Unknown);
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::RegistrationUnknown,
        &["2026-12-01T10:00:00Z", "never came back"],
    );
    assert!(w.requests().is_empty(), "nothing was sent");
    let resolved = w.kassa.confirm_no_droppay_pos(&w.manager, w.till1).unwrap();
    assert_eq!(resolved.state, DroppayState::NotRegistered);
}

#[test]
fn an_id_another_till_holds_is_refused_and_nothing_changes() {
    let w = world();
    let taken = w
        .kassa
        .register_with_droppay(&w.manager, w.till1)
        .unwrap()
        .droppay_pos_id
        .unwrap();
    let before = w.snapshot();
    refused(
        w.kassa.link_droppay_pos(&w.manager, w.till2, &taken),
        ErrorCode::ExternalIdTaken,
        &["already registered to POS 'Till 1'", "nothing was changed"],
    );
    assert_eq!(w.snapshot(), before);

    // The same while Till 2's own create is unknown: it stays unknown.
    w.fault("POST", POS_PATH, json!({"kind": "drop", "after_commit": true}));
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till2),
        ErrorCode::RegistrationUnknown,
        &[],
    );
    let before = w.snapshot();
    refused(
        w.kassa.link_droppay_pos(&w.manager, w.till2, &taken),
        ErrorCode::ExternalIdTaken,
        &["Till 1"],
    );
    assert_eq!(w.snapshot(), before);
    assert_eq!(
        w.kassa.droppay_registration(&w.manager, w.till2).unwrap().state,
        DroppayState::Unknown
    );

    // The POS form refuses the id with the same code.
    let till2 = w
        .kassa
        .list_pos_devices(&w.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|d| d.id == w.till2)
        .unwrap();
    let input = kassa_app::PosDeviceInput {
        store_id: till2.store_id,
        name: till2.name.clone(),
        device_type: till2.device_type,
        external_ids: vec![kassa_app::ExternalId {
            provider: Provider::Droppay,
            external_id: taken.clone(),
        }],
        terminal: till2.terminal.clone(),
        printer: till2.printer.clone(),
    };
    refused(
        w.kassa.update_pos_device(&w.manager, w.till2, &input),
        ErrorCode::ExternalIdTaken,
        &["already belongs to another POS"],
    );
    assert_eq!(w.snapshot(), before);
}

#[test]
fn an_expired_or_wrong_token_says_to_enter_a_new_one_and_records_nothing_made() {
    let w = world();
    w.control(reqwest::Method::POST, "/_sandbox/droppay/token/expire", None);
    let text = refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::ProviderCredentialsRejected,
        &[
            "expired",
            "new user access token",
            "provider settings",
            "documents no refresh",
            "nothing was created",
        ],
    );
    assert_eq!(
        ErrorCode::ProviderCredentialsRejected.class(),
        ErrorCode::ProviderFailed,
        "{text}"
    );
    let view = w.kassa.droppay_registration(&w.manager, w.till1).unwrap();
    assert_eq!(view.state, DroppayState::NotRegistered, "a 401 made nothing");
    assert_eq!(view.latest.unwrap().state, RegistrationState::Failed);
    w.control(reqwest::Method::POST, "/_sandbox/droppay/token/renew", None);
    let id = w
        .kassa
        .register_with_droppay(&w.manager, w.till1)
        .unwrap()
        .droppay_pos_id
        .unwrap();

    // A wrong token entered for Till 1: reading the state is refused the same way.
    let base_url = w
        .sandbox
        .sandbox()
        .emulator(kassa_sandbox::Provider::DropPay)
        .base_url();
    w.set_account(w.till1, &base_url, "not-the-token");
    refused(
        w.kassa.droppay_state(&w.manager, w.till1),
        ErrorCode::ProviderCredentialsRejected,
        &[&id, "new one in this POS device's DropPay provider settings"],
    );
    // Deleting is refused too and leaves the registration as it was.
    let before = w.snapshot();
    refused(
        w.kassa.delete_droppay_pos(&w.manager, w.till1),
        ErrorCode::ProviderCredentialsRejected,
        &["expired"],
    );
    assert_eq!(w.snapshot(), before);
    assert_eq!(w.droppay_id(w.till1).as_deref(), Some(id.as_str()));
}

#[test]
fn an_id_droppay_does_not_have_is_not_linked() {
    let w = world();
    let before = w.snapshot();
    refused(
        w.kassa.link_droppay_pos(&w.manager, w.till1, "POSNOSUCH1"),
        ErrorCode::ProviderFailed,
        &["could not confirm DropPay POS POSNOSUCH1", "no such"],
    );
    refused(
        w.kassa.link_droppay_pos(&w.manager, w.till1, "POS-12"),
        ErrorCode::Validation,
        &["not a DropPay POS id"],
    );
    assert_eq!(w.snapshot(), before);
    // An id entered by hand in the POS form that DropPay does not know: its state says so.
    let kasse = w
        .kassa
        .list_pos_devices(&w.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Kasse 1")
        .unwrap();
    let by_hand = kassa_app::PosDeviceInput {
        store_id: kasse.store_id,
        name: kasse.name.clone(),
        device_type: kasse.device_type,
        external_ids: vec![kassa_app::ExternalId {
            provider: Provider::Droppay,
            external_id: "POSDEMO0003".into(),
        }],
        terminal: kasse.terminal.clone(),
        printer: kasse.printer.clone(),
    };
    w.kassa.update_pos_device(&w.manager, kasse.id, &by_hand).unwrap();
    let base_url = w
        .sandbox
        .sandbox()
        .emulator(kassa_sandbox::Provider::DropPay)
        .base_url();
    w.set_account(kasse.id, &base_url, kassa_sandbox::droppay::ACCESS_TOKEN);
    let view = w.kassa.droppay_registration(&w.manager, kasse.id).unwrap();
    assert_eq!(view.state, DroppayState::Registered);
    refused(
        w.kassa.droppay_state(&w.manager, kasse.id),
        ErrorCode::ProviderFailed,
        &["POSDEMO0003", "no such"],
    );
}

#[test]
fn server_errors_leave_the_outcome_open_where_it_is_unknown() {
    let w = world();
    // A 500 to a create: DropPay may have made the device.
    w.fault(
        "POST",
        POS_PATH,
        json!({"kind": "status", "status": 500, "after_commit": true}),
    );
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::RegistrationUnknown,
        &["HTTP 500"],
    );
    let id = w.state_changes("pos_created")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.kassa.link_droppay_pos(&w.manager, w.till1, &id).unwrap();

    // A 503 to a read is only a failed read.
    w.fault("GET", ONE_POS_PATH, json!({"kind": "status", "status": 503}));
    refused(
        w.kassa.droppay_state(&w.manager, w.till1),
        ErrorCode::ProviderFailed,
        &["HTTP 503"],
    );
    // A delete whose answer was lost after DropPay deleted: Kassa keeps the id and says
    // to delete again, which recognises the device DropPay already deleted.
    w.fault(
        "DELETE",
        ONE_POS_PATH,
        json!({"kind": "drop", "after_commit": true}),
    );
    refused(
        w.kassa.delete_droppay_pos(&w.manager, w.till1),
        ErrorCode::ProviderFailed,
        &["Delete again"],
    );
    assert_eq!(w.droppay_id(w.till1).as_deref(), Some(id.as_str()));
    assert_eq!(w.state_changes("pos_deleted").len(), 1);
    let deleted = w.kassa.delete_droppay_pos(&w.manager, w.till1).unwrap();
    assert_eq!(deleted.state, DroppayState::Deleted);
    assert!(
        deleted
            .latest
            .unwrap()
            .message
            .unwrap()
            .contains("had deleted it already")
    );
    assert_eq!(w.droppay_id(w.till1), None);
    assert_eq!(w.state_changes("pos_deleted").len(), 1, "deleted once at DropPay");
}

#[test]
fn only_a_manager_may_register_read_or_delete() {
    let w = world();
    let cashier = w.login("cashier", "2222");
    let accountant = w.login("accountant", "3333");
    let before = w.snapshot();
    for actor in [&cashier, &accountant] {
        refused(
            w.kassa.register_with_droppay(actor, w.till1),
            ErrorCode::Forbidden,
            &["only a manager"],
        );
        refused(w.kassa.droppay_state(actor, w.till1), ErrorCode::Forbidden, &[]);
        refused(
            w.kassa.droppay_registration(actor, w.till1),
            ErrorCode::Forbidden,
            &[],
        );
        refused(
            w.kassa.delete_droppay_pos(actor, w.till1),
            ErrorCode::Forbidden,
            &[],
        );
        refused(
            w.kassa.link_droppay_pos(actor, w.till1, "POSABC123"),
            ErrorCode::Forbidden,
            &[],
        );
        refused(
            w.kassa.confirm_no_droppay_pos(actor, w.till1),
            ErrorCode::Forbidden,
            &[],
        );
    }
    assert_eq!(w.snapshot(), before);
    assert!(w.requests().is_empty(), "nothing reached DropPay");
}

#[test]
fn a_credential_missing_from_the_secret_store_is_named_and_nothing_is_sent() {
    let w = world();
    let accounts = w.kassa.provider_accounts(&w.manager, w.till1).unwrap();
    let backend = accounts
        .iter()
        .find(|a| a.provider == Provider::Droppay)
        .unwrap()
        .secret_store;
    let conn = Connection::open(&w.path).unwrap();
    let scope: String = conn
        .query_row("SELECT value FROM settings WHERE key = 'database_id'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let name = format!("{scope}/pos-{}/droppay/access_token", w.till1);
    match backend {
        SecretBackend::File => {
            let mut file = w.path.as_os_str().to_owned();
            file.push(".secrets");
            let mut all: serde_json::Map<String, Value> =
                serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            assert!(all.remove(&name).is_some(), "{name} was stored");
            std::fs::write(&file, serde_json::to_vec(&all).unwrap()).unwrap();
        }
        SecretBackend::Keyring => keyring::Entry::new("kassa", &name)
            .unwrap()
            .delete_credential()
            .unwrap(),
    }
    let before = w.snapshot();
    refused(
        w.kassa.register_with_droppay(&w.manager, w.till1),
        ErrorCode::NotFound,
        &[
            "access_token is missing from the",
            "enter it again in the provider settings",
        ],
    );
    assert_eq!(
        w.snapshot(),
        before,
        "an attempt that cannot be sent is not recorded"
    );
    assert!(w.requests().is_empty());
}
