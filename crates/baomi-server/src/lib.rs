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
pub mod demo;
pub mod error;
pub mod export;
pub mod ledger;
pub mod openapi;
pub mod people;
pub mod request;
pub mod state;
pub mod timed;
pub mod totp;
pub mod web;

pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use state::{AppState, Clock};

use axum::http::header::{self, HeaderValue};
use axum::response::Response;
use axum::Router;
use std::future::Future;

/// Headers every answer carries: no sniffing, no framing, no referrer to other sites, no
/// caching of classified answers by the browser or a proxy. `Referrer-Policy: same-origin`
/// (not `no-referrer`): addresses still never leave for other sites, and browsers send the
/// real `Origin` with the site's own form posts instead of `null`, so the login form's CSRF
/// check can tell them from posts by opaque origins (sandboxed frames, `data:` pages).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /healthz`: the process answers (for a load balancer's liveness check). Shows nothing
/// classified and needs no login.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers a read (200), else 503. The body names the last storage
/// fault the write path met and whether it has cleared (an operator's alert: a full disk
/// refuses writes while reads go on). Shows nothing classified and needs no login.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    let database = match state.store.read().await {
        Ok(tx) => tx.finish().await.is_ok(),
        Err(_) => false,
    };
    let storage = state.store.last_fault().map(|f| {
        serde_json::json!({
            "fault": f.fault.code(),
            "at": f.at.to_string(),
            "refused_writes": f.refused,
            "cleared": f.cleared,
        })
    });
    let status = if database {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if database { "ready" } else { "unavailable" },
        "database": database,
        "storage_fault": storage,
    });
    (status, axum::Json(body))
}

/// The whole service as a router: the API and the web UI, each request in its own tracing
/// span with a request id echoed in `x-request-id` ([`request`]), and writing at most one read
/// entry naming everything it showed ([`api::common::one_read_per_request`]).
pub fn app(state: AppState) -> Router {
    let health = Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(state.clone());
    api::router(state.clone())
        .merge(web::routes(state.clone()))
        .merge(health)
        .layer(axum::middleware::from_fn_with_state(
            state,
            api::common::one_read_per_request,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(request::request_span))
}

/// Serves `state` on `listener` until `shutdown` resolves; then the listening socket is
/// closed, idle connections are closed and this returns once every request in flight has been
/// answered (axum's graceful shutdown). The caller runs the time-driven rules beside it
/// (`timed::spawn`) and bounds the wait (`baomi serve`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Rows stored before the read index existed are indexed before the first request (issue 19).
    let matters = ledger::reindex_reads::<api::matters::MatterRecord>(&state.store).await;
    let carriers = ledger::reindex_reads::<api::carriers::CarrierRecord>(&state.store).await;
    for (kind, indexed) in [("matter", matters), ("carrier", carriers)] {
        let indexed = indexed.map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        if indexed > 0 {
            tracing::info!(kind, indexed, "read index written for older records");
        }
    }
    // The planner chooses the list indexes by their statistics (see `refresh_statistics`).
    // Refreshed beside serving, never before it: requests must not wait for an ANALYZE, and a
    // failure only costs speed, so it is logged.
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.refresh_statistics().await {
            tracing::warn!(error = %e, "query planner statistics not refreshed");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
