//! Property tests of cart pricing, each checked against integer arithmetic written here
//! independently of `kassa_core::cart`.

use kassa_core::{
    CartLine, Currency, Decimal, Discount, Money, PricedCart, VatRate, price_cart, price_cart_with_loyalty,
};
use proptest::prelude::*;

const RATES: [&str; 6] = ["0", "6", "12", "12.5", "15", "25"];

/// `num / den` rounded half away from zero, in integers.
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den.abs() {
        q + num.signum() * den.signum()
    } else {
        q
    }
}

fn minor(m: &Money) -> i128 {
    i128::from(m.to_minor().expect("every priced amount is whole minor units"))
}

/// A line as generated: price in öre, quantity in thousandths, rate, and a discount
/// choice (0 none, 1 percent, 2 amount) with its size.
#[derive(Debug, Clone)]
struct GenLine {
    price_minor: i64,
    qty_milli: i64,
    rate: usize,
    discount_kind: u8,
    percent_hundredths: i64,
    amount_permille: i64,
}

fn gen_line() -> impl Strategy<Value = GenLine> {
    (
        prop_oneof![3 => 0i64..10_000, 2 => 0i64..1_000_000, 1 => 0i64..100_000_000],
        prop_oneof![3 => (1i64..=10).prop_map(|q| q * 1000), 2 => 1i64..50_000],
        0..RATES.len(),
        0u8..3,
        1i64..=10_000,
        1i64..=1000,
    )
        .prop_map(
            |(price_minor, qty_milli, rate, discount_kind, percent_hundredths, amount_permille)| GenLine {
                price_minor,
                qty_milli,
                rate,
                discount_kind,
                percent_hundredths,
                amount_permille,
            },
        )
}

fn build(lines: &[GenLine], currency: Currency) -> Vec<CartLine> {
    lines
        .iter()
        .map(|g| {
            let gross = div_round(i128::from(g.price_minor) * i128::from(g.qty_milli), 1000);
            let discount = match g.discount_kind {
                1 => Some(Discount::Percent(Decimal::new(g.percent_hundredths, 2))),
                2 if gross > 0 => {
                    let off = (gross * i128::from(g.amount_permille) / 1000).max(1);
                    Some(Discount::Amount(Money::from_minor(off as i64, currency)))
                }
                _ => None,
            };
            CartLine {
                unit_price: Money::from_minor(g.price_minor, currency),
                quantity: Decimal::new(g.qty_milli, 3),
                vat_rate: RATES[g.rate].parse().unwrap(),
                discount,
            }
        })
        .collect()
}

/// VAT in `gross_minor` at `rate`: `gross × r / (100 + r)` rounded half away from zero.
fn oracle_vat(gross_minor: i128, rate: VatRate) -> i128 {
    let p = rate.percent();
    let scale = 10i128.pow(p.scale());
    div_round(gross_minor * p.mantissa(), 100 * scale + p.mantissa())
}

fn check(cart: &PricedCart, input: &[CartLine], order_discount_minor: i128) -> Result<(), TestCaseError> {
    check_with_loyalty(cart, input, order_discount_minor, 0)
}

