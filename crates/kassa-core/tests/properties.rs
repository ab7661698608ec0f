//! Property tests of the money rules, each checked against an oracle written here
//! independently of the implementation.

use kassa_core::{CashRounding, Currency, Decimal, Money, VatBreakdown, VatRate};
use proptest::prelude::*;
use rust_decimal::RoundingStrategy;

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::ALL)
}

/// Minor-unit amounts weighted towards the ones tills see, but reaching the i64 edges.
fn minor_amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -100_000i64..1_000_000,
        2 => -1_000_000_000_000i64..1_000_000_000_000,
        1 => any::<i64>(),
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1), Just(1)],
    ]
}

const RATES: [&str; 6] = ["0", "6", "12", "12.5", "15", "25"];

fn round_half_away(value: Decimal, currency: Currency) -> Decimal {
    value.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointAwayFromZero)
}

proptest! {
    // Integration tests have no lib.rs beside them for proptest's default lookup, so
    // failures are saved as tests/properties.proptest-regressions; check it in.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn amounts_survive_format_and_parse(minor in minor_amount(), currency in currency()) {
        let money = Money::from_minor(minor, currency);
        let text = money.to_string();
        let suffix = format!(" {}", currency.code());
        prop_assert!(text.ends_with(&suffix), "{}", text);
        let decimals = text.split(' ').next().unwrap().split('.').nth(1).map_or(0, str::len);
        prop_assert_eq!(decimals as u32, currency.minor_units());

        let back: Money = text.parse().unwrap();
        prop_assert_eq!(back, money);
        prop_assert_eq!(back.to_minor(), Ok(minor));
        prop_assert_eq!(Money::parse(&money.amount_string(), currency), Ok(money));
    }

    #[test]
    fn amounts_survive_json(minor in minor_amount(), currency in currency()) {
        let money = Money::from_minor(minor, currency);
        let json = serde_json::to_string(&money).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert!(value["amount"].is_string(), "amount must be a JSON string: {}", json);
        prop_assert_eq!(value["currency"].as_str(), Some(currency.code()));
        let back: Money = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, money);
        prop_assert_eq!(back.to_minor(), Ok(minor));
    }

    #[test]
    fn unrounded_amounts_survive_json(mantissa in any::<i64>(), scale in 0u32..=12, currency in currency()) {
        let money = Money::new(Decimal::new(mantissa, scale), currency);
        // The strict parser refuses only what cannot be stored as i64 minor units.
        let strict = Money::parse(&money.amount_string(), currency);
        prop_assert_eq!(strict.is_ok(), money.to_minor().is_ok());
        let json = serde_json::to_string(&money).unwrap();
        let back: Money = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, money);
    }

    #[test]
    fn any_decimal_survives_json(
        lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
        negative in any::<bool>(), scale in 0u32..=28, currency in currency(),
    ) {
        let money = Money::new(Decimal::from_parts(lo, mid, hi, negative, scale), currency);
        let json = serde_json::to_string(&money).unwrap();
        let back: Money = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, money);
    }

    #[test]
    fn vat_is_computed_once_per_rate(
        currency in currency(),
        lines in proptest::collection::vec((0..RATES.len(), minor_amount_small()), 1..40),
    ) {
        let basket: Vec<(VatRate, Money)> = lines
            .iter()
            .map(|&(r, minor)| (RATES[r].parse().unwrap(), Money::from_minor(minor, currency)))
            .collect();
        let breakdown = VatBreakdown::from_gross_lines(currency, basket).unwrap();

        // Oracle: plain Decimal arithmetic on each rate's summed gross.
        let mut expected: Vec<(Decimal, i64)> = Vec::new();
        for (i, rate) in RATES.iter().enumerate() {
            let sum: i64 = lines.iter().filter(|(r, _)| *r == i).map(|(_, m)| m).sum();
            if lines.iter().any(|(r, _)| *r == i) {
                expected.push((rate.parse().unwrap(), sum));
            }
        }
        expected.sort_by_key(|&(rate, _)| std::cmp::Reverse(rate));

        let got = breakdown.rates();
        prop_assert_eq!(got.len(), expected.len());
        for (line, (rate, sum)) in got.iter().zip(&expected) {
            prop_assert_eq!(line.rate.percent(), *rate);
            let gross = Money::from_minor(*sum, currency).amount();
            let vat = round_half_away(gross * rate / (Decimal::ONE_HUNDRED + rate), currency);
            prop_assert_eq!(line.gross.amount(), gross);
            prop_assert_eq!(line.vat.amount(), vat, "rate {} gross {}", rate, gross);
            prop_assert_eq!(line.net.checked_add(&line.vat), Ok(line.gross));
            prop_assert!(line.vat.is_minor_exact() && line.net.is_minor_exact());
            prop_assert_eq!(line.rate.vat_in_gross(&line.gross), line.vat);
            prop_assert_eq!(line.rate.net_from_gross(&line.gross), line.net);
        }

        let total: i64 = lines.iter().map(|(_, m)| m).sum();
        prop_assert_eq!(breakdown.gross(), Money::from_minor(total, currency));
        prop_assert_eq!(breakdown.net().checked_add(&breakdown.vat()), Ok(breakdown.gross()));
        prop_assert_eq!(Money::sum(got.iter().map(|l| l.vat), currency), Ok(breakdown.vat()));
    }

    #[test]
    fn vat_on_net_matches_plain_decimal(minor in minor_amount_small(), r in 0..RATES.len(), currency in currency()) {
        let rate: VatRate = RATES[r].parse().unwrap();
        let net = Money::from_minor(minor, currency);
        let expected = round_half_away(net.amount() * rate.percent() / Decimal::ONE_HUNDRED, currency);
        prop_assert_eq!(rate.vat_on_net(&net).amount(), expected);
        prop_assert_eq!(rate.gross_from_net(&net).checked_sub(&net).unwrap().amount(), expected);
    }

    #[test]
    fn cash_rounding_with_default_steps(minor in minor_amount(), currency in currency()) {
        check_cash_rounding(CashRounding::for_currency(currency), Money::from_minor(minor, currency))?;
    }

    #[test]
    fn cash_rounding_with_random_steps(
        minor in minor_amount(),
        currency in currency(),
        step_mantissa in 1i64..=10_000,
        step_scale in 0u32..=4,
    ) {
        let rounding = CashRounding::new(Decimal::new(step_mantissa, step_scale)).unwrap();
        check_cash_rounding(rounding, Money::from_minor(minor, currency))?;
    }

    #[test]
    fn cash_rounding_of_unrounded_amounts(
        mantissa in -1_000_000_000i64..1_000_000_000,
        scale in 0u32..=6,
        currency in currency(),
    ) {
        let total = Money::new(Decimal::new(mantissa, scale), currency);
        check_cash_rounding(CashRounding::for_currency(currency), total)?;
    }
}

