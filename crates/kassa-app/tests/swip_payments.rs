//! Paying and refunding through SWiP against the sandbox emulator over loopback: the
//! customer "pays in the app" through the emulator's control routes, faults are armed
//! through `/_sandbox/faults`, and what SWiP did is read from the emulator's own log.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Duration as Minutes;
use kassa_app::{
    Actor, AppError, DiscountInput, ErrorCode, Kassa, ManagerApproval, Provider, ProviderTimings,
    RefundInput, RefundLineInput, SaleStatus, SaleView, TenderMethod, TenderStatus, VatCategory,
};
use kassa_sandbox::{BackgroundSandbox, Ports};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use common::{DemoTill, Product, demo_till};

const PRODUCTS: &[Product] = &[
    Product::each("COFFEE", "Coffee", "", "40.00", VatCategory::Reduced),
    Product::each("MUG", "Mug", "", "129.00", VatCategory::Standard),
];

struct World {
    till: DemoTill,
    _sandbox: BackgroundSandbox,
    origin: String,
    http: tokio::runtime::Runtime,
}

fn world() -> World {
    let till = demo_till(PRODUCTS);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::Swip);
    let (origin, base_url) = (emulator.origin(), emulator.base_url());
    let pos = till
        .kassa
        .list_pos_devices(&till.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Till 1")
        .unwrap()
        .id;
    // The demo till sells in kronor; the SWiP merchant account is set to match.
    let input = common::account_input(
        base_url,
        kassa_sandbox::swip::DEMO_SETTINGS,
        &["token"],
        &[("currency", "SEK")],
    );
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::Swip, input)
        .unwrap();
    // Retry-After is honoured but not waited out in full: these tests run in seconds.
    till.kassa.set_provider_timings(ProviderTimings {
        max_retry_after: Duration::from_millis(5),
        ..ProviderTimings::default()
    });
    World {
        till,
        _sandbox: sandbox,
        origin,
        http: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    }
}

impl World {
    fn kassa(&self) -> &Kassa {
        &self.till.kassa
    }

    fn cashier(&self) -> &Actor {
        &self.till.cashier
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

    fn fault(&self, method: &str, path: &str, fault: Value) {
        self.control(
            reqwest::Method::POST,
            "/_sandbox/faults",
            Some(json!({"method": method, "path": path, "fault": fault, "times": 1})),
        );
    }

    fn clear_faults(&self) {
        self.control(reqwest::Method::DELETE, "/_sandbox/faults", None);
    }

    fn orders(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/_sandbox/orders", None)
            .as_array()
            .unwrap()
            .clone()
    }

    fn order_for(&self, reference: &str) -> Option<Value> {
        self.orders()
            .into_iter()
            .find(|o| o["merchantOrderId"] == reference)
    }

    /// The customer scans the QR the till shows and pays `amount` (all when None).
    fn customer_pays(&self, qr: &str, amount: Option<&str>) {
        let order = self
            .orders()
            .into_iter()
            .find(|o| o["sessionCode"] == qr)
            .expect("the QR the till shows belongs to an order");
        let body = amount
            .map(|a| json!({"amount": serde_json::from_str::<Value>(a).unwrap()}))
            .unwrap_or(json!({}));
        self.control(
            reqwest::Method::POST,
            &format!("/_sandbox/orders/{}/pay", order["id"].as_str().unwrap()),
            Some(body),
        );
    }

    fn state_changes(&self, what: &str) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/_sandbox/log", None)
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "state" && e["what"] == what)
            .cloned()
            .collect()
    }

    fn sell(&self, codes: &[&str]) -> SaleView {
        let mut view = None;
        for code in codes {
            view = Some(self.kassa().add_item(self.cashier(), code, None).unwrap());
        }
        view.unwrap()
    }

    /// Refunds one of a line with a manager's approval.
    fn refund(&self, sale: &SaleView, line_id: i64) -> SaleView {
        self.kassa()
            .refund(
                self.cashier(),
                &RefundInput {
                    receipt: sale.receipt_code.clone().unwrap(),
                    lines: vec![RefundLineInput {
                        line_id,
                        quantity: "1".into(),
                    }],
                    reason: Some("changed mind".into()),
                    approval: self.manager_approval(),
                },
            )
            .unwrap()
    }

    /// Coffee and a mug less 0.60, 168.40 (kronor are rounded to whole kronor in cash),
    /// with a SWiP payment of all of it pending.
    fn swip_sale_of_168_40(&self) -> (SaleView, SaleView) {
        let sale = self.sell(&["COFFEE", "MUG"]);
        self.kassa()
            .set_order_discount(
                self.cashier(),
                sale.id,
                Some(DiscountInput::Amount("0.60".into())),
                None,
            )
            .unwrap();
        let view = self
            .kassa()
            .start_swip_payment(self.cashier(), sale.id, None)
            .unwrap();
        (sale, view)
    }

    fn manager_approval(&self) -> ManagerApproval {
        ManagerApproval {
            name: "manager".into(),
            pin: "1234".into(),
        }
    }
}

