//! The web UI: server-rendered pages (minijinja templates embedded in the binary) over the very
//! same code as the JSON API.
//!
//! **No rule lives here.** Every page and every form is answered by making an in-process request
//! to the API router ([`crate::api::router`]) with the browser's own session cookie (and, for a
//! change, the CSRF token the form carried, sent as `X-CSRF-Token`): authentication, the access
//! decision, audit of reads and denials, workflow refusals and their rules are exactly the API's,
//! because they *are* the API's handlers. The page only renders the JSON answer. A page's reads
//! are written as one entry when the page is answered
//! ([`crate::api::common::one_read_per_request`]).
//!
//! * Templates, the stylesheet and the script are compiled in (`include_str!`); nothing is read
//!   from disk at run time and nothing is loaded from the Internet. HTML answers carry a strict
//!   `Content-Security-Policy` (`default-src 'self'`, no inline script or style).
//! * Language: the account's `lang` (Simplified Chinese by default), switched through
//!   `/api/v1/auth/lang`; dates as `2031年6月30日` in Chinese (`baomi_core::date_text`).
//! * Classification banner, top and bottom of every page, showing the highest level shown on the
//!   page, or the system's level when the page shows no record. Colours (CSS classes
//!   `banner-<level code>`, written by `/assets/banner.css` from the configuration's
//!   `[banner.<level>]`) default to the common convention of classified systems, by rank: 非密 unclassified green `#007a33`,
//!   内部 internal purple `#502b85`, 秘密 secret blue `#0033a0`, 机密 confidential red `#c8102e`,
//!   绝密 top secret orange `#ff8c00` (black text).

mod consoles;
mod i18n;
mod import;
mod ledgers;
mod pages;
mod print;
mod qr;

use crate::api;
use crate::auth::{self, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use baomi_core::marks::Level;
use baomi_core::Lang;
use minijinja::Environment;
use serde_json::Value;
use std::sync::OnceLock;
use tower::ServiceExt;

pub use i18n::texts;

/// The policy every HTML page is sent with.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Largest API answer a page reads.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// What the page handlers share: the service state and the API router they ask.
#[derive(Clone)]
pub struct Web {
    state: AppState,
    api: Router,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Web { .. }")
    }
}

/// The web UI's routes (pages, forms and embedded assets).
pub fn routes(state: AppState) -> Router {
    let web = Web {
        api: api::router(state.clone()),
        state,
    };
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/lang", post(pages::set_lang))
        .route("/dashboard", get(pages::dashboard))
        .route("/account", get(consoles::account))
        .route("/account/password", post(consoles::change_password))
        .route("/account/totp", post(consoles::totp_begin))
        .route("/account/totp/confirm", post(consoles::totp_confirm))
        .route("/admin/system", get(consoles::system))
        .route(
            "/admin/system/{person}/{action}",
            post(consoles::account_action),
        )
        .route("/admin/security", get(consoles::security))
        .route(
            "/admin/security/{person}/{what}",
            post(consoles::security_action),
        )
        .route("/admin/audit", get(consoles::audit))
        .merge(ledgers::routes())
        .route("/approvals", get(pages::approvals))
        .route("/approvals/{id}/{decision}", post(pages::decide))
        .merge(import::routes())
        .merge(print::routes())
        .route("/assets/baomi.css", get(css))
        .route("/assets/baomi.js", get(js))
        .route("/assets/banner.css", get(banner_css))
        .with_state(web)
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/baomi.css"),
    )
}

/// The banner colours of the configuration (`[banner.<level>]`), as a stylesheet; the values
/// were checked to be `#rrggbb` when the configuration was read.
async fn banner_css(axum::extract::State(web): axum::extract::State<Web>) -> Response {
    let mut css = String::new();
    for b in &web.state.config.banner {
        let code = b.level.code();
        css.push_str(&format!(
            ".banner-{code}, .lvl-{code} {{ background: {}; color: {}; }}\n.bar-{code} {{ fill: {}; }}\n",
            b.background, b.text, b.background
        ));
    }
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        css,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/baomi.js"),
    )
}

fn asset(kind: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        text,
    )
        .into_response()
}

/// A JSON answer of the API, as a page reads it.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers (`Set-Cookie` after a login).
    pub headers: HeaderMap,
    /// Its body (`null` when not JSON).
    pub body: Value,
}

impl Answer {
    /// Whether the API said yes.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }
}

