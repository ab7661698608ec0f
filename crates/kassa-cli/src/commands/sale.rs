//! `kassa sale new|list|show|refund|post-void|resolve`.
//!
//! `sale new` strings kassa-app's till steps together (add items, discount, pay) for one
//! command line; every rule stays in kassa-app. If a step fails, the sale is voided (any
//! cash already taken is recorded as handed back) so nothing is left half-done at the till.

use std::str::FromStr;

use kassa_app::{
    Actor, AppError, FlexitiMode, Kassa, ManagerApproval, RefundInput, RefundableSale, ReturnItemInput,
    SaleStatus, SaleView, TenderMethod, TenderStatus,
};
use kassa_core::Decimal;

use crate::cli::{SaleCommand, SaleNew, SaleRefund};
use crate::context::Context;
use crate::output::{self, Table, opt};
use crate::pin;

/// The receipt width printed after a sale or refund.
const RECEIPT_COLUMNS: u8 = 42;

pub fn run(ctx: &Context, command: SaleCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        SaleCommand::New(args) => new_sale(ctx, &kassa, &actor, &args),
        SaleCommand::List { limit } => {
            let sales = kassa.list_sales(&actor, limit)?;
            if ctx.json {
                return output::json(&sales);
            }
            let mut table = Table::new(&[
                "ID",
                "RECEIPT",
                "KIND",
                "STATUS",
                "TOTAL",
                "CASHIER",
                "COMPLETED",
                "COPY",
            ]);
            for s in &sales {
                table.row(vec![
                    s.id.to_string(),
                    opt(s.receipt_no),
                    s.kind.to_string(),
                    s.status.to_string(),
                    format!("{} {}", s.total, s.currency),
                    s.cashier_name.clone(),
                    opt(s.completed_at.as_deref()),
                    if s.copy_printed { "yes" } else { "no" }.into(),
                ]);
            }
            table.print("(no sales)")
        }
        SaleCommand::Show { id, columns, copy } => {
            if copy {
                // Paper: the one copy, marked KOPIA and counted in this till's shift.
                let copy = kassa.print_receipt_copy(&actor, id, columns)?;
                if ctx.json {
                    return output::json(&copy);
                }
                return output::print(&copy.text);
            }
            let view = kassa.sale(&actor, id)?;
            if ctx.json {
                return output::json(&view);
            }
            if view.receipt_no.is_none() {
                return output::print(&summary(&view));
            }
            output::print(&kassa.receipt_preview(&actor, id, columns)?.text)
        }
        SaleCommand::Refund(args) => refund(ctx, &kassa, &actor, args),
        SaleCommand::PostVoid { approver, reason } => {
            let pin = pin::approver_pin(&approver)?;
            let view =
                kassa.post_void_last_sale(&actor, &ManagerApproval { name: approver, pin }, &reason)?;
            finished(ctx, &kassa, &actor, &view)
        }
        SaleCommand::Return {
            items,
            reason,
            approver,
        } => {
            let pin = pin::approver_pin(&approver)?;
            let items: Vec<ReturnItemInput> = items
                .into_iter()
                .map(|i| ReturnItemInput {
                    code: i.code,
                    quantity: i.quantity,
                })
                .collect();
            let view = kassa.return_without_receipt(
                &actor,
                &items,
                &reason,
                &ManagerApproval { name: approver, pin },
            )?;
            finished(ctx, &kassa, &actor, &view)
        }
        SaleCommand::Resolve {
            tender_id,
            approved,
            declined,
            approver,
        } => {
            if !approved && !declined {
                let view = kassa.reconcile_payment(&actor, tender_id)?;
                return finished(ctx, &kassa, &actor, &view);
            }
            let approval = approver
                .map(|name| pin::approver_pin(&name).map(|pin| ManagerApproval { name, pin }))
                .transpose()?;
            // One whose outcome was lost (Unknown) is reconciled; one still pending at the
            // terminal is confirmed. A payment pending in a process that stopped was marked
            // unknown when this command opened the database, so it is reconciled too.
            // kassa-app checks the state and refuses anything else.
            let view = match kassa.resolve_unknown_payment(&actor, tender_id, approved, approval.as_ref()) {
                // Not unknown: still pending here, or taken by another running Kassa, or
                // settled already; confirming says which.
                Err(AppError::Conflict(_)) => kassa.confirm_card_payment(&actor, tender_id, approved)?,
                other => other?,
            };
            finished(ctx, &kassa, &actor, &view)
        }
    }
}

