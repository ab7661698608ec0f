//! The printed receipt of a sale rung up through the real `Kassa` API on a real SQLite
//! file: the order discount on a line of its own, line discounts under their lines,
//! tenders by their translated names, and every figure adding up on paper.

mod common;

use common::{Product, demo_till};
use kassa_app::{
    Actor, DiscountInput, Kassa, Language, ManagerApproval, RefundInput, RefundLineInput, SaleStatus,
    SaleUnit, SaleView, TenderStatus, VatCategory,
};
use kassa_core::Decimal;

const COFFEE: &str = "7310865004703";
const BUN: &str = "4006381333931";
/// The item key of a weighed product: a variable-measure EAN-13 "23 00001 wwwww c".
const CHEESE_KEY: &str = "2300001";

struct World {
    _dir: tempfile::TempDir,
    kassa: Kassa,
    manager: Actor,
    cashier: Actor,
}

/// The demo database with coffee (24.90), a bun (32.50) and cheese by weight (289.00/kg),
/// bound to a till in Malmö C, a shift open.
fn world() -> World {
    let t = demo_till(&[
        Product::each("T-KAFFE", "Kaffe", COFFEE, "24.90", VatCategory::Reduced),
        Product::each("T-BULLE", "Kanelbulle", BUN, "32.50", VatCategory::Reduced),
        Product {
            unit: SaleUnit::Kg,
            ..Product::each("T-OST", "Ost", CHEESE_KEY, "289.00", VatCategory::Reduced)
        },
    ]);
    World {
        _dir: t.dir,
        kassa: t.kassa,
        manager: t.manager,
        cashier: t.cashier,
    }
}

/// A printed amount back to a number, for either decimal separator.
fn printed(amount: &str) -> Option<Decimal> {
    amount.replace(',', ".").parse().ok()
}

/// The amount of the one line that is `label` and an amount, after any indentation.
#[track_caller]
fn amount_of(text: &str, label: &str) -> Decimal {
    let found: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.trim_start()
                .strip_prefix(label)
                .is_some_and(|rest| rest.starts_with(' ') && rest.split_whitespace().count() == 1)
        })
        .collect();
    assert_eq!(found.len(), 1, "one line {label:?} and an amount in\n{text}");
    printed(found[0].split_whitespace().last().unwrap()).unwrap()
}

/// Every amount between the '=' rule under the heading and the line starting with
/// `total`: the goods, their discounts and the order discount, as a reader adds them.
fn goods_on_paper(text: &str, total: &str) -> Decimal {
    text.lines()
        .skip_while(|l| !l.starts_with('='))
        .skip(1)
        .take_while(|l| !l.starts_with(total))
        .filter(|l| !l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().last().and_then(printed))
        .sum()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

struct Words {
    language: Language,
    discount: &'static str,
    order_discount: &'static str,
    total: &'static str,
    cash: &'static str,
    card: &'static str,
    cash_back: &'static str,
    change: &'static str,
}

const WORDS: [Words; 2] = [
    Words {
        language: Language::Sv,
        discount: "Rabatt",
        order_discount: "Rabatt på köpet",
        total: "TOTALT SEK",
        cash: "Kontant",
        card: "Kort",
        cash_back: "Återbetalt kontant",
        change: "Växel",
    },
    Words {
        language: Language::En,
        discount: "Discount",
        order_discount: "Order discount",
        total: "TOTAL SEK",
        cash: "Cash",
        card: "Card",
        cash_back: "Cash refunded",
        change: "Change",
    },
];

/// Coffee ×2 with 10 % off the line and a bun, then 5.00 off the order; paid 40.00 by
/// card and 40.00 in cash (32.00 kept after cash rounding, 8.00 back).
fn discounted_sale(w: &World) -> SaleView {
    let k = &w.kassa;
    k.add_item(&w.cashier, COFFEE, None).unwrap();
    k.add_item(&w.cashier, COFFEE, None).unwrap();
    let sale = k.add_item(&w.cashier, BUN, None).unwrap();
    let coffee = sale.lines.iter().find(|l| l.name == "Kaffe").unwrap().id;
    k.set_line_discount(
        &w.cashier,
        sale.id,
        coffee,
        Some(DiscountInput::Percent("10".into())),
        None,
    )
    .unwrap();
    // 9.98 off 82.30 is over the store's 10 % limit: the manager approves.
    let approval = kassa_app::ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    };
    let sale = k
        .set_order_discount(
            &w.cashier,
            sale.id,
            Some(DiscountInput::Amount("5".into())),
            Some(&approval),
        )
        .unwrap();
    assert_eq!(sale.total, "72.32");
    let paying = k.start_card_payment(&w.cashier, sale.id, Some("40.00")).unwrap();
    let tender = paying
        .tenders
        .iter()
        .find(|t| t.status == TenderStatus::Pending)
        .unwrap()
        .id;
    k.confirm_card_payment(&w.cashier, tender, true).unwrap();
    let done = k.pay_cash(&w.cashier, sale.id, "40").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!((done.rounding.as_str(), done.change.as_str()), ("-0.32", "8.00"));
    done
}

