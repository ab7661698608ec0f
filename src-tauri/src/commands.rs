//! The commands the UI calls. Each one only fetches the service and the signed-in actor
//! from the shell's state and delegates to `kassa-app`; no rule lives here.

use std::sync::Arc;

use tauri::State;

use kassa_app::{
    ApiError, AppError, AppStatus, AuditEntry, Brand, BrandInput, CashMovementKind, Category, ConnectionTest,
    DiscountInput, DroppayRegistration, FirstRunInput, ImportPreview, JournalReport, Kassa, Language,
    LoyaltyUsage, ManagerApproval, PosDevice, PosDeviceInput, PosStatus, ProductInput, ProductView, Provider,
    ProviderAccountInput, ProviderAccountView, ReceiptCopy, ReceiptPreview, RefundInput, RefundableSale,
    ReturnItemInput, Role, SaleSummary, SaleView, Session, ShiftReport, ShiftView, Store, StoreInput, User,
    UserInput, VoucherView, WebhookListenerStatus,
};

use crate::state::Shell;

/// Runs blocking work (SQLite, argon2) off the UI thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, ApiError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::from(AppError::Internal(format!("background task failed: {e}"))))?
        .map_err(ApiError::from)
}

/// Runs a use case as the signed-in user.
async fn as_actor<T: Send + 'static>(
    shell: &Shell,
    work: impl FnOnce(&Kassa, &kassa_app::Actor) -> Result<T, AppError> + Send + 'static,
) -> Result<T, ApiError> {
    let (kassa, actor) = shell.signed_in()?;
    blocking(move || work(&kassa, &actor)).await
}

#[tauri::command]
#[specta::specta]
pub async fn app_status(shell: State<'_, Shell>) -> Result<AppStatus, ApiError> {
    let kassa: Arc<Kassa> = shell.kassa()?;
    let actor = shell.actor();
    blocking(move || kassa.status(actor.as_ref())).await
}

#[tauri::command]
#[specta::specta]
pub async fn first_run_setup(shell: State<'_, Shell>, input: FirstRunInput) -> Result<Session, ApiError> {
    let kassa = shell.kassa()?;
    let (actor, session) = blocking(move || kassa.first_run_setup(&input)).await?;
    shell.set_actor(Some(actor));
    Ok(session)
}

#[tauri::command]
#[specta::specta]
pub async fn login(shell: State<'_, Shell>, name: String, pin: String) -> Result<Session, ApiError> {
    let kassa = shell.kassa()?;
    let (actor, session) = blocking(move || kassa.login(&name, &pin)).await?;
    shell.set_actor(Some(actor));
    Ok(session)
}

