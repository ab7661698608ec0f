//! Who may do what at the till: the store's discount limit and the manager approvals above
//! it, the ownership of an open sale, manager approvals of lost card outcomes, approvals
//! apart from logins, what the app shows before a login, and which process owns a pending
//! card payment.

mod common;

use common::{DemoTill, Product, demo_till};
use kassa_app::{
    Actor, AppError, DiscountInput, ErrorCode, Kassa, ManagerApproval, Role, SaleStatus, TenderStatus,
    UserInput, VatCategory,
};
use rusqlite::Connection;

const COFFEE: &str = "7310865004703";
const BUN: &str = "4006381333931";

fn till() -> DemoTill {
    demo_till(&[
        Product::each("T-KAFFE", "Kaffe", COFFEE, "24.90", VatCategory::Reduced),
        Product::each("T-BULLE", "Kanelbulle", BUN, "32.50", VatCategory::Reduced),
    ])
}

fn approval(name: &str, pin: &str) -> ManagerApproval {
    ManagerApproval {
        name: name.into(),
        pin: pin.into(),
    }
}

fn manager() -> ManagerApproval {
    approval("manager", "1234")
}

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>, code: ErrorCode, needles: &[&str]) {
    let err = result.expect_err("should be refused");
    assert_eq!(err.code(), code, "{err}");
    for needle in needles {
        assert!(
            err.to_string().contains(needle),
            "{:?} should contain {needle:?}",
            err.to_string()
        );
    }
}

/// Every row of the tables a till or a setting change writes, to prove a refusal changed
/// nothing.
fn dump(t: &DemoTill) -> Vec<String> {
    let conn = Connection::open(&t.path).unwrap();
    let mut out = Vec::new();
    for table in ["sales", "sale_lines", "tenders", "stores", "audit_log", "journal"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            out.push(format!(
                "{table}:{}",
                (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|")
            ));
        }
    }
    out
}

fn count(t: &DemoTill, sql: &str) -> i64 {
    Connection::open(&t.path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn malmo(t: &DemoTill) -> i64 {
    t.kassa
        .list_stores(&t.manager)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .unwrap()
        .id
}

/// Coffee ×2 and a bun, 82.30 before discounts, on the cashier's open sale.
fn ring_up(t: &DemoTill, actor: &Actor) -> (i64, i64) {
    t.kassa.add_item(actor, COFFEE, None).unwrap();
    t.kassa.add_item(actor, COFFEE, None).unwrap();
    let sale = t.kassa.add_item(actor, BUN, None).unwrap();
    (sale.id, sale.lines[0].id)
}

// ---- The discount limit ----

#[test]
fn the_discount_limit_is_a_store_setting_a_manager_sets_within_0_to_100_percent() {
    let t = till();
    let store = malmo(&t);
    assert_eq!(
        t.kassa.discount_limit(&t.cashier, store).unwrap(),
        "10",
        "the default"
    );
    let before = dump(&t);
    refused(
        t.kassa.set_discount_limit(&t.cashier, store, "50"),
        ErrorCode::Forbidden,
        &["only a manager can set the discount limit"],
    );
    for (bad, why) in [
        ("abc", "not a percentage"),
        ("", "not a percentage"),
        ("-1", "from 0 % to 100 %"),
        ("100.5", "from 0 % to 100 %"),
        ("12.345", "at most two decimals"),
        ("1e2", "not a percentage"),
    ] {
        let err = t.kassa.set_discount_limit(&t.manager, store, bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation, "{bad:?}: {err}");
        assert_eq!(err.field(), Some("discountLimit"));
        assert!(err.to_string().contains(why), "{bad:?}: {err}");
    }
    refused(
        t.kassa.set_discount_limit(&t.manager, 9999, "15"),
        ErrorCode::NotFound,
        &["no store with id 9999"],
    );
    assert_eq!(dump(&t), before, "refused changes change nothing");

    assert_eq!(
        t.kassa.set_discount_limit(&t.manager, store, "15 %").unwrap(),
        "15"
    );
    assert_eq!(t.kassa.discount_limit(&t.cashier, store).unwrap(), "15");
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity = 'store' AND entity_id = {store} \
                 AND action = 'set_discount_limit' AND before_json = '\"10\"' AND after_json = '\"15\"'"
            )
        ),
        1
    );
    // 9.98 off 82.30 (12.13 %) is within the new limit: no approval.
    let (sale, coffee) = ring_up(&t, &t.cashier);
    t.kassa
        .set_line_discount(
            &t.cashier,
            sale,
            coffee,
            Some(DiscountInput::Percent("10".into())),
            None,
        )
        .unwrap();
    let s = t
        .kassa
        .set_order_discount(&t.cashier, sale, Some(DiscountInput::Amount("5".into())), None)
        .unwrap();
    assert_eq!(s.total, "72.32");
    // A limit of 0 makes every discount a manager's decision.
    t.kassa.set_discount_limit(&t.manager, store, "0").unwrap();
    refused(
        t.kassa
            .set_order_discount(&t.cashier, sale, Some(DiscountInput::Amount("6".into())), None),
        ErrorCode::ApprovalRequired,
        &["over the limit of 0 %"],
    );
}

