//! X and Z reports as aligned text.

use kassa_app::{NamedAmount, ShiftReport};

use crate::output::Table;

/// Label/value lines with the values in one column.
struct Lines {
    rows: Vec<(String, String)>,
}

impl Lines {
    fn new() -> Lines {
        Lines { rows: Vec::new() }
    }

    fn add(&mut self, label: impl Into<String>, value: impl Into<String>) {
        self.rows.push((label.into(), value.into()));
    }

    fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for (label, value) in &self.rows {
            let pad = width - label.chars().count();
            out.push_str(&format!("{label}:{}  {value}\n", " ".repeat(pad)));
        }
        out
    }
}

fn counted(n: &NamedAmount, currency: &str) -> String {
    format!("{} ({}) {currency}", n.amount, n.count)
}

fn named_table(title: &'static str, items: &[NamedAmount], currency: &str) -> String {
    let mut table = Table::new(&[title, "COUNT", "AMOUNT"]);
    for n in items {
        table.row(vec![
            n.name.clone(),
            n.count.to_string(),
            format!("{} {currency}", n.amount),
        ]);
    }
    table.render()
}

/// The whole report, section by section.
pub fn render(r: &ShiftReport) -> String {
    let c = r.currency.as_str();
    let title = match r.z_no {
        Some(n) => format!("Z report {n}"),
        None => format!("{} report", r.kind),
    };
    let mut out = format!("{title} — {}, {} ({c})\n\n", r.store_name, r.pos_name);

    let mut head = Lines::new();
    if let Some(vat_number) = &r.vat_number {
        head.add("VAT number", vat_number.clone());
    }
    head.add("Shift", r.shift_id.to_string());
    head.add("Opened", r.opened_at.clone());
    head.add("Closed", r.closed_at.clone().unwrap_or_else(|| "-".into()));
    head.add("Made", r.made_at.clone());
    head.add(
        "Receipts",
        match (r.first_receipt_no, r.last_receipt_no) {
            (Some(first), Some(last)) => format!("{first} – {last}"),
            _ => "none".into(),
        },
    );
    out.push_str(&head.render());
    out.push('\n');

    let mut totals = Lines::new();
    totals.add("Sales", format!("{} {c} ({})", r.sales_total, r.sales_count));
    totals.add(
        "Returns",
        format!("{} {c} ({})", r.returns_total, r.returns_count),
    );
    totals.add("Net", format!("{} {c}", r.net_total));
    totals.add("Discounts", counted(&r.discounts, c));
    totals.add("Loyalty discounts (SWiP)", counted(&r.loyalty_discounts, c));
    totals.add("Voids", counted(&r.voids, c));
    totals.add("Post-voids", counted(&r.post_voids, c));
    totals.add("Copies printed", r.copies_printed.to_string());
    totals.add("Drawer openings (no sale)", r.drawer_openings.to_string());
    totals.add("Price overrides", r.price_overrides.to_string());
    out.push_str(&totals.render());
    out.push('\n');

    let mut vat = Table::new(&["VAT %", "NET", "VAT", "GROSS"]);
    for v in &r.vat {
        vat.row(vec![
            v.rate.clone(),
            v.net.clone(),
            v.vat.clone(),
            v.gross.clone(),
        ]);
    }
    out.push_str(&vat.render());
    out.push('\n');
    out.push_str(&named_table("TENDER", &r.tenders, c));
    out.push('\n');
    out.push_str(&named_table("CASHIER", &r.cashiers, c));
    out.push('\n');

    let mut cash = Lines::new();
    cash.add("Float", format!("{} {c}", r.cash_float));
    cash.add("Cash in", format!("{} {c}", r.cash_in));
    cash.add("Cash out", format!("{} {c}", r.cash_out));
    cash.add("Cash payments", format!("{} {c}", r.cash_payments));
    cash.add("Cash expected", format!("{} {c}", r.cash_expected));
    if let Some(counted) = &r.cash_counted {
        cash.add("Cash counted", format!("{counted} {c}"));
    }
    if let Some(difference) = &r.cash_difference {
        cash.add("Difference", format!("{difference} {c}"));
    }
    out.push_str(&cash.render());
    out.push('\n');

    let mut grand = Lines::new();
    grand.add("Grand total sales", format!("{} {c}", r.grand_total_sales));
    grand.add("Grand total returns", format!("{} {c}", r.grand_total_returns));
    grand.add("Grand total net", format!("{} {c}", r.grand_total_net));
    grand.add("Journal length", r.journal_length.to_string());
    grand.add("Journal head", r.journal_head.clone());
    if !r.journal_anchor.is_empty() {
        // Kept on paper, this pins the journal: `kassa journal verify --head` checks it.
        grand.add("Journal anchor", r.journal_anchor.clone());
    }
    out.push_str(&grand.render());
    out
}
