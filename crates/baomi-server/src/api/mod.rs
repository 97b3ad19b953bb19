//! The JSON API under `/api/v1`, one module per ledger (DOMAIN areas), and the router.

pub mod approvals;
pub mod audit;
pub mod carriers;
pub mod common;
pub mod devices;
pub mod matters;
pub mod org;
pub mod people;
pub mod reminders;

use crate::auth;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

/// Largest request body accepted (imports are the largest legitimate bodies).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/auth/lang", post(auth::set_lang))
        .route("/api/v1/auth/totp", post(auth::totp_begin))
        .route("/api/v1/auth/totp/confirm", post(auth::totp_confirm))
        .merge(org::routes())
        .merge(approvals::routes())
        .merge(matters::routes())
        .merge(carriers::routes())
        .merge(people::routes())
        .merge(devices::routes())
        .merge(audit::routes())
        .merge(reminders::routes())
        .merge(crate::openapi::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