fn new_sale(ctx: &Context, kassa: &Kassa, actor: &Actor, args: &SaleNew) -> Result<(), AppError> {
    // Never add to (or void) a sale someone is ringing up at the till itself.
    if let Some(open) = kassa.current_sale(actor)?
        && (open.status != SaleStatus::Open || !open.lines.is_empty())
    {
        let waiting: Vec<String> = open
            .tenders
            .iter()
            .filter(|t| matches!(t.status, TenderStatus::Pending | TenderStatus::Unknown))
            .map(|t| format!("kassa sale resolve {} --approved|--declined", t.id))
            .collect();
        return Err(AppError::Conflict(if waiting.is_empty() {
            format!(
                "sale {} is already {} on this till with {} line(s); finish, park or void it first",
                open.id,
                open.status,
                open.lines.len()
            )
        } else {
            format!(
                "sale {} has a card payment to resolve first: {}",
                open.id,
                waiting.join("; ")
            )
        }));
    }
    let mut sale_id = None;
    match ring_up_and_pay(kassa, actor, args, &mut sale_id) {
        Ok(view) => finished(ctx, kassa, actor, &view),
        Err(error) => match sale_id {
            None => Err(error),
            Some(id) => match undo(kassa, actor, id) {
                Ok(None) => Err(with_note(
                    error,
                    &format!(" (sale {id} was voided; nothing was sold)"),
                )),
                Ok(Some(cash)) => Err(with_note(
                    error,
                    &format!(
                        " (sale {id} was voided and nothing was sold; give back the {cash} taken in cash: \
                         the void records it as handed back)"
                    ),
                )),
                Err(undo_error) => Err(with_note(
                    error,
                    &format!(" (sale {id} could not be voided: {undo_error}; finish it at the till)"),
                )),
            },
        },
    }
}