#[test]
fn a_change_that_raises_an_approved_discount_share_needs_a_new_approval() {
    let t = till();
    let (sale, coffee) = ring_up(&t, &t.cashier);
    // 8.00 off 82.30 is 9.73 %: within the limit.
    t.kassa
        .set_order_discount(&t.cashier, sale, Some(DiscountInput::Amount("8".into())), None)
        .unwrap();
    let bun = t.kassa.current_sale(&t.cashier).unwrap().unwrap().lines[1].id;
    let before = dump(&t);
    // Without the bun the same 8.00 is 16.07 % of the coffee.
    refused(
        t.kassa.remove_line(&t.cashier, sale, bun),
        ErrorCode::ApprovalRequired,
        &["16.07 %", "over the limit of 10 %"],
    );
    // Fewer coffees raise the share as well.
    refused(
        t.kassa.set_line_quantity(&t.cashier, sale, coffee, "1"),
        ErrorCode::ApprovalRequired,
        &["13.94 %"],
    );
    assert_eq!(dump(&t), before);
    // A 100 % line discount with the manager's approval is allowed, and recorded.
    let s = t
        .kassa
        .set_line_discount(
            &t.cashier,
            sale,
            coffee,
            Some(DiscountInput::Percent("100".into())),
            Some(&manager()),
        )
        .unwrap();
    assert_eq!(s.total, "24.50");
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM sales WHERE id = {sale} AND discount_approved_percent = '70.24'")
        ),
        1
    );
    // Within the approved share needs nothing more (24.90 + 8.00 off, 39.98 %)…
    t.kassa
        .set_line_discount(
            &t.cashier,
            sale,
            coffee,
            Some(DiscountInput::Percent("50".into())),
            None,
        )
        .unwrap();
    // …past it (24.90 + 40.00 off, 78.86 %) needs a manager again.
    refused(
        t.kassa
            .set_order_discount(&t.cashier, sale, Some(DiscountInput::Amount("40".into())), None),
        ErrorCode::ApprovalRequired,
        &["78.86 %", "a manager approved up to 70.24 %"],
    );
}

#[test]
fn a_wrong_or_cashier_approval_of_a_discount_is_refused_and_changes_nothing() {
    let t = till();
    let (sale, coffee) = ring_up(&t, &t.cashier);
    let half = || Some(DiscountInput::Percent("50".into()));
    let before = dump(&t);
    refused(
        t.kassa.set_line_discount(&t.cashier, sale, coffee, half(), None),
        ErrorCode::ApprovalRequired,
        &["a manager must approve"],
    );
    refused(
        t.kassa.set_line_discount(
            &t.cashier,
            sale,
            coffee,
            half(),
            Some(&approval("manager", "9999")),
        ),
        ErrorCode::AuthFailed,
        &[],
    );
    refused(
        t.kassa.set_line_discount(
            &t.cashier,
            sale,
            coffee,
            half(),
            Some(&approval("cashier", "2222")),
        ),
        ErrorCode::Forbidden,
        &["only a manager"],
    );
    assert_eq!(dump(&t), before);
}

#[test]
fn a_manager_working_the_till_approves_their_own_discount_and_it_is_recorded() {
    let t = till();
    let (sale, _) = ring_up(&t, &t.manager);
    t.kassa
        .set_order_discount(&t.manager, sale, Some(DiscountInput::Percent("50".into())), None)
        .unwrap();
    let manager_id = count(&t, "SELECT id FROM users WHERE name = 'manager'");
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM sales WHERE id = {sale} AND discount_approved_by = {manager_id} \
                 AND discount_approved_percent = '50'"
            )
        ),
        1
    );
}

