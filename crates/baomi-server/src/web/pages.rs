//! The pages and forms. Each one asks the API (see the module above) and renders its answer.

use super::{highest, lang_code, level_name, render, see_other, Answer, Web};
use crate::auth::Principal;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use baomi_core::marks::Level;
use baomi_core::Lang;
use serde::Deserialize;
use serde_json::{json, Value};

/// A page's answer: the page, or a redirect / error page already rendered.
pub(super) type PageResult = Result<Response, Response>;

pub(super) fn finish(result: PageResult) -> Response {
    match result {
        Ok(response) | Err(response) => response,
    }
}

/// An error page for an API error value.
pub(super) fn error_page(web: &Web, e: &ApiError, lang: Lang) -> Response {
    super::error_response(&web.state, e, lang)
}

/// The refusal shown for an API answer that said no: status, rule and one-line message (already
/// in the caller's language).
pub(super) fn refusal_of(answer: &Answer) -> Value {
    json!({
        "status": answer.status.as_u16(),
        "rule": answer.body.get("rule").cloned().unwrap_or(Value::Null),
        "message": answer.body.get("message").cloned().unwrap_or(Value::Null),
        "reason": answer.body.get("reason").cloned().unwrap_or(Value::Null),
    })
}

/// An error page for an API answer that said no.
pub(super) fn answer_page(web: &Web, answer: &Answer, lang: Lang) -> Response {
    if answer.status == StatusCode::UNAUTHORIZED {
        return see_other("/login");
    }
    render(
        "error.html",
        answer.status,
        lang,
        web.state.config.system_level,
        refusal_of(answer),
    )
}

/// The logged-in person for a page, or the redirect to the login page (with the session expiry
/// notice when the session ended for idleness) or an error page.
pub(super) async fn who(web: &Web, headers: &HeaderMap, path: &str) -> Result<Principal, Response> {
    match web.principal(headers, path).await {
        Ok(principal) => Ok(principal),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            if e.reason.as_deref() == Some("session_idle") {
                Err(see_other("/login?expired=1"))
            } else {
                Err(see_other("/login"))
            }
        }
        // A session that must change its password or enrol a second factor first is sent to
        // the page where it can (R4.2, R13.1).
        Err(e)
            if matches!(
                e.code,
                "password_change_required" | "second_factor_required"
            ) =>
        {
            Err(see_other("/account"))
        }
        Err(e) => {
            let lang = e.lang;
            Err(error_page(web, &e, lang))
        }
    }
}

/// Asks the API and turns a failure to ask into an error page.
pub(super) async fn ask(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    uri: &str,
) -> Result<Answer, Response> {
    web.call(Method::GET, uri, headers, None, None)
        .await
        .map_err(|e| error_page(web, &e, principal.lang))
}

/// Asks the API for a read and turns a refusal into an error page.
pub(super) async fn read(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    uri: &str,
) -> Result<Value, Response> {
    let answer = ask(web, principal, headers, uri).await?;
    if answer.ok() {
        Ok(answer.body)
    } else if answer.status == StatusCode::UNAUTHORIZED {
        Err(see_other("/login"))
    } else {
        // The refusal, inside the layout of the person who asked.
        Err(render(
            "error.html",
            answer.status,
            principal.lang,
            web.state.config.system_level,
            merge(base(web, principal, "/dashboard", ""), refusal_of(&answer)),
        ))
    }
}

/// What the layout shows of the person and the page.
pub(super) fn base(web: &Web, principal: &Principal, path: &str, current: &str) -> Value {
    json!({
        "user": {
            "name": principal.person.name,
            "login": principal.login,
            "csrf": principal.csrf,
            "consoles": super::consoles::consoles_of(principal),
        },
        "path": path,
        "current": current,
        "system_level": web.state.config.system_level.code(),
    })
}

pub(super) fn merge(mut into: Value, from: Value) -> Value {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
    into
}

pub(super) fn level_label(code: &str, lang: Lang) -> String {
    Level::from_code(code).map_or_else(|| code.to_owned(), |l| level_name(l, lang).to_owned())
}

pub(super) fn status_label(code: &str, texts: &Value) -> String {
    texts
        .get(format!("status_{code}"))
        .and_then(Value::as_str)
        .map_or_else(|| code.to_owned(), str::to_owned)
}

/// `/`: the dashboard when logged in, else the login page.
pub async fn root(State(web): State<Web>, headers: HeaderMap) -> Response {
    match web.principal(&headers, "/api/v1/auth/me").await {
        Ok(_) => see_other("/dashboard"),
        Err(_) => see_other("/login"),
    }
}

