//! The JSON API under `/api/v1`, one module per ledger (DOMAIN areas), and the router.

pub mod approvals;
pub mod audit;
pub mod carriers;
pub mod common;
pub mod dashboard;
pub mod devices;
pub mod guard;
pub mod import;
pub mod matters;
pub mod org;
pub mod people;
pub mod reject;
pub mod reminders;

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

/// Largest request body accepted (imports are the largest legitimate bodies).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Largest JSON body accepted: the API's JSON bodies are forms, not files.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// Longest string a JSON body may carry, in characters. Titles, names, reasons and notes are
/// all far shorter; a longer one is refused up front (400 `text_too_long`, naming the field)
/// rather than stored in a ledger or an audit entry's detail, which has its own bound.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// The first string in `value` longer than [`MAX_TEXT_CHARS`], as a path (`$.reason`).
fn overlong_text(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) if s.chars().count() > MAX_TEXT_CHARS => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| overlong_text(v, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.chars().count() > MAX_TEXT_CHARS {
                return Some(format!("{path}.<key>"));
            }
            overlong_text(v, &format!("{path}.{k}"))
        }),
        _ => None,
    }
}

/// Bounds every JSON body (and every body without a media type) before any handler sees it: at most [`MAX_JSON_BODY`] bytes
/// (413) and no string over [`MAX_TEXT_CHARS`] characters (400). Malformed JSON passes on, for
/// the handler's extractor to answer as usual.
async fn bounded_json(request: Request, next: Next) -> Response {
    // Every body a handler might read as JSON: any `…json…` media type in any case, and a
    // body with no media type at all (some handlers parse raw bytes).
    let content_type = request.headers().get(header::CONTENT_TYPE);
    let may_be_json = match content_type {
        None => true,
        Some(v) => v
            .to_str()
            .map_or(true, |ct| ct.to_ascii_lowercase().contains("json")),
    };
    let lang = reject::request_lang(&request);
    let reads = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // Every body but an import's file is JSON: a body of another media type would pass by
    // the bounds below, so it is refused whatever the handler would make of it.
    let empty = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    if !may_be_json && !reads && !empty && !request.uri().path().starts_with("/api/v1/imports/") {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求体须为 JSON（Content-Type: application/json）",
            "the request body must be JSON (Content-Type: application/json)",
        )
        .in_lang(lang)
        .into_response();
    }
    if !may_be_json || reads {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_JSON_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("JSON 请求体过大（至多 {MAX_JSON_BODY} 字节）"),
            format!("the JSON body is too large (at most {MAX_JSON_BODY} bytes)"),
        )
        .in_lang(lang)
        .into_response();
    };
    if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
        if let Some(path) = overlong_text(&value, "$") {
            return ApiError::bad_request(
                format!("{path}：文字过长（至多 {MAX_TEXT_CHARS} 字）"),
                format!("{path}: text too long (at most {MAX_TEXT_CHARS} characters)"),
            )
            .with_reason("text_too_long")
            .in_lang(lang)
            .into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A path under `/api/` that no route has.
async fn unknown_path(request: Request) -> Response {
    ApiError::not_found()
        .in_lang(reject::request_lang(&request))
        .into_response()
}

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
        .merge(import::routes())
        .merge(audit::routes())
        .merge(reminders::routes())
        .merge(dashboard::routes())
        .merge(crate::openapi::routes())
        // Any other path under /api/ is not part of the API: the JSON 404, any method.
        .route("/api/{*rest}", axum::routing::any(unknown_path))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(bounded_json))
        .layer(middleware::from_fn(reject::json_rejections))
        .with_state(state)
}
