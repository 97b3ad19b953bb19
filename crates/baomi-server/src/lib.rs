//! `baomi serve`: the persistent, multi-user, audited service and its JSON API (`/api/v1`).
//!
//! The only crate that speaks HTTP (ARCHITECTURE invariant 5). Every rule comes from
//! `baomi-core`; every row from `baomi-store`. Handlers authenticate ([`auth`]), ask the core
//! (`baomi_core::access::decide` and the workflow functions), write the change and its audit
//! entry in one transaction, and answer JSON. Denials are 403 with a reason code and the rule,
//! and are audited themselves.

pub mod api;
pub mod approvals;
pub mod auth;
pub mod config;
pub mod error;
pub mod ledger;
pub mod people;
pub mod state;
pub mod totp;

pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use state::{AppState, Clock};
