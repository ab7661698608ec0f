//! Venue Manager at the till against the sandbox emulator over loopback: voucher codes as
//! a tender (all or nothing, never redeemed twice, a lost redemption to a manager) and
//! loyalty barcodes with their documented refusals.

mod common;

use kassa_app::{
    AppError, ErrorCode, ManagerApproval, Provider, RefundInput, RefundLineInput, SaleStatus, SaleView,
    TenderMethod, TenderStatus, TenderView, VatCategory,
};
use kassa_sandbox::{BackgroundSandbox, Ports};
use reqwest::Method;
use serde_json::json;

use common::{DemoTill, Product, SandboxControl, demo_till};

const PRODUCTS: &[Product] = &[
    Product::each("COFFEE", "Coffee", "", "40.00", VatCategory::Reduced),
    Product::each("MUG", "Mug", "", "129.00", VatCategory::Standard),
];

struct World {
    till: DemoTill,
    _sandbox: BackgroundSandbox,
    sandbox: SandboxControl,
}

/// The demo till (kronor) with a Venue Manager shop account in kronor on the emulator.
fn world() -> World {
    let till = demo_till(PRODUCTS);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::VenueManager);
    let pos = till
        .kassa
        .list_pos_devices(&till.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Till 1")
        .unwrap()
        .id;
    let input = common::account_input(
        emulator.base_url(),
        kassa_sandbox::venue_manager::DEMO_SETTINGS,
        &["api_password"],
        &[("currency", "SEK")],
    );
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::VenueManager, input)
        .unwrap();
    World {
        till,
        sandbox: SandboxControl::new(emulator.origin()),
        _sandbox: sandbox,
    }
}

impl World {
    fn sell(&self, codes: &[&str]) -> SaleView {
        let mut view = None;
        for code in codes {
            view = Some(self.till.kassa.add_item(&self.till.cashier, code, None).unwrap());
        }
        view.unwrap()
    }

    /// A voucher worth `kronor` whole units of `currency` (whole numbers keep the JSON exact).
    fn add_voucher(&self, id: u64, code: &str, kronor: u32, currency: &str, valid: bool) {
        self.sandbox.call(
            Method::POST,
            "/_sandbox/vouchers",
            Some(json!({
                "id": id,
                "voucherId": 500 + id,
                "code": code,
                "isValid": valid,
                "message": if valid { None } else { Some("Koden er udløbet") },
                "creationPrice": {"amount": kronor, "vatPercentage": 25, "currencyCode": currency},
            })),
        );
    }

    fn redeemed(&self) -> usize {
        self.sandbox.state_changes("voucher_code_redeemed").len()
    }
}

fn voucher_tender(view: &SaleView) -> &TenderView {
    view.tenders
        .iter()
        .rev()
        .find(|t| t.method == TenderMethod::Voucher)
        .expect("a voucher tender")
}

#[test]
fn a_voucher_pays_part_of_a_sale_and_the_rest_is_paid_in_cash() {
    let w = world();
    w.add_voucher(900, "GIFT-50", 50, "SEK", true);
    let sale = w.sell(&["COFFEE", "MUG"]);
    let (kassa, cashier) = (&w.till.kassa, &w.till.cashier);
    let look = kassa.look_up_voucher(cashier, sale.id, "GIFT-50").unwrap();
    assert!(look.valid);
    assert_eq!(look.value.as_deref(), Some("50.00"));
    assert_eq!(look.covers.as_deref(), Some("50.00"));
    assert_eq!(look.forfeited, None);
    assert_eq!(w.redeemed(), 0, "looking up redeems nothing");

    let view = kassa
        .pay_with_voucher(cashier, sale.id, "GIFT-50", false)
        .unwrap();
    let t = voucher_tender(&view);
    assert_eq!(t.status, TenderStatus::Approved);
    assert_eq!(t.amount, "50.00");
    assert_eq!(view.status, SaleStatus::Open);
    assert_eq!(view.remaining, "119.00");
    assert_eq!(w.redeemed(), 1);

    // The same code again is refused by the shop and nothing more is taken.
    let again = kassa
        .pay_with_voucher(cashier, sale.id, "GIFT-50", false)
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::PaymentRefused, "{again}");
    assert!(again.to_string().contains("cannot be used"), "{again}");
    assert_eq!(w.redeemed(), 1);

    let view = kassa.pay_cash(cashier, sale.id, "119").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);

    // A refund gives the voucher's part back in cash: Venue Manager cannot un-redeem.
    let refund = kassa
        .refund(
            cashier,
            &RefundInput {
                receipt: view.receipt_code.clone().unwrap(),
                lines: view
                    .lines
                    .iter()
                    .map(|l| RefundLineInput {
                        line_id: l.id,
                        quantity: "1".into(),
                    })
                    .collect(),
                reason: Some("changed mind".into()),
                approval: ManagerApproval {
                    name: "manager".into(),
                    pin: "1234".into(),
                },
            },
        )
        .unwrap();
    let refund = kassa.sale(cashier, refund.id).unwrap();
    assert_eq!(refund.status, SaleStatus::Completed, "{refund:?}");
    assert!(
        refund.tenders.iter().all(|t| t.method == TenderMethod::Cash),
        "{refund:?}"
    );
    let back: rust_decimal::Decimal = refund
        .tenders
        .iter()
        .map(|t| t.amount.parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(back, "-169.00".parse::<rust_decimal::Decimal>().unwrap());
}