fn ring_up_and_pay(
    kassa: &Kassa,
    actor: &Actor,
    args: &SaleNew,
    sale_id: &mut Option<i64>,
) -> Result<SaleView, AppError> {
    let mut view = None;
    for item in &args.items {
        let v = kassa.add_item(actor, &item.code, item.quantity.as_deref())?;
        *sale_id = Some(v.id);
        view = Some(v);
    }
    let mut view = view.ok_or_else(|| AppError::validation("item", "give at least one --item"))?;
    if let Some(discount) = &args.discount {
        let approval = args
            .approver
            .as_ref()
            .map(|name| {
                pin::approver_pin(name).map(|pin| ManagerApproval {
                    name: name.clone(),
                    pin,
                })
            })
            .transpose()?;
        view = kassa.set_order_discount(actor, view.id, Some(discount.clone()), approval.as_ref())?;
    }
    if args.swip_loyalty {
        view = kassa.apply_swip_loyalty(actor, view.id)?;
        match &view.loyalty_discount {
            Some(loyalty) => eprintln!(
                "SWiP loyalty: {} {} off ({})",
                loyalty.amount, view.currency, loyalty.program
            ),
            None => eprintln!("SWiP loyalty: no discount on this basket"),
        }
    }
    if let Some(code) = &args.voucher
        && view.status != SaleStatus::Completed
    {
        view = kassa.pay_with_voucher(actor, view.id, code, args.accept_voucher_loss)?;
        if let Some(t) = view
            .tenders
            .iter()
            .rev()
            .find(|t| t.method == TenderMethod::Voucher)
            && t.status == TenderStatus::Unknown
        {
            return Err(AppError::coded(
                kassa_app::ErrorCode::PaymentUnresolved,
                None,
                format!(
                    "Venue Manager did not answer the redemption of voucher {code:?} (payment {}); run `kassa sale \
                     resolve {}` to ask it (the voucher is never redeemed twice)",
                    t.reference, t.id
                ),
            ));
        }
    }
    if let Some(cash) = &args.cash {
        // Without --card, cash that does not cover the sale can only fail. A failed run is
        // voided and its cash handed back (see `undo`), but checking first gives the better
        // message (how much is due, and that --card pays the rest) and leaves no voided sale,
        // with cash in and back out, behind for a mistake the command line can see.
        let another_tender =
            args.card || args.terminal || args.swip || args.vourity || args.voucher.is_some();
        if !another_tender
            && let (Some(given), Some(due)) = (typed(kassa, cash), decimal(&view.cash_due))
            && given < due
        {
            return Err(AppError::validation(
                "cash",
                format!(
                    "cash {cash} does not cover the {} {} due; give more cash or add --card (or another tender) for the rest",
                    view.cash_due, view.currency
                ),
            ));
        }
        view = kassa.pay_cash(actor, view.id, cash)?;
    }
    if args.card && view.status != SaleStatus::Completed {
        view = kassa.start_card_payment(actor, view.id, None)?;
        let tender = view
            .tenders
            .iter()
            .find(|t| t.status == TenderStatus::Pending)
            .ok_or_else(|| AppError::Internal("the card payment was not recorded as pending".into()))?;
        // The CLI user asserts the stand-alone terminal approved the amount (see --help).
        view = kassa.confirm_card_payment(actor, tender.id, true)?;
    }
    if args.terminal && view.status != SaleStatus::Completed {
        view = kassa.pay_by_terminal(actor, view.id, None, &mut |prompt| {
            if let Some(message) = &prompt.message {
                eprintln!("{message}");
            }
        })?;
        if let Some(tender) = view
            .tenders
            .iter()
            .rev()
            .find(|t| t.method == TenderMethod::CardTerminal)
            && tender.status != TenderStatus::Approved
        {
            let why = tender
                .prompt
                .as_ref()
                .and_then(|p| p.message.clone())
                .unwrap_or_else(|| tender.status.to_string());
            return Err(AppError::coded(
                if tender.status == TenderStatus::Unknown {
                    kassa_app::ErrorCode::PaymentUnresolved
                } else {
                    kassa_app::ErrorCode::PaymentRefused
                },
                None,
                format!(
                    "the card terminal payment {} is {}: {why}",
                    tender.id, tender.status
                ),
            ));
        }
    }
    if args.swip && view.status != SaleStatus::Completed {
        view = kassa.start_swip_payment(actor, view.id, None)?;
        view = follow_provider_payment(kassa, actor, view, TenderMethod::Swip, args.poll_interval_ms)?;
    }
    if args.vourity && view.status != SaleStatus::Completed {
        view = kassa.start_vourity_payment(actor, view.id, None)?;
        view = follow_provider_payment(kassa, actor, view, TenderMethod::Vourity, args.poll_interval_ms)?;
    }
    if let Some(account) = &args.flexiti
        && view.status != SaleStatus::Completed
    {
        let mode = if args.flexiti_purchase {
            FlexitiMode::Purchase
        } else {
            FlexitiMode::AuthorizeAndCapture
        };
        view = kassa.start_flexiti_payment(actor, view.id, account, None, mode)?;
        view = follow_provider_payment(kassa, actor, view, TenderMethod::Flexiti, args.poll_interval_ms)?;
    }
    if view.status != SaleStatus::Completed {
        return Err(AppError::Conflict(format!(
            "the sale is not paid in full: {} {} still to pay",
            view.remaining, view.currency
        )));
    }
    Ok(view)
}

