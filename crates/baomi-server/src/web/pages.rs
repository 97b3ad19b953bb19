//! The pages and forms. Each one asks the API (see the module above) and renders its answer.

use super::{encode, highest, lang_code, level_name, render, see_other, Answer, Web};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::ledger::ListQuery;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Form;
use baomi_core::marks::Level;
use baomi_core::Lang;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A page's answer: the page, or a redirect / error page already rendered.
type PageResult = Result<Response, Response>;

fn finish(result: PageResult) -> Response {
    match result {
        Ok(response) | Err(response) => response,
    }
}

/// An error page for an API error value.
fn error_page(web: &Web, e: &ApiError, lang: Lang) -> Response {
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
        web.state.config.system_level,
        json!({ "status": e.status.as_u16(), "rule": e.rule.map(|r| r.0), "message": message }),
    )
}

/// The refusal shown for an API answer that said no: status, rule and one-line message (already
/// in the caller's language).
fn refusal_of(answer: &Answer) -> Value {
    json!({
        "status": answer.status.as_u16(),
        "rule": answer.body.get("rule").cloned().unwrap_or(Value::Null),
        "message": answer.body.get("message").cloned().unwrap_or(Value::Null),
        "reason": answer.body.get("reason").cloned().unwrap_or(Value::Null),
    })
}

/// An error page for an API answer that said no.
fn answer_page(web: &Web, answer: &Answer, lang: Lang) -> Response {
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
async fn who(web: &Web, headers: &HeaderMap, path: &str) -> Result<Principal, Response> {
    match web.principal(headers, path).await {
        Ok(principal) => Ok(principal),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            if e.reason.as_deref() == Some("session_idle") {
                Err(see_other("/login?expired=1"))
            } else {
                Err(see_other("/login"))
            }
        }
        Err(e) => {
            let lang = e.lang;
            Err(error_page(web, &e, lang))
        }
    }
}

