//! Emulator being written (see the crate docs for what each emulator must do).

use axum::Router;

use crate::Harness;

/// The path below the host where the document's paths start.
pub const BASE_PATH: &str = "";

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(_harness: Harness) -> Router {
    Router::new()
}