/// Follows a provider payment just started until it is final: prints what the till would
/// show (a QR code's text, the provider's messages) to stderr, so stdout stays the
/// receipt, and asks the terminal's questions on stdin.
fn follow_provider_payment(
    kassa: &Kassa,
    actor: &Actor,
    mut view: SaleView,
    method: TenderMethod,
    interval_ms: u64,
) -> Result<SaleView, AppError> {
    let name = match method {
        TenderMethod::Vourity => "Vourity",
        TenderMethod::Flexiti => "Flexiti",
        _ => "SWiP",
    };
    let Some(tender_id) = view
        .tenders
        .iter()
        .rev()
        .find(|t| t.method == method)
        .map(|t| t.id)
    else {
        return Err(AppError::Internal(format!("the {name} payment was not recorded")));
    };
    let mut shown_qr = None;
    let mut shown_message = None;
    loop {
        let Some(tender) = view.tenders.iter().find(|t| t.id == tender_id) else {
            return Err(AppError::Internal(format!("the {name} payment vanished")));
        };
        match tender.status {
            TenderStatus::Pending => {
                if let Some(prompt) = &tender.prompt {
                    if let Some(qr) = &prompt.qr
                        && shown_qr.as_ref() != Some(qr)
                    {
                        eprintln!("SWiP QR code: {qr}");
                        shown_qr = Some(qr.clone());
                    }
                    if prompt.message.is_some() && prompt.message != shown_message {
                        eprintln!("{}", prompt.message.as_deref().unwrap_or_default());
                        shown_message = prompt.message.clone();
                    }
                    if let Some(question) = &prompt.question {
                        let answer = ask(&question.text, &question.answers)?;
                        view = kassa.answer_payment_question(actor, tender_id, &question.id, &answer)?;
                        continue;
                    }
                }
                // Neither provider pushes to a command line: asking again after a pause is
                // how it learns the outcome.
                std::thread::sleep(std::time::Duration::from_millis(interval_ms));
                view = kassa.poll_payment(actor, tender_id)?;
            }
            TenderStatus::Approved => return Ok(view),
            TenderStatus::Unknown => {
                return Err(AppError::coded(
                    kassa_app::ErrorCode::PaymentUnresolved,
                    None,
                    format!(
                        "{name} did not answer for payment {}; its outcome is unknown. Run `kassa sale resolve {tender_id}` \
                         to ask {name} what became of it (nothing is charged again)",
                        tender.reference
                    ),
                ));
            }
            TenderStatus::Declined | TenderStatus::Cancelled => {
                let why = tender
                    .prompt
                    .as_ref()
                    .and_then(|p| p.message.clone())
                    .unwrap_or_else(|| format!("the {name} payment was {}", tender.status));
                return Err(AppError::Conflict(format!(
                    "{name} payment {} was not paid: {why}",
                    tender.reference
                )));
            }
        }
    }
}

/// Asks the cashier a payment's question on stderr and reads one of its answers from stdin.
fn ask(question: &str, answers: &[String]) -> Result<String, AppError> {
    use std::io::BufRead as _;
    let choices = answers.join(" or ");
    loop {
        eprintln!("{question}");
        eprintln!("Answer {choices}:");
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| AppError::Internal(format!("reading the answer from stdin: {e}")))?;
        if read == 0 {
            return Err(AppError::validation(
                "answer",
                format!("the terminal asks a question and stdin ended without an answer ({choices})"),
            ));
        }
        let answer = line.trim();
        if let Some(found) = answers.iter().find(|a| a.eq_ignore_ascii_case(answer)) {
            return Ok(found.clone());
        }
        eprintln!("{answer:?} is not one of the answers.");
    }
}

/// Puts a failed `sale new` back: cancels a card payment still pending, then voids the sale.
/// kassa-app records any cash already taken as handed back; that amount is returned, for the
/// message, when there was some.
fn undo(kassa: &Kassa, actor: &Actor, sale_id: i64) -> Result<Option<String>, AppError> {
    let view = kassa.sale(actor, sale_id)?;
    if matches!(
        view.status,
        SaleStatus::Completed | SaleStatus::Voided | SaleStatus::PostVoided
    ) {
        return Ok(None);
    }
    for tender in view.tenders.iter().filter(|t| t.status == TenderStatus::Pending) {
        match tender.method {
            TenderMethod::Swip | TenderMethod::Vourity | TenderMethod::Flexiti => {
                kassa.cancel_payment(actor, tender.id)?
            }
            _ => kassa.cancel_card_payment(actor, tender.id)?,
        };
    }
    // Handing cash back on a void needs a manager: a cashier's failed run with cash taken is
    // refused here and left open at the till, where a manager approves the void.
    let voided = kassa.void_sale(actor, sale_id, None)?;
    // The void's return tenders: approved cash, negative, one per cash tender handed back.
    let returned: Decimal = voided
        .tenders
        .iter()
        .filter(|t| t.method == TenderMethod::Cash && t.status == TenderStatus::Approved)
        .filter_map(|t| decimal(&t.amount))
        .filter(|amount| amount.is_sign_negative())
        .map(|amount| -amount)
        .sum();
    Ok((!returned.is_zero()).then(|| format!("{} {}", returned, voided.currency)))
}