fn swip_tender(view: &SaleView) -> &kassa_app::TenderView {
    view.tenders
        .iter()
        .rev()
        .find(|t| t.method == TenderMethod::Swip)
        .expect("a SWiP tender")
}

fn qr_of(view: &SaleView) -> String {
    swip_tender(view)
        .prompt
        .as_ref()
        .and_then(|p| p.qr.clone())
        .expect("a pending SWiP payment shows a QR code")
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn amount_of(value: &Value) -> Decimal {
    dec(value.as_str().unwrap())
}

#[test]
fn a_sale_paid_in_the_swip_app_completes_and_the_order_is_closed_once() {
    let w = world();
    let sale = w.sell(&["COFFEE", "MUG"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    assert_eq!(view.status, SaleStatus::Paying);
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.status, TenderStatus::Pending);
    assert_eq!(tender.amount, "169.00");
    let qr = qr_of(&view);
    let order = w
        .order_for(&tender.reference)
        .expect("the order carries the tender's reference");
    assert_eq!(order["orderStatus"], "OPEN");
    assert_eq!(amount_of(&order["total"]), dec("169.00"));

    // Not paid yet: still pending, the QR still shown.
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Pending);
    assert_eq!(qr_of(&view), qr);

    w.customer_pays(&qr, None);
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(view.status, SaleStatus::Completed, "{view:?}");
    assert_eq!(swip_tender(&view).status, TenderStatus::Approved);
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(order["orderStatus"], "CLOSED");
    assert_eq!(amount_of(&order["closeAmount"]), dec("169.00"));
    assert_eq!(w.state_changes("order_created").len(), 1);
    assert_eq!(w.state_changes("order_closed").len(), 1);

    // A completed payment is not asked about again.
    let again = w.kassa().poll_payment(w.cashier(), tender.id).unwrap_err();
    assert_eq!(again.code(), ErrorCode::Conflict, "{again}");
}

#[test]
fn split_cash_and_swip_refunds_each_part_its_own_way() {
    let w = world();
    let sale = w.sell(&["MUG"]);
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "29").unwrap();
    assert_eq!(view.status, SaleStatus::Open);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.amount, "100.00");
    w.customer_pays(&qr_of(&view), None);
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(view.status, SaleStatus::Completed);

    let line = view.lines[0].id;
    let refund = w.refund(&view, line);
    let refund = w.kassa().sale(w.cashier(), refund.id).unwrap();
    assert_eq!(refund.status, SaleStatus::Completed, "{refund:?}");
    let by_method: BTreeMap<&str, &str> = refund
        .tenders
        .iter()
        .map(|t| (t.method.as_str(), t.amount.as_str()))
        .collect();
    assert_eq!(by_method.get("swip"), Some(&"-100.00"));
    assert_eq!(by_method.get("cash"), Some(&"-29.00"));
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["refunded"]), dec("100.00"));
    assert_eq!(w.state_changes("order_refunded").len(), 1);
}

#[test]
fn an_order_that_times_out_part_paid_is_closed_with_what_was_paid_and_the_rest_is_taken_another_way() {
    let w = world();
    let sale = w.sell(&["MUG"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    w.customer_pays(&qr_of(&view), Some("50.00"));
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Pending);
    let message = swip_tender(&view).prompt.clone().unwrap().message.unwrap();
    assert!(message.contains("50.00"), "{message}");

    w.till.clock.advance(Minutes::seconds(91));
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    let swip = swip_tender(&view);
    assert_eq!(swip.status, TenderStatus::Approved);
    assert_eq!(swip.amount, "50.00");
    assert_eq!(view.status, SaleStatus::Open);
    assert_eq!(view.remaining, "79.00");
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["closeAmount"]), dec("50.00"));

    let view = w.kassa().pay_cash(w.cashier(), sale.id, "79").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
}

