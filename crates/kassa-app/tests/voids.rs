//! Voids of open and parked sales that were partly paid, against a real SQLite file: cash
//! taken is handed back (a return tender, the journal names it, the drawer nets to zero),
//! an approved card payment refuses the void and changes nothing, a payment not yet
//! settled blocks it, and the role and once-only rules hold.

mod common;

use std::path::PathBuf;

use common::{Product, demo_till};
use kassa_app::{
    Actor, AppError, ErrorCode, Kassa, ManagerApproval, Role, SaleStatus, TenderMethod, TenderStatus,
    UserInput, VatCategory,
};
use rusqlite::Connection;
use serde_json::Value;

/// 149.00 SEK, so two make the 298.00 SEK sale the customer walks away from.
const CUP: &str = "T-KOPP";

struct Till {
    _dir: tempfile::TempDir,
    path: PathBuf,
    kassa: Kassa,
    manager: Actor,
    cashier: Actor,
}

impl Till {
    /// The demo database bound to Till 1 in Malmö C, one product, a shift open with 500.
    fn new() -> Till {
        let t = demo_till(&[Product::each(
            CUP,
            "Kaffekopp",
            "",
            "149.00",
            VatCategory::Standard,
        )]);
        Till {
            _dir: t.dir,
            path: t.path,
            kassa: t.kassa,
            manager: t.manager,
            cashier: t.cashier,
        }
    }

    fn conn(&self) -> Connection {
        Connection::open(&self.path).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Every row of every table, in a stable order: what "nothing changed" is checked on.
    fn dump(&self) -> Vec<String> {
        let conn = self.conn();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut out = Vec::new();
        for table in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                .unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect();
                out.push(format!("{table}: {}", cells.join("|")));
            }
        }
        out
    }

    /// The last journal record: (kind, event).
    fn last_journal(&self) -> (String, Value) {
        let (kind, bytes): (String, Vec<u8>) = self
            .conn()
            .query_row(
                "SELECT kind, canonical FROM journal ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let record: Value = serde_json::from_slice(&bytes).unwrap();
        (kind, record["event"].clone())
    }

    /// Two cups (298.00 SEK) on `who`'s open sale; returns its id.
    fn ring_up(&self, who: &Actor) -> i64 {
        self.kassa.add_item(who, CUP, Some("2")).unwrap().id
    }

    /// The real case: 100 SEK in cash, then the card for the rest is declined.
    fn part_paid_in_cash(&self, who: &Actor) -> i64 {
        let id = self.ring_up(who);
        let sale = self.kassa.pay_cash(who, id, "100").unwrap();
        assert_eq!((sale.status, sale.paid.as_str()), (SaleStatus::Open, "100.00"));
        let paying = self.kassa.start_card_payment(who, id, None).unwrap();
        let card = paying
            .tenders
            .iter()
            .find(|t| t.status == TenderStatus::Pending)
            .unwrap()
            .id;
        let open = self.kassa.confirm_card_payment(who, card, false).unwrap();
        assert_eq!(open.status, SaleStatus::Open, "a declined card reopens the sale");
        id
    }

    fn journal_ok(&self) {
        let report = self.kassa.verify_journal(&self.manager).unwrap();
        assert!(report.ok, "{report:?}");
    }
}

fn manager() -> ManagerApproval {
    ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    }
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