// ---- Who owns an open sale ----

fn second_cashier(t: &DemoTill) -> Actor {
    t.kassa
        .create_user(
            &t.manager,
            &UserInput {
                name: "nils".into(),
                role: Role::Cashier,
                pin: "4444".into(),
            },
        )
        .unwrap();
    t.kassa.login("nils", "4444").unwrap().0
}

#[test]
fn only_the_cashier_an_open_sale_is_open_for_changes_it_or_takes_its_payments() {
    let t = till();
    let nils = second_cashier(&t);
    let (sale, coffee) = ring_up(&t, &t.cashier);
    let before = dump(&t);
    let not_yours = ["sale", "is open for 'cashier'"];
    for actor in [&nils, &t.manager] {
        refused(
            t.kassa.set_line_quantity(actor, sale, coffee, "3"),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.remove_line(actor, sale, coffee),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.set_line_discount(
                actor,
                sale,
                coffee,
                Some(DiscountInput::Percent("5".into())),
                None,
            ),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa
                .set_order_discount(actor, sale, Some(DiscountInput::Amount("1".into())), None),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.override_price(actor, sale, coffee, "20.00", &manager()),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.set_customer_ref(actor, sale, Some("K-1")),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.park_sale(actor, sale),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.pay_cash(actor, sale, "100"),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
        refused(
            t.kassa.start_card_payment(actor, sale, None),
            ErrorCode::NotSaleOwner,
            &not_yours,
        );
    }
    assert_eq!(dump(&t), before, "nothing changed");

    let paying = t
        .kassa
        .start_card_payment(&t.cashier, sale, Some("20.00"))
        .unwrap();
    let tender = paying.tenders[0].id;
    let before = dump(&t);
    refused(
        t.kassa.confirm_card_payment(&nils, tender, true),
        ErrorCode::NotSaleOwner,
        &not_yours,
    );
    refused(
        t.kassa.cancel_card_payment(&nils, tender),
        ErrorCode::NotSaleOwner,
        &not_yours,
    );
    assert_eq!(dump(&t), before);
    let s = t.kassa.confirm_card_payment(&t.cashier, tender, false).unwrap();
    assert_eq!(s.status, SaleStatus::Open);

    // Parked and recalled, the sale becomes the recalling cashier's.
    t.kassa.park_sale(&t.cashier, sale).unwrap();
    t.kassa.recall_sale(&nils, sale).unwrap();
    let done = t.kassa.pay_cash(&nils, sale, "100").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(done.cashier_name, "nils");
}

// ---- A card payment whose outcome was lost ----

/// A card payment of the whole sale left pending when its Kassa went away, reopened.
fn lost_card_payment(t: DemoTill) -> (DemoTill, i64) {
    let (sale, _) = ring_up(&t, &t.cashier);
    let tender = t
        .kassa
        .start_card_payment(&t.cashier, sale, None)
        .unwrap()
        .tenders[0]
        .id;
    let DemoTill {
        dir,
        path,
        clock,
        kassa,
        ..
    } = t;
    drop(kassa);
    let kassa = Kassa::open_with_clock(&path, clock.clone()).unwrap();
    kassa.mark_interrupted_payments().unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let t = DemoTill {
        dir,
        path,
        clock,
        kassa,
        manager,
        cashier,
    };
    let sale = t.kassa.current_sale(&t.cashier).unwrap().unwrap();
    assert_eq!(sale.status, SaleStatus::Unknown);
    assert_eq!(sale.tenders[0].status, TenderStatus::Unknown);
    (t, tender)
}

#[test]
fn marking_a_lost_card_payment_approved_needs_a_manager() {
    let (t, tender) = lost_card_payment(till());
    let before = dump(&t);
    refused(
        t.kassa.resolve_unknown_payment(&t.cashier, tender, true, None),
        ErrorCode::ApprovalRequired,
        &["a manager must approve"],
    );
    refused(
        t.kassa
            .resolve_unknown_payment(&t.cashier, tender, true, Some(&approval("cashier", "2222"))),
        ErrorCode::Forbidden,
        &["only a manager"],
    );
    refused(
        t.kassa
            .resolve_unknown_payment(&t.cashier, tender, true, Some(&approval("manager", "0000"))),
        ErrorCode::AuthFailed,
        &[],
    );
    assert_eq!(dump(&t), before);
    let done = t
        .kassa
        .resolve_unknown_payment(&t.cashier, tender, true, Some(&manager()))
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity = 'tender' AND entity_id = {tender} \
                 AND action = 'approve_unknown_payment'"
            )
        ),
        1
    );
}