#[test]
fn cancelling_with_nothing_paid_closes_the_order_with_zero_and_reopens_the_sale() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    let view = w.kassa().cancel_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Cancelled);
    assert_eq!(view.status, SaleStatus::Open);
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(order["orderStatus"], "CLOSED");
    assert_eq!(amount_of(&order["closeAmount"]), Decimal::ZERO);

    // A new attempt is a new order under a new merchantOrderId.
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let second = swip_tender(&view).clone();
    assert_ne!(second.reference, tender.reference);
    w.customer_pays(&qr_of(&view), None);
    let view = w.kassa().poll_payment(w.cashier(), second.id).unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
}

#[test]
fn a_create_whose_answer_was_lost_is_unknown_and_reconciles_to_cancelled_without_a_second_order() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    w.fault("POST", "/orders", json!({"kind": "drop", "after_commit": true}));
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.status, TenderStatus::Unknown);
    assert_eq!(view.status, SaleStatus::Unknown);
    // The till is blocked until it is reconciled.
    let blocked = w.kassa().add_item(w.cashier(), "COFFEE", None).unwrap_err();
    assert_eq!(blocked.code(), ErrorCode::PaymentUnresolved, "{blocked}");
    // Settling a SWiP payment by hand is refused: only SWiP says what became of it.
    let by_hand = w
        .kassa()
        .resolve_unknown_payment(w.cashier(), tender.id, true, Some(&w.manager_approval()))
        .unwrap_err();
    assert!(by_hand.to_string().contains("reconcile"), "{by_hand}");

    let view = w.kassa().reconcile_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Cancelled);
    assert_eq!(view.status, SaleStatus::Open);
    // SWiP has the one order, unpaid; nothing was created twice.
    assert_eq!(w.state_changes("order_created").len(), 1);
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["paid"]), Decimal::ZERO);
}

#[test]
fn a_close_whose_answer_was_lost_reconciles_to_approved_and_is_never_sent_twice() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    w.customer_pays(&qr_of(&view), None);
    w.fault(
        "POST",
        "/orders/*/actions/close",
        json!({"kind": "status", "status": 502, "after_commit": true}),
    );
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Unknown);
    let view = w.kassa().reconcile_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Approved);
    assert_eq!(view.status, SaleStatus::Completed);
    assert_eq!(w.state_changes("order_closed").len(), 1);
}

#[test]
fn an_unanswered_refund_is_reconciled_from_the_orders_refunded_amount_never_resent() {
    for (arrived, expected) in [(true, TenderStatus::Approved), (false, TenderStatus::Cancelled)] {
        let w = world();
        let sale = w.sell(&["MUG"]);
        let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
        let tender = swip_tender(&view).clone();
        w.customer_pays(&qr_of(&view), None);
        let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
        assert_eq!(view.status, SaleStatus::Completed);
        w.fault(
            "POST",
            "/refunds",
            json!({"kind": "drop", "after_commit": arrived}),
        );
        let refund = w.refund(&view, view.lines[0].id);
        let refund = w.kassa().sale(w.cashier(), refund.id).unwrap();
        let back = swip_tender(&refund).clone();
        assert_eq!(back.status, TenderStatus::Unknown, "{refund:?}");
        let refund = w.kassa().reconcile_payment(w.cashier(), back.id).unwrap();
        assert_eq!(swip_tender(&refund).status, expected, "arrived: {arrived}");
        let order = w.order_for(&tender.reference).unwrap();
        let refunded = amount_of(&order["refunded"]);
        assert_eq!(refunded, if arrived { dec("129.00") } else { Decimal::ZERO });
        assert_eq!(w.state_changes("order_refunded").len(), usize::from(arrived));
        if arrived {
            assert_eq!(refund.status, SaleStatus::Completed);
        } else {
            // Open again: retried (a new refund request under a new reference) or given in cash.
            assert_eq!(refund.status, SaleStatus::Open);
        }
    }
}