#[test]
fn a_part_paid_cash_sale_is_voided_and_the_cash_handed_back() {
    let t = Till::new();
    // One ordinary cash sale first, so the drawer holds more than the float.
    let sold = t.kassa.add_item(&t.cashier, CUP, None).unwrap().id;
    let done = t.kassa.pay_cash(&t.cashier, sold, "200").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    let x_before = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(x_before.cash_expected, "649.00", "500 float + 149 cash");

    let id = t.part_paid_in_cash(&t.cashier);
    // While the sale is open its 100.00 in cash is in the drawer, and the X report says so.
    let x_open = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(
        x_open.cash_expected, "749.00",
        "the part payment is in the drawer"
    );
    assert_eq!(x_open.sales_count, x_before.sales_count, "but it is no sale yet");
    let receipts_before = t.count("SELECT count(*) FROM sales WHERE receipt_no IS NOT NULL");
    let void = t.kassa.void_sale(&t.cashier, id, Some(&manager())).unwrap();
    assert_eq!(void.status, SaleStatus::Voided);
    assert_eq!(void.receipt_no, None, "a voided sale takes no receipt number");
    assert_eq!(void.paid, "0.00", "the cash taken was given back");
    assert_eq!(
        t.count("SELECT count(*) FROM sales WHERE receipt_no IS NOT NULL"),
        receipts_before
    );

    // The return is a record of its own pointing at the cash it gives back; nothing was
    // deleted or rewritten.
    let tenders: Vec<(TenderMethod, String, TenderStatus)> = void
        .tenders
        .iter()
        .map(|t| (t.method, t.amount.clone(), t.status))
        .collect();
    assert_eq!(
        tenders,
        [
            (TenderMethod::Cash, "100.00".into(), TenderStatus::Approved),
            (
                TenderMethod::ExternalCard,
                "198.00".into(),
                TenderStatus::Declined
            ),
            (TenderMethod::Cash, "-100.00".into(), TenderStatus::Approved),
        ]
    );
    let (cash_id, returned_by): (i64, i64) = t
        .conn()
        .query_row(
            &format!(
                "SELECT o.id, r.original_tender_id FROM tenders o JOIN tenders r ON r.original_tender_id = o.id \
                 WHERE o.sale_id = {id} AND r.sale_id = {id} AND r.amount_minor = -10000"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(cash_id, returned_by);

    // The journal's void record names the cash handed back, and the chain verifies.
    let (kind, event) = t.last_journal();
    assert_eq!(kind, "void");
    assert_eq!(event["saleId"], id);
    assert_eq!(event["total"], "298.00");
    assert_eq!(event["cashReturned"], "100.00");
    assert_eq!(event["tenders"][0]["amount"], "-100.00");
    assert_eq!(event["tenders"][0]["method"], "cash");
    t.journal_ok();

    // The drawer: cash in, then back out. The void is counted once, as any void.
    let x = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(x.cash_expected, "649.00");
    assert_eq!(x.cash_payments, "149.00");
    assert_eq!((x.voids.count, x.voids.amount.as_str()), (1, "298.00"));
    assert_eq!(x.sales_count, 1);
    assert_eq!(x.net_total, "149.00");
    let cash: Vec<(String, u32, String)> = x
        .tenders
        .iter()
        .map(|n| (n.name.clone(), n.count, n.amount.clone()))
        .collect();
    assert_eq!(cash, [("cash".to_owned(), 1, "149.00".to_owned())]);

    let z = t.kassa.close_shift(&t.cashier, "649").unwrap();
    assert_eq!(z.cash_expected, "649.00");
    assert_eq!(z.cash_difference.as_deref(), Some("0.00"));
    assert_eq!((z.voids.count, z.voids.amount.as_str()), (1, "298.00"));
    assert_eq!(z.sales_count, 1);
    assert_eq!(
        t.count("SELECT expected_minor FROM shifts WHERE closed_at IS NOT NULL ORDER BY id DESC LIMIT 1"),
        64900
    );
    t.journal_ok();
}

#[test]
fn a_parked_part_paid_sale_is_voided_by_a_manager_with_the_cash_handed_back() {
    let t = Till::new();
    let id = t.ring_up(&t.cashier);
    t.kassa.pay_cash(&t.cashier, id, "50").unwrap();
    t.kassa.pay_cash(&t.cashier, id, "20.50").unwrap();
    t.kassa.park_sale(&t.cashier, id).unwrap();

    let void = t.kassa.void_sale(&t.manager, id, None).unwrap();
    assert_eq!(void.status, SaleStatus::Voided);
    let amounts: Vec<&str> = void.tenders.iter().map(|t| t.amount.as_str()).collect();
    assert_eq!(
        amounts,
        ["50.00", "20.50", "-50.00", "-20.50"],
        "each cash tender is handed back"
    );
    let references: Vec<&str> = void.tenders.iter().map(|t| t.reference.as_str()).collect();
    let pos = t.count("SELECT pos_id FROM sales WHERE id = (SELECT max(id) FROM sales)");
    assert_eq!(
        references,
        (1..=4).map(|n| format!("KS-{pos}-{id}-{n}")).collect::<Vec<_>>(),
        "return tenders continue the sale's reference series"
    );
    let (_, event) = t.last_journal();
    assert_eq!(event["cashReturned"], "70.50");
    t.journal_ok();

    let x = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(x.cash_expected, "500.00");
    assert_eq!(x.voids.count, 1);
    t.kassa.close_shift(&t.cashier, "500").unwrap();
    t.journal_ok();
}

#[test]
fn an_approved_card_payment_refuses_the_void_and_changes_nothing() {
    let t = Till::new();
    let id = t.ring_up(&t.cashier);
    t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    let paying = t.kassa.start_card_payment(&t.cashier, id, Some("50")).unwrap();
    let card = paying
        .tenders
        .iter()
        .find(|t| t.status == TenderStatus::Pending)
        .unwrap()
        .clone();
    let open = t.kassa.confirm_card_payment(&t.cashier, card.id, true).unwrap();
    assert_eq!((open.status, open.paid.as_str()), (SaleStatus::Open, "150.00"));

    let before = t.dump();
    for who in [&t.cashier, &t.manager] {
        refused(
            t.kassa.void_sale(who, id, None),
            ErrorCode::Conflict,
            &[
                "approved card payment of 50.00 SEK",
                &card.reference,
                "cannot be handed back in cash",
                "nothing was changed",
                "refund it",
                "terminal",
            ],
        );
        assert_eq!(t.dump(), before, "a refused void changed the database");
    }
    // The sale is still the cashier's to finish.
    let done = t.kassa.pay_cash(&t.cashier, id, "148").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    t.journal_ok();
}

#[test]
fn a_card_payment_not_yet_settled_blocks_the_void() {
    let t = Till::new();
    let id = t.ring_up(&t.cashier);
    t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    t.kassa.start_card_payment(&t.cashier, id, None).unwrap();
    let before = t.dump();
    refused(
        t.kassa.void_sale(&t.cashier, id, None),
        ErrorCode::Conflict,
        &["paying"],
    );
    assert_eq!(t.dump(), before);

    // After a restart the pending payment's outcome is unknown: still no void. (The
    // payment belongs to the process that started it, so only a new one finds it lost.)
    assert_eq!(
        t.kassa.mark_interrupted_payments().unwrap(),
        0,
        "its own process waits for it"
    );
    let Till {
        _dir, path, kassa, ..
    } = t;
    drop(kassa);
    let kassa = Kassa::open(&path).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let t = Till {
        _dir,
        path,
        kassa,
        manager,
        cashier,
    };
    assert_eq!(
        t.kassa.current_sale(&t.cashier).unwrap().unwrap().status,
        SaleStatus::Unknown
    );
    let before = t.dump();
    refused(
        t.kassa.void_sale(&t.manager, id, None),
        ErrorCode::Conflict,
        &["unknown"],
    );
    assert_eq!(t.dump(), before);
}

#[test]
fn a_cashier_cannot_void_another_cashiers_sale() {
    let t = Till::new();
    t.kassa
        .create_user(
            &t.manager,
            &UserInput {
                name: "second".into(),
                role: Role::Cashier,
                pin: "5555".into(),
            },
        )
        .unwrap();
    let second = t.kassa.login("second", "5555").unwrap().0;
    let id = t.ring_up(&t.cashier);
    t.kassa.pay_cash(&t.cashier, id, "100").unwrap();

    let before = t.dump();
    refused(
        t.kassa.void_sale(&second, id, Some(&manager())),
        ErrorCode::Forbidden,
        &["own cashier or a manager"],
    );
    assert_eq!(t.dump(), before, "a refused void changed the database");
    let accountant = t.kassa.login("accountant", "3333").unwrap().0;
    refused(
        t.kassa.void_sale(&accountant, id, Some(&manager())),
        ErrorCode::Forbidden,
        &[],
    );
    assert_eq!(t.dump(), before);

    t.kassa.void_sale(&t.cashier, id, Some(&manager())).unwrap();
    t.journal_ok();
}

#[test]
fn a_sale_is_voided_once() {
    let t = Till::new();
    let id = t.part_paid_in_cash(&t.cashier);
    t.kassa.void_sale(&t.cashier, id, Some(&manager())).unwrap();
    let before = t.dump();
    for who in [&t.cashier, &t.manager] {
        refused(
            t.kassa.void_sale(who, id, Some(&manager())),
            ErrorCode::Conflict,
            &["voided"],
        );
        assert_eq!(t.dump(), before, "a second void changed the database");
    }
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM tenders WHERE sale_id = {id} AND original_tender_id IS NOT NULL"
        )),
        1,
        "the cash was handed back once"
    );
    let voids = t.kassa.x_report(&t.cashier).unwrap().voids;
    assert_eq!((voids.count, voids.amount.as_str()), (1, "298.00"));
    assert_eq!(t.kassa.x_report(&t.cashier).unwrap().cash_expected, "500.00");
    t.journal_ok();
}