#[test]
fn the_receipt_prints_the_order_discount_and_translated_tenders_and_adds_up() {
    let w = world();
    let sale = discounted_sale(&w);
    for words in &WORDS {
        w.kassa.set_language(&w.manager, words.language).unwrap();
        for columns in [32, 42, 48] {
            let text = w
                .kassa
                .receipt_preview(&w.cashier, sale.id, columns)
                .unwrap()
                .text;
            let context = format!("{columns} columns, {:?}:\n{text}", words.language);
            // The goods as priced, the coffee's own 10 % under it, the order's 5.00 once.
            assert_eq!(amount_of(&text, "Kanelbulle"), dec("32.50"), "{context}");
            assert_eq!(amount_of(&text, words.discount), dec("-4.98"), "{context}");
            assert_eq!(amount_of(&text, words.order_discount), dec("-5.00"), "{context}");
            assert_eq!(amount_of(&text, words.total), dec("72.32"), "{context}");
            assert_eq!(goods_on_paper(&text, words.total), dec("72.32"), "{context}");
            // The VAT summary is the sale's, after the order discount.
            assert_eq!(sale.vat.len(), 1);
            let vat = text
                .lines()
                .find(|l| l.starts_with("12%"))
                .unwrap_or_else(|| panic!("a 12 % VAT row: {context}"));
            let cells: Vec<Decimal> = vat.split_whitespace().skip(1).filter_map(printed).collect();
            let expected: Vec<Decimal> = [&sale.vat[0].net, &sale.vat[0].vat, &sale.vat[0].gross]
                .into_iter()
                .map(|a| dec(a))
                .collect();
            assert_eq!(cells, expected, "{context}");
            // Tenders by name, in the receipt's language, never by code.
            assert_eq!(amount_of(&text, words.card), dec("40.00"), "{context}");
            // The cash line is what the customer handed over, with the change under it.
            assert_eq!(amount_of(&text, words.cash), dec("40.00"), "{context}");
            assert_eq!(amount_of(&text, words.change), dec("8.00"), "{context}");
            assert!(
                !text.contains("external_card") && !text.contains("cash "),
                "{context}"
            );
            assert!(
                text.lines().all(|l| l.chars().count() <= usize::from(columns)),
                "{context}"
            );
        }
    }
}

#[test]
fn a_credit_note_of_a_discounted_line_reads_as_money_given_back() {
    let w = world();
    let sale = discounted_sale(&w);
    let code = sale.receipt_code.clone().unwrap();
    let found = w.kassa.find_receipt_for_refund(&w.cashier, &code).unwrap();
    let coffee = found.lines.iter().find(|l| l.name == "Kaffe").unwrap().line_id;
    let credit = w
        .kassa
        .refund(
            &w.cashier,
            &RefundInput {
                receipt: code,
                lines: vec![RefundLineInput {
                    line_id: coffee,
                    quantity: "1".into(),
                }],
                reason: Some("spilt".into()),
                approval: ManagerApproval {
                    name: "manager".into(),
                    pin: "1234".into(),
                },
            },
        )
        .unwrap();
    assert_eq!(credit.status, SaleStatus::Completed);
    let total = dec(&credit.total);
    assert!(total < Decimal::ZERO && total > dec("-24.90"), "{}", credit.total);
    for words in &WORDS {
        w.kassa.set_language(&w.manager, words.language).unwrap();
        for columns in [32, 42, 48] {
            let text = w
                .kassa
                .receipt_preview(&w.cashier, credit.id, columns)
                .unwrap()
                .text;
            let context = format!("{columns} columns, {:?}:\n{text}", words.language);
            // One coffee at its price, the discount it had given back as a plus, and
            // no order discount of its own: together what is credited.
            assert!(
                text.lines()
                    .any(|l| l.trim_end().ends_with("-24.90") || l.trim_end().ends_with("-24,90")),
                "{context}"
            );
            assert_eq!(
                amount_of(&text, words.discount),
                dec("24.90") + total,
                "{context}"
            );
            assert!(!text.contains(words.order_discount), "{context}");
            assert_eq!(amount_of(&text, words.total), total, "{context}");
            assert_eq!(goods_on_paper(&text, words.total), total, "{context}");
            // Given back in cash, the last tender taken.
            assert!(amount_of(&text, words.cash_back) < Decimal::ZERO, "{context}");
            assert!(
                text.lines().all(|l| l.chars().count() <= usize::from(columns)),
                "{context}"
            );
        }
    }
}

