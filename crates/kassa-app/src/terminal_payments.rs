//! Card payments and refunds on the integrated terminal (ZVT), charged at most once.
//!
//! The order is the providers' (see `provider_payments.rs`): the till connects to and
//! registers with its terminal first (an unplugged terminal stores nothing); the tender is
//! committed as pending with its `requested` step, which names the last trace number the
//! till knows of that terminal; only then is the authorization sent. While the card holder
//! acts, the terminal's status lines are stored as the tender's prompt (the till's screen
//! polls them), and its status information is stored as a `result` step before the
//! terminal gets its acknowledgement. The outcome is committed with the exchange's end.
//!
//! An authorization carries no reference of the till's, so a lost result (cable pulled,
//! app killed) is recovered by asking the terminal for its last transaction (Repeat
//! Receipt, status only) and matching it:
//!
//! | the terminal's last transaction                                  | the payment is |
//! |------------------------------------------------------------------|----------------|
//! | the one the `requested` step named (nothing happened since)      | cancelled      |
//! | the next trace number, this amount, result 00                    | approved       |
//! | the next trace number, this amount, another result               | declined       |
//! | another amount, or trace numbers skipped (others came between)   | unknown, for a manager with what to check |
//!
//! A result stored before the crash decides without asking. A terminal that approves
//! another amount than asked is reversed at once. Refunds go back through the terminal:
//! a reversal (06 30, by the terminal's receipt number) when the whole payment is given
//! back before the terminal's end of day, otherwise a refund (06 31) to the card.

use std::sync::atomic::Ordering;

use serde_json::json;

use kassa_core::org::{SaleStatus, TenderMethod, TenderStatus};
use kassa_core::payment::{CashierPrompt, PaymentOutcome, PromptText};
use kassa_core::{Currency, Money};
use kassa_hw::zvt::commands::{self, Password, StatusInformation};
use kassa_hw::zvt::{CommandKind, End, Exchange, Progress, texts};
use kassa_store::pos_devices::TerminalSettings;
use kassa_store::sales::{self, TenderRow};
use kassa_store::terminal_steps::{self, TerminalStep};

use crate::card_terminal::{Held, TerminalReport, TerminalTimings, card_of, describe_end};
use crate::sales::{SELL, SaleView, money};
use crate::{Actor, AppError, Kassa};

/// Where the terminal's password is kept in the secret store.
const SECRET_SCOPE: &str = "card-terminal";
const PASSWORD_FIELD: &str = "password";

/// What a terminal exchange is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Payment,
    Refund,
    /// The whole payment of `receipt` given back before end of day.
    Reversal {
        receipt: u16,
    },
}

/// A terminal's last transaction as reconcile reads it.
fn matches_outcome(
    info: &StatusInformation,
    amount_minor: i64,
    after_trace: Option<i64>,
) -> Result<PaymentOutcome, String> {
    let trace = info.trace.map(|t| t as i64);
    if trace.is_some() && trace == after_trace {
        return Ok(PaymentOutcome::Cancelled);
    }
    let described = format!(
        "the terminal's last transaction is trace {}, receipt {}, {} minor units, {}",
        trace.map_or("?".into(), |t| format!("{t:06}")),
        info.receipt.map_or("?".into(), |r| format!("{r:04}")),
        info.amount_minor.map_or("?".into(), |a| a.to_string()),
        info.result_code
            .map_or("no result code".into(), texts::describe_result)
    );
    let next = match (after_trace, trace) {
        (Some(before), Some(last)) => last == (before + 1) % 1_000_000,
        _ => false,
    };
    if !next {
        return Err(format!(
            "{described}, which is not certainly this payment (the till last knew trace {}); check the \
             terminal's journal and settle it by hand",
            after_trace.map_or("none".into(), |t| format!("{t:06}"))
        ));
    }
    if info.amount_minor != Some(amount_minor as u64) {
        return Err(format!(
            "{described}, which is another amount than this payment's {amount_minor}; check the terminal's \
             journal and settle it by hand"
        ));
    }
    Ok(match info.result_code {
        Some(texts::SUCCESS) => PaymentOutcome::approved(authorization_of(info)),
        Some(code) => PaymentOutcome::Declined {
            reason: texts::describe_result(code),
        },
        None => return Err(format!("{described}: without a result code it cannot be settled")),
    })
}

