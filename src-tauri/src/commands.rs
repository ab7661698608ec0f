//! The commands the UI calls. Each one only fetches the service and the signed-in actor
//! from the shell's state and delegates to `kassa-app`; no rule lives here.

use std::sync::Arc;

use tauri::State;

use kassa_app::{
    ApiError, AppError, AppStatus, AuditEntry, Brand, BrandInput, FirstRunInput, Kassa, Language, PosDevice,
    PosDeviceInput, PosStatus, Role, Session, Store, StoreInput, User, UserInput,
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
pub async fn list_login_names(shell: State<'_, Shell>) -> Result<Vec<String>, ApiError> {
    let kassa = shell.kassa()?;
    blocking(move || kassa.login_names()).await
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
