//! The receipt as a document, independent of any printer, and its plain-text rendering
//! for 32, 42 and 48 columns (58 mm and 80 mm thermal paper in their usual fonts).
//!
//! The renderer only lays out what the caller computed: it adds no amounts except a
//! discounted line's amount before its discount (`total + discount`), shown above the
//! discount so the line reads top to bottom.
//!
//! Every printed amount can be added up on paper: the lines as priced, each line's own
//! discount under it, then the order discount as one line of its own, come to the
//! total. The order discount is therefore given whole, not as the per-line shares it is
//! split into for VAT (see `cart.rs`); the VAT summary per rate is over the line totals
//! after those shares, as the sale's figures are.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::Money;
use crate::org::{SaleUnit, TenderMethod};
use crate::vat::{VatBreakdown, VatRate};

/// Where a receipt comes from and which of its series it is: store, POS and the POS's
/// unbroken receipt number. Its [`encode`](ReceiptCode::encode)d form is what the
/// receipt barcode carries and what the refund screen scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptCode {
    /// The store's id, 1 to 99 999.
    pub store_id: u32,
    /// The POS device's id, 1 to 9 999.
    pub pos_id: u32,
    /// The receipt number in the POS's series, 1 to 999 999 999.
    pub number: u64,
}

/// The fixed length of an encoded receipt code: "KR" and 5 + 4 + 9 digits.
pub const RECEIPT_CODE_LEN: usize = 20;

const STORE_MAX: u64 = 99_999;
const POS_MAX: u64 = 9_999;
const NUMBER_MAX: u64 = 999_999_999;

/// A text that is not a receipt code, or ids that do not fit one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptCodeError {
    /// Nothing but whitespace.
    #[error(
        "the receipt code is empty; scan the barcode at the bottom of the receipt or type the code under it"
    )]
    Empty,
    /// Not starting with upper-case "KR".
    #[error(
        "{code:?} is not a receipt code: receipt codes start with \"KR\" followed by 18 digits, as printed under the receipt's barcode"
    )]
    Prefix {
        /// The text as given (trimmed).
        code: String,
    },
    /// The wrong number of characters.
    #[error(
        "{code:?} has {length} characters, but a receipt code has exactly 20 (\"KR\" and 18 digits); check that nothing is missing or doubled"
    )]
    Length {
        /// The text as given (trimmed).
        code: String,
        /// Its length in characters.
        length: usize,
    },
    /// Something other than a digit after "KR".
    #[error(
        "{code:?} has {found:?} at position {position}, where a receipt code has only digits after \"KR\""
    )]
    NotDigit {
        /// The text as given (trimmed).
        code: String,
        /// 1-based character position.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// A field that is zero or too wide for its digits.
    #[error("a receipt code's {field} must be between 1 and {max}, not {value}")]
    FieldOutOfRange {
        /// "store id", "POS id" or "receipt number".
        field: &'static str,
        /// The value found or given.
        value: u64,
        /// The largest value its digits hold.
        max: u64,
    },
}

impl ReceiptCode {
    /// A code whose fields fit their digits, so it always encodes to 20 characters.
    pub fn new(store_id: u32, pos_id: u32, number: u64) -> Result<ReceiptCode, ReceiptCodeError> {
        let code = ReceiptCode {
            store_id,
            pos_id,
            number,
        };
        code.check()?;
        Ok(code)
    }

    fn check(&self) -> Result<(), ReceiptCodeError> {
        for (field, value, max) in [
            ("store id", u64::from(self.store_id), STORE_MAX),
            ("POS id", u64::from(self.pos_id), POS_MAX),
            ("receipt number", self.number, NUMBER_MAX),
        ] {
            if value == 0 || value > max {
                return Err(ReceiptCodeError::FieldOutOfRange { field, value, max });
            }
        }
        Ok(())
    }

    /// `KR` + store id (5 digits) + POS id (4) + number (9), e.g.
    /// `KR000030001000000042`, or an error when a field does not fit its digits.
    pub fn try_encode(&self) -> Result<String, ReceiptCodeError> {
        self.check()?;
        Ok(format!(
            "KR{:05}{:04}{:09}",
            self.store_id, self.pos_id, self.number
        ))
    }

    /// As [`ReceiptCode::try_encode`].
    ///
    /// # Panics
    ///
    /// When a field is zero or wider than its digits, which [`ReceiptCode::new`] and
    /// [`ReceiptCode::parse`] never produce: printing a barcode that cannot be scanned
    /// back to this receipt would be worse than stopping.
    pub fn encode(&self) -> String {
        match self.try_encode() {
            Ok(code) => code,
            Err(e) => panic!("cannot encode receipt code {self:?}: {e}"),
        }
    }

    /// Parses an encoded code, strictly: "KR" in upper case and 18 digits, with only
    /// surrounding whitespace (a scanner's Enter) ignored.
    pub fn parse(text: &str) -> Result<ReceiptCode, ReceiptCodeError> {
        let code = text.trim();
        if code.is_empty() {
            return Err(ReceiptCodeError::Empty);
        }
        if !code.starts_with("KR") {
            return Err(ReceiptCodeError::Prefix {
                code: code.to_owned(),
            });
        }
        let length = code.chars().count();
        if length != RECEIPT_CODE_LEN {
            return Err(ReceiptCodeError::Length {
                code: code.to_owned(),
                length,
            });
        }
        if let Some((i, found)) = code
            .chars()
            .enumerate()
            .skip(2)
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(ReceiptCodeError::NotDigit {
                code: code.to_owned(),
                position: i + 1,
                found,
            });
        }
        // All 20 characters are ASCII now, so byte offsets are character offsets.
        let digits = |range: std::ops::Range<usize>| -> u64 {
            code[range].parse().expect("at most nine ASCII digits fit a u64")
        };
        let (store, pos, number) = (digits(2..7), digits(7..11), digits(11..20));
        let parsed = ReceiptCode {
            store_id: u32::try_from(store).expect("five digits fit a u32"),
            pos_id: u32::try_from(pos).expect("four digits fit a u32"),
            number,
        };
        parsed.check()?;
        Ok(parsed)
    }
}

impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_encode() {
            Ok(code) => f.write_str(&code),
            // Display must not panic; show the fields so the bad value is visible.
            Err(_) => write!(f, "KR?{}-{}-{}", self.store_id, self.pos_id, self.number),
        }
    }
}

impl FromStr for ReceiptCode {
    type Err = ReceiptCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReceiptCode::parse(s)
    }
}

impl Serialize for ReceiptCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let code = self.try_encode().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&code)
    }
}

impl<'de> Deserialize<'de> for ReceiptCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ReceiptCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A sale's receipt or a refund's credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ReceiptKind {
    Sale,
    Refund {
        /// The receipt refunded, or `None` for a return without a receipt.
        original: Option<ReceiptCode>,
    },
}

/// Paper widths in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Columns {
    /// 58 mm paper.
    C32,
    /// 80 mm paper, font B on many printers.
    C42,
    /// 80 mm paper, font A.
    C48,
}

impl Columns {
    /// The number of characters on a line.
    pub const fn width(self) -> usize {
        match self {
            Columns::C32 => 32,
            Columns::C42 => 42,
            Columns::C48 => 48,
        }
    }
}

/// The language of a receipt's fixed texts (and its decimal separator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptLanguage {
    /// English, decimal point.
    En,
    /// Swedish, decimal comma.
    Sv,
}

/// One line of goods. Amounts are as the sale holds them: negative on a credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    /// The product's name.
    pub name: String,
    /// Pieces or kilograms.
    pub quantity: Decimal,
    /// Which of the two `quantity` counts.
    pub unit: SaleUnit,
    /// The price of one piece or kilogram.
    pub unit_price: Money,
    /// The catalog's price when a manager overrode it, printed under the line so the
    /// customer sees the price was changed at the till.
    #[serde(default)]
    pub regular_price: Option<Money>,
    /// The line's own discount, as a positive amount off (negative on a credit note).
    /// Not its share of the order discount, which [`Receipt::order_discount`] prints
    /// whole.
    pub discount: Option<Money>,
    /// The line after its own discount, before any order discount.
    pub total: Money,
}

/// A loyalty discount as the receipt names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyDiscountLine {
    /// The programs as the provider describes them ("Discount for all customers").
    pub program: String,
    /// A positive amount off.
    pub amount: Money,
}

/// One rate of the VAT summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptVatLine {
    pub rate: VatRate,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

impl ReceiptVatLine {
    /// The summary lines of a [`VatBreakdown`], highest rate first.
    pub fn from_breakdown(vat: &VatBreakdown) -> Vec<ReceiptVatLine> {
        vat.rates()
            .iter()
            .map(|l| ReceiptVatLine {
                rate: l.rate,
                net: l.net,
                vat: l.vat,
                gross: l.gross,
            })
            .collect()
    }
}

/// One payment, printed with its method's label in the receipt's language ("Kontant",
/// "Kort", …). A negative amount is money given back (a credit note) and is labelled so.
/// For the cash tender that produced change, `amount` is the cash handed over; the change
/// is printed under it, as customers and auditors read a receipt ("Kontant 40,00 /
/// Växel 8,00"), while the journal and the reports count only the cash kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTender {
    pub method: TenderMethod,
    pub amount: Money,
}

/// Everything a receipt shows, already computed and formatted where it is text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub kind: ReceiptKind,
    pub store_name: String,
    pub brand_name: String,
    /// One or more lines separated by '\n'.
    pub address: String,
    pub vat_number: Option<String>,
    pub pos_name: String,
    pub receipt_code: ReceiptCode,
    pub cashier: String,
    /// The local date and time, formatted by the caller ("2026-11-23 14:05:09").
    pub local_time: String,
    pub lines: Vec<ReceiptLine>,
    /// The order discount as a positive amount off (negative on a credit note), printed
    /// as one line between the goods and the total. `lines` must then hold amounts
    /// before it, so that lines, line discounts and this add up to `total`.
    pub order_discount: Option<Money>,
    /// A loyalty program's discount (SWiP loyalty), printed as its own line after the
    /// order discount, named by the program; `lines` hold amounts before it, too.
    #[serde(default)]
    pub loyalty_discount: Option<LoyaltyDiscountLine>,
    pub vat: Vec<ReceiptVatLine>,
    pub total: Money,
    pub tenders: Vec<ReceiptTender>,
    /// The cash-rounding adjustment, shown as its own line.
    pub cash_rounding: Option<Money>,
    pub change: Option<Money>,
    /// A reprint: "KOPIA" at the top and the bottom.
    pub copy: bool,
    /// Made in training mode: marked as not a receipt at the top and the bottom.
    pub training: bool,
}