fn authorization_of(info: &StatusInformation) -> Option<String> {
    match (info.receipt, info.trace) {
        (Some(receipt), Some(trace)) => Some(format!("receipt {receipt:04} trace {trace:06}")),
        (None, Some(trace)) => Some(format!("trace {trace:06}")),
        _ => None,
    }
}

/// The step that records a terminal's status information.
fn result_step(
    pos_id: i64,
    tender_id: Option<i64>,
    step: &str,
    info: &StatusInformation,
    at: &str,
) -> TerminalStep {
    TerminalStep {
        id: 0,
        pos_id,
        tender_id,
        step: step.to_owned(),
        terminal_id: info.terminal_id.clone(),
        trace: info.trace.map(|t| t as i64),
        receipt: info.receipt.map(|r| r as i64),
        amount_minor: info.amount_minor.map(|a| a as i64),
        result_code: info.result_code.map(i64::from),
        answer: Some(
            json!({
                "card": card_of(info),
                "cardType": info.card_type,
                "date": info.date,
                "time": info.time,
                "currency": info.currency,
            })
            .to_string(),
        ),
        at: at.to_owned(),
    }
}

fn plain_step(
    pos_id: i64,
    tender_id: Option<i64>,
    step: &str,
    answer: serde_json::Value,
    at: &str,
) -> TerminalStep {
    TerminalStep {
        pos_id,
        tender_id,
        step: step.to_owned(),
        answer: Some(answer.to_string()),
        at: at.to_owned(),
        ..TerminalStep::default()
    }
}

fn after_trace_of(steps: &[TerminalStep]) -> Option<i64> {
    steps
        .iter()
        .find(|s| s.step == "requested")
        .and_then(|s| s.answer.as_deref())
        .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
        .and_then(|v| v.get("afterTrace").and_then(serde_json::Value::as_i64))
}

/// The outcome an exchange's end gives, when it gives one.
fn outcome_of_exchange(exchange: &Exchange, amount_minor: i64) -> Result<PaymentOutcome, WrongAmount> {
    if let Some(info) = exchange.result() {
        return match info.result_code {
            Some(texts::SUCCESS) if info.amount_minor == Some(amount_minor as u64) => {
                Ok(PaymentOutcome::approved(authorization_of(info)))
            }
            Some(texts::SUCCESS) => Err(WrongAmount(Box::new(info.clone()))),
            Some(texts::ABORTED) => Ok(PaymentOutcome::Cancelled),
            Some(code) => Ok(PaymentOutcome::Declined {
                reason: texts::describe_result(code),
            }),
            None => Ok(unknown(&exchange.end)),
        };
    }
    Ok(match &exchange.end {
        End::Aborted { result_code } if *result_code == texts::ABORTED || exchange.abort_sent => {
            PaymentOutcome::Cancelled
        }
        End::Aborted { result_code } => PaymentOutcome::Declined {
            reason: texts::describe_result(*result_code),
        },
        End::Refused { code } => PaymentOutcome::Declined {
            reason: format!(
                "the terminal refused the command: {}",
                texts::describe_result(*code)
            ),
        },
        end => unknown(end),
    })
}

fn unknown(end: &End) -> PaymentOutcome {
    PaymentOutcome::Unknown {
        detail: match end {
            End::Lost { phase, error } => format!(
                "the card terminal stopped answering ({phase:?}: {error}); Kassa asks it what happened when it is back"
            ),
            _ => "the card terminal ended without a result; Kassa asks it what happened".to_owned(),
        },
    }
}

/// A terminal that approved an amount it was not asked for.
struct WrongAmount(Box<StatusInformation>);

impl Kassa {
    /// The card terminal timings in force.
    pub fn terminal_timings(&self) -> TerminalTimings {
        self.terminal.timings()
    }

    /// Sets how long the till waits for its terminal (tests, a slow terminal).
    pub fn set_terminal_timings(&self, timings: TerminalTimings) {
        self.terminal.set_timings(timings);
    }