#[tauri::command]
#[specta::specta]
pub async fn logout(shell: State<'_, Shell>) -> Result<(), ApiError> {
    shell.set_actor(None);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn list_brands(shell: State<'_, Shell>) -> Result<Vec<Brand>, ApiError> {
    as_actor(&shell, |k, a| k.list_brands(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_brand(shell: State<'_, Shell>, input: BrandInput) -> Result<Brand, ApiError> {
    as_actor(&shell, move |k, a| k.create_brand(a, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_brand(shell: State<'_, Shell>, id: i64, input: BrandInput) -> Result<Brand, ApiError> {
    as_actor(&shell, move |k, a| k.update_brand(a, id, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_stores(shell: State<'_, Shell>) -> Result<Vec<Store>, ApiError> {
    as_actor(&shell, |k, a| k.list_stores(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_store(shell: State<'_, Shell>, input: StoreInput) -> Result<Store, ApiError> {
    as_actor(&shell, move |k, a| k.create_store(a, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_store(shell: State<'_, Shell>, id: i64, input: StoreInput) -> Result<Store, ApiError> {
    as_actor(&shell, move |k, a| k.update_store(a, id, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_pos_devices(
    shell: State<'_, Shell>,
    store_id: Option<i64>,
    include_deleted: bool,
) -> Result<Vec<PosDevice>, ApiError> {
    as_actor(&shell, move |k, a| {
        k.list_pos_devices(a, store_id, include_deleted)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn create_pos_device(
    shell: State<'_, Shell>,
    input: PosDeviceInput,
) -> Result<PosDevice, ApiError> {
    as_actor(&shell, move |k, a| k.create_pos_device(a, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_pos_device(
    shell: State<'_, Shell>,
    id: i64,
    input: PosDeviceInput,
) -> Result<PosDevice, ApiError> {
    as_actor(&shell, move |k, a| k.update_pos_device(a, id, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_pos_device_status(
    shell: State<'_, Shell>,
    id: i64,
    status: PosStatus,
) -> Result<PosDevice, ApiError> {
    as_actor(&shell, move |k, a| k.set_pos_device_status(a, id, status)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_pos_device(shell: State<'_, Shell>, id: i64) -> Result<PosDevice, ApiError> {
    as_actor(&shell, move |k, a| k.delete_pos_device(a, id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn bind_this_installation(shell: State<'_, Shell>, pos_id: i64) -> Result<AppStatus, ApiError> {
    as_actor(&shell, move |k, a| k.bind_installation(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn audit_trail(
    shell: State<'_, Shell>,
    entity: Option<String>,
    entity_id: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, ApiError> {
    as_actor(&shell, move |k, a| {
        k.audit_trail(a, entity.as_deref(), entity_id, limit)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_users(shell: State<'_, Shell>) -> Result<Vec<User>, ApiError> {
    as_actor(&shell, |k, a| k.list_users(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_user(shell: State<'_, Shell>, input: UserInput) -> Result<User, ApiError> {
    as_actor(&shell, move |k, a| k.create_user(a, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn change_user_role(shell: State<'_, Shell>, id: i64, role: Role) -> Result<User, ApiError> {
    as_actor(&shell, move |k, a| k.change_user_role(a, id, role)).await
}

#[tauri::command]
#[specta::specta]
pub async fn reset_user_pin(shell: State<'_, Shell>, id: i64, pin: String) -> Result<User, ApiError> {
    as_actor(&shell, move |k, a| k.reset_user_pin(a, id, &pin)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_user_active(shell: State<'_, Shell>, id: i64, active: bool) -> Result<User, ApiError> {
    as_actor(&shell, move |k, a| k.set_user_active(a, id, active)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_language(shell: State<'_, Shell>, language: Language) -> Result<AppStatus, ApiError> {
    as_actor(&shell, move |k, a| k.set_language(a, language)).await
}

// ---- Selling ----

#[tauri::command]
#[specta::specta]
pub async fn current_sale(shell: State<'_, Shell>) -> Result<Option<SaleView>, ApiError> {
    as_actor(&shell, |k, a| k.current_sale(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_item(
    shell: State<'_, Shell>,
    code: String,
    quantity: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.add_item(a, &code, quantity.as_deref())).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_line_quantity(
    shell: State<'_, Shell>,
    sale_id: i64,
    line_id: i64,
    quantity: String,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_line_quantity(a, sale_id, line_id, &quantity)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_line(shell: State<'_, Shell>, sale_id: i64, line_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.remove_line(a, sale_id, line_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_line_discount(
    shell: State<'_, Shell>,
    sale_id: i64,
    line_id: i64,
    discount: Option<DiscountInput>,
    approval: Option<ManagerApproval>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_line_discount(a, sale_id, line_id, discount, approval.as_ref())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_order_discount(
    shell: State<'_, Shell>,
    sale_id: i64,
    discount: Option<DiscountInput>,
    approval: Option<ManagerApproval>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_order_discount(a, sale_id, discount, approval.as_ref())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn discount_limit(shell: State<'_, Shell>, store_id: i64) -> Result<String, ApiError> {
    as_actor(&shell, move |k, a| k.discount_limit(a, store_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_discount_limit(
    shell: State<'_, Shell>,
    store_id: i64,
    percent: String,
) -> Result<String, ApiError> {
    as_actor(&shell, move |k, a| k.set_discount_limit(a, store_id, &percent)).await
}

#[tauri::command]
#[specta::specta]
pub async fn override_price(
    shell: State<'_, Shell>,
    sale_id: i64,
    line_id: i64,
    price: String,
    approval: ManagerApproval,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.override_price(a, sale_id, line_id, &price, &approval)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_customer_ref(
    shell: State<'_, Shell>,
    sale_id: i64,
    customer_ref: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_customer_ref(a, sale_id, customer_ref.as_deref())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn park_sale(shell: State<'_, Shell>, sale_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.park_sale(a, sale_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn parked_sales(shell: State<'_, Shell>) -> Result<Vec<SaleView>, ApiError> {
    as_actor(&shell, |k, a| k.parked_sales(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn recall_sale(shell: State<'_, Shell>, sale_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.recall_sale(a, sale_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn void_sale(
    shell: State<'_, Shell>,
    sale_id: i64,
    approval: Option<ManagerApproval>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.void_sale(a, sale_id, approval.as_ref())).await
}

#[tauri::command]
#[specta::specta]
pub async fn retry_card_refund(shell: State<'_, Shell>, refund_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.retry_card_refund(a, refund_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn refund_rest_in_cash(
    shell: State<'_, Shell>,
    refund_id: i64,
    approval: ManagerApproval,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.refund_rest_in_cash(a, refund_id, &approval)).await
}

// ---- Payments ----

#[tauri::command]
#[specta::specta]
pub async fn pay_cash(shell: State<'_, Shell>, sale_id: i64, tendered: String) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.pay_cash(a, sale_id, &tendered)).await
}

#[tauri::command]
#[specta::specta]
pub async fn start_card_payment(
    shell: State<'_, Shell>,
    sale_id: i64,
    amount: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.start_card_payment(a, sale_id, amount.as_deref())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn confirm_card_payment(
    shell: State<'_, Shell>,
    tender_id: i64,
    approved: bool,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.confirm_card_payment(a, tender_id, approved)).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_card_payment(shell: State<'_, Shell>, tender_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.cancel_card_payment(a, tender_id)).await
}

/// The providers the bound till takes payments through (its SWiP and Vourity keys).
#[tauri::command]
#[specta::specta]
pub async fn till_payment_providers(shell: State<'_, Shell>) -> Result<Vec<Provider>, ApiError> {
    as_actor(&shell, |k, a| k.till_payment_providers(a)).await
}

/// Starts a SWiP payment; its QR code comes back in the tender's prompt.
#[tauri::command]
#[specta::specta]
pub async fn start_swip_payment(
    shell: State<'_, Shell>,
    sale_id: i64,
    amount: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.start_swip_payment(a, sale_id, amount.as_deref())
    })
    .await
}

/// Starts a card payment on the till's Vourity cloud terminal.
#[tauri::command]
#[specta::specta]
pub async fn start_vourity_payment(
    shell: State<'_, Shell>,
    sale_id: i64,
    amount: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.start_vourity_payment(a, sale_id, amount.as_deref())
    })
    .await
}

/// Takes the rest (or `amount`) by card on the till's integrated terminal (ZVT) and
/// returns when the terminal has ended the payment; meanwhile `poll_payment` shows the
/// terminal's messages and `cancel_payment` asks it to abort.
#[tauri::command]
#[specta::specta]
pub async fn pay_by_terminal(
    shell: State<'_, Shell>,
    sale_id: i64,
    amount: Option<String>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.pay_by_terminal(a, sale_id, amount.as_deref(), &mut |_| {})
    })
    .await
}

/// Registers with the till's card terminal and asks its status (Test connection).
#[tauri::command]
#[specta::specta]
pub async fn test_terminal_connection(
    shell: State<'_, Shell>,
) -> Result<kassa_app::card_terminal::TerminalReport, ApiError> {
    as_actor(&shell, move |k, a| k.test_terminal_connection(a)).await
}

/// The card terminal's end of day beside the till's own record (managers).
#[tauri::command]
#[specta::specta]
pub async fn terminal_end_of_day(shell: State<'_, Shell>) -> Result<kassa_app::TerminalEndOfDay, ApiError> {
    as_actor(&shell, move |k, a| k.terminal_end_of_day(a)).await
}

/// Stores (or, with null, forgets) a POS device's card terminal password (managers).
#[tauri::command]
#[specta::specta]
pub async fn set_terminal_password(
    shell: State<'_, Shell>,
    pos_id: i64,
    password: Option<String>,
) -> Result<(), ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_terminal_password(a, pos_id, password.as_deref())
    })
    .await
}

/// The serial ports of this machine, for the terminal settings (managers).
#[tauri::command]
#[specta::specta]
pub async fn serial_ports(
    shell: State<'_, Shell>,
) -> Result<Vec<kassa_app::card_terminal::SerialPortView>, ApiError> {
    as_actor(&shell, move |k, a| k.serial_ports(a)).await
}

/// Looks a Venue Manager voucher code up for the sale, without redeeming it.
#[tauri::command]
#[specta::specta]
pub async fn look_up_voucher(
    shell: State<'_, Shell>,
    sale_id: i64,
    code: String,
) -> Result<VoucherView, ApiError> {
    as_actor(&shell, move |k, a| k.look_up_voucher(a, sale_id, &code)).await
}

/// Pays with a voucher code, redeemed whole (`accept_forfeit`: the customer was told
/// that what it is worth above what is due is lost).
#[tauri::command]
#[specta::specta]
pub async fn pay_with_voucher(
    shell: State<'_, Shell>,
    sale_id: i64,
    code: String,
    accept_forfeit: bool,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.pay_with_voucher(a, sale_id, &code, accept_forfeit)
    })
    .await
}

/// Asks SWiP's loyalty programs for a discount on the open sale, before it is paid.
#[tauri::command]
#[specta::specta]
pub async fn apply_swip_loyalty(shell: State<'_, Shell>, sale_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.apply_swip_loyalty(a, sale_id)).await
}

/// The customer pays a pending SWiP order at the till instead: SWiP's order is closed with
/// the cash amount and the sale waits for the cash.
#[tauri::command]
#[specta::specta]
pub async fn pay_swip_order_at_till(shell: State<'_, Shell>, tender_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.pay_swip_order_at_till(a, tender_id)).await
}

/// Takes the loyalty discount off the open sale again.
#[tauri::command]
#[specta::specta]
pub async fn remove_loyalty_discount(shell: State<'_, Shell>, sale_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.remove_loyalty_discount(a, sale_id)).await
}

/// Registers a scanned Venue Manager loyalty barcode.
#[tauri::command]
#[specta::specta]
pub async fn register_loyalty_barcode(
    shell: State<'_, Shell>,
    code: String,
) -> Result<LoyaltyUsage, ApiError> {
    as_actor(&shell, move |k, a| k.register_loyalty_barcode(a, &code)).await
}

/// Takes a Flexiti payment on the customer's account number (authorize and capture, or
/// purchase); the answer comes at once.
#[tauri::command]
#[specta::specta]
pub async fn start_flexiti_payment(
    shell: State<'_, Shell>,
    sale_id: i64,
    account_number: String,
    amount: Option<String>,
    mode: kassa_app::FlexitiMode,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.start_flexiti_payment(a, sale_id, &account_number, amount.as_deref(), mode)
    })
    .await
}

/// A store's Flexiti location id, when set.
#[tauri::command]
#[specta::specta]
pub async fn store_flexiti_location(
    shell: State<'_, Shell>,
    store_id: i64,
) -> Result<Option<String>, ApiError> {
    as_actor(&shell, move |k, a| k.store_flexiti_location(a, store_id)).await
}

/// Sets or clears a store's Flexiti location id (managers).
#[tauri::command]
#[specta::specta]
pub async fn set_store_flexiti_location(
    shell: State<'_, Shell>,
    store_id: i64,
    location_id: Option<String>,
) -> Result<Option<String>, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_store_flexiti_location(a, store_id, location_id.as_deref())
    })
    .await
}

/// Sets or clears a user's Flexiti employee id (managers).
#[tauri::command]
#[specta::specta]
pub async fn set_user_flexiti_employee(
    shell: State<'_, Shell>,
    user_id: i64,
    employee_id: Option<String>,
) -> Result<Option<String>, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_user_flexiti_employee(a, user_id, employee_id.as_deref())
    })
    .await
}

/// Takes the till's Vourity terminal in or out of service (managers).
#[tauri::command]
#[specta::specta]
pub async fn set_vourity_terminal_status(
    shell: State<'_, Shell>,
    status: String,
) -> Result<String, ApiError> {
    as_actor(&shell, move |k, a| k.set_vourity_terminal_status(a, &status)).await
}

/// Answers the question a pending payment asks (a Vourity terminal's action request).
#[tauri::command]
#[specta::specta]
pub async fn answer_payment_question(
    shell: State<'_, Shell>,
    tender_id: i64,
    question_id: String,
    answer: String,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.answer_payment_question(a, tender_id, &question_id, &answer)
    })
    .await
}

/// Asks the provider where a pending payment is (the till calls it while it waits).
#[tauri::command]
#[specta::specta]
pub async fn poll_payment(shell: State<'_, Shell>, tender_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.poll_payment(a, tender_id)).await
}

/// Gives up on a pending provider payment (what was paid is kept).
#[tauri::command]
#[specta::specta]
pub async fn cancel_payment(shell: State<'_, Shell>, tender_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.cancel_payment(a, tender_id)).await
}

/// Asks the provider what became of a payment whose outcome is unknown.
#[tauri::command]
#[specta::specta]
pub async fn reconcile_payment(shell: State<'_, Shell>, tender_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.reconcile_payment(a, tender_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn resolve_unknown_payment(
    shell: State<'_, Shell>,
    tender_id: i64,
    approved: bool,
    approval: Option<ManagerApproval>,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.resolve_unknown_payment(a, tender_id, approved, approval.as_ref())
    })
    .await
}

// ---- Corrections ----

#[tauri::command]
#[specta::specta]
pub async fn find_receipt_for_refund(
    shell: State<'_, Shell>,
    receipt: String,
) -> Result<RefundableSale, ApiError> {
    as_actor(&shell, move |k, a| k.find_receipt_for_refund(a, &receipt)).await
}

#[tauri::command]
#[specta::specta]
pub async fn refund(shell: State<'_, Shell>, input: RefundInput) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.refund(a, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn post_void_last_sale(
    shell: State<'_, Shell>,
    approval: ManagerApproval,
    reason: String,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.post_void_last_sale(a, &approval, &reason)).await
}

#[tauri::command]
#[specta::specta]
pub async fn return_without_receipt(
    shell: State<'_, Shell>,
    items: Vec<ReturnItemInput>,
    reason: String,
    approval: ManagerApproval,
) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.return_without_receipt(a, &items, &reason, &approval)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn print_receipt_copy(
    shell: State<'_, Shell>,
    sale_id: i64,
    columns: u8,
) -> Result<ReceiptCopy, ApiError> {
    as_actor(&shell, move |k, a| k.print_receipt_copy(a, sale_id, columns)).await
}

// ---- Receipts and history ----

#[tauri::command]
#[specta::specta]
pub async fn receipt_preview(
    shell: State<'_, Shell>,
    sale_id: i64,
    columns: u8,
) -> Result<ReceiptPreview, ApiError> {
    as_actor(&shell, move |k, a| k.receipt_preview(a, sale_id, columns)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_sales(shell: State<'_, Shell>, limit: u32) -> Result<Vec<SaleSummary>, ApiError> {
    as_actor(&shell, move |k, a| k.list_sales(a, limit)).await
}

#[tauri::command]
#[specta::specta]
pub async fn sale(shell: State<'_, Shell>, sale_id: i64) -> Result<SaleView, ApiError> {
    as_actor(&shell, move |k, a| k.sale(a, sale_id)).await
}

// ---- Shifts and the journal ----

#[tauri::command]
#[specta::specta]
pub async fn current_shift(shell: State<'_, Shell>) -> Result<Option<ShiftView>, ApiError> {
    as_actor(&shell, |k, a| k.current_shift(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn open_shift(shell: State<'_, Shell>, float: String) -> Result<ShiftView, ApiError> {
    as_actor(&shell, move |k, a| k.open_shift(a, &float)).await
}

#[tauri::command]
#[specta::specta]
pub async fn cash_movement(
    shell: State<'_, Shell>,
    kind: CashMovementKind,
    amount: String,
    reason: String,
) -> Result<ShiftView, ApiError> {
    as_actor(&shell, move |k, a| k.cash_movement(a, kind, &amount, &reason)).await
}

#[tauri::command]
#[specta::specta]
pub async fn x_report(shell: State<'_, Shell>) -> Result<ShiftReport, ApiError> {
    as_actor(&shell, |k, a| k.x_report(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn close_shift(shell: State<'_, Shell>, counted: String) -> Result<ShiftReport, ApiError> {
    as_actor(&shell, move |k, a| k.close_shift(a, &counted)).await
}

#[tauri::command]
#[specta::specta]
pub async fn z_reports(shell: State<'_, Shell>) -> Result<Vec<ShiftReport>, ApiError> {
    as_actor(&shell, |k, a| k.z_reports(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn verify_journal(shell: State<'_, Shell>) -> Result<JournalReport, ApiError> {
    as_actor(&shell, |k, a| k.verify_journal(a)).await
}

// ---- Catalog ----

#[tauri::command]
#[specta::specta]
pub async fn search_products(
    shell: State<'_, Shell>,
    query: String,
    include_inactive: bool,
    limit: u32,
) -> Result<Vec<ProductView>, ApiError> {
    as_actor(&shell, move |k, a| {
        k.search_products(a, &query, include_inactive, limit)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_categories(shell: State<'_, Shell>) -> Result<Vec<Category>, ApiError> {
    as_actor(&shell, |k, a| k.list_categories(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_product(
    shell: State<'_, Shell>,
    id: Option<i64>,
    input: ProductInput,
) -> Result<ProductView, ApiError> {
    as_actor(&shell, move |k, a| k.save_product(a, id, &input)).await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_product_import(
    shell: State<'_, Shell>,
    csv_text: String,
) -> Result<ImportPreview, ApiError> {
    as_actor(&shell, move |k, a| k.preview_product_import(a, &csv_text)).await
}

#[tauri::command]
#[specta::specta]
pub async fn apply_product_import(
    shell: State<'_, Shell>,
    csv_text: String,
) -> Result<ImportPreview, ApiError> {
    as_actor(&shell, move |k, a| k.apply_product_import(a, &csv_text)).await
}

/// Reads the catalog of the Venue Manager shop of `pos_id`'s account; writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn preview_venue_manager_import(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<ImportPreview, ApiError> {
    as_actor(&shell, move |k, a| k.preview_venue_manager_import(a, pos_id)).await
}

/// Imports that catalog, all or nothing.
#[tauri::command]
#[specta::specta]
pub async fn apply_venue_manager_import(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<ImportPreview, ApiError> {
    as_actor(&shell, move |k, a| k.apply_venue_manager_import(a, pos_id)).await
}

// ---- The Vourity webhook listener ----

#[tauri::command]
#[specta::specta]
pub async fn vourity_webhook_status(shell: State<'_, Shell>) -> Result<WebhookListenerStatus, ApiError> {
    as_actor(&shell, |k, a| k.vourity_webhook_status(a)).await
}

// ---- The session's permissions and the idle lock ----

#[tauri::command]
#[specta::specta]
pub async fn session_permissions(shell: State<'_, Shell>) -> Result<kassa_app::Permissions, ApiError> {
    as_actor(&shell, |k, a| k.permissions(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn idle_lock_minutes(shell: State<'_, Shell>) -> Result<u32, ApiError> {
    as_actor(&shell, |k, a| k.idle_lock_minutes(a)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_idle_lock_minutes(shell: State<'_, Shell>, minutes: u32) -> Result<u32, ApiError> {
    as_actor(&shell, move |k, a| k.set_idle_lock_minutes(a, minutes)).await
}

#[tauri::command]
#[specta::specta]
pub async fn provider_accounts(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<Vec<ProviderAccountView>, ApiError> {
    as_actor(&shell, move |k, a| k.provider_accounts(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_provider_account(
    shell: State<'_, Shell>,
    pos_id: i64,
    provider: Provider,
    input: ProviderAccountInput,
) -> Result<ProviderAccountView, ApiError> {
    as_actor(&shell, move |k, a| {
        k.set_provider_account(a, pos_id, provider, input)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn test_provider_account(
    shell: State<'_, Shell>,
    pos_id: i64,
    provider: Provider,
) -> Result<ConnectionTest, ApiError> {
    as_actor(&shell, move |k, a| k.test_provider_account(a, pos_id, provider)).await
}

#[tauri::command]
#[specta::specta]
pub async fn droppay_registration(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.droppay_registration(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn droppay_state(shell: State<'_, Shell>, pos_id: i64) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.droppay_state(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn register_with_droppay(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.register_with_droppay(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn link_droppay_pos(
    shell: State<'_, Shell>,
    pos_id: i64,
    droppay_pos_id: String,
) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.link_droppay_pos(a, pos_id, &droppay_pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn confirm_no_droppay_pos(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.confirm_no_droppay_pos(a, pos_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_droppay_pos(
    shell: State<'_, Shell>,
    pos_id: i64,
) -> Result<DroppayRegistration, ApiError> {
    as_actor(&shell, move |k, a| k.delete_droppay_pos(a, pos_id)).await
}
