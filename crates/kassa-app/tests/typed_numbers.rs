//! Numbers typed at the till are read in the installation's UI language (or the one the
//! CLI chose), exactly, and a text that could be misread is refused and changes nothing.

mod common;

use common::{DemoTill, Product, demo_till};
use kassa_app::{DiscountInput, ErrorCode, Language, NumberLocale, SaleUnit, VatCategory};
use rusqlite::Connection;

const COFFEE: &str = "7310865004703";

fn till() -> DemoTill {
    demo_till(&[
        Product::each("T-KAFFE", "Kaffe", COFFEE, "24.90", VatCategory::Reduced),
        Product {
            unit: SaleUnit::Kg,
            ..Product::each("T-OST", "Ost", "2300001", "289.00", VatCategory::Reduced)
        },
    ])
}

fn snapshot(t: &DemoTill) -> Vec<String> {
    let conn = Connection::open(&t.path).unwrap();
    let mut out = Vec::new();
    for table in ["sales", "sale_lines", "tenders", "cash_movements", "journal"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            out.push(
                (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    out
}

#[test]
fn typed_amounts_and_weights_follow_the_installation_language() {
    let t = till();
    let id = t.kassa.add_item(&t.cashier, COFFEE, None).unwrap().id;

    // English: ',' groups thousands, so "12,50" is no amount, and "1,234" could be either.
    let before = snapshot(&t);
    for text in ["12,50", "1,234", "1 234,50"] {
        let e = t.kassa.pay_cash(&t.cashier, id, text).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidNumber, "{text}: {e}");
        assert_eq!(e.field(), Some("amount"));
        assert!(
            e.to_string().contains(&format!("'{text}'")) && e.to_string().contains("English"),
            "{e}"
        );
    }
    let e = t.kassa.add_item(&t.cashier, "T-OST", Some("0,350")).unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::InvalidNumber, Some("quantity")),
        "{e}"
    );
    assert_eq!(snapshot(&t), before, "a refused number changes nothing");

    // Swedish: the same texts mean what a Swede means by them.
    t.kassa.set_language(&t.manager, Language::Sv).unwrap();
    let cheese = t.kassa.add_item(&t.cashier, "T-OST", Some("0,350")).unwrap();
    let line = cheese.lines.iter().find(|l| l.sku == "T-OST").unwrap();
    assert_eq!(
        line.quantity.parse::<kassa_core::Decimal>().unwrap(),
        "0.35".parse().unwrap()
    );
    assert_eq!(line.total, "101.15", "0.350 kg at 289.00");
    let part = t.kassa.pay_cash(&t.cashier, id, "12,50").unwrap();
    assert_eq!(part.paid, "12.50");
    let e = t.kassa.pay_cash(&t.cashier, id, "1.234,50").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidNumber, "{e}");
    let done = t.kassa.pay_cash(&t.cashier, id, "1\u{a0}000,00 SEK").unwrap();
    assert_eq!(
        done.change, "886.00",
        "1000.00 for the 114.00 due in cash (113.55 rounded)"
    );
}

#[test]
fn the_cli_can_choose_its_own_notation() {
    let t = till();
    let id = t.kassa.add_item(&t.cashier, COFFEE, None).unwrap().id;
    t.kassa.use_number_locale(NumberLocale::Da);
    assert_eq!(t.kassa.number_locale().unwrap(), NumberLocale::Da);
    let e = t.kassa.pay_cash(&t.cashier, id, "12.50").unwrap_err();
    assert!(
        e.to_string().contains("Danish") && e.to_string().contains("1.234,50"),
        "{e}"
    );
    let paid = t.kassa.pay_cash(&t.cashier, id, "1.234,50").unwrap();
    assert_eq!(paid.change, "1209.50", "1234.50 handed over for 25.00 due");
}

#[test]
fn a_typed_discount_keeps_its_meaning_when_the_language_changes() {
    let t = till();
    t.kassa.set_language(&t.manager, Language::Sv).unwrap();
    let id = t.kassa.add_item(&t.cashier, COFFEE, Some("4")).unwrap().id;
    let discounted = t
        .kassa
        .set_order_discount(&t.cashier, id, Some(DiscountInput::Percent("7,5 %".into())), None)
        .unwrap();
    assert_eq!(
        discounted.order_discount,
        Some(DiscountInput::Percent("7.5".into()))
    );
    assert_eq!(
        discounted.discount_total, "7.47",
        "7.5 % of 99.60, under the store's 10 % limit"
    );

    // What was typed in Swedish is stored in the one canonical form, so an English
    // screen prices the sale exactly as before.
    t.kassa.set_language(&t.manager, Language::En).unwrap();
    let later = t.kassa.current_sale(&t.cashier).unwrap().unwrap();
    assert_eq!(
        (later.discount_total.as_str(), later.total.as_str()),
        ("7.47", "92.13")
    );
}