    /// The terminal password of POS `pos_id`: the one a manager stored, else the
    /// factory default 000000.
    pub(crate) fn terminal_password(&self, pos_id: i64) -> Result<Password, AppError> {
        match self.secret_store()?.get(pos_id, SECRET_SCOPE, PASSWORD_FIELD)? {
            Some(secret) => Password::parse(secret.expose()).map_err(|e| {
                AppError::Conflict(format!(
                    "the stored card terminal password of POS {pos_id} is unusable ({e}); enter it again"
                ))
            }),
            None => Ok(Password::default()),
        }
    }

    /// Stores (or, with `None`, forgets) the terminal password of POS `pos_id`, in the
    /// secret store (managers only).
    pub fn set_terminal_password(
        &self,
        actor: &Actor,
        pos_id: i64,
        password: Option<&str>,
    ) -> Result<(), AppError> {
        self.read(|conn| {
            self.authorize(
                conn,
                actor,
                &[kassa_core::org::Role::Manager],
                "set the card terminal password",
            )?;
            kassa_store::pos_devices::get(conn, pos_id)?
                .ok_or_else(|| AppError::NotFound(format!("POS device {pos_id} does not exist")))?;
            Ok(())
        })?;
        let secret = match password {
            Some(text) => Some(kassa_providers::Secret::new(
                Password::parse(text)
                    .map_err(|e| AppError::validation("terminal.password", e.to_string()))?
                    .digits(),
            )),
            None => None,
        };
        let mut secrets = std::collections::BTreeMap::new();
        secrets.insert(PASSWORD_FIELD.to_owned(), secret);
        self.secret_store()?.put_all(pos_id, SECRET_SCOPE, &secrets)
    }

    /// This till's POS, currency and terminal settings.
    fn till_terminal(&self) -> Result<(i64, Currency, TerminalSettings), AppError> {
        self.read(|conn| {
            let till = self.till(conn)?;
            let settings = till.pos.terminal.clone().ok_or_else(|| {
                AppError::validation(
                    "terminal",
                    format!(
                        "POS {} has no card terminal set up; a manager sets its port or LAN address in the POS settings",
                        till.pos.name
                    ),
                )
            })?;
            Ok((till.pos.id, till.currency, settings))
        })
    }

    /// The terminal's connection, opened and registered when needed.
    fn hold_terminal(&self) -> Result<(Held<'_>, i64, Currency), AppError> {
        let (pos_id, currency, settings) = self.till_terminal()?;
        let password = self.terminal_password(pos_id)?;
        let held = self.terminal.hold(&settings, password, currency)?;
        Ok((held, pos_id, currency))
    }

    /// Takes `amount` (all that is left when absent) by card on the till's integrated
    /// terminal, waiting for the card holder: the terminal's messages reach `progress`
    /// (and the tender's prompt, for a screen that polls) as they come. Returns when the
    /// terminal has ended the payment, or lost it (then the payment is unknown, and
    /// [`Kassa::reconcile_payment`] asks the terminal when it is back).
    pub fn pay_by_terminal(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
        progress: &mut dyn FnMut(&CashierPrompt),
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let (mut held, pos_id, currency) = self.hold_terminal()?;
        self.learn_terminal_baseline(&mut held, pos_id)?;
        let at = crate::timestamp(self.now());
        let (opened, ()) = self.open_tender(
            actor,
            sale_id,
            amount,
            TenderMethod::CardTerminal,
            "card",
            |tx, opened| {
                let after = terminal_steps::last_with_trace(tx, pos_id)?;
                terminal_steps::insert(
                    tx,
                    &TerminalStep {
                        amount_minor: Some(opened.amount.to_minor()?),
                        ..plain_step(
                            pos_id,
                            Some(opened.tender_id),
                            "requested",
                            json!({ "afterTrace": after.and_then(|s| s.trace), "command": "authorization" }),
                            &at,
                        )
                    },
                )?;
                Ok(())
            },
        )?;
        let minor = opened.amount.to_minor()?;
        let result = self.run_on_terminal(
            &mut held,
            pos_id,
            opened.tender_id,
            currency,
            minor,
            Purpose::Payment,
            progress,
        );
        self.terminal.clear_abort(opened.tender_id);
        result
    }