#[test]
fn documented_errors_are_specific_and_record_nothing_as_paid() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    let cases = [
        (json!({"kind": "body", "text": "<html>proxy error</html>"}), true),
        (json!({"kind": "status", "status": 500}), true),
        (json!({"kind": "too_many_requests", "retry_after_secs": 1}), false),
    ];
    for (fault, unknown) in cases {
        w.fault("POST", "/orders", fault.clone());
        let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
        let tender = swip_tender(&view).clone();
        if unknown {
            assert_eq!(tender.status, TenderStatus::Unknown, "{fault}");
            let view = w.kassa().reconcile_payment(w.cashier(), tender.id).unwrap();
            assert_ne!(swip_tender(&view).status, TenderStatus::Approved, "{fault}");
        } else {
            // 429: SWiP handled nothing; the same create was made again after Retry-After.
            assert_eq!(tender.status, TenderStatus::Pending, "{fault}");
            w.kassa().cancel_payment(w.cashier(), tender.id).unwrap();
        }
    }
    // An HTTP 401: refused at once, the attempt kept as cancelled.
    w.control(
        reqwest::Method::POST,
        "/_sandbox/faults",
        Some(json!({"method": "POST", "path": "/orders", "fault": {"kind": "status", "status": 401}, "times": 1})),
    );
    let error = w
        .kassa()
        .start_swip_payment(w.cashier(), sale.id, None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            AppError::Coded {
                code: ErrorCode::PaymentRefused,
                ..
            }
        ),
        "{error}"
    );
    let view = w.kassa().sale(w.cashier(), sale.id).unwrap();
    assert_eq!(view.status, SaleStatus::Open);
    assert_eq!(view.paid, "0.00");
    assert!(view.tenders.iter().all(|t| t.status != TenderStatus::Approved));
}

#[test]
fn a_payment_left_pending_by_a_stopped_kassa_is_reconciled_when_it_opens_again() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    w.customer_pays(&qr_of(&view), None);
    let World { till, _sandbox, .. } = w;
    let path = till.path.clone();
    let clock = till.clock.clone();
    drop(till.kassa);
    let kassa = Kassa::open_with_clock(&path, clock).unwrap();
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let view = kassa.sale(&cashier, sale.id).unwrap();
    // Reconciled at open: the order was paid, so it was closed, and the sale completed.
    assert_eq!(swip_tender(&view).status, TenderStatus::Approved, "{view:?}");
    assert_eq!(view.status, SaleStatus::Completed);
    assert_eq!(tender.reference, swip_tender(&view).reference);
}