/// Asks the API and turns a failure to ask into an error page.
async fn ask(
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
async fn read(
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
fn base(web: &Web, principal: &Principal, path: &str, current: &str) -> Value {
    json!({
        "user": {
            "name": principal.person.name,
            "login": principal.login,
            "csrf": principal.csrf,
        },
        "path": path,
        "current": current,
        "system_level": web.state.config.system_level.code(),
    })
}

fn merge(mut into: Value, from: Value) -> Value {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
    into
}

fn level_label(code: &str, lang: Lang) -> String {
    Level::from_code(code).map_or_else(|| code.to_owned(), |l| level_name(l, lang).to_owned())
}

fn status_label(code: &str, texts: &Value) -> String {
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

fn query_lang(lang: Option<&str>) -> Lang {
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

/// `GET /login`.
pub async fn login_page(State(web): State<Web>, Query(query): Query<LoginQuery>) -> Response {
    let lang = query_lang(query.lang.as_deref());
    login_view(
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
        return login_view(
            &web,
            answer.status,
            lang,
            json!({ "login": form.login, "error": message, "rule": answer.body.get("rule") }),
        );
    }
    let mut response = see_other("/dashboard");
    for cookie in answer.headers.get_all(header::SET_COOKIE) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
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
fn local_path(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
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

/// Every visible matter, page by page, through the API's list (audited there).
async fn all_matters(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Vec<Value>, Response> {
    let mut items = Vec::new();
    let mut page = 1u32;
    loop {
        let body = read(
            web,
            principal,
            headers,
            &format!("/api/v1/matters?per_page=500&page={page}"),
        )
        .await?;
        let batch = body
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
        let done = batch.is_empty();
        items.extend(batch);
        if done || items.len() as u64 >= total || page >= 1000 {
            return Ok(items);
        }
        page += 1;
    }
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
    let matters = all_matters(web, &principal, headers).await?;

    let level_of: BTreeMap<i64, String> = matters
        .iter()
        .filter_map(|m| Some((m.get("id")?.as_i64()?, m.get("level")?.as_str()?.to_owned())))
        .collect();
    let items = reminders
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut shown: Vec<&str> = Vec::new();
    let mut floor = Level::Unclassified;
    for item in &items {
        let kind = item.pointer("/object/kind").and_then(Value::as_str);
        let id = item.pointer("/object/id").and_then(Value::as_i64);
        match (kind, id) {
            (Some("matter"), Some(id)) => {
                if let Some(level) = level_of.get(&id) {
                    shown.push(level);
                }
            }
            // A carrier's level is not in this answer: assume the system's.
            (Some("carrier"), _) => floor = web.state.config.system_level,
            _ => {}
        }
    }
    let banner = highest(shown, Level::Unclassified).max(floor);

    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &matters {
        if let Some(level) = m.get("level").and_then(Value::as_str) {
            if let Some(level) = Level::from_code(level) {
                *counts.entry(level.code()).or_default() += 1;
            }
        }
    }
    let most = counts.values().copied().max().unwrap_or(0).max(1);
    let bars: Vec<Value> = Level::ALL
        .into_iter()
        .enumerate()
        .map(|(i, level)| {
            let count = counts.get(level.code()).copied().unwrap_or(0);
            json!({
                "code": level.code(),
                "label": level_name(level, lang),
                "count": count,
                "y": 10 + i * 36,
                "width": count * 300 / most,
            })
        })
        .collect();
    let chart_height = 20 + Level::ALL.len() * 36;

    let context = json!({
        "reminders": items,
        "pending": inbox.get("total").cloned().unwrap_or(json!(0)),
        "bars": bars,
        "chart_height": chart_height,
        "matter_total": matters.len(),
    });
    Ok(render(
        "dashboard.html",
        StatusCode::OK,
        lang,
        banner,
        merge(base(web, &principal, "/dashboard", "dashboard"), context),
    ))
}

fn list_link(path: &str, query: &ListQuery, page: u32) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            parts.push(format!("{key}={}", encode(&v)));
        }
    };
    push("q", query.q.clone());
    push("level", query.level.clone());
    push("status", query.status.clone());
    push("sort", query.sort.clone());
    push("order", query.order.clone());
    push("per_page", query.per_page.map(|p| p.to_string()));
    push("page", Some(page.to_string()));
    format!("{path}?{}", parts.join("&"))
}

/// Drops empty parameters (what an unchanged filter form sends) before asking the API.
fn clean_query(uri: &Uri) -> String {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| !k.is_empty() && !v.is_empty())
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /matters`: the ledger with the API's filters, sort and pagination.
pub async fn matters(State(web): State<Web>, headers: HeaderMap, uri: Uri) -> Response {
    finish(matters_inner(&web, &headers, &uri).await)
}

async fn matters_inner(web: &Web, headers: &HeaderMap, uri: &Uri) -> PageResult {
    let principal = who(web, headers, "/api/v1/matters").await?;
    let lang = principal.lang;
    let texts = super::texts(lang);
    let raw = clean_query(uri);
    let query = Query::<ListQuery>::try_from_uri(&format!("/?{raw}").parse().unwrap_or_default())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let body = read(web, &principal, headers, &format!("/api/v1/matters?{raw}")).await?;
    let items: Vec<Value> = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut m| {
            let level = m
                .get("level")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let status = m
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if let Some(map) = m.as_object_mut() {
                map.insert("level_label".into(), json!(level_label(&level, lang)));
                map.insert("status_label".into(), json!(status_label(&status, &texts)));
            }
            m
        })
        .collect();
    let banner = highest(
        items
            .iter()
            .filter_map(|m| m.get("level").and_then(Value::as_str)),
        web.state.config.system_level,
    );
    let page = body.get("page").and_then(Value::as_u64).unwrap_or(1);
    let per_page = body.get("per_page").and_then(Value::as_u64).unwrap_or(50);
    let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
    let page32 = u32::try_from(page).unwrap_or(1);
    let prev = (page > 1).then(|| list_link("/matters", &query, page32 - 1));
    let next = (page * per_page < total).then(|| list_link("/matters", &query, page32 + 1));
    let levels: Vec<Value> = Level::ALL
        .into_iter()
        .map(|l| json!({ "code": l.code(), "label": level_name(l, lang) }))
        .collect();
    let statuses: Vec<Value> = ["in_force", "declassified", "not_yet_classified"]
        .into_iter()
        .map(|s| json!({ "code": s, "label": status_label(s, &texts) }))
        .collect();
    let context = json!({
        "items": items,
        "page": page,
        "pages": total.div_ceil(per_page.max(1)).max(1),
        "total": total,
        "prev": prev,
        "next": next,
        "levels": levels,
        "statuses": statuses,
        "sorts": ["id", "title", "level", "status", "due", "updated"],
        "query": {
            "q": query.q,
            "level": query.level,
            "status": query.status,
            "sort": query.sort,
            "order": query.order,
            "per_page": query.per_page.unwrap_or(50),
        },
    });
    let path = format!("/matters?{raw}");
    Ok(render(
        "matters.html",
        StatusCode::OK,
        lang,
        banner,
        merge(base(web, &principal, &path, "matters"), context),
    ))
}

/// `GET /matters/{id}`: the record with its history.
pub async fn matter(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    finish(matter_inner(&web, &headers, id).await)
}

async fn matter_inner(web: &Web, headers: &HeaderMap, id: i64) -> PageResult {
    let principal = who(web, headers, "/api/v1/matters").await?;
    let lang = principal.lang;
    let texts = super::texts(lang);
    let mut body = read(web, &principal, headers, &format!("/api/v1/matters/{id}")).await?;
    let level = body
        .get("level")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let banner = highest([level.as_str()], web.state.config.system_level);
    let scope = body.get("scope").map(Value::to_string).unwrap_or_default();
    if let Some(map) = body.as_object_mut() {
        map.insert("level_label".into(), json!(level_label(&level, lang)));
        map.insert("status_label".into(), json!(status_label(&status, &texts)));
        map.insert("scope_text".into(), json!(scope));
    }
    let path = format!("/matters/{id}");
    Ok(render(
        "matter.html",
        StatusCode::OK,
        lang,
        banner,
        merge(
            base(web, &principal, &path, "matters"),
            json!({ "m": body }),
        ),
    ))
}

/// `/approvals` query.
#[derive(Debug, Default, Deserialize)]
pub struct ApprovalsQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /approvals`: the inbox, with approve and refuse forms.
pub async fn approvals(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<ApprovalsQuery>,
) -> Response {
    finish(approvals_inner(&web, &headers, query.done.as_deref(), None, StatusCode::OK).await)
}

async fn approvals_inner(
    web: &Web,
    headers: &HeaderMap,
    done: Option<&str>,
    refusal: Option<Value>,
    status: StatusCode,
) -> PageResult {
    let principal = who(web, headers, "/api/v1/approvals").await?;
    let lang = principal.lang;
    let texts = super::texts(lang);
    let body = read(
        web,
        &principal,
        headers,
        "/api/v1/approvals?box=inbox&per_page=500",
    )
    .await?;
    let items: Vec<Value> = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut a| {
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
    finish(approvals_inner(&web, &headers, None, Some(refusal), answer.status).await)
}