    /// Once per POS, before its first payment: the terminal's last transaction, so that a
    /// lost result of the first payment can be matched like any other.
    fn learn_terminal_baseline(&self, held: &mut Held<'_>, pos_id: i64) -> Result<(), AppError> {
        let known = self.read(|conn| {
            Ok(terminal_steps::last_with_trace(conn, pos_id)?.is_some()
                || terminal_steps::last_named(conn, pos_id, "baseline")?.is_some())
        })?;
        if known {
            return Ok(());
        }
        let client = held.client();
        let command = commands::repeat_receipt(client.password(), true);
        let exchange = client.run(&command, CommandKind::Transaction, &|| false, &mut |_| {});
        if matches!(exchange.end, End::Lost { .. }) {
            held.forget();
            return Err(AppError::coded(
                crate::error::ErrorCode::TerminalFailed,
                None,
                format!("the card terminal did not answer: {}", describe_end(&exchange).1),
            ));
        }
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let step = match exchange.result() {
                Some(info) => result_step(pos_id, None, "baseline", info, &at),
                None => plain_step(pos_id, None, "baseline", json!({ "lastTransaction": null }), &at),
            };
            terminal_steps::insert(tx, &step)?;
            Ok(())
        })
    }

    /// Runs a payment, refund or reversal of a stored pending tender on the terminal and
    /// records what came of it.
    #[allow(clippy::too_many_arguments)]
    fn run_on_terminal(
        &self,
        held: &mut Held<'_>,
        pos_id: i64,
        tender_id: i64,
        currency: Currency,
        amount_minor: i64,
        purpose: Purpose,
        progress: &mut dyn FnMut(&CashierPrompt),
    ) -> Result<SaleView, AppError> {
        let flag = self.terminal.abort_flag(tender_id);
        let client = held.client();
        let password = client.password();
        let unsigned = amount_minor.unsigned_abs();
        let command = match purpose {
            Purpose::Payment => commands::authorization(unsigned, currency.numeric()),
            Purpose::Refund => commands::refund(password, unsigned, currency.numeric()),
            Purpose::Reversal { receipt } => commands::reversal(password, receipt),
        }
        .map_err(|e| AppError::Internal(format!("the terminal command could not be built: {e}")))?;
        let amount_text = money(unsigned as i64, currency);
        let mut lines: Vec<String> = Vec::new();
        let mut record_failed = None;
        let exchange = client.run(
            &command,
            CommandKind::Transaction,
            &|| flag.load(Ordering::SeqCst),
            &mut |p| {
                let at = crate::timestamp(self.now());
                let written = match p {
                    Progress::Status(code) => {
                        lines.push(texts::status_text(code));
                        let prompt = terminal_prompt(amount_text, &lines);
                        progress(&prompt);
                        self.write(|tx| {
                            sales::set_tender_detail(
                                tx,
                                tender_id,
                                &json!({ "prompt": prompt }).to_string(),
                            )?;
                            Ok(())
                        })
                    }
                    Progress::Result(info) => self.write(|tx| {
                        terminal_steps::insert(
                            tx,
                            &result_step(pos_id, Some(tender_id), "result", info, &at),
                        )?;
                        Ok(())
                    }),
                    Progress::Line(_) | Progress::Texts(_) => Ok(()),
                };
                if let Err(error) = written {
                    record_failed.get_or_insert(error);
                }
            },
        );
        if let Some(error) = record_failed {
            tracing::error!(tender_id, "a terminal message could not be recorded: {error}");
        }
        let receipt_lines: Vec<String> = exchange
            .print_lines
            .iter()
            .map(|l| client.text(&l.text))
            .collect();
        let (_, ended) = describe_end(&exchange);
        if matches!(exchange.end, End::Lost { .. }) {
            held.forget();
        }
        let mut steps = Vec::new();
        let at = crate::timestamp(self.now());
        if !receipt_lines.is_empty() {
            steps.push(plain_step(
                pos_id,
                Some(tender_id),
                "receipt",
                json!({ "lines": receipt_lines }),
                &at,
            ));
        }
        steps.push(plain_step(
            pos_id,
            Some(tender_id),
            "ended",
            json!({ "end": ended, "abortSent": exchange.abort_sent }),
            &at,
        ));
        let expected = match purpose {
            // A reversal reports the reversed payment's amount.
            Purpose::Reversal { .. } | Purpose::Payment | Purpose::Refund => amount_minor.abs(),
        };
        let outcome = match outcome_of_exchange(&exchange, expected) {
            Ok(outcome) => outcome,
            Err(WrongAmount(info)) => {
                self.reverse_wrong_amount(held, pos_id, tender_id, &info, amount_minor, &mut steps)
            }
        };
        self.record_terminal_outcome(tender_id, steps, outcome)
    }

    /// The terminal approved another amount than asked: reverse it at once, by its
    /// receipt number, and say what happened.
    fn reverse_wrong_amount(
        &self,
        held: &mut Held<'_>,
        pos_id: i64,
        tender_id: i64,
        info: &StatusInformation,
        asked_minor: i64,
        steps: &mut Vec<TerminalStep>,
    ) -> PaymentOutcome {
        let at = crate::timestamp(self.now());
        let taken = info.amount_minor.unwrap_or_default();
        let Some(receipt) = info.receipt.and_then(|r| u16::try_from(r).ok()) else {
            return PaymentOutcome::Unknown {
                detail: format!(
                    "the card terminal approved {taken} minor units instead of {asked_minor} and gave no receipt \
                     number to reverse it by; reverse it on the terminal, then settle this payment by hand"
                ),
            };
        };
        let client = held.client();
        let exchange = match commands::reversal(client.password(), receipt) {
            Ok(command) => client.run(&command, CommandKind::Transaction, &|| false, &mut |_| {}),
            Err(error) => {
                return PaymentOutcome::Unknown {
                    detail: format!("the wrong amount could not be reversed: {error}"),
                };
            }
        };
        let reversed = exchange.result().and_then(|r| r.result_code) == Some(texts::SUCCESS);
        if let Some(result) = exchange.result() {
            steps.push(result_step(pos_id, Some(tender_id), "reversal", result, &at));
        }
        if matches!(exchange.end, End::Lost { .. }) {
            held.forget();
        }
        if reversed {
            PaymentOutcome::Declined {
                reason: format!(
                    "the card terminal took {taken} minor units instead of {asked_minor}; Kassa reversed it (receipt {receipt:04})"
                ),
            }
        } else {
            PaymentOutcome::Unknown {
                detail: format!(
                    "the card terminal took {taken} minor units instead of {asked_minor}, and reversing it (receipt \
                     {receipt:04}) failed: {}; reverse it on the terminal, then settle this payment by hand",
                    describe_end(&exchange).1
                ),
            }
        }
    }

    /// Commits a terminal tender's steps and outcome together.
    fn record_terminal_outcome(
        &self,
        tender_id: i64,
        steps: Vec<TerminalStep>,
        outcome: PaymentOutcome,
    ) -> Result<SaleView, AppError> {
        let now = self.now();
        let at = crate::timestamp(now);
        self.write(|tx| {
            let till = self.till(tx)?;
            for step in &steps {
                terminal_steps::insert(tx, step)?;
            }
            let tender = sales::get_tender(tx, tender_id)?
                .ok_or_else(|| AppError::Internal(format!("payment {tender_id} vanished")))?;
            match outcome {
                PaymentOutcome::Unknown { detail } => {
                    if tender.status == TenderStatus::Pending {
                        self.apply_outcome(
                            tx,
                            &till,
                            &tender,
                            PaymentOutcome::Unknown {
                                detail: detail.clone(),
                            },
                            now,
                        )?;
                        sales::set_status(tx, tender.sale_id, SaleStatus::Unknown, &at)?;
                    }
                    sales::set_tender_detail(tx, tender.id, &json!({ "unknown": detail }).to_string())?;
                }
                outcome => self.apply_outcome(tx, &till, &tender, outcome, now)?,
            }
            self.sale_view(tx, tender.sale_id)
        })
    }

    /// Asks the running terminal payment of `tender` to abort. The terminal may still
    /// approve it: the payment's own call reports whatever comes back.
    pub(crate) fn request_terminal_abort(&self, tender: &TenderRow) -> Result<SaleView, AppError> {
        if !self.terminal.request_abort(tender.id) {
            return Err(AppError::Conflict(format!(
                "payment {} is not running on this till's terminal; if the app was restarted, it is \
                 reconciled with the terminal",
                tender.reference
            )));
        }
        self.read(|conn| self.sale_view(conn, tender.sale_id))
    }

    /// Resolves a terminal payment whose result was lost (see the module's table).
    pub(crate) fn reconcile_terminal_tender(&self, tender: &TenderRow) -> Result<SaleView, AppError> {
        let (steps, pos_id) = self.read(|conn| {
            let till = self.till(conn)?;
            Ok((terminal_steps::of_tender(conn, tender.id)?, till.pos.id))
        })?;
        let amount = tender.amount_minor.abs();
        let after_trace = after_trace_of(&steps);
        let at = crate::timestamp(self.now());
        // The result was stored before the line (or the app) went: it decides.
        if let Some(stored) = steps.iter().rev().find(|s| s.step == "result") {
            let outcome = match stored.result_code {
                Some(0) if stored.amount_minor == Some(amount) => PaymentOutcome::approved(
                    stored
                        .receipt
                        .map(|r| format!("receipt {r:04} trace {:06}", stored.trace.unwrap_or_default())),
                ),
                Some(0) => PaymentOutcome::Unknown {
                    detail: format!(
                        "the card terminal approved {} minor units instead of {amount}; reverse it on the terminal \
                         (receipt {}), then settle this payment by hand",
                        stored.amount_minor.unwrap_or_default(),
                        stored.receipt.unwrap_or_default()
                    ),
                },
                Some(code) if code == i64::from(texts::ABORTED) => PaymentOutcome::Cancelled,
                Some(code) => PaymentOutcome::Declined {
                    reason: texts::describe_result(code as u8),
                },
                None => PaymentOutcome::Unknown {
                    detail: "the stored terminal result has no result code".into(),
                },
            };
            return self.record_reconciled(tender, Vec::new(), outcome);
        }
        let (mut held, pos_id_now, _) = self.hold_terminal()?;
        if pos_id_now != pos_id {
            return Err(AppError::Internal("the till changed while reconciling".into()));
        }
        let client = held.client();
        let command = commands::repeat_receipt(client.password(), true);
        let exchange = client.run(&command, CommandKind::Transaction, &|| false, &mut |_| {});
        let mut new_steps = Vec::new();
        let outcome = match exchange.result() {
            Some(info) => {
                new_steps.push(result_step(pos_id, Some(tender.id), "reconciled", info, &at));
                match matches_outcome(info, amount, after_trace) {
                    Ok(outcome) => outcome,
                    Err(detail) => PaymentOutcome::Unknown { detail },
                }
            }
            None => match &exchange.end {
                End::Lost { .. } => {
                    held.forget();
                    PaymentOutcome::Unknown {
                        detail: format!("the card terminal did not answer: {}", describe_end(&exchange).1),
                    }
                }
                // "Nothing to repeat": the terminal has made no transaction at all.
                _ if after_trace.is_none() => PaymentOutcome::Cancelled,
                _ => PaymentOutcome::Unknown {
                    detail: format!(
                        "the card terminal would not say what its last transaction was ({}); check its journal \
                         and settle this payment by hand",
                        describe_end(&exchange).1
                    ),
                },
            },
        };
        drop(held);
        self.record_reconciled(tender, new_steps, outcome)
    }

    fn record_reconciled(
        &self,
        tender: &TenderRow,
        steps: Vec<TerminalStep>,
        outcome: PaymentOutcome,
    ) -> Result<SaleView, AppError> {
        let now = self.now();
        self.write(|tx| {
            let till = self.till(tx)?;
            for step in &steps {
                terminal_steps::insert(tx, step)?;
            }
            let current = sales::get_tender(tx, tender.id)?
                .ok_or_else(|| AppError::Internal(format!("payment {} vanished", tender.id)))?;
            match outcome {
                PaymentOutcome::Unknown { detail } => {
                    sales::set_tender_detail(tx, current.id, &json!({ "unknown": detail }).to_string())?;
                }
                outcome if current.status == TenderStatus::Unknown => {
                    self.apply_outcome(tx, &till, &current, outcome, now)?;
                }
                _ => {}
            }
            self.sale_view(tx, current.sale_id)
        })
    }

    /// Sends a credit note's pending terminal refunds, each a reversal when it gives the
    /// whole payment back before the terminal's end of day, else a refund to the card.
    pub(crate) fn start_terminal_refunds(&self, refund_sale_id: i64) -> Result<(), AppError> {
        let pending = self.read(|conn| {
            let mut pending = Vec::new();
            for tender in sales::tenders(conn, refund_sale_id)? {
                if tender.method != TenderMethod::CardTerminal || tender.status != TenderStatus::Pending {
                    continue;
                }
                let original_id = tender.original_tender_id.ok_or_else(|| {
                    AppError::Internal(format!(
                        "card refund {} names no original payment",
                        tender.reference
                    ))
                })?;
                let original = sales::get_tender(conn, original_id)?
                    .ok_or_else(|| AppError::Internal(format!("payment {original_id} vanished")))?;
                let result = terminal_steps::of_tender(conn, original_id)?
                    .into_iter()
                    .rev()
                    .find(|s| matches!(s.step.as_str(), "result" | "reconciled") && s.result_code == Some(0));
                let end_of_day = terminal_steps::last_named(conn, self.till(conn)?.pos.id, "end_of_day")?;
                let reversible = match (&result, &end_of_day) {
                    (Some(result), None) => result.receipt,
                    (Some(result), Some(closed)) if closed.id < result.id => result.receipt,
                    _ => None,
                };
                let purpose = match reversible {
                    Some(receipt) if -tender.amount_minor == original.amount_minor => Purpose::Reversal {
                        receipt: u16::try_from(receipt).unwrap_or_default(),
                    },
                    _ => Purpose::Refund,
                };
                pending.push((tender, purpose));
            }
            Ok(pending)
        })?;
        if pending.is_empty() {
            return Ok(());
        }
        let (mut held, pos_id, currency) = self.hold_terminal()?;
        for (tender, purpose) in pending {
            let at = crate::timestamp(self.now());
            self.write(|tx| {
                sales::claim_pending_tenders(tx, refund_sale_id, self.instance_id())?;
                let after = terminal_steps::last_with_trace(tx, pos_id)?;
                terminal_steps::insert(
                    tx,
                    &TerminalStep {
                        amount_minor: Some(tender.amount_minor),
                        ..plain_step(
                            pos_id,
                            Some(tender.id),
                            "requested",
                            json!({
                                "afterTrace": after.and_then(|s| s.trace),
                                "command": match purpose { Purpose::Reversal { .. } => "reversal", _ => "refund" },
                            }),
                            &at,
                        )
                    },
                )?;
                Ok(())
            })?;
            let result = self.run_on_terminal(
                &mut held,
                pos_id,
                tender.id,
                currency,
                tender.amount_minor,
                purpose,
                &mut |_| {},
            );
            self.terminal.clear_abort(tender.id);
            result?;
        }
        Ok(())
    }

    /// The serial ports of this machine for the terminal settings, the demo's virtual
    /// terminal among them (managers).
    pub fn serial_ports(&self, actor: &Actor) -> Result<Vec<crate::card_terminal::SerialPortView>, AppError> {
        self.read(|conn| {
            self.authorize(
                conn,
                actor,
                &[kassa_core::org::Role::Manager],
                "list serial ports",
            )
            .map(|_| ())
        })?;
        let extra: Vec<String> = std::env::var("KASSA_VIRTUAL_TERMINAL").ok().into_iter().collect();
        Ok(crate::card_terminal::serial_ports(&extra))
    }

    /// Registration and status enquiry: whether the till reaches its terminal (the
    /// settings screen's Test connection; any seller may look).
    pub fn test_terminal_connection(&self, actor: &Actor) -> Result<TerminalReport, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, SELL, "use the card terminal")
                .map(|_| ())
        })?;
        let (mut held, _, _) = self.hold_terminal()?;
        let client = held.client();
        let exchange = client.run(
            &commands::status_enquiry(client.password()),
            CommandKind::Transaction,
            &|| false,
            &mut |_| {},
        );
        let report = TerminalReport::of(client, "status", &exchange);
        if matches!(exchange.end, End::Lost { .. }) {
            held.forget();
        }
        Ok(report)
    }

    /// The terminal's end of day, compared with the card payments the till recorded on it
    /// since the last one (managers).
    pub fn terminal_end_of_day(&self, actor: &Actor) -> Result<TerminalEndOfDay, AppError> {
        let (pos_id, since) = self.read(|conn| {
            self.authorize(
                conn,
                actor,
                &[kassa_core::org::Role::Manager],
                "run the terminal's end of day",
            )?;
            let till = self.till(conn)?;
            let since = terminal_steps::last_named(conn, till.pos.id, "end_of_day")?.map_or(0, |s| s.id);
            Ok((till.pos.id, since))
        })?;
        let (mut held, _, currency) = self.hold_terminal()?;
        let client = held.client();
        let exchange = client.run(
            &commands::end_of_day(client.password()),
            CommandKind::Transaction,
            &|| false,
            &mut |_| {},
        );
        let report = TerminalReport::of(client, "end of day", &exchange);
        if matches!(exchange.end, End::Lost { .. }) {
            held.forget();
        }
        drop(held);
        let at = crate::timestamp(self.now());
        let till_total = self.write(|tx| {
            // What the till's own record says the terminal took since the last end of day:
            // approved terminal payments less refunds, by their tenders.
            let total = terminal_steps::terminal_total_since(tx, pos_id, since)?;
            if report.ok {
                terminal_steps::insert(
                    tx,
                    &TerminalStep {
                        amount_minor: report.amount_minor,
                        ..plain_step(
                            pos_id,
                            None,
                            "end_of_day",
                            json!({ "tillTotal": total, "report": report.message }),
                            &at,
                        )
                    },
                )?;
            }
            Ok(total)
        })?;
        Ok(TerminalEndOfDay {
            difference: report
                .amount_minor
                .map(|t| money(t - till_total, currency).amount_string()),
            terminal_total: report.amount_minor.map(|t| money(t, currency).amount_string()),
            till_total: money(till_total, currency).amount_string(),
            currency: currency.code().to_owned(),
            report,
        })
    }
}