/// 200 payments (more with KASSA_FAULT_PAYMENTS) with about one call in five faulted.
#[test]
fn under_injected_faults_no_payment_is_taken_twice_and_every_one_ends_final() {
    let w = world();
    let (count, seed) = common::fault_loop_settings();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let paths = [
        ("POST", "/orders"),
        ("GET", "/orders/*"),
        ("POST", "/orders/*/actions/close"),
    ];
    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut reconciled = 0;
    let mut sale_ids = Vec::new();
    for i in 0..count {
        let sale = w.sell(&["COFFEE"]);
        sale_ids.push(sale.id);
        for (method, path) in paths {
            if rng.random_bool(0.2) {
                let (name, fault) = common::random_fault(&mut rng, "{\"orderStatus\": 7");
                *faults.entry(name).or_default() += 1;
                w.fault(method, path, fault);
            }
        }
        let customer_pays = rng.random_bool(0.8);
        let mut view = match w.kassa().start_swip_payment(w.cashier(), sale.id, None) {
            Ok(view) => view,
            Err(AppError::Coded {
                code: ErrorCode::PaymentRefused,
                ..
            }) => w.kassa().sale(w.cashier(), sale.id).unwrap(),
            Err(other) => panic!("payment {i}: {other}"),
        };
        let mut paid = false;
        for _ in 0..20 {
            let tender = swip_tender(&view).clone();
            match tender.status {
                TenderStatus::Pending => {
                    if customer_pays
                        && !paid
                        && let Some(qr) = tender.prompt.as_ref().and_then(|p| p.qr.clone())
                    {
                        w.customer_pays(&qr, None);
                        paid = true;
                    }
                    view = if customer_pays {
                        w.kassa().poll_payment(w.cashier(), tender.id).unwrap()
                    } else {
                        w.kassa()
                            .cancel_payment(w.cashier(), tender.id)
                            .unwrap_or_else(|e| {
                                println!("payment {i}: cancel refused ({e}); asking again");
                                w.kassa().sale(w.cashier(), sale.id).unwrap()
                            })
                    };
                }
                TenderStatus::Unknown => {
                    reconciled += 1;
                    view = w.kassa().reconcile_payment(w.cashier(), tender.id).unwrap();
                }
                _ => break,
            }
        }
        w.clear_faults();
        let tender = swip_tender(&view).clone();
        assert!(
            matches!(
                tender.status,
                TenderStatus::Approved | TenderStatus::Cancelled | TenderStatus::Declined
            ),
            "payment {i} did not reach a final state: {tender:?}"
        );
        *outcomes.entry(tender.status.to_string()).or_default() += 1;
        // Leave the till clean for the next sale.
        if view.status == SaleStatus::Open {
            w.kassa().void_sale(w.cashier(), sale.id, None).unwrap();
        }
    }

    // The sandbox's own record against the local database.
    let orders = w.orders();
    let mut by_reference: BTreeMap<String, usize> = BTreeMap::new();
    for order in &orders {
        *by_reference
            .entry(order["merchantOrderId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(
        by_reference.values().all(|n| *n == 1),
        "an order was created twice"
    );
    // A close or a cancel (close with 0): SWiP takes either once per order.
    let mut closed_per_order: BTreeMap<String, usize> = BTreeMap::new();
    for close in w.state_changes("order_closed") {
        *closed_per_order
            .entry(close["detail"]["order"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for cancel in w.state_changes("order_cancelled") {
        *closed_per_order
            .entry(cancel["detail"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(
        closed_per_order.values().all(|n| *n == 1),
        "an order was closed twice"
    );
    let taken_by_swip: Decimal = orders.iter().map(|o| amount_of(&o["closeAmount"])).sum();
    let recorded: Decimal = sale_ids
        .iter()
        .map(|id| w.kassa().sale(w.cashier(), *id).unwrap())
        .flat_map(|s| s.tenders)
        .filter(|t| t.method == TenderMethod::Swip && t.status == TenderStatus::Approved)
        .map(|t| dec(&t.amount))
        .sum();
    assert_eq!(
        taken_by_swip, recorded,
        "what SWiP took and what Kassa recorded differ"
    );
    let charged_without_sale = orders
        .iter()
        .filter(|o| amount_of(&o["closeAmount"]) > Decimal::ZERO)
        .count();
    println!(
        "{count} SWiP payments; faults injected: {faults:?}; outcomes: {outcomes:?}; \
         reconciled {reconciled} time(s); {} orders at SWiP, {charged_without_sale} closed with money, \
         {taken_by_swip} taken = {recorded} recorded",
        orders.len()
    );
}

// ---------------------------------------------------------------------------------------
// SWiP loyalty: the anonymous calculation's discount on the basket, before payment.

fn journal_payload_of_last(w: &World, kind: &str) -> Value {
    let conn = rusqlite::Connection::open(&w.till.path).unwrap();
    let canonical: Vec<u8> = conn
        .query_row(
            "SELECT canonical FROM journal WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
            [kind],
            |r| r.get(0),
        )
        .unwrap();
    let record: Value = serde_json::from_slice(&canonical).unwrap();
    record["event"].clone()
}

fn store_of_till(w: &World) -> i64 {
    w.kassa()
        .list_stores(&w.till.manager)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .unwrap()
        .id
}

#[test]
fn a_swip_loyalty_discount_is_spread_over_the_vat_rates_named_apart_and_refunded_as_paid() {
    let w = world();
    // Far below the discount SWiP gives: the limit is for what the till gives away.
    w.kassa()
        .set_discount_limit(&w.till.manager, store_of_till(&w), "5")
        .unwrap();
    let sale = w.sell(&["COFFEE", "MUG"]);
    assert_eq!(sale.total, "169.00");
    let view = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap();
    // The demo program: 10 % of 169.00 = 16.90, rounded by SWiP to 17 ("discount", not
    // "discountOriginal").
    let loyalty = view.loyalty_discount.clone().expect("a loyalty discount");
    assert_eq!(loyalty.amount, "17.00");
    assert_eq!(loyalty.program, "Discount for all customers");
    assert_eq!(view.total, "152.00");
    assert_eq!(view.discount_total, "17.00");
    // 17.00 split 40:129 by largest remainder in öre: 402.37 → 402, 1297.63 → 1297 + the
    // öre left over.
    let lines: Vec<(&str, &str)> = view
        .lines
        .iter()
        .map(|l| (l.discount_amount.as_str(), l.total.as_str()))
        .collect();
    assert_eq!(lines, [("4.02", "35.98"), ("12.98", "116.02")]);
    let vat: Vec<(&str, &str)> = view
        .vat
        .iter()
        .map(|v| (v.rate.as_str(), v.vat.as_str()))
        .collect();
    assert!(
        vat.contains(&("12", "3.86")) && vat.contains(&("25", "23.20")),
        "{vat:?}"
    );

    let view = w.kassa().pay_cash(w.cashier(), sale.id, "152").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    let receipt = w.kassa().receipt_preview(w.cashier(), sale.id, 42).unwrap();
    let line = receipt
        .text
        .lines()
        .find(|l| l.starts_with("SWiP"))
        .unwrap_or_else(|| panic!("a loyalty line in\n{}", receipt.text));
    assert!(
        line.trim_end().ends_with("-17,00") || line.trim_end().ends_with("-17.00"),
        "{line}"
    );
    let journal = journal_payload_of_last(&w, "sale");
    assert_eq!(journal["loyaltyDiscount"]["amount"], "17.00", "{journal}");
    assert_eq!(journal["loyaltyDiscount"]["provider"], "swip", "{journal}");
    assert_eq!(journal["discountTotal"], "17.00");

    let report = w.kassa().x_report(w.cashier()).unwrap();
    assert_eq!(report.loyalty_discounts.count, 1, "{report:?}");
    assert_eq!(report.loyalty_discounts.amount, "17.00");
    assert_eq!(report.discounts.count, 0, "SWiP's discount is not the till's");

    // A refund credits what the line was paid, its loyalty share taken off.
    let refund = w.refund(&view, view.lines[0].id);
    let refund = w.kassa().sale(w.cashier(), refund.id).unwrap();
    assert_eq!(refund.total, "-35.98", "{refund:?}");
}

#[test]
fn a_change_to_the_basket_removes_the_loyalty_discount_and_none_is_given_once_paying() {
    let w = world();
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap();
    assert_eq!(view.total, "36.00");
    let view = w.kassa().add_item(w.cashier(), "MUG", None).unwrap();
    assert!(view.loyalty_discount.is_none(), "{view:?}");
    assert_eq!(view.total, "169.00");
    assert_eq!(view.discount_total, "0.00");

    let view = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap();
    assert_eq!(view.total, "152.00");
    let view = w.kassa().remove_loyalty_discount(w.cashier(), sale.id).unwrap();
    assert!(view.loyalty_discount.is_none());
    assert_eq!(view.total, "169.00");

    // With a payment under way the amount due cannot change.
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    let error = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    assert!(error.to_string().contains("before anything is paid"), "{error}");
    w.kassa().cancel_payment(w.cashier(), tender.id).unwrap();

    // Once the attempt is cancelled it can; the SWiP order that follows asks for the
    // discounted total.
    let view = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap();
    assert_eq!(view.total, "152.00");
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.amount, "152.00");
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["total"]), dec("152.00"));
    w.customer_pays(&qr_of(&view), None);
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    assert_eq!(view.loyalty_discount.unwrap().amount, "17.00");
}

#[test]
fn a_failed_or_contradictory_loyalty_calculation_changes_nothing() {
    let w = world();
    let sale = w.sell(&["COFFEE", "MUG"]);
    let calculation = |before: &str, discount: &str, total: &str| {
        format!(
            r#"{{"discountCalcResult":{{"discountOriginal":{discount},"discount":{discount},"lines":[]}},"totalBeforeCalc":{before},"total":{total}}}"#
        )
    };
    let cases = [
        (
            json!({"kind": "status", "status": 500}),
            ErrorCode::ProviderFailed,
            "HTTP 500",
        ),
        (
            json!({"kind": "status", "status": 401}),
            ErrorCode::ProviderCredentialsRejected,
            "token",
        ),
        (
            json!({"kind": "body", "text": "<html>proxy error</html>"}),
            ErrorCode::ProviderFailed,
            "SWiP",
        ),
        (json!({"kind": "drop"}), ErrorCode::ProviderFailed, "SWiP"),
        (
            json!({"kind": "body", "text": calculation("100.00", "10.00", "90.00")}),
            ErrorCode::ProviderFailed,
            "169",
        ),
        (
            json!({"kind": "body", "text": calculation("169.00", "10.00", "150.00")}),
            ErrorCode::ProviderFailed,
            "less the discount",
        ),
        (
            json!({"kind": "body", "text": calculation("169.00", "16.905", "152.095")}),
            ErrorCode::ProviderFailed,
            "SWiP",
        ),
        (
            json!({"kind": "body", "text": calculation("169.00", "170.00", "-1.00")}),
            ErrorCode::ProviderFailed,
            "SWiP",
        ),
    ];
    for (fault, code, said) in cases {
        w.fault("POST", "/loyalty-calculations", fault.clone());
        let error = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap_err();
        assert_eq!(error.code(), code, "{fault}: {error}");
        let text = error.to_string();
        assert!(text.contains(said), "{fault}: {text}");
        assert!(text.contains("unchanged"), "{fault}: {text}");
        let view = w.kassa().sale(w.cashier(), sale.id).unwrap();
        assert!(view.loyalty_discount.is_none(), "{fault}");
        assert_eq!(view.total, "169.00", "{fault}");
        assert!(view.lines.iter().all(|l| l.discount_amount == "0.00"), "{fault}");
    }
    // A 429 handled nothing: the same calculation is asked again after Retry-After.
    w.fault(
        "POST",
        "/loyalty-calculations",
        json!({"kind": "too_many_requests", "retry_after_secs": 1}),
    );
    let view = w.kassa().apply_swip_loyalty(w.cashier(), sale.id).unwrap();
    assert_eq!(view.total, "152.00");
    // A refund takes none.
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "152").unwrap();
    let refund = w.refund(&view, view.lines[1].id);
    let error = w.kassa().apply_swip_loyalty(w.cashier(), refund.id).unwrap_err();
    assert_ne!(error.code(), ErrorCode::Internal, "{error}");
}

#[test]
fn a_customer_who_pays_cash_after_swip_loyalty_has_the_order_closed_rounded_and_pays_cash() {
    let w = world();
    let (sale, view) = w.swip_sale_of_168_40();
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.amount, "168.40");

    // Something paid in the app already: the rest is not taken at the till this way.
    w.customer_pays(&qr_of(&view), Some("10.00"));
    let error = w
        .kassa()
        .pay_swip_order_at_till(w.cashier(), tender.id)
        .unwrap_err();
    assert!(error.to_string().contains("already paid"), "{error}");
    let view = w.kassa().sale(w.cashier(), sale.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Pending);
    let view = w.kassa().cancel_payment(w.cashier(), tender.id).unwrap();
    let view = w.kassa().pay_cash(w.cashier(), sale.id, &view.cash_due).unwrap();
    assert_eq!(view.status, SaleStatus::Completed);

    // Nothing paid in the app: closed with the cash total, ROUNDED, and taken in cash.
    let (sale, view) = w.swip_sale_of_168_40();
    let tender = swip_tender(&view).clone();
    let view = w.kassa().pay_swip_order_at_till(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Cancelled, "{view:?}");
    assert_eq!(view.status, SaleStatus::Open);
    assert_eq!(view.cash_due, "168.00");
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(order["orderStatus"], "CLOSED");
    assert_eq!(amount_of(&order["closeAmount"]), dec("168.00"));
    assert_eq!(amount_of(&order["paid"]), Decimal::ZERO);
    let closes = w.state_changes("order_closed");
    let last = closes.last().unwrap();
    assert_eq!(last["detail"]["rounded"], true, "{last}");
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "200").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    assert_eq!(view.rounding, "-0.40");
    assert_eq!(view.change, "32.00");
    assert!(
        view.tenders
            .iter()
            .all(|t| t.method != TenderMethod::Swip || t.status == TenderStatus::Cancelled)
    );

    // A total with nothing to round is closed as it is, without the tag.
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    let view = w.kassa().pay_swip_order_at_till(w.cashier(), tender.id).unwrap();
    assert_eq!(view.cash_due, "40.00");
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["closeAmount"]), dec("40.00"));
    let closes = w.state_changes("order_closed");
    assert_eq!(closes.last().unwrap()["detail"]["rounded"], false);

    // A close whose answer was lost leaves the payment unknown; reconciling reads the
    // order, finds it closed at the till, and the cash is taken.
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "40").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    let sale = w.sell(&["COFFEE"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    let order_id = w.order_for(&tender.reference).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.fault(
        "POST",
        &format!("/orders/{order_id}/actions/close"),
        json!({"kind": "drop", "after_commit": true}),
    );
    let view = w.kassa().pay_swip_order_at_till(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Unknown);
    let view = w.kassa().reconcile_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(swip_tender(&view).status, TenderStatus::Cancelled, "{view:?}");
    assert_eq!(view.status, SaleStatus::Open);
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "40").unwrap();
    assert_eq!(view.status, SaleStatus::Completed);
    // The part-paid order, the two closed at the till and the one whose answer was lost.
    assert_eq!(w.state_changes("order_closed").len(), 4, "each order closed once");
}