#[test]
fn handing_cash_back_on_a_void_needs_a_manager() {
    let t = Till::new();
    let id = t.part_paid_in_cash(&t.cashier);
    let before = t.dump();
    refused(
        t.kassa.void_sale(&t.cashier, id, None),
        ErrorCode::Forbidden,
        &[
            "hands 100.00 SEK in cash back",
            "manager's approval",
            "Nothing was changed",
        ],
    );
    assert_eq!(t.dump(), before, "a refused void changed the database");
    // A cashier's own PIN is no manager's approval.
    let own = ManagerApproval {
        name: "cashier".into(),
        pin: "2222".into(),
    };
    refused(
        t.kassa.void_sale(&t.cashier, id, Some(&own)),
        ErrorCode::Forbidden,
        &["only a manager"],
    );
    assert_eq!(t.dump(), before);
    let void = t.kassa.void_sale(&t.cashier, id, Some(&manager())).unwrap();
    assert_eq!(void.status, SaleStatus::Voided);
    let manager_id = t.count("SELECT id FROM users WHERE name = 'manager'");
    let (kind, event) = t.last_journal();
    assert_eq!(kind, "void");
    assert_eq!(event["approvedBy"], manager_id, "the journal names who approved");
    t.journal_ok();

    // A sale with nothing to hand back is the cashier's to void alone.
    let unpaid = t.ring_up(&t.cashier);
    t.kassa.void_sale(&t.cashier, unpaid, None).unwrap();
}