/// The terminal's end of day beside the till's record of the same period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TerminalEndOfDay {
    pub report: TerminalReport,
    /// What the terminal says it took, as a decimal in `currency`.
    pub terminal_total: Option<String>,
    /// What the till recorded as taken on the terminal.
    pub till_total: String,
    /// Terminal minus till: anything but zero is a difference to look into.
    pub difference: Option<String>,
    pub currency: String,
}

/// What the cashier sees while the card holder is at the terminal.
fn terminal_prompt(amount: Money, lines: &[String]) -> CashierPrompt {
    CashierPrompt {
        status_lines: lines.to_vec(),
        ..CashierPrompt::said(
            lines.last().map_or_else(
                || format!("Waiting for the customer to pay {amount} on the card terminal"),
                |l| format!("Card terminal: {l}"),
            ),
            PromptText::TerminalWaiting {
                amount: amount.amount_string(),
                currency: amount.currency().code().to_owned(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(trace: u64, amount: u64, result: u8) -> StatusInformation {
        StatusInformation {
            result_code: Some(result),
            amount_minor: Some(amount),
            trace: Some(trace),
            receipt: Some(7),
            ..StatusInformation::default()
        }
    }

    #[test]
    fn a_lost_result_is_matched_only_with_certainty() {
        assert_eq!(
            matches_outcome(&info(41, 2500, 0), 2500, Some(41)),
            Ok(PaymentOutcome::Cancelled)
        );
        assert!(matches!(
            matches_outcome(&info(42, 2500, 0), 2500, Some(41)),
            Ok(PaymentOutcome::Approved { .. })
        ));
        assert!(matches!(
            matches_outcome(&info(42, 2500, 5), 2500, Some(41)),
            Ok(PaymentOutcome::Declined { .. })
        ));
        assert!(matches!(
            matches_outcome(&info(0, 2500, 0), 2500, Some(999_999)),
            Ok(PaymentOutcome::Approved { .. })
        ));
        // Another amount, a skipped trace, or no trace known before: a manager decides.
        assert!(matches_outcome(&info(42, 2400, 0), 2500, Some(41)).is_err());
        assert!(matches_outcome(&info(43, 2500, 0), 2500, Some(41)).is_err());
        assert!(matches_outcome(&info(42, 2500, 0), 2500, None).is_err());
    }
}