#[test]
fn a_voucher_worth_more_than_is_due_is_redeemed_only_once_the_loss_is_accepted() {
    let w = world();
    w.add_voucher(901, "GIFT-200", 200, "SEK", true);
    let sale = w.sell(&["COFFEE"]);
    let (kassa, cashier) = (&w.till.kassa, &w.till.cashier);
    let look = kassa.look_up_voucher(cashier, sale.id, "GIFT-200").unwrap();
    assert_eq!(look.covers.as_deref(), Some("40.00"));
    assert_eq!(look.forfeited.as_deref(), Some("160.00"));
    let refused = kassa
        .pay_with_voucher(cashier, sale.id, "GIFT-200", false)
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Validation, "{refused}");
    assert!(refused.to_string().contains("160.00 is lost"), "{refused}");
    assert_eq!(w.redeemed(), 0);
    assert!(kassa.sale(cashier, sale.id).unwrap().tenders.is_empty());

    let view = kassa
        .pay_with_voucher(cashier, sale.id, "GIFT-200", true)
        .unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    assert_eq!(voucher_tender(&view).amount, "40.00");
    assert_eq!(view.change, "0.00", "no change is given for a voucher");
    assert_eq!(w.redeemed(), 1);
}

#[test]
fn invalid_unknown_and_foreign_vouchers_are_refused_with_nothing_recorded() {
    let w = world();
    w.add_voucher(902, "OLD-1", 50, "SEK", false);
    w.add_voucher(903, "DKK-1", 50, "DKK", true);
    let sale = w.sell(&["COFFEE"]);
    let (kassa, cashier) = (&w.till.kassa, &w.till.cashier);
    let cases: [(&str, ErrorCode, &str); 4] = [
        ("OLD-1", ErrorCode::PaymentRefused, "Koden er udløbet"),
        ("NOPE-9", ErrorCode::NotFound, "knows no voucher code"),
        ("DKK-1", ErrorCode::PaymentRefused, "is in \"DKK\""),
        ("  ", ErrorCode::Validation, "voucher code"),
    ];
    for (code, expected, words) in cases {
        let error = kassa.pay_with_voucher(cashier, sale.id, code, true).unwrap_err();
        assert_eq!(error.code(), expected, "{code}: {error}");
        assert!(error.to_string().contains(words), "{code}: {error}");
    }
    let view = kassa.sale(cashier, sale.id).unwrap();
    assert!(view.tenders.is_empty(), "{view:?}");
    assert_eq!(view.status, SaleStatus::Open);
    assert_eq!(w.redeemed(), 0);
}

#[test]
fn a_lost_redemption_is_never_redeemed_again_and_goes_to_a_manager_when_the_code_reads_used() {
    for after_commit in [false, true] {
        let w = world();
        w.add_voucher(904, "GIFT-40", 40, "SEK", true);
        let sale = w.sell(&["COFFEE"]);
        let (kassa, cashier) = (&w.till.kassa, &w.till.cashier);
        w.sandbox.fault(
            "POST",
            &format!("{}/voucher/code/redeem", kassa_sandbox::venue_manager::BASE_PATH),
            json!({"kind": "drop", "after_commit": after_commit}),
        );
        let view = kassa
            .pay_with_voucher(cashier, sale.id, "GIFT-40", false)
            .unwrap();
        let t = voucher_tender(&view).clone();
        assert_eq!(t.status, TenderStatus::Unknown, "{view:?}");
        assert_eq!(view.status, SaleStatus::Unknown);

        let view = kassa.reconcile_payment(cashier, t.id).unwrap();
        assert_eq!(w.redeemed(), usize::from(after_commit), "redeemed at most once");
        if !after_commit {
            // The code still reads valid: the redemption never arrived.
            assert_eq!(voucher_tender(&view).status, TenderStatus::Cancelled);
            assert_eq!(view.status, SaleStatus::Open);
            continue;
        }
        // Used, but by whom cannot be told: it stays unknown, with what a manager checks.
        let still = voucher_tender(&view);
        assert_eq!(still.status, TenderStatus::Unknown);
        let why = still.prompt.clone().and_then(|p| p.message).unwrap_or_default();
        assert!(why.contains("A manager checks"), "{why}");
        // A cashier cannot mark it paid alone; a manager can.
        let alone = kassa
            .resolve_unknown_payment(cashier, t.id, true, None)
            .unwrap_err();
        assert!(matches!(alone, AppError::ApprovalRequired(_)), "{alone}");
        let view = kassa
            .resolve_unknown_payment(
                cashier,
                t.id,
                true,
                Some(&ManagerApproval {
                    name: "manager".into(),
                    pin: "1234".into(),
                }),
            )
            .unwrap();
        assert_eq!(view.status, SaleStatus::Completed);
        assert_eq!(w.redeemed(), 1);
    }
}

#[test]
fn loyalty_barcodes_are_registered_and_their_documented_refusals_are_cashier_messages() {
    let w = world();
    for (code, valid) in [("LOYAL-1", true), ("LOYAL-OLD", false)] {
        w.sandbox.call(
            Method::POST,
            "/_sandbox/loyalty-barcodes",
            Some(json!({"code": code, "points": 25, "valid": valid})),
        );
    }
    let (kassa, cashier) = (&w.till.kassa, &w.till.cashier);
    let usage = kassa.register_loyalty_barcode(cashier, "LOYAL-1").unwrap();
    assert_eq!(usage.points, "25");
    let cases = [
        ("LOYAL-1", "already been used"),
        ("LOYAL-OLD", "no longer valid"),
        ("LOYAL-NONE", "knows no loyalty barcode"),
    ];
    for (code, words) in cases {
        let error = kassa.register_loyalty_barcode(cashier, code).unwrap_err();
        assert!(error.to_string().contains(words), "{code}: {error}");
    }
    assert_eq!(w.sandbox.state_changes("loyalty_usage_registered").len(), 1);
}