impl Web {
    /// Asks the API, in process, as the browser would: with the browser's cookie, and for a
    /// change the CSRF token the form carried.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        browser: &HeaderMap,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> ApiResult<Answer> {
        let body = match body {
            Some(json) => Some(("application/json", serde_json::to_vec(&json)?)),
            None => None,
        };
        self.send(method, uri, browser, csrf, body).await
    }

    /// Like [`Web::call`] with a raw body of a content type (a file to import).
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        browser: &HeaderMap,
        csrf: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> ApiResult<Answer> {
        let mut request = Request::builder().method(method).uri(uri);
        for cookie in browser.get_all(header::COOKIE) {
            request = request.header(header::COOKIE, cookie.clone());
        }
        if let Some(token) = csrf {
            request = request.header(auth::CSRF_HEADER, token);
        }
        let body = match body {
            Some((content_type, bytes)) => {
                request = request
                    .header(header::CONTENT_TYPE, content_type)
                    .header(header::CONTENT_LENGTH, bytes.len());
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let request = request.body(body).map_err(|e| ApiError::internal(&e))?;
        let response = match self.api.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_ANSWER)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// The logged-in person, authenticated by the API's own code (as a read of `path`).
    pub async fn principal(&self, browser: &HeaderMap, path: &str) -> ApiResult<Principal> {
        let mut request = Request::builder().method(Method::GET).uri(path);
        for cookie in browser.get_all(header::COOKIE) {
            request = request.header(header::COOKIE, cookie.clone());
        }
        let (parts, ()) = request
            .body(())
            .map_err(|e| ApiError::internal(&e))?
            .into_parts();
        auth::authenticate(&self.state, &parts).await
    }
}

fn environment() -> Result<&'static Environment<'static>, ApiError> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    let env = ENV.get_or_init(|| {
        let mut env = Environment::new();
        let templates: [(&str, &str); 12] = [
            ("layout.html", include_str!("../../templates/layout.html")),
            ("forms.html", include_str!("../../templates/forms.html")),
            ("login.html", include_str!("../../templates/login.html")),
            ("error.html", include_str!("../../templates/error.html")),
            (
                "dashboard.html",
                include_str!("../../templates/dashboard.html"),
            ),
            ("ledger.html", include_str!("../../templates/ledger.html")),
            ("record.html", include_str!("../../templates/record.html")),
            ("new.html", include_str!("../../templates/new.html")),
            (
                "approvals.html",
                include_str!("../../templates/approvals.html"),
            ),
            ("account.html", include_str!("../../templates/account.html")),
            ("system.html", include_str!("../../templates/system.html")),
            (
                "consoles.html",
                include_str!("../../templates/consoles.html"),
            ),
        ];
        let more = import::TEMPLATES.iter().chain(print::TEMPLATES);
        for &(name, source) in templates.iter().chain(more) {
            env.add_template(name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        env.add_filter("day", day_filter);
        Ok(env)
    });
    env.as_ref().map_err(|e| ApiError::internal(e))
}

/// `{{ value | day(lang) }}`: a date (`YYYY-MM-DD…`) or timestamp as the language writes it
/// (`2031年6月30日`); a timestamp is taken on its day in China Standard Time.
fn day_filter(value: String, lang: String) -> String {
    let lang = if lang == "en" { Lang::En } else { Lang::Zh };
    day_text(&value, lang)
}

/// A date (`YYYY-MM-DD…`) or timestamp as `lang` writes it (`2031年6月30日`); a timestamp is
/// taken on its day in China Standard Time. Anything else is returned as it is.
pub fn day_text(value: &str, lang: Lang) -> String {
    let date = value
        .parse::<jiff::Timestamp>()
        .ok()
        .map(crate::state::civil_day)
        .or_else(|| {
            value
                .get(..10)
                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        });
    match date {
        Some(d) => baomi_core::date_text(d, lang),
        None => value.to_owned(),
    }
}

/// The language's code in pages (`zh`, `en`).
pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

/// A level's name in `lang` (the banner's words).
pub fn level_name(level: Level, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => level.zh(),
        Lang::En => level.en(),
    }
}

/// The highest of the levels named by code in `codes`, or `fallback` when there is none.
pub fn highest<'a>(codes: impl IntoIterator<Item = &'a str>, fallback: Level) -> Level {
    codes
        .into_iter()
        .filter_map(Level::from_code)
        .max()
        .unwrap_or(fallback)
}

/// Renders `template` with `context` (which gets `t`, `lang`, `banner` added) as an HTML
/// answer with the page policy.
pub fn render(
    template: &str,
    status: StatusCode,
    lang: Lang,
    banner: Level,
    mut context: Value,
) -> Response {
    if let Some(map) = context.as_object_mut() {
        map.insert("t".into(), texts(lang));
        map.insert("lang".into(), Value::from(lang_code(lang)));
        map.insert(
            "banner".into(),
            serde_json::json!({ "code": banner.code(), "label": level_name(banner, lang) }),
        );
    }
    let html = environment().and_then(|env| {
        env.get_template(template)
            .and_then(|t| t.render(&context))
            .map_err(|e| ApiError::internal(&format!("rendering {template}: {e:#}")))
    });
    match html {
        Ok(html) => html_response(status, html),
        Err(e) => {
            let text = match lang {
                Lang::Zh => e.zh,
                Lang::En => e.en,
            };
            html_response(
                e.status,
                format!("<!doctype html><title>Baomi</title><p>{text}</p>"),
            )
        }
    }
}

/// An error page for an error met outside any page handler (the request's one read entry
/// could not be written, [`crate::api::common::one_read_per_request`]): the page it replaces is
/// not shown.
pub fn error_response(state: &AppState, e: &ApiError, lang: Lang) -> Response {
    if e.status == StatusCode::UNAUTHORIZED {
        return see_other("/login");
    }
    let message = match lang {
        Lang::Zh => &e.zh,
        Lang::En => &e.en,
    };
    render(
        "error.html",
        e.status,
        lang,
        state.config.system_level,
        serde_json::json!({
            "status": e.status.as_u16(),
            "rule": e.rule.map(|r| r.0),
            "message": message,
        }),
    )
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// `303 See Other` to `to`.
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The `items` of an API list answer (none when the answer has no list).
pub fn items_of(answer: &Value) -> Vec<Value> {
    answer
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