struct Labels {
    sale: &'static str,
    refund: &'static str,
    copy: &'static str,
    training: &'static str,
    vat_number: &'static str,
    original: &'static str,
    no_original: &'static str,
    each: &'static str,
    discount: &'static str,
    regular_price: &'static str,
    order_discount: &'static str,
    loyalty_discount: &'static str,
    total: &'static str,
    vat_header: [&'static str; 4],
    rounding: &'static str,
    change: &'static str,
    /// Per tender method: (paid, given back).
    cash: (&'static str, &'static str),
    card: (&'static str, &'static str),
    swip: (&'static str, &'static str),
    vourity: (&'static str, &'static str),
    flexiti: (&'static str, &'static str),
    voucher: (&'static str, &'static str),
    receipt_no: &'static str,
    cashier: &'static str,
    pos: &'static str,
    decimal: char,
}

const SV: Labels = Labels {
    sale: "KVITTO",
    refund: "KREDIT",
    copy: "*** KOPIA ***",
    training: "ÖVNINGSKVITTO",
    vat_number: "Momsreg.nr",
    original: "Avser kvitto",
    no_original: "Retur utan kvitto",
    each: " st",
    discount: "Rabatt",
    regular_price: "ord. pris",
    order_discount: "Rabatt på köpet",
    loyalty_discount: "SWiP-förmån",
    total: "TOTALT",
    vat_header: ["Moms%", "Netto", "Moms", "Brutto"],
    rounding: "Öresavrundning",
    change: "Växel",
    cash: ("Kontant", "Återbetalt kontant"),
    card: ("Kort", "Återbetalt till kort"),
    swip: ("Betalt med SWiP", "Återbetalt via SWiP"),
    vourity: ("Kort (Vourity)", "Återbetalt till kort"),
    flexiti: ("Flexiti-finansiering", "Återbetalt Flexiti"),
    voucher: ("Presentkort", "Presentkort åter"),
    receipt_no: "Kvitto nr",
    cashier: "Kassör",
    pos: "Kassa",
    decimal: ',',
};

const EN: Labels = Labels {
    sale: "RECEIPT",
    refund: "CREDIT NOTE",
    // Swedish law asks for the word KOPIA itself, whatever the receipt's language.
    copy: "*** KOPIA - COPY ***",
    training: "TRAINING — NOT A RECEIPT",
    vat_number: "VAT no",
    original: "Original receipt",
    no_original: "Return without receipt",
    each: "",
    discount: "Discount",
    regular_price: "regular price",
    order_discount: "Order discount",
    loyalty_discount: "SWiP loyalty",
    total: "TOTAL",
    vat_header: ["VAT%", "Net", "VAT", "Gross"],
    rounding: "Rounding",
    change: "Change",
    cash: ("Cash", "Cash refunded"),
    card: ("Card", "Refunded to card"),
    swip: ("Paid with SWiP", "Refunded through SWiP"),
    vourity: ("Card (Vourity)", "Refunded to card"),
    flexiti: ("Flexiti financing", "Returned to Flexiti"),
    voucher: ("Voucher", "Voucher returned"),
    receipt_no: "Receipt no",
    cashier: "Cashier",
    pos: "Till",
    decimal: '.',
};

/// The printed name of a tender: what was paid with, or, for a negative amount, where
/// the money went back to.
fn tender_label(tender: &ReceiptTender, l: &Labels) -> &'static str {
    // Exhaustive on purpose: a new tender method does not print until it has a label.
    let (paid, given_back) = match tender.method {
        TenderMethod::Cash => l.cash,
        TenderMethod::ExternalCard | TenderMethod::CardTerminal => l.card,
        TenderMethod::Swip => l.swip,
        TenderMethod::Vourity => l.vourity,
        TenderMethod::Flexiti => l.flexiti,
        TenderMethod::Voucher => l.voucher,
    };
    if tender.amount.is_negative() {
        given_back
    } else {
        paid
    }
}

/// Lays out `receipt` as plain text, `columns` characters wide at most (counted in
/// characters, not bytes), each line ending in '\n' with no trailing spaces.
///
/// Texts are wrapped at spaces (words longer than a line are split) and never cut off;
/// control characters in them are printed as spaces so a stray newline or ESC in a
/// product name cannot break the layout or reach the printer as a command.
pub fn render_text(receipt: &Receipt, columns: Columns, labels: ReceiptLanguage) -> String {
    let l = match labels {
        ReceiptLanguage::Sv => &SV,
        ReceiptLanguage::En => &EN,
    };
    let mut out = Layout {
        width: columns.width(),
        lines: Vec::new(),
    };
    let amount = |m: &Money| localise(&m.amount_string(), l.decimal);
    let minus = |m: &Money| localise(&(-*m).amount_string(), l.decimal);

    out.marks(receipt, l);
    if !receipt.brand_name.trim().is_empty() && receipt.brand_name.trim() != receipt.store_name.trim() {
        out.centred(&receipt.brand_name);
    }
    out.centred(&receipt.store_name);
    for line in receipt.address.lines() {
        out.centred(line);
    }
    if let Some(number) = &receipt.vat_number {
        out.centred(&format!("{} {}", l.vat_number, number));
    }
    out.blank();
    match &receipt.kind {
        ReceiptKind::Sale => out.centred(l.sale),
        ReceiptKind::Refund { original } => {
            out.centred(l.refund);
            match original {
                Some(code) => out.label_value(l.original, &code.to_string()),
                None => out.centred(l.no_original),
            }
        }
    }
    out.rule('=');

    for line in &receipt.lines {
        let gross = match &line.discount {
            Some(d) => line.total.checked_add(d).unwrap_or(line.total),
            None => line.total,
        };
        let single = line.unit == SaleUnit::Each && line.quantity == Decimal::ONE;
        if single {
            out.pair(&line.name, &amount(&gross));
        } else {
            out.wrapped(&line.name);
            let quantity = match line.unit {
                SaleUnit::Each => format!(
                    "  {}{} x {}",
                    localise(&line.quantity.normalize().to_string(), l.decimal),
                    l.each,
                    amount(&line.unit_price)
                ),
                SaleUnit::Kg => {
                    let mut q = line.quantity.normalize();
                    if q.scale() < 3 {
                        q.rescale(3);
                    }
                    format!(
                        "  {} kg x {}/kg",
                        localise(&q.to_string(), l.decimal),
                        amount(&line.unit_price)
                    )
                }
            };
            out.pair(&quantity, &amount(&gross));
        }
        if let Some(regular) = &line.regular_price {
            // Text, not an amount in the amount column: it is not part of the sum.
            out.wrapped(&format!("  ({} {})", l.regular_price, amount(regular)));
        }
        if let Some(d) = &line.discount {
            out.pair(&format!("  {}", l.discount), &minus(d));
        }
    }
    out.rule('-');
    if let Some(d) = &receipt.order_discount {
        out.pair(l.order_discount, &minus(d));
    }
    if let Some(loyalty) = &receipt.loyalty_discount {
        out.pair(l.loyalty_discount, &minus(&loyalty.amount));
        let program = loyalty.program.trim();
        if !program.is_empty() {
            // Text in brackets, as the regular price: not an amount of the sum.
            out.wrapped(&format!("  ({program})"));
        }
    }
    out.pair(
        &format!("{} {}", l.total, receipt.total.currency()),
        &amount(&receipt.total),
    );

    if !receipt.vat.is_empty() {
        out.rule('-');
        let rows: Vec<[String; 4]> = receipt
            .vat
            .iter()
            .map(|v| {
                [
                    format!("{}%", localise(&v.rate.to_string(), l.decimal)),
                    amount(&v.net),
                    amount(&v.vat),
                    amount(&v.gross),
                ]
            })
            .collect();
        out.table(l.vat_header, &rows);
    }

    if !receipt.tenders.is_empty() || receipt.cash_rounding.is_some() || receipt.change.is_some() {
        out.rule('-');
    }
    for tender in &receipt.tenders {
        out.pair(tender_label(tender, l), &amount(&tender.amount));
    }
    if let Some(r) = &receipt.cash_rounding {
        out.pair(l.rounding, &amount(r));
    }
    if let Some(c) = &receipt.change {
        out.pair(l.change, &amount(c));
    }

    out.rule('-');
    out.label_value(l.receipt_no, &receipt.receipt_code.number.to_string());
    // Alone on its line: the printer driver replaces exactly this line with a barcode.
    out.wrapped(&receipt.receipt_code.to_string());
    out.label_value(&format!("{}:", l.cashier), &receipt.cashier);
    out.label_value(&format!("{}:", l.pos), &receipt.pos_name);
    out.wrapped(&receipt.local_time);
    out.marks(receipt, l);

    let mut text = out.lines.join("\n");
    text.push('\n');
    text
}