/// `/login` query.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// Set after an idle session ended.
    #[serde(default)]
    expired: Option<String>,
    /// `en` to show the login page in English.
    #[serde(default)]
    lang: Option<String>,
}

pub(super) fn query_lang(lang: Option<&str>) -> Lang {
    if lang == Some("en") {
        Lang::En
    } else {
        Lang::Zh
    }
}

fn login_view(web: &Web, status: StatusCode, lang: Lang, context: Value) -> Response {
    render(
        "login.html",
        status,
        lang,
        web.state.config.system_level,
        merge(
            json!({ "other_lang": if lang == Lang::En { "zh" } else { "en" } }),
            context,
        ),
    )
}

/// The pre-session cookie of the login form's double-submit token.
pub const LOGIN_CSRF_COOKIE: &str = "baomi_login_csrf";

/// A login form with a fresh double-submit token: the token in the hidden field `login_csrf`
/// and in an `HttpOnly`, `SameSite=Strict` cookie scoped to `/login` (R13.1, login CSRF).
fn login_form(web: &Web, status: StatusCode, lang: Lang, context: Value) -> Response {
    let Ok(token) = crate::auth::random_secret() else {
        return login_view(web, StatusCode::INTERNAL_SERVER_ERROR, lang, context);
    };
    let mut response = login_view(
        web,
        status,
        lang,
        merge(json!({ "login_csrf": token }), context),
    );
    let secure = if web.state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login{secure}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /login`.
pub async fn login_page(State(web): State<Web>, Query(query): Query<LoginQuery>) -> Response {
    let lang = query_lang(query.lang.as_deref());
    login_form(
        &web,
        StatusCode::OK,
        lang,
        json!({ "expired": query.expired.is_some() }),
    )
}

/// The login form.
#[derive(Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    lang: Option<String>,
    /// The double-submit token of the login page.
    #[serde(default)]
    login_csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// `POST /login`: the API's login (`/api/v1/auth/login`); its session cookie is passed on.
pub async fn login_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = query_lang(form.lang.as_deref());
    let token_ok = login_token_matches(&headers, &form.login_csrf);
    if !login_allowed(login_source(&headers), token_ok) {
        // Login CSRF: another site must not log this browser into an account of its choosing.
        // The browser says where the form came from; when it cannot (no `Origin` and no
        // `Sec-Fetch-Site`, or an opaque `Origin: null`), the login page's double-submit token
        // must match.
        return login_form(
            &web,
            StatusCode::FORBIDDEN,
            lang,
            json!({
                "login": form.login,
                "error": lang.pick("登录请求来自其他网站，已拒绝。", "A login sent from another site was refused."),
                "rule": "R13.1",
            }),
        );
    }
    let totp = form.totp.trim();
    let body = json!({
        "login": form.login,
        "password": form.password,
        "totp": if totp.is_empty() { None } else { Some(totp) },
    });
    let mut no_cookie = headers.clone();
    no_cookie.remove(header::COOKIE);
    let answer = match web
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &no_cookie,
            None,
            Some(body),
        )
        .await
    {
        Ok(answer) => answer,
        Err(e) => return error_page(&web, &e, lang),
    };
    if !answer.ok() {
        let message = match lang {
            Lang::Zh => answer.body.get("message_zh"),
            Lang::En => answer.body.get("message_en"),
        };
        return login_form(
            &web,
            answer.status,
            lang,
            json!({ "login": form.login, "error": message, "rule": answer.body.get("rule") }),
        );
    }
    let restricted = answer.body.get("must_change_password") == Some(&Value::Bool(true))
        || answer.body.get("restriction").is_some_and(|r| !r.is_null());
    // The first login after a reset by administrators is told to the person (R5.3).
    let after_reset =
        answer.body.get("password_reset_by_administrators") == Some(&Value::Bool(true));
    let mut response = see_other(if after_reset {
        "/account?done=reset-notice"
    } else if restricted {
        "/account"
    } else {
        "/dashboard"
    });
    for cookie in answer.headers.get_all(header::SET_COOKIE) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// Where a login form came from, as far as the browser says (R13.1, login CSRF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LoginSource {
    /// This site: `Sec-Fetch-Site: same-origin`/`none` or an `Origin` naming this host.
    SameOrigin,
    /// Another site: any other `Sec-Fetch-Site`, or an `Origin` naming another host.
    CrossSite,
    /// The browser does not say: neither header, or the opaque `Origin: null` (sandboxed
    /// frames, `data:` pages — and, under `Referrer-Policy: no-referrer`, some browsers' own
    /// forms). Only the double-submit token can vouch for it.
    Unknown,
}

/// What the headers say about where a form came from.
pub(super) fn login_source(headers: &HeaderMap) -> LoginSource {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let fetch_site = text(HeaderName::from_static("sec-fetch-site"));
    if fetch_site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return LoginSource::CrossSite;
    }
    match text(header::ORIGIN) {
        Some("null") => LoginSource::Unknown,
        Some(origin) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            if text(header::HOST) == Some(origin_host) {
                LoginSource::SameOrigin
            } else {
                LoginSource::CrossSite
            }
        }
        None if fetch_site.is_some() => LoginSource::SameOrigin,
        None => LoginSource::Unknown,
    }
}

/// R13.1: a login form is taken from this site, or from a browser that does not say where it
/// came from when the login page's double-submit token matches; never from another site.
pub(super) fn login_allowed(source: LoginSource, token_ok: bool) -> bool {
    match source {
        LoginSource::SameOrigin => true,
        LoginSource::CrossSite => false,
        LoginSource::Unknown => token_ok,
    }
}

/// Whether the form's `login_csrf` equals the login page's cookie (constant time).
fn login_token_matches(headers: &HeaderMap, sent: &str) -> bool {
    use subtle::ConstantTimeEq;
    if sent.is_empty() {
        return false;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|text| text.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == LOGIN_CSRF_COOKIE)
        .any(|(_, value)| bool::from(value.as_bytes().ct_eq(sent.as_bytes())))
}

/// A form that only carries its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: the API's logout; its cookie removal is passed on.
pub async fn logout(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let mut response = see_other("/login");
    if let Ok(answer) = web
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            &headers,
            Some(&form.csrf),
            None,
        )
        .await
    {
        for cookie in answer.headers.get_all(header::SET_COOKIE) {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
    }
    response
}

/// The language switch.
#[derive(Debug, Default, Deserialize)]
pub struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Where to go back to: a path of this site only.
/// (Browsers drop tabs and line breaks from addresses, so `/\t/evil.example` would become
/// `//evil.example`: any control or white-space character sends to the dashboard instead.)
pub(super) fn local_path(back: &str) -> &str {
    let clean = !back
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if clean && back.starts_with('/') && !back.starts_with("//") {
        back
    } else {
        "/dashboard"
    }
}

/// `POST /lang`: the API's `/api/v1/auth/lang`, then back to the page.
pub async fn set_lang(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    let answer = match web
        .call(
            Method::POST,
            "/api/v1/auth/lang",
            &headers,
            Some(&form.csrf),
            Some(json!({ "lang": form.lang })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(e) => return error_page(&web, &e, Lang::Zh),
    };
    if answer.ok() {
        see_other(local_path(&form.back))
    } else {
        let lang = if answer.body.get("message") == answer.body.get("message_en") {
            Lang::En
        } else {
            Lang::Zh
        };
        answer_page(&web, &answer, lang)
    }
}

/// A bar chart's data: one bar per (code, label, count), widths scaled to the largest.
fn chart(id: &str, title: &str, bars: Vec<(String, String, u64)>) -> Value {
    let most = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1);
    let total: u64 = bars.iter().map(|b| b.2).sum();
    let height = 20 + bars.len() * 36;
    let description = bars
        .iter()
        .map(|(_, label, count)| format!("{label} {count}"))
        .collect::<Vec<_>>()
        .join("; ");
    let bars: Vec<Value> = bars
        .into_iter()
        .enumerate()
        .map(|(i, (code, label, count))| {
            json!({
                "code": code,
                "label": label,
                "count": count,
                "y": 10 + i * 36,
                "width": count * 300 / most,
            })
        })
        .collect();
    json!({
        "id": id,
        "title": title,
        "bars": bars,
        "height": height,
        "total": total,
        "description": description,
    })
}

fn status_words(code: &str, lang: Lang) -> String {
    let texts = super::texts(lang);
    status_label(code, &texts)
}

/// `GET /dashboard`: reminders, pending approvals, matters by level.
pub async fn dashboard(State(web): State<Web>, headers: HeaderMap) -> Response {
    finish(dashboard_inner(&web, &headers).await)
}

async fn dashboard_inner(web: &Web, headers: &HeaderMap) -> PageResult {
    let principal = who(web, headers, "/api/v1/reminders").await?;
    let lang = principal.lang;
    let reminders = read(web, &principal, headers, "/api/v1/reminders").await?;
    let inbox = read(
        web,
        &principal,
        headers,
        "/api/v1/approvals?box=inbox&per_page=1",
    )
    .await?;
    let counts = read(web, &principal, headers, "/api/v1/dashboard").await?;
    let count = |pointer: &str| counts.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);

    // The banner covers what the reminders show (their level, R13.3).
    let items = super::items_of(&reminders);
    let shown: Vec<&str> = items
        .iter()
        .filter_map(|item| item.get("level").and_then(Value::as_str))
        .collect();
    let banner = highest(shown, Level::Unclassified);

    let t = super::texts(lang);
    let text = |key: &str| t.get(key).and_then(Value::as_str).unwrap_or(key).to_owned();
    let by_level: Vec<(String, String, u64)> = Level::ALL
        .into_iter()
        .map(|level| {
            (
                level.code().to_owned(),
                level_name(level, lang).to_owned(),
                count(&format!("/matters/by_level/{}", level.code())),
            )
        })
        .collect();
    let grouped = |pointer: &str, names: Option<&Value>| -> Vec<(String, String, u64)> {
        counts
            .pointer(pointer)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(code, n)| {
                        let words = names
                            .and_then(|names| {
                                names.pointer(&format!("/{code}/{}", lang_code(lang)))
                            })
                            .and_then(Value::as_str)
                            .map_or_else(|| status_words(code, lang), str::to_owned);
                        (code.clone(), words, n.as_u64().unwrap_or(0))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let charts = vec![
        chart("chart-levels", &text("by_level"), by_level),
        chart(
            "chart-matter-status",
            &text("matters_by_status"),
            grouped("/matters/by_status", None),
        ),
        chart(
            "chart-carriers",
            &text("carriers_by_state"),
            grouped(
                "/carriers/by_status",
                counts.pointer("/carriers/status_names"),
            ),
        ),
        chart(
            "chart-training",
            &text("training_compliance"),
            vec![
                ("ok".into(), text("compliant"), count("/training/compliant")),
                (
                    "expired".into(),
                    text("not_compliant"),
                    count("/training/not_compliant"),
                ),
            ],
        ),
        chart(
            "chart-devices",
            &text("devices_password"),
            vec![
                (
                    "ok".into(),
                    text("in_policy"),
                    count("/device_passwords/in_policy"),
                ),
                (
                    "expired".into(),
                    text("out_of_policy"),
                    count("/device_passwords/out_of_policy"),
                ),
            ],
        ),
    ];

    let context = json!({
        "reminders": items,
        "pending": inbox.get("total").cloned().unwrap_or(json!(0)),
        "charts": charts,
        "matter_total": count("/matters/total"),
    });
    Ok(render(
        "dashboard.html",
        StatusCode::OK,
        lang,
        banner,
        merge(base(web, &principal, "/dashboard", "dashboard"), context),
    ))
}

/// `/approvals` query.
#[derive(Debug, Default, Deserialize)]
pub struct ApprovalsQuery {
    #[serde(default)]
    done: Option<String>,
    /// The page of the inbox, from 1.
    #[serde(default)]
    page: Option<u32>,
}

/// Requests per page of the inbox.
const INBOX_PER_PAGE: u64 = 50;

/// `GET /approvals`: the inbox, with approve and refuse forms.
pub async fn approvals(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<ApprovalsQuery>,
) -> Response {
    finish(
        approvals_inner(
            &web,
            &headers,
            query.done.as_deref(),
            None,
            StatusCode::OK,
            query.page.unwrap_or(1).max(1),
        )
        .await,
    )
}

async fn approvals_inner(
    web: &Web,
    headers: &HeaderMap,
    done: Option<&str>,
    refusal: Option<Value>,
    status: StatusCode,
    page: u32,
) -> PageResult {
    let principal = who(web, headers, "/api/v1/approvals").await?;
    let lang = principal.lang;
    let texts = super::texts(lang);
    let body = read(
        web,
        &principal,
        headers,
        &format!("/api/v1/approvals?box=inbox&per_page={INBOX_PER_PAGE}&page={page}"),
    )
    .await?;
    let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
    let page = u64::from(page);
    let pages = total.div_ceil(INBOX_PER_PAGE).max(1);
    let dir = super::ledgers::Directory::load(web)
        .await
        .map_err(|e| error_page(web, &e, lang))?;
    let items: Vec<Value> = super::items_of(&body)
        .into_iter()
        .map(|mut a| {
            let requester = a
                .get("requested_by")
                .and_then(Value::as_i64)
                .map(|id| dir.person(id));
            // What the request is about, linked to its record page (`subject: {kind, <kind>: id}`).
            let subject_link = a.get("subject").and_then(|subject| {
                let kind = subject.get("kind")?.as_str()?;
                let id = subject.get(kind)?.as_i64()?;
                let page = match kind {
                    "proposal" => "proposals",
                    "carrier" => "carriers",
                    "device" => "devices",
                    "matter" => "matters",
                    _ => return None,
                };
                Some(format!("/{page}/{id}"))
            });
            let level = a
                .get("level")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let status = a
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let needed: Vec<String> = match lang {
                Lang::Zh => a.get("needed_zh"),
                Lang::En => a.get("needed"),
            }
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
            if let Some(map) = a.as_object_mut() {
                map.insert("level_label".into(), json!(level_label(&level, lang)));
                map.insert("status_label".into(), json!(status_label(&status, &texts)));
                map.insert("requested_by_name".into(), json!(requester));
                map.insert("object_link".into(), json!(subject_link));
                map.insert(
                    "needed_text".into(),
                    json!(needed.join(lang.pick("、", ", "))),
                );
            }
            a
        })
        .collect();
    let banner = highest(
        items
            .iter()
            .filter_map(|a| a.get("level").and_then(Value::as_str)),
        web.state.config.system_level,
    );
    let done = match done {
        Some("approved") => Some(texts.get("done_approved").cloned()),
        Some("refused") => Some(texts.get("done_refused").cloned()),
        _ => None,
    };
    let context = json!({
        "items": items,
        "done": done,
        "refusal": refusal,
        "lang_code": lang_code(lang),
        "page": page,
        "pages": pages,
        "prev": (page > 1).then(|| format!("/approvals?page={}", page - 1)),
        "next": (page < pages).then(|| format!("/approvals?page={}", page + 1)),
    });
    Ok(render(
        "approvals.html",
        status,
        lang,
        banner,
        merge(base(web, &principal, "/approvals", "approvals"), context),
    ))
}

/// The approve / refuse form.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /approvals/{id}/approve|refuse`: the API's decision; a refusal by a rule is shown on
/// the inbox with the rule and its one-line explanation.
pub async fn decide(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, decision)): Path<(i64, String)>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if decision != "approve" && decision != "refuse" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let answer = match web
        .call(
            Method::POST,
            &format!("/api/v1/approvals/{id}/{decision}"),
            &headers,
            Some(&form.csrf),
            Some(json!({ "reason": form.reason })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(e) => return error_page(&web, &e, Lang::Zh),
    };
    if answer.status == StatusCode::UNAUTHORIZED {
        return see_other("/login");
    }
    if answer.ok() {
        let done = if decision == "approve" {
            "approved"
        } else {
            "refused"
        };
        return see_other(&format!("/approvals?done={done}"));
    }
    let refusal = merge(refusal_of(&answer), json!({ "id": id }));
    finish(approvals_inner(&web, &headers, None, Some(refusal), answer.status, 1).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The language switch goes back only to a page of this site (no open redirect).
    #[test]
    fn r13_1_back_links_stay_on_this_site() {
        assert_eq!(local_path("/carriers?page=2"), "/carriers?page=2");
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_path(hostile), "/dashboard", "{hostile:?}");
        }
    }

    #[test]
    fn r13_1_cross_site_forms_are_recognised() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            map
        };
        use LoginSource::{CrossSite, SameOrigin, Unknown};
        let source = |pairs| login_source(&headers(pairs));
        assert_eq!(source(&[("sec-fetch-site", "cross-site")]), CrossSite);
        assert_eq!(source(&[("sec-fetch-site", "same-site")]), CrossSite);
        assert_eq!(
            source(&[("sec-fetch-site", "same-origin"), ("origin", "null")]),
            Unknown
        );
        assert_eq!(source(&[("origin", "null")]), Unknown);
        assert_eq!(source(&[]), Unknown);
        assert_eq!(source(&[("sec-fetch-site", "same-origin")]), SameOrigin);
        assert_eq!(
            source(&[
                ("origin", "http://evil.example"),
                ("host", "127.0.0.1:8080")
            ]),
            CrossSite
        );
        assert_eq!(
            source(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            SameOrigin
        );
        assert!(login_allowed(SameOrigin, false));
        assert!(!login_allowed(CrossSite, true));
        assert!(!login_allowed(Unknown, false));
        assert!(login_allowed(Unknown, true));
    }
}