fn check_with_loyalty(
    cart: &PricedCart,
    input: &[CartLine],
    order_discount_minor: i128,
    loyalty_minor: i128,
) -> Result<(), TestCaseError> {
    let totals: i128 = cart.lines.iter().map(|l| minor(&l.total)).sum();
    prop_assert_eq!(totals, minor(&cart.total));
    prop_assert_eq!(
        minor(&cart.subtotal) - minor(&cart.discount_total),
        minor(&cart.total)
    );
    let shares: i128 = cart.lines.iter().map(|l| minor(&l.order_discount_share)).sum();
    prop_assert_eq!(shares, order_discount_minor);
    prop_assert_eq!(minor(&cart.order_discount), order_discount_minor);
    let loyalty: i128 = cart.lines.iter().map(|l| minor(&l.loyalty_share)).sum();
    prop_assert_eq!(loyalty, loyalty_minor);
    prop_assert_eq!(minor(&cart.loyalty_discount), loyalty_minor);
    let after_order: Vec<i128> = cart
        .lines
        .iter()
        .map(|l| minor(&l.gross) - minor(&l.line_discount) - minor(&l.order_discount_share))
        .collect();
    let after_order_base: i128 = after_order.iter().sum();
    for (priced, a) in cart.lines.iter().zip(&after_order) {
        let share = minor(&priced.loyalty_share);
        prop_assert!(share >= 0 && share <= *a, "loyalty share {} of {}", share, a);
        if after_order_base > 0 {
            let exact_floor = loyalty_minor * a / after_order_base;
            prop_assert!(share == exact_floor || share == exact_floor + 1);
        }
    }

    let after: Vec<i128> = cart
        .lines
        .iter()
        .map(|l| minor(&l.gross) - minor(&l.line_discount))
        .collect();
    let base: i128 = after.iter().sum();
    for ((line, priced), a) in input.iter().zip(&cart.lines).zip(&after) {
        // Gross is the unit price times the quantity, rounded half away from zero.
        let price = minor(&line.unit_price);
        let milli = (line.quantity * Decimal::new(1000, 0)).normalize();
        prop_assert_eq!(milli.scale(), 0);
        let qty_milli = milli.mantissa();
        prop_assert_eq!(minor(&priced.gross), div_round(price * qty_milli, 1000));
        // Every share is at most its line, and within one minor unit of its exact
        // proportional part.
        let share = minor(&priced.order_discount_share);
        prop_assert!(share >= 0 && share <= *a, "share {} of line amount {}", share, a);
        if base > 0 {
            let exact_floor = order_discount_minor * a / base;
            prop_assert!(share == exact_floor || share == exact_floor + 1);
        }
        prop_assert_eq!(minor(&priced.total), a - share - minor(&priced.loyalty_share));
    }

    // VAT per rate, from the line totals, by the formula.
    let mut by_rate: std::collections::BTreeMap<VatRate, i128> = Default::default();
    for (line, priced) in input.iter().zip(&cart.lines) {
        *by_rate.entry(line.vat_rate).or_default() += minor(&priced.total);
    }
    prop_assert_eq!(cart.vat.rates().len(), by_rate.len());
    for vat_line in cart.vat.rates() {
        let gross = by_rate[&vat_line.rate];
        prop_assert_eq!(minor(&vat_line.gross), gross);
        prop_assert_eq!(minor(&vat_line.vat), oracle_vat(gross, vat_line.rate));
        prop_assert_eq!(minor(&vat_line.net) + minor(&vat_line.vat), gross);
    }
    prop_assert_eq!(
        minor(&cart.vat.net()) + minor(&cart.vat.vat()),
        minor(&cart.total)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn carts_add_up_exactly(
        lines in proptest::collection::vec(gen_line(), 1..30),
        order_kind in 0u8..3,
        order_percent_hundredths in 1i64..=10_000,
        order_permille in 0i64..=1000,
    ) {
        let currency = Currency::SEK;
        let input = build(&lines, currency);
        let without = price_cart(currency, &input, None).unwrap();
        check(&without, &input, 0)?;

        let base = minor(&without.total);
        let (discount, expected) = match order_kind {
            1 => {
                let p = Decimal::new(order_percent_hundredths, 2);
                // base × p / 100 with p in hundredths: base × hundredths / 10000.
                (Some(Discount::Percent(p)), div_round(base * i128::from(order_percent_hundredths), 10_000))
            }
            2 if base > 0 => {
                let off = (base * i128::from(order_permille) / 1000).max(1);
                (Some(Discount::Amount(Money::from_minor(off as i64, currency))), off)
            }
            _ => (None, 0),
        };
        let cart = price_cart(currency, &input, discount.as_ref()).unwrap();
        check(&cart, &input, expected)?;

        // A loyalty discount of any part of what is left splits the same way, on top.
        let left = minor(&cart.total);
        let loyalty = left * i128::from(order_permille) / 1000;
        let with_loyalty = price_cart_with_loyalty(
            currency,
            &input,
            discount.as_ref(),
            Some(&Money::from_minor(loyalty as i64, currency)),
        )
        .unwrap();
        check_with_loyalty(&with_loyalty, &input, expected, loyalty)?;
        let too_much = Money::from_minor(left as i64 + 1, currency);
        let refused = matches!(
            price_cart_with_loyalty(currency, &input, discount.as_ref(), Some(&too_much)),
            Err(kassa_core::CartError::InvalidLoyaltyDiscount { .. })
        );
        prop_assert!(refused);

        // A credit note is the exact mirror image.
        let credit = with_loyalty.negated();
        prop_assert_eq!(credit.negated(), with_loyalty.clone());
        let credit_of_cart = cart.negated();
        prop_assert_eq!(minor(&credit_of_cart.total), -minor(&cart.total));
        let cart = with_loyalty;
        prop_assert_eq!(minor(&credit.total), -minor(&cart.total));
        for (c, s) in credit.vat.rates().iter().zip(cart.vat.rates()) {
            prop_assert_eq!(minor(&c.vat), -minor(&s.vat));
        }
    }

    #[test]
    fn too_large_discounts_are_refused(
        lines in proptest::collection::vec(gen_line(), 1..10),
        extra in 1i64..1000,
    ) {
        let currency = Currency::SEK;
        let input = build(&lines, currency);
        let base = price_cart(currency, &input, None).unwrap().total.to_minor().unwrap();
        let too_much = Discount::Amount(Money::from_minor(base + extra, currency));
        let is_refused = matches!(
            price_cart(currency, &input, Some(&too_much)),
            Err(kassa_core::CartError::OrderDiscountTooLarge { .. })
        );
        prop_assert!(is_refused);
    }
}