/// Line amounts small enough that 40 of them cannot overflow an i64 sum.
fn minor_amount_small() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -10_000i64..1_000_000,
        1 => -1_000_000_000_000i64..1_000_000_000_000,
        1 => prop_oneof![Just(0), Just(1), Just(-1), Just(2), Just(3), Just(5)],
    ]
}

fn check_cash_rounding(rounding: CashRounding, total: Money) -> Result<(), TestCaseError> {
    let step = rounding.step();
    let result = rounding.apply(&total);
    let (rounded, adjustment) = (result.rounded, result.adjustment);

    prop_assert_eq!(rounded.currency(), total.currency());
    prop_assert_eq!(adjustment.currency(), total.currency());
    prop_assert_eq!(total.checked_add(&adjustment), Ok(rounded));
    prop_assert!(
        adjustment.amount().abs() * Decimal::TWO <= step,
        "{} moved by {} with step {}",
        total,
        adjustment,
        step
    );
    prop_assert!(
        (rounded.amount() % step).is_zero(),
        "{} is not a multiple of {}",
        rounded,
        step
    );

    // Half away from zero: exactly half a step moves away from zero.
    if adjustment.amount().abs() * Decimal::TWO == step {
        prop_assert_eq!(rounded.amount().abs() > total.amount().abs(), true);
    }
    // Symmetric, so a refund rounds like the sale it reverses.
    prop_assert_eq!(rounding.apply(&-total).rounded, -rounded);

    let again = rounding.apply(&rounded);
    prop_assert_eq!(again.rounded, rounded);
    prop_assert!(again.adjustment.is_zero());
    Ok(())
}