#[test]
fn overrides_weighed_items_and_post_voids_print_and_add_up() {
    let w = world();
    let k = &w.kassa;
    // 0.532 kg of cheese at 289.00/kg, and a coffee whose price a manager overrode.
    let base = "230000100532";
    let cheese = format!("{base}{}", kassa_core::barcode::gtin_check_digit(base));
    k.add_item(&w.cashier, &cheese, None).unwrap();
    let sale = k.add_item(&w.cashier, COFFEE, None).unwrap();
    let coffee = sale.lines.iter().find(|l| l.name == "Kaffe").unwrap().id;
    let approval = ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    };
    let sale = k
        .override_price(&w.cashier, sale.id, coffee, "20.00", &approval)
        .unwrap();
    assert_eq!(sale.total, "173.75", "153.75 of cheese and 20.00 of coffee");
    let done = k.pay_cash(&w.cashier, sale.id, "200").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    let credit = k
        .post_void_last_sale(&w.cashier, &approval, "wrong customer")
        .unwrap();
    assert_eq!(credit.status, SaleStatus::Completed);
    for words in &WORDS {
        k.set_language(&w.manager, words.language).unwrap();
        for (id, total) in [(done.id, "174.00"), (credit.id, "-174.00")] {
            for columns in [32, 42, 48] {
                let text = k.receipt_preview(&w.cashier, id, columns).unwrap().text;
                let context = format!("sale {id}, {columns} columns, {:?}:\n{text}", words.language);
                assert_eq!(
                    goods_amount(&text, "Ost"),
                    dec(if id == done.id { "153.75" } else { "-153.75" }),
                    "{context}"
                );
                assert_eq!(
                    goods_amount(&text, "Kaffe"),
                    dec(if id == done.id { "20.00" } else { "-20.00" }),
                    "{context}"
                );
                // The customer sees the coffee's price was changed, and from what.
                let regular = if words.language == Language::Sv {
                    "(ord. pris 24,90)"
                } else {
                    "(regular price 24.90)"
                };
                assert!(text.contains(regular), "{context}");
                // What changed hands, after cash rounding: 173.75 is 174.00 in kronor.
                let cash = if id == done.id {
                    words.cash
                } else {
                    words.cash_back
                };
                let paid = amount_of(&text, cash);
                let change = if id == done.id {
                    amount_of(&text, words.change)
                } else {
                    Decimal::ZERO
                };
                assert_eq!(paid - change, dec(total), "{context}");
                assert!(
                    text.lines().all(|l| l.chars().count() <= usize::from(columns)),
                    "{context}"
                );
            }
        }
    }
}

/// The amount printed for the goods `name`: on its own line, or on the line under it when
/// the name line has none (a weighed item prints its weight and unit price there).
fn goods_amount(text: &str, name: &str) -> Decimal {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no line for {name:?} in\n{text}"));
    let on_line = lines[at][name.len()..].split_whitespace().last();
    let amount = match on_line {
        Some(a) => a,
        None => lines[at + 1].split_whitespace().last().unwrap(),
    };
    printed(amount).unwrap_or_else(|| panic!("{amount:?} is not an amount in\n{text}"))
}