/// The same error with a note added to its message, keeping its class (and exit code).
fn with_note(error: AppError, note: &str) -> AppError {
    match error {
        AppError::Validation { field, message } => AppError::Validation {
            field,
            message: format!("{message}{note}"),
        },
        AppError::NotFound(m) => AppError::NotFound(format!("{m}{note}")),
        AppError::Conflict(m) => AppError::Conflict(format!("{m}{note}")),
        AppError::Forbidden(m) => AppError::Forbidden(format!("{m}{note}")),
        AppError::Unauthenticated(m) => AppError::Unauthenticated(format!("{m}{note}")),
        AppError::AuthFailed(m) => AppError::AuthFailed(format!("{m}{note}")),
        AppError::Locked(m) => AppError::Locked(format!("{m}{note}")),
        AppError::Money(e) => AppError::validation("amount", format!("{e}{note}")),
        AppError::Internal(m) => AppError::Internal(format!("{m}{note}")),
        AppError::Coded { code, field, message } => AppError::Coded {
            code,
            field,
            message: format!("{message}{note}"),
        },
        other => other,
    }
}

/// An amount as the user typed it, read as kassa-app reads it (unreadable text is left
/// for kassa-app to refuse with its message).
fn typed(kassa: &Kassa, text: &str) -> Option<Decimal> {
    kassa_app::numbers::parse_number(kassa.number_locale().ok()?, text, 28).ok()
}

/// An amount as kassa-app writes it.
fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok()
}

fn refund(ctx: &Context, kassa: &Kassa, actor: &Actor, args: SaleRefund) -> Result<(), AppError> {
    if args.show {
        let refundable = kassa.find_receipt_for_refund(actor, &args.receipt)?;
        if ctx.json {
            return output::json(&refundable);
        }
        return output::print(&refundable_text(&refundable));
    }
    let approver = args
        .approver
        .ok_or_else(|| AppError::validation("approver", "a refund needs --approver NAME (a manager)"))?;
    let pin = pin::approver_pin(&approver)?;
    let view = kassa.refund(
        actor,
        &RefundInput {
            receipt: args.receipt,
            lines: args.lines,
            reason: args.reason,
            approval: ManagerApproval { name: approver, pin },
        },
    )?;
    finished(ctx, kassa, actor, &view)
}

/// Prints a completed sale or credit note as its receipt, or says what is still pending.
fn finished(ctx: &Context, kassa: &Kassa, actor: &Actor, view: &SaleView) -> Result<(), AppError> {
    if ctx.json {
        return output::json(view);
    }
    if view.status == SaleStatus::Completed || view.receipt_no.is_some() {
        return output::print(&kassa.receipt_preview(actor, view.id, RECEIPT_COLUMNS)?.text);
    }
    output::print(&summary(view))
}

/// A sale without a receipt (open, voided, a card refund still pending) in a few lines.
fn summary(view: &SaleView) -> String {
    let mut out = format!(
        "Sale {} ({}, {}): total {} {}, paid {}, remaining {}\n",
        view.id, view.kind, view.status, view.total, view.currency, view.paid, view.remaining
    );
    for line in &view.lines {
        out.push_str(&format!("  {} x {}  {}\n", line.quantity, line.name, line.total));
    }
    for t in &view.tenders {
        out.push_str(&format!(
            "  payment {}: {} {} {}\n",
            t.id, t.method, t.amount, t.status
        ));
        if t.status == TenderStatus::Pending {
            out.push_str(&format!(
                "    settle it on the terminal, then: kassa sale resolve {} --approved (or --declined)\n",
                t.id
            ));
        }
    }
    out
}

fn refundable_text(r: &RefundableSale) -> String {
    let c = &r.sale.currency;
    let mut out = format!(
        "Receipt {} ({}), {} {}, {}\n\n",
        opt(r.sale.receipt_no),
        opt(r.sale.receipt_code.as_deref()),
        r.sale.total,
        c,
        opt(r.sale.completed_at.as_deref())
    );
    let mut lines = Table::new(&["LINE ID", "ITEM", "SOLD", "REFUNDED", "REFUNDABLE", "AMOUNT"]);
    for l in &r.lines {
        lines.row(vec![
            l.line_id.to_string(),
            l.name.clone(),
            l.sold.clone(),
            l.refunded.clone(),
            l.refundable.clone(),
            format!("{} {c}", l.refundable_amount),
        ]);
    }
    out.push_str(&lines.render());
    out.push('\n');
    let mut tenders = Table::new(&["PAYMENT", "METHOD", "PAID", "REFUNDABLE"]);
    for t in &r.tenders {
        tenders.row(vec![
            t.tender_id.to_string(),
            t.method.to_string(),
            format!("{} {c}", t.paid),
            format!("{} {c}", t.refundable),
        ]);
    }
    out.push_str(&tenders.render());
    out
}