#[test]
fn marking_a_lost_card_payment_declined_needs_no_approval() {
    let (t, tender) = lost_card_payment(till());
    let s = t
        .kassa
        .resolve_unknown_payment(&t.cashier, tender, false, None)
        .unwrap();
    assert_eq!(s.status, SaleStatus::Open);
    assert_eq!(s.tenders[0].status, TenderStatus::Declined);
}

// ---- Approvals apart from logins, and what shows before a login ----

#[test]
fn five_wrong_manager_pins_typed_as_approvals_do_not_lock_the_manager_out_of_logging_in() {
    let t = till();
    let (sale, coffee) = ring_up(&t, &t.cashier);
    let half = || Some(DiscountInput::Percent("50".into()));
    let guess = approval("manager", "0000");
    for _ in 1..MAX {
        refused(
            t.kassa
                .set_line_discount(&t.cashier, sale, coffee, half(), Some(&guess)),
            ErrorCode::AuthFailed,
            &["wrong user name or PIN for the approval"],
        );
    }
    refused(
        t.kassa
            .set_line_discount(&t.cashier, sale, coffee, half(), Some(&guess)),
        ErrorCode::Locked,
        &[
            "approvals by 'manager' are now locked",
            "logging in is not affected",
        ],
    );
    // Approvals by the manager are locked, even with the right PIN...
    refused(
        t.kassa
            .set_line_discount(&t.cashier, sale, coffee, half(), Some(&manager())),
        ErrorCode::Locked,
        &["approvals by 'manager' are locked"],
    );
    // ...but the manager still logs in, and that login does not unlock approvals.
    let (_, session) = t.kassa.login("manager", "1234").expect("the manager can log in");
    assert_eq!(session.role, Role::Manager);
    assert_eq!(
        count(&t, "SELECT failed_pin_attempts FROM users WHERE name = 'manager'"),
        0,
        "approval failures do not count as login failures"
    );
    refused(
        t.kassa
            .set_line_discount(&t.cashier, sale, coffee, half(), Some(&manager())),
        ErrorCode::Locked,
        &[],
    );
    // Wrong logins do not count towards the approval lock either.
    t.clock.advance(chrono::Duration::minutes(5));
    for _ in 1..MAX {
        t.kassa.login("manager", "0000").unwrap_err();
    }
    let s = t
        .kassa
        .set_line_discount(&t.cashier, sale, coffee, half(), Some(&manager()))
        .expect("approvals work again after the lock");
    assert_eq!(s.lines[0].discount_amount, "24.90");
}

const MAX: u32 = kassa_app::MAX_PIN_ATTEMPTS;

#[test]
fn an_unknown_user_and_a_wrong_pin_get_the_same_answer() {
    let t = till();
    let unknown = t.kassa.login("nobody", "1234").unwrap_err();
    let wrong = t.kassa.login("manager", "0000").unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::AuthFailed);
    assert_eq!(wrong.code(), ErrorCode::AuthFailed);
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(!unknown.to_string().contains("nobody"), "{unknown}");

    // A disabled user's wrong PIN says nothing more; only the right PIN learns it is disabled.
    let nils = second_cashier(&t);
    t.kassa
        .set_user_active(&t.manager, nils.user_id(), false)
        .unwrap();
    let disabled_wrong = t.kassa.login("nils", "0000").unwrap_err();
    assert_eq!(disabled_wrong.to_string(), wrong.to_string());
    let disabled_right = t.kassa.login("nils", "4444").unwrap_err();
    assert!(
        disabled_right.to_string().contains("disabled"),
        "{disabled_right}"
    );

    // The same for approvals at the till.
    let (sale, coffee) = ring_up(&t, &t.cashier);
    let half = || Some(DiscountInput::Percent("50".into()));
    let unknown = t
        .kassa
        .set_line_discount(
            &t.cashier,
            sale,
            coffee,
            half(),
            Some(&approval("nobody", "1234")),
        )
        .unwrap_err();
    let wrong = t
        .kassa
        .set_line_discount(
            &t.cashier,
            sale,
            coffee,
            half(),
            Some(&approval("manager", "0000")),
        )
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::AuthFailed);
    assert_eq!(unknown.to_string(), wrong.to_string());
}