fn localise(number: &str, decimal: char) -> String {
    if decimal == '.' {
        number.to_owned()
    } else {
        number.replace('.', &decimal.to_string())
    }
}

/// Printable text: control characters become spaces, runs of spaces stay as given.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn len(text: &str) -> usize {
    text.chars().count()
}

/// Greedy word wrap to `width` characters; words longer than a line are split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in clean(text).split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let current_len = len(&current);
            let gap = usize::from(current_len > 0);
            if current_len + gap + word.len() <= width {
                if gap == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if current_len > 0 {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

struct Layout {
    width: usize,
    lines: Vec<String>,
}

impl Layout {
    fn push(&mut self, line: String) {
        debug_assert!(len(&line) <= self.width, "{line:?} is wider than {}", self.width);
        self.lines.push(line.trim_end().to_owned());
    }

    fn blank(&mut self) {
        self.lines.push(String::new());
    }

    fn rule(&mut self, c: char) {
        self.push(c.to_string().repeat(self.width));
    }

    fn marks(&mut self, receipt: &Receipt, l: &Labels) {
        if receipt.copy {
            self.centred(l.copy);
        }
        if receipt.training {
            self.centred(l.training);
        }
    }

    fn centred(&mut self, text: &str) {
        for line in wrap(text, self.width) {
            let pad = (self.width - len(&line)) / 2;
            self.push(format!("{}{line}", " ".repeat(pad)));
        }
    }

    fn wrapped(&mut self, text: &str) {
        for line in wrap(text, self.width) {
            self.push(line);
        }
    }

    /// `left` and `right` on one line, `right` flush right; when they do not fit,
    /// `left` wraps and `right` goes on its last line or, failing that, its own.
    fn pair(&mut self, left: &str, right: &str) {
        let right = clean(right);
        // Keep the indentation of sub-lines such as "  2 x 12.50".
        let indent = left.len() - left.trim_start().len();
        let mut lines = wrap(left, self.width.saturating_sub(indent).max(1));
        for line in &mut lines {
            line.insert_str(0, &" ".repeat(indent));
        }
        let last = lines.pop().unwrap_or_default();
        for line in lines {
            self.push(line);
        }
        let gap = if last.is_empty() { 0 } else { 1 };
        if len(&last) + gap + len(&right) <= self.width {
            let pad = self.width - len(&last) - len(&right);
            self.push(format!("{last}{}{right}", " ".repeat(pad)));
        } else {
            if !last.is_empty() {
                self.push(last);
            }
            for part in wrap(&right, self.width) {
                let pad = self.width - len(&part);
                self.push(format!("{}{part}", " ".repeat(pad)));
            }
        }
    }

    /// `label value` on one line when it fits, else the value on the next line.
    fn label_value(&mut self, label: &str, value: &str) {
        let text = format!("{} {}", clean(label), clean(value));
        if len(&text) <= self.width {
            self.push(text);
        } else {
            self.wrapped(label);
            self.wrapped(value);
        }
    }

    /// A table with a text column and three amount columns filling the width; rows
    /// stacked one cell per line when the amounts do not fit side by side.
    fn table(&mut self, header: [&str; 4], rows: &[[String; 4]]) {
        let first = rows
            .iter()
            .map(|r| len(&r[0]))
            .chain([len(header[0])])
            .max()
            .unwrap_or(0);
        let widest = rows
            .iter()
            .flat_map(|r| r[1..].iter().map(|c| len(c)))
            .chain(header[1..].iter().map(|h| len(h)))
            .max()
            .unwrap_or(0);
        let cell = self.width.saturating_sub(first) / 3;
        if cell > widest {
            let first = self.width - 3 * cell;
            let row = |cells: [&str; 4]| {
                format!(
                    "{:<first$}{:>cell$}{:>cell$}{:>cell$}",
                    cells[0], cells[1], cells[2], cells[3]
                )
            };
            self.push(row(header));
            for r in rows {
                self.push(row([&r[0], &r[1], &r[2], &r[3]]));
            }
        } else {
            for r in rows {
                self.pair(&format!("{} {}", header[0].trim_end_matches('%'), r[0]), "");
                for i in 1..4 {
                    self.pair(&format!("  {}", header[i]), &r[i]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency::SEK;
    use proptest::prelude::*;

    fn sek(text: &str) -> Money {
        Money::parse(text, SEK).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn item(
        name: &str,
        quantity: &str,
        unit: SaleUnit,
        price: &str,
        discount: Option<&str>,
        total: &str,
    ) -> ReceiptLine {
        ReceiptLine {
            name: name.into(),
            quantity: dec(quantity),
            unit,
            unit_price: sek(price),
            regular_price: None,
            discount: discount.map(sek),
            total: sek(total),
        }
    }

    /// A small sale: coffee 45.90, milk 2 × 12.50, bananas 0.532 kg × 24.90 = 13.2468 →
    /// 13.25, chocolate 20.00 − 5.00, and 10.00 off the order. Its VAT lines are what
    /// `price_cart` makes of it (checked in `small_sale_amounts_come_from_price_cart`).
    /// Paid 50.00 by card and 50.00 in cash: 39.15 due in cash rounds to 39.00, 11.00
    /// back.
    fn small_sale() -> Receipt {
        Receipt {
            kind: ReceiptKind::Sale,
            store_name: "Kassa Malmö C".into(),
            brand_name: "Kassa Livs".into(),
            address: "Stortorget 1\n211 22 Malmö".into(),
            vat_number: Some("SE556677889901".into()),
            pos_name: "Kassa 1".into(),
            receipt_code: ReceiptCode::new(3, 1, 42).unwrap(),
            cashier: "Anna".into(),
            local_time: "2026-11-23 14:05:09".into(),
            lines: vec![
                item(
                    "Kaffe bryggmalet 500g",
                    "1",
                    SaleUnit::Each,
                    "45.90",
                    None,
                    "45.90",
                ),
                item("Mjölk 1,5 %", "2", SaleUnit::Each, "12.50", None, "25.00"),
                item("Bananer", "0.532", SaleUnit::Kg, "24.90", None, "13.25"),
                item("Choklad", "1", SaleUnit::Each, "20.00", Some("5.00"), "15.00"),
            ],
            order_discount: Some(sek("10.00")),
            loyalty_discount: None,
            vat: vec![
                ReceiptVatLine {
                    rate: "25".parse().unwrap(),
                    net: sek("10.79"),
                    vat: sek("2.70"),
                    gross: sek("13.49"),
                },
                ReceiptVatLine {
                    rate: "12".parse().unwrap(),
                    net: sek("67.55"),
                    vat: sek("8.11"),
                    gross: sek("75.66"),
                },
            ],
            total: sek("89.15"),
            tenders: vec![
                ReceiptTender {
                    method: TenderMethod::ExternalCard,
                    amount: sek("50.00"),
                },
                ReceiptTender {
                    method: TenderMethod::Cash,
                    amount: sek("50.00"),
                },
            ],
            cash_rounding: Some(sek("-0.15")),
            change: Some(sek("11.00")),
            copy: false,
            training: false,
        }
    }

    /// Golden texts are raw strings starting on the line after `r"`, so every line,
    /// its leading spaces included, reads in the source as it prints.
    fn golden(text: &str) -> &str {
        text.strip_prefix('\n')
            .expect("golden text starts with a newline")
    }

    #[test]
    fn small_sale_amounts_come_from_price_cart() {
        use crate::cart::{CartLine, Discount, price_cart};
        let receipt = small_sale();
        let rates = ["12", "12", "12", "25"];
        let cart: Vec<CartLine> = receipt
            .lines
            .iter()
            .zip(rates)
            .map(|(l, r)| CartLine {
                unit_price: l.unit_price,
                quantity: l.quantity,
                vat_rate: r.parse().unwrap(),
                discount: l.discount.map(Discount::Amount),
            })
            .collect();
        let priced = price_cart(SEK, &cart, Some(&Discount::Amount(sek("10.00")))).unwrap();
        assert_eq!(priced.total, receipt.total);
        assert_eq!(ReceiptVatLine::from_breakdown(&priced.vat), receipt.vat);
        for (p, l) in priced.lines.iter().zip(&receipt.lines) {
            assert_eq!(p.gross.checked_sub(&p.line_discount).unwrap(), l.total);
        }
    }

    #[test]
    fn golden_32_columns_swedish() {
        let expected = golden(
            r"
           Kassa Livs
         Kassa Malmö C
          Stortorget 1
          211 22 Malmö
   Momsreg.nr SE556677889901

             KVITTO
================================
Kaffe bryggmalet 500g      45,90
Mjölk 1,5 %
  2 st x 12,50             25,00
Bananer
  0,532 kg x 24,90/kg      13,25
Choklad                    20,00
  Rabatt                   -5,00
--------------------------------
Rabatt på köpet           -10,00
TOTALT SEK                 89,15
--------------------------------
Moms%    Netto     Moms   Brutto
25%      10,79     2,70    13,49
12%      67,55     8,11    75,66
--------------------------------
Kort                       50,00
Kontant                    50,00
Öresavrundning             -0,15
Växel                      11,00
--------------------------------
Kvitto nr 42
KR000030001000000042
Kassör: Anna
Kassa: Kassa 1
2026-11-23 14:05:09
",
        );
        assert_eq!(
            render_text(&small_sale(), Columns::C32, ReceiptLanguage::Sv),
            expected
        );
    }

    #[test]
    fn golden_42_columns_english() {
        let expected = golden(
            r"
                Kassa Livs
              Kassa Malmö C
               Stortorget 1
               211 22 Malmö
          VAT no SE556677889901

                 RECEIPT
==========================================
Kaffe bryggmalet 500g                45.90
Mjölk 1,5 %
  2 x 12.50                          25.00
Bananer
  0.532 kg x 24.90/kg                13.25
Choklad                              20.00
  Discount                           -5.00
------------------------------------------
Order discount                      -10.00
TOTAL SEK                            89.15
------------------------------------------
VAT%           Net         VAT       Gross
25%          10.79        2.70       13.49
12%          67.55        8.11       75.66
------------------------------------------
Card                                 50.00
Cash                                 50.00
Rounding                             -0.15
Change                               11.00
------------------------------------------
Receipt no 42
KR000030001000000042
Cashier: Anna
Till: Kassa 1
2026-11-23 14:05:09
",
        );
        assert_eq!(
            render_text(&small_sale(), Columns::C42, ReceiptLanguage::En),
            expected
        );
    }

    #[test]
    fn golden_48_columns_swedish_copy_refund() {
        let mut receipt = small_sale();
        receipt.kind = ReceiptKind::Refund {
            original: Some(ReceiptCode::new(3, 1, 41).unwrap()),
        };
        receipt.copy = true;
        // Two milks sold with 2.27 of discount between them, credited as paid: the line
        // as priced and the discount credited back add up to the amount credited.
        receipt.lines = vec![item(
            "Mjölk 1,5 %",
            "-2",
            SaleUnit::Each,
            "12.50",
            Some("-2.27"),
            "-22.73",
        )];
        receipt.order_discount = None;
        receipt.vat = vec![ReceiptVatLine {
            rate: "12".parse().unwrap(),
            net: sek("-20.29"),
            vat: sek("-2.44"),
            gross: sek("-22.73"),
        }];
        receipt.total = sek("-22.73");
        receipt.tenders = vec![
            ReceiptTender {
                method: TenderMethod::ExternalCard,
                amount: sek("-10.00"),
            },
            ReceiptTender {
                method: TenderMethod::Cash,
                amount: sek("-13.00"),
            },
        ];
        receipt.cash_rounding = Some(sek("-0.27"));
        receipt.change = None;
        let expected = golden(
            r"
                 *** KOPIA ***
                   Kassa Livs
                 Kassa Malmö C
                  Stortorget 1
                  211 22 Malmö
           Momsreg.nr SE556677889901

                     KREDIT
Avser kvitto KR000030001000000041
================================================
Mjölk 1,5 %
  -2 st x 12,50                           -25,00
  Rabatt                                    2,27
------------------------------------------------
TOTALT SEK                                -22,73
------------------------------------------------
Moms%          Netto          Moms        Brutto
12%           -20,29         -2,44        -22,73
------------------------------------------------
Återbetalt till kort                      -10,00
Återbetalt kontant                        -13,00
Öresavrundning                             -0,27
------------------------------------------------
Kvitto nr 42
KR000030001000000042
Kassör: Anna
Kassa: Kassa 1
2026-11-23 14:05:09
                 *** KOPIA ***
",
        );
        let text = render_text(&receipt, Columns::C48, ReceiptLanguage::Sv);
        assert_eq!(text, expected);
        assert_eq!(text.matches("KOPIA").count(), 2);
    }

    const WIDTHS: [Columns; 3] = [Columns::C32, Columns::C42, Columns::C48];
    const LANGUAGES: [ReceiptLanguage; 2] = [ReceiptLanguage::Sv, ReceiptLanguage::En];

    /// A printed amount in the receipt's language back to a number.
    fn printed(amount: &str, language: ReceiptLanguage) -> Option<Decimal> {
        let text = match language {
            ReceiptLanguage::Sv => amount.replace(',', "."),
            ReceiptLanguage::En => amount.to_owned(),
        };
        Decimal::from_str(&text).ok()
    }

    /// The amount of the one line that is `label` and an amount (after any
    /// indentation), checking that exactly one line is.
    fn amount_of(text: &str, label: &str, language: ReceiptLanguage) -> Decimal {
        let found: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.trim_start()
                    .strip_prefix(label)
                    .is_some_and(|rest| rest.starts_with(' ') && rest.split_whitespace().count() == 1)
            })
            .collect();
        assert_eq!(found.len(), 1, "one line {label:?} in\n{text}");
        let last = found[0].split_whitespace().last().unwrap();
        printed(last, language).unwrap_or_else(|| panic!("{:?} ends in no amount", found[0]))
    }

    /// Adds up, as a reader of the paper would, every amount between the '=' rule under
    /// the heading and the TOTAL line (the goods, their discounts, the order discount).
    fn goods_on_paper(text: &str, language: ReceiptLanguage) -> Decimal {
        let total = match language {
            ReceiptLanguage::Sv => SV.total,
            ReceiptLanguage::En => EN.total,
        };
        text.lines()
            .skip_while(|l| !l.starts_with('='))
            .skip(1)
            .take_while(|l| !l.starts_with(total))
            .filter(|l| !l.starts_with('-'))
            .filter_map(|l| l.split_whitespace().last().and_then(|a| printed(a, language)))
            .sum()
    }

    #[test]
    fn a_loyalty_discount_is_its_own_named_line_after_the_order_discount() {
        let mut receipt = small_sale();
        receipt.loyalty_discount = Some(LoyaltyDiscountLine {
            program: "Discount for all customers".into(),
            amount: sek("9.00"),
        });
        receipt.total = sek("80.15");
        for columns in WIDTHS {
            for language in LANGUAGES {
                let text = render_text(&receipt, columns, language);
                let (order_discount, loyalty, total_label) = match language {
                    ReceiptLanguage::Sv => ("Rabatt på köpet", "SWiP-förmån", "TOTALT SEK"),
                    ReceiptLanguage::En => ("Order discount", "SWiP loyalty", "TOTAL SEK"),
                };
                let lines: Vec<&str> = text.lines().collect();
                let at = |label: &str| lines.iter().position(|l| l.starts_with(label)).unwrap();
                assert!(at(order_discount) < at(loyalty), "{text}");
                assert!(text.contains("customers"), "{text}");
                assert!(at(loyalty) < at(total_label), "{text}");
                assert_eq!(
                    goods_on_paper(&text, language),
                    amount_of(&text, total_label, language),
                    "{columns:?} {language:?}:\n{text}"
                );
                for line in text.lines() {
                    assert!(line.chars().count() <= columns.width(), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn the_order_discount_is_its_own_line_and_the_paper_adds_up() {
        let receipt = small_sale();
        for columns in WIDTHS {
            for language in LANGUAGES {
                let text = render_text(&receipt, columns, language);
                let (line_discount, order_discount, total_label) = match language {
                    ReceiptLanguage::Sv => ("Rabatt", "Rabatt på köpet", "TOTALT SEK"),
                    ReceiptLanguage::En => ("Discount", "Order discount", "TOTAL SEK"),
                };
                assert_eq!(
                    amount_of(&text, order_discount, language),
                    dec("-10.00"),
                    "{text}"
                );
                assert_eq!(amount_of(&text, line_discount, language), dec("-5.00"), "{text}");
                // The lines are printed before the order discount: chocolate at 20.00,
                // its own 5.00 off under it, and no share of the 10.00 anywhere.
                assert_eq!(amount_of(&text, "Choklad", language), dec("20.00"), "{text}");
                let lines: Vec<&str> = text.lines().collect();
                let at = |label: &str| lines.iter().position(|l| l.starts_with(label)).unwrap();
                assert!(at("Choklad") < at(order_discount), "{text}");
                assert_eq!(at(order_discount) + 1, at(total_label), "{text}");
                let total = amount_of(&text, total_label, language);
                assert_eq!(total, receipt.total.amount(), "{text}");
                assert_eq!(
                    goods_on_paper(&text, language),
                    total,
                    "{columns:?} {language:?}:\n{text}"
                );
                for line in text.lines() {
                    assert!(line.chars().count() <= columns.width(), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn tenders_print_translated_labels_at_every_width() {
        let receipt = small_sale();
        for columns in WIDTHS {
            for (language, cash, card) in [
                (ReceiptLanguage::Sv, "Kontant", "Kort"),
                (ReceiptLanguage::En, "Cash", "Card"),
            ] {
                let text = render_text(&receipt, columns, language);
                assert_eq!(amount_of(&text, cash, language), dec("50.00"), "{text}");
                assert_eq!(amount_of(&text, card, language), dec("50.00"), "{text}");
                for code in TenderMethod::ALL.iter().map(|m| m.as_str()) {
                    assert!(!text.contains(code), "{code:?} printed as a code:\n{text}");
                }
            }
        }
    }

    #[test]
    fn credit_notes_say_where_the_money_went_back() {
        let mut receipt = small_sale();
        receipt.kind = ReceiptKind::Refund { original: None };
        receipt.lines = vec![
            item("Kaffe", "-1", SaleUnit::Each, "45.90", Some("-4.59"), "-41.31"),
            item("Bananer", "-0.532", SaleUnit::Kg, "24.90", None, "-13.25"),
        ];
        receipt.order_discount = None;
        receipt.total = sek("-54.56");
        receipt.vat = vec![ReceiptVatLine {
            rate: "12".parse().unwrap(),
            net: sek("-48.71"),
            vat: sek("-5.85"),
            gross: sek("-54.56"),
        }];
        receipt.tenders[0].amount = sek("-20.00");
        receipt.tenders[1].amount = sek("-35.00");
        receipt.cash_rounding = Some(sek("-0.44"));
        receipt.change = None;
        for columns in WIDTHS {
            for (language, cash, card, discount) in [
                (
                    ReceiptLanguage::Sv,
                    "Återbetalt kontant",
                    "Återbetalt till kort",
                    "Rabatt",
                ),
                (
                    ReceiptLanguage::En,
                    "Cash refunded",
                    "Refunded to card",
                    "Discount",
                ),
            ] {
                let text = render_text(&receipt, columns, language);
                assert_eq!(amount_of(&text, cash, language), dec("-35.00"), "{text}");
                assert_eq!(amount_of(&text, card, language), dec("-20.00"), "{text}");
                // The discount credited back reduces what is given back: a positive line.
                assert_eq!(amount_of(&text, discount, language), dec("4.59"), "{text}");
                assert_eq!(goods_on_paper(&text, language), dec("-54.56"), "{text}");
                for line in text.lines() {
                    assert!(line.chars().count() <= columns.width(), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn every_tender_method_has_distinct_labels_in_both_languages() {
        for &method in TenderMethod::ALL {
            let paid = ReceiptTender {
                method,
                amount: sek("1.00"),
            };
            let back = ReceiptTender {
                method,
                amount: sek("-1.00"),
            };
            let labels = [
                tender_label(&paid, &SV),
                tender_label(&back, &SV),
                tender_label(&paid, &EN),
                tender_label(&back, &EN),
            ];
            for (i, a) in labels.iter().enumerate() {
                assert!(!a.trim().is_empty(), "{method:?}");
                assert!(
                    a.chars().count() <= 21,
                    "{a:?} leaves room for an amount on 32 columns"
                );
                for b in &labels[i + 1..] {
                    assert_ne!(a, b, "{method:?}");
                }
            }
        }
    }

    #[test]
    fn copies_and_training_are_marked_at_top_and_bottom() {
        let mut receipt = small_sale();
        receipt.copy = true;
        receipt.training = true;
        for (language, training) in [
            (ReceiptLanguage::Sv, "ÖVNINGSKVITTO"),
            (ReceiptLanguage::En, "TRAINING — NOT A RECEIPT"),
        ] {
            let text = render_text(&receipt, Columns::C32, language);
            assert_eq!(text.matches("KOPIA").count(), 2, "{text}");
            assert_eq!(text.matches(training).count(), 2, "{text}");
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines[0].contains("KOPIA"));
            assert!(lines[lines.len() - 2].contains("KOPIA"));
            assert!(lines[lines.len() - 1].contains(training));
        }
        let plain = render_text(&small_sale(), Columns::C48, ReceiptLanguage::Sv);
        assert!(!plain.contains("KOPIA") && !plain.contains("ÖVNINGS"));
    }

    #[test]
    fn refund_without_receipt_and_long_texts() {
        let mut receipt = small_sale();
        receipt.kind = ReceiptKind::Refund { original: None };
        receipt.lines[0].name = "Ekologiskt mellanrostat bryggkaffe från Huehuetenango, Guatemala".into();
        receipt.lines[1].name = "Ett\nnamn\u{1b}med styrtecken".into();
        let text = render_text(&receipt, Columns::C32, ReceiptLanguage::Sv);
        assert!(text.contains("Retur utan kvitto"), "{text}");
        assert!(text.contains("KREDIT"));
        assert!(
            text.contains(
                "Ekologiskt mellanrostat\nbryggkaffe från Huehuetenango,\nGuatemala                  45,90\n"
            ),
            "{text}"
        );
        assert!(text.contains("Ett namn med styrtecken\n"), "{text}");
        assert!(!text.contains('\u{1b}'));
        for line in text.lines() {
            assert!(line.chars().count() <= 32, "{line:?}");
        }
    }

    #[test]
    fn vat_table_stacks_when_amounts_are_too_wide() {
        let mut receipt = small_sale();
        receipt.vat[0].gross = sek("123456789012.00");
        let text = render_text(&receipt, Columns::C32, ReceiptLanguage::En);
        let net = format!("VAT 25%\n  Net{:>27}\n", "10.79");
        let gross = format!("  Gross{:>25}\n", "123456789012.00");
        assert!(text.contains(&net), "{text}");
        assert!(text.contains(&gross), "{text}");
    }

    #[test]
    fn receipt_code_encodes_and_parses() {
        let code = ReceiptCode::new(3, 1, 42).unwrap();
        assert_eq!(code.encode(), "KR000030001000000042");
        assert_eq!(ReceiptCode::parse("KR000030001000000042"), Ok(code));
        assert_eq!(ReceiptCode::parse(" KR000030001000000042\r\n"), Ok(code));
        assert_eq!(code.to_string().parse(), Ok(code));
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"KR000030001000000042\"");
        assert_eq!(serde_json::from_str::<ReceiptCode>(&json).unwrap(), code);
        assert_eq!(
            ReceiptCode::new(99_999, 9_999, 999_999_999).unwrap().encode(),
            "KR999999999999999999"
        );
    }

    #[test]
    fn bad_receipt_codes_are_refused_specifically() {
        use ReceiptCodeError::*;
        assert_eq!(ReceiptCode::parse("  "), Err(Empty));
        assert!(matches!(
            ReceiptCode::parse("kr000030001000000042"),
            Err(Prefix { .. })
        ));
        assert!(matches!(ReceiptCode::parse("4006381333931"), Err(Prefix { .. })));
        assert_eq!(
            ReceiptCode::parse("KR00003000100000042"),
            Err(Length {
                code: "KR00003000100000042".into(),
                length: 19
            })
        );
        assert!(matches!(
            ReceiptCode::parse("KR0000300010000000420"),
            Err(Length { length: 21, .. })
        ));
        assert_eq!(
            ReceiptCode::parse("KR00003000l000000042"),
            Err(NotDigit {
                code: "KR00003000l000000042".into(),
                position: 11,
                found: 'l'
            })
        );
        assert!(matches!(
            ReceiptCode::parse("KR0000300010000000 2"),
            Err(NotDigit { found: ' ', .. })
        ));
        assert!(matches!(
            ReceiptCode::parse("KR00003000100000004²"),
            Err(NotDigit { found: '²', .. })
        ));
        assert_eq!(
            ReceiptCode::parse("KR000000001000000042"),
            Err(FieldOutOfRange {
                field: "store id",
                value: 0,
                max: 99_999
            })
        );
        assert_eq!(
            ReceiptCode::parse("KR000030001000000000")
                .unwrap_err()
                .to_string(),
            "a receipt code's receipt number must be between 1 and 999999999, not 0"
        );
        assert!(ReceiptCode::new(100_000, 1, 1).is_err());
        assert!(ReceiptCode::new(1, 10_000, 1).is_err());
        assert!(ReceiptCode::new(1, 1, 1_000_000_000).is_err());
        let wide = ReceiptCode {
            store_id: 100_000,
            pos_id: 1,
            number: 1,
        };
        assert!(wide.try_encode().is_err());
        assert!(serde_json::to_string(&wide).is_err());
        assert_eq!(
            ReceiptCode::parse("KR000030001000000042x")
                .unwrap_err()
                .to_string(),
            "\"KR000030001000000042x\" has 21 characters, but a receipt code has exactly 20 (\"KR\" and 18 digits); check that nothing is missing or doubled"
        );
    }

    fn any_name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-ZåäöÅÄÖéü0-9 ,.%()\\-]{0,120}|[^\\x00]{0,80}").unwrap()
    }

    proptest! {
        #[test]
        fn receipt_code_round_trips(store in 1u32..=99_999, pos in 1u32..=9_999, number in 1u64..=999_999_999) {
            let code = ReceiptCode::new(store, pos, number).unwrap();
            let text = code.encode();
            prop_assert_eq!(text.len(), RECEIPT_CODE_LEN);
            prop_assert_eq!(ReceiptCode::parse(&text), Ok(code));
        }

        #[test]
        fn no_line_is_wider_than_the_paper(
            names in proptest::collection::vec(any_name(), 1..6),
            store in any_name(),
            cashier in any_name(),
            minor in proptest::collection::vec(-10_000_000_000i64..10_000_000_000, 7),
            quantity in 1i64..100_000,
            columns in proptest::sample::select(vec![Columns::C32, Columns::C42, Columns::C48]),
            language in proptest::sample::select(vec![ReceiptLanguage::Sv, ReceiptLanguage::En]),
            copy in any::<bool>(),
            training in any::<bool>(),
        ) {
            let mut receipt = small_sale();
            receipt.store_name = store.clone();
            receipt.brand_name = store;
            receipt.address = cashier.clone();
            receipt.cashier = cashier;
            receipt.copy = copy;
            receipt.training = training;
            receipt.lines = names
                .iter()
                .enumerate()
                .map(|(i, name)| ReceiptLine {
                    name: name.clone(),
                    quantity: Decimal::new(quantity, 3),
                    unit: if i % 2 == 0 { SaleUnit::Kg } else { SaleUnit::Each },
                    unit_price: Money::from_minor(minor[i], SEK),
                    regular_price: (i % 4 == 1).then(|| Money::from_minor(minor[6], SEK)),
                    discount: (i % 3 == 0).then(|| Money::from_minor(minor[5], SEK)),
                    total: Money::from_minor(minor[i + 1], SEK),
                })
                .collect();
            receipt.vat[0].gross = Money::from_minor(minor[0], SEK);
            receipt.total = Money::from_minor(minor[1], SEK);
            receipt.order_discount = Some(Money::from_minor(minor[2], SEK));
            receipt.loyalty_discount = Some(LoyaltyDiscountLine {
                program: names[0].clone(),
                amount: Money::from_minor(minor[6], SEK),
            });
            receipt.tenders[0].amount = Money::from_minor(minor[3], SEK);
            receipt.tenders[1].amount = Money::from_minor(minor[4], SEK);
            let width = columns.width();
            let text = render_text(&receipt, columns, language);
            for line in text.lines() {
                prop_assert!(line.chars().count() <= width, "{:?} is wider than {}", line, width);
                prop_assert_eq!(line.trim_end(), line);
            }
            prop_assert!(text.lines().any(|l| l == receipt.receipt_code.encode()));
        }
    }
}
