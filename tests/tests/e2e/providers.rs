//! The manager's Providers screen in the real window: the demo till's SWiP account is
//! pointed at a running `kassa sandbox`, **Test connection** says it is connected; a wrong
//! token typed in the window is saved and the next test says the credentials were refused.
//! Afterwards the database holds the failed result and no token text.

use std::path::Path;

use anyhow::Result;
use kassa_tests::SandboxChild;
use rusqlite::{Connection, OpenFlags};

use super::{Session, Ui, login};

const MANAGER: &str = "manager";
const WRONG_TOKEN: &str = "typed-in-the-window-wrong-token";

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn a_manager_tests_a_provider_connection_and_a_wrong_token_is_reported() {
    let mut session = Session::demo("e2e-providers");
    let pin = session.pin(MANAGER);
    let sandbox = SandboxChild::start(&session.cli).expect("kassa sandbox");
    // The demo's SWiP account has every field and the demo token; only its base URL
    // moves to the sandbox this test started (the fixed demo ports may be in use).
    session.kassa(
        &pin,
        &[
            "provider",
            "set",
            "swip",
            "--base-url",
            sandbox.url("SWiP").unwrap(),
        ],
    );
    session.run(async |ui| flow(ui, &pin).await).await;
    check_database(session.db());
}

async fn flow(ui: &Ui, pin: &str) -> Result<()> {
    login(ui, MANAGER, pin).await?;
    ui.click("nav-providers").await?;
    ui.wait_text("#provider-swip-state", "Not tested").await?;
    ui.screenshot("e2e-providers-01-screen").await;

    ui.click("provider-swip-test").await?;
    ui.wait_text("#provider-swip-result", "Connected.").await?;
    ui.wait_text("#provider-swip-state", "Connected").await?;
    ui.screenshot("e2e-providers-02-connected").await;

    ui.fill("provider-swip-token", WRONG_TOKEN).await?;
    ui.click("provider-swip-save").await?;
    ui.wait_text("[role=status]", "SWiP saved.").await?;
    ui.click("provider-swip-test").await?;
    ui.wait_text("#provider-swip-result", "did not accept the credentials (401)")
        .await?;
    ui.wait_text("#provider-swip-state", "Connection failed").await?;
    ui.screenshot("e2e-providers-03-refused").await;
    Ok(())
}

fn check_database(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open the database");
    let (ok, message): (Option<bool>, Option<String>) = conn
        .query_row(
            "SELECT a.test_ok, a.test_message FROM provider_accounts a
             JOIN pos_devices p ON p.id = a.pos_id
             WHERE a.provider = 'swip' AND p.name = 'Till 1'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the SWiP account of Till 1");
    assert_eq!(ok, Some(false), "the last test failed: {message:?}");
    drop(conn);
    for file in [db.to_owned(), db.with_extension("sqlite3-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes
                    .windows(WRONG_TOKEN.len())
                    .any(|w| w == WRONG_TOKEN.as_bytes()),
                "{} holds the token typed in the window",
                file.display()
            );
        }
    }
}