#[test]
fn before_a_login_the_status_does_not_name_the_database_file() {
    let t = till();
    let status = t.kassa.status(None).unwrap();
    assert_eq!(status.db_path, None);
    assert!(!serde_json::to_string(&status).unwrap().contains("kassa.sqlite3"));
    assert_eq!(t.kassa.status(Some(&t.cashier)).unwrap().db_path, None);
    assert_eq!(
        t.kassa.status(Some(&t.manager)).unwrap().db_path,
        Some(t.path.display().to_string())
    );
}

#[test]
fn only_a_manager_changes_the_language_or_checks_the_database() {
    let t = till();
    let before = dump(&t);
    refused(
        t.kassa.set_language(&t.cashier, kassa_app::Language::Sv),
        ErrorCode::Forbidden,
        &["only a manager can change the language"],
    );
    refused(
        t.kassa.integrity_problems(&t.cashier),
        ErrorCode::Forbidden,
        &["only a manager can check the database"],
    );
    assert_eq!(dump(&t), before);
    let status = t.kassa.set_language(&t.manager, kassa_app::Language::Sv).unwrap();
    assert_eq!(status.language, kassa_app::Language::Sv);
    assert_eq!(
        t.kassa.integrity_problems(&t.manager).unwrap(),
        Vec::<String>::new()
    );
}

// ---- Which process owns a pending card payment ----

#[test]
fn a_running_kassas_pending_card_payment_is_left_alone_by_another_until_it_stops() {
    let t = till();
    let (sale, _) = ring_up(&t, &t.cashier);
    let tender = t
        .kassa
        .start_card_payment(&t.cashier, sale, None)
        .unwrap()
        .tenders[0]
        .id;
    assert_eq!(t.kassa.mark_interrupted_payments().unwrap(), 0, "its own payment");
    // A second front end opens the same database while the first waits for the terminal.
    let other = Kassa::open_with_clock(&t.path, t.clock.clone()).unwrap();
    assert_eq!(other.mark_interrupted_payments().unwrap(), 0);
    let cashier = other.login("cashier", "2222").unwrap().0;
    let seen = other.current_sale(&cashier).unwrap().unwrap();
    assert_eq!(seen.status, SaleStatus::Paying);
    assert_eq!(seen.tenders[0].status, TenderStatus::Pending);
    let before = dump(&t);
    refused(
        other.confirm_card_payment(&cashier, tender, true),
        ErrorCode::Conflict,
        &["another Kassa that is running"],
    );
    refused(
        other.cancel_card_payment(&cashier, tender),
        ErrorCode::Conflict,
        &["another Kassa that is running"],
    );
    refused(
        other.resolve_unknown_payment(&cashier, tender, false, None),
        ErrorCode::Conflict,
        &["is pending, not unknown"],
    );
    assert_eq!(dump(&t), before);

    // The first one stops (its process ends): now its payment's outcome is lost.
    let DemoTill { dir: _dir, kassa, .. } = t;
    drop(kassa);
    assert_eq!(other.mark_interrupted_payments().unwrap(), 1);
    let lost = other.current_sale(&cashier).unwrap().unwrap();
    assert_eq!(lost.status, SaleStatus::Unknown);
    let done = other
        .resolve_unknown_payment(&cashier, tender, true, Some(&manager()))
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
}

#[test]
fn a_card_payment_left_pending_by_a_stopped_kassa_is_unknown_as_soon_as_the_next_one_opens() {
    let t = till();
    let (sale, _) = ring_up(&t, &t.cashier);
    let tender = t
        .kassa
        .start_card_payment(&t.cashier, sale, None)
        .unwrap()
        .tenders[0]
        .id;
    let DemoTill {
        dir: _dir,
        path,
        clock,
        kassa,
        ..
    } = t;
    drop(kassa);
    let next = Kassa::open_with_clock(&path, clock).unwrap();
    let cashier = next.login("cashier", "2222").unwrap().0;
    let sale = next.current_sale(&cashier).unwrap().unwrap();
    assert_eq!(sale.status, SaleStatus::Unknown, "marked by opening alone");
    assert_eq!(sale.tenders[0].id, tender);
    assert_eq!(sale.tenders[0].status, TenderStatus::Unknown);
    refused(
        next.confirm_card_payment(&cashier, tender, true),
        ErrorCode::Conflict,
        &["is unknown, not pending"],
    );
}
