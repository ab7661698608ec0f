//! Kassa's desktop shell: registers the commands and opens the window. Everything the
//! commands do is in `kassa-app`; this crate is the only one that knows about Tauri.

mod commands;
pub mod startup;
mod state;

use tauri_specta::{Builder, collect_commands};

/// The command set, also used to generate `ui/src/lib/bindings.ts`.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        // Ids are SQLite rowids, far below 2^53, so a JavaScript number holds them exactly.
        .dangerously_cast_bigints_to_number()
        // Inputs and outputs share one TypeScript type each; our serde attributes are symmetric.
        .disable_serde_phases()
        .commands(collect_commands![
            commands::app_status,
            commands::first_run_setup,
            commands::login,
            commands::logout,
            commands::list_brands,
            commands::create_brand,
            commands::update_brand,
            commands::list_stores,
            commands::create_store,
            commands::update_store,
            commands::list_pos_devices,
            commands::create_pos_device,
            commands::update_pos_device,
            commands::set_pos_device_status,
            commands::delete_pos_device,
            commands::bind_this_installation,
            commands::audit_trail,
            commands::list_users,
            commands::create_user,
            commands::change_user_role,
            commands::reset_user_pin,
            commands::set_user_active,
            commands::set_language,
            commands::current_sale,
            commands::add_item,
            commands::set_line_quantity,
            commands::remove_line,
            commands::set_line_discount,
            commands::set_order_discount,
            commands::discount_limit,
            commands::set_discount_limit,
            commands::override_price,
            commands::set_customer_ref,
            commands::park_sale,
            commands::parked_sales,
            commands::recall_sale,
            commands::void_sale,
            commands::retry_card_refund,
            commands::refund_rest_in_cash,
            commands::pay_cash,
            commands::start_card_payment,
            commands::confirm_card_payment,
            commands::cancel_card_payment,
            commands::resolve_unknown_payment,
            commands::start_swip_payment,
            commands::start_vourity_payment,
            commands::pay_by_terminal,
            commands::test_terminal_connection,
            commands::terminal_end_of_day,
            commands::set_terminal_password,
            commands::serial_ports,
            commands::start_flexiti_payment,
            commands::store_flexiti_location,
            commands::set_store_flexiti_location,
            commands::set_user_flexiti_employee,
            commands::answer_payment_question,
            commands::set_vourity_terminal_status,
            commands::look_up_voucher,
            commands::pay_with_voucher,
            commands::apply_swip_loyalty,
            commands::pay_swip_order_at_till,
            commands::remove_loyalty_discount,
            commands::register_loyalty_barcode,
            commands::poll_payment,
            commands::till_payment_providers,
            commands::cancel_payment,
            commands::reconcile_payment,
            commands::find_receipt_for_refund,
            commands::refund,
            commands::post_void_last_sale,
            commands::return_without_receipt,
            commands::print_receipt_copy,
            commands::receipt_preview,
            commands::list_sales,
            commands::sale,
            commands::current_shift,
            commands::open_shift,
            commands::cash_movement,
            commands::x_report,
            commands::close_shift,
            commands::z_reports,
            commands::verify_journal,
            commands::search_products,
            commands::list_categories,
            commands::save_product,
            commands::preview_product_import,
            commands::apply_product_import,
            commands::preview_venue_manager_import,
            commands::apply_venue_manager_import,
            commands::vourity_webhook_status,
            commands::session_permissions,
            commands::idle_lock_minutes,
            commands::set_idle_lock_minutes,
            commands::provider_accounts,
            commands::set_provider_account,
            commands::test_provider_account,
            commands::droppay_registration,
            commands::droppay_state,
            commands::register_with_droppay,
            commands::link_droppay_pos,
            commands::confirm_no_droppay_pos,
            commands::delete_droppay_pos,
        ])
}

/// Renders the TypeScript bindings the UI imports.
pub fn render_bindings(path: &std::path::Path) -> Result<(), String> {
    specta_builder()
        .export(specta_typescript::Typescript::default(), path)
        .map_err(|e| format!("could not export TypeScript bindings: {e}"))
}

pub fn run() {
    let _log_guard = kassa_app::logging::init("kassa-desktop", "warn");
    if let Some(choice) = startup::webkit_choice() {
        tracing::info!("WebKit DMA-BUF renderer: {choice}");
    }
    let builder = specta_builder();
    let result = tauri::Builder::default()
        .manage(state::Shell::open())
        .invoke_handler(builder.invoke_handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("the app stopped with an error: {e}");
        eprintln!("kassa-desktop: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// The checked-in bindings must be what the Rust types generate now; set
    /// `KASSA_UPDATE_BINDINGS=1` to rewrite them.
    #[test]
    fn typescript_bindings_are_up_to_date() {
        let checked_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        let fresh = std::env::temp_dir().join(format!("kassa-bindings-{}.ts", std::process::id()));
        super::render_bindings(&fresh).unwrap();
        let fresh_text = std::fs::read_to_string(&fresh).unwrap();
        let _ = std::fs::remove_file(&fresh);
        if std::env::var_os("KASSA_UPDATE_BINDINGS").is_some() {
            std::fs::write(&checked_in, &fresh_text).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
        assert!(
            current == fresh_text,
            "ui/src/lib/bindings.ts is stale: run `KASSA_UPDATE_BINDINGS=1 cargo test -p kassa-desktop \
             typescript_bindings_are_up_to_date` and commit the result"
        );
    }
}