#[test]
fn a_personal_discount_the_swip_app_gave_is_taken_as_loyalty_not_as_a_part_still_to_pay() {
    let w = world();
    let sale = w.sell(&["COFFEE", "MUG"]);
    let view = w.kassa().start_swip_payment(w.cashier(), sale.id, None).unwrap();
    let tender = swip_tender(&view).clone();
    assert_eq!(tender.amount, "169.00");
    let order = w.order_for(&tender.reference).unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    // The customer opens the order in the app, which gives them 20.00 off, and pays the rest.
    w.control(
        reqwest::Method::POST,
        &format!("/_sandbox/orders/{id}/loyalty"),
        Some(json!({"discount": 20})),
    );
    w.customer_pays(&qr_of(&view), None);
    let view = w.kassa().poll_payment(w.cashier(), tender.id).unwrap();
    assert_eq!(view.status, SaleStatus::Completed, "{view:?}");
    let swip = swip_tender(&view);
    assert_eq!(
        (swip.status, swip.amount.as_str()),
        (TenderStatus::Approved, "149.00")
    );
    assert_eq!(view.total, "149.00");
    assert_eq!(view.paid, "149.00");
    let loyalty = view.loyalty_discount.clone().unwrap();
    assert_eq!(loyalty.amount, "20.00");
    assert!(loyalty.program.contains("SWiP app"), "{loyalty:?}");
    let order = w.order_for(&tender.reference).unwrap();
    assert_eq!(amount_of(&order["closeAmount"]), dec("149.00"));
    assert_eq!(w.state_changes("order_closed").len(), 1);
    let receipt = w.kassa().receipt_preview(w.cashier(), sale.id, 42).unwrap();
    assert!(
        receipt.text.lines().any(|l| l.starts_with("SWiP")),
        "{}",
        receipt.text
    );

    // Its refund gives back what the line cost after the discount, through SWiP.
    let refund = w.refund(&view, view.lines[0].id);
    let refund = w.kassa().sale(w.cashier(), refund.id).unwrap();
    assert_eq!(refund.status, SaleStatus::Completed, "{refund:?}");
    let line_total = view.lines[0].total.clone();
    assert_eq!(refund.total, format!("-{line_total}"));
    assert_eq!(
        amount_of(&w.order_for(&tender.reference).unwrap()["refunded"]),
        dec(&line_total)
    );
}

#[test]
fn only_a_pending_swip_payment_can_be_paid_at_the_till_instead() {
    let w = world();
    let sale = w.sell(&["MUG"]);
    let view = w.kassa().pay_cash(w.cashier(), sale.id, "29").unwrap();
    let cash = view.tenders[0].id;
    let error = w.kassa().pay_swip_order_at_till(w.cashier(), cash).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    assert!(error.to_string().contains("not a SWiP payment"), "{error}");
    let error = w.kassa().pay_swip_order_at_till(w.cashier(), 99_999).unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotFound, "{error}");
    let after = w.kassa().sale(w.cashier(), sale.id).unwrap();
    assert_eq!(after, view, "nothing changed");
    assert!(w.state_changes("order_closed").is_empty());
}
