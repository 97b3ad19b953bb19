//! One's own account (password change, TOTP enrolment, the forced change after an
//! administrator's reset or an expired password) and the three separated administrators'
//! consoles (R5.3): the system administrator's (service status and accounts), the security
//! administrator's (roles, approver roles, classifier grants) and the security auditor's
//! (audit trail search, export, chain verification).
//!
//! As everywhere in the web UI, each page asks the API; the API decides who may see and do
//! what (a console opened by the wrong administrator shows the API's refusal and its rule).

use super::ledgers::{
    csrf_of, field, form_body, form_fields, query_value, Action, Directory, Input,
};
use super::pages::{base, error_page, finish, merge, read, refusal_of, who, PageResult};
use super::{day_text, render, see_other, Web};
use crate::auth::Principal;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Form;
use baomi_core::Lang;
use serde_json::{json, Value};

/// A refusal (or a form error) to show on a console, with the status to answer it with.
type Notice = Option<(Value, StatusCode)>;

fn value_of<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Posts a console's form to the API; a success goes back to `back` with `done`, anything else
/// is the refusal to show.
async fn submit(
    web: &Web,
    headers: &HeaderMap,
    api: &str,
    form: &[(String, String)],
    body: Value,
) -> Result<Result<Value, (Value, StatusCode)>, Response> {
    let answer = web
        .call(Method::POST, api, headers, Some(csrf_of(form)), Some(body))
        .await
        .map_err(|e| error_page(web, &e, e.lang))?;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(see_other("/login"));
    }
    if answer.ok() {
        Ok(Ok(answer.body))
    } else {
        Ok(Err((refusal_of(&answer), answer.status)))
    }
}

fn done_text(done: Option<&str>, lang: Lang) -> Option<&'static str> {
    Some(match done? {
        "password" => lang.pick("密码已修改。", "Your password was changed."),
        "totp" => lang.pick("动态口令已绑定。", "The one-time code is enrolled."),
        "unlock" => lang.pick("账户已解锁。", "The account was unlocked."),
        "disable" => lang.pick("账户已停用。", "The account was disabled."),
        "enable" => lang.pick("账户已启用。", "The account was enabled."),
        "reset-password" => lang.pick(
            "密码已重置，用户下次登录须修改。",
            "The password was reset; it must be changed at the next login.",
        ),
        "reset-notice" => lang.pick(
            "您的密码已由管理员重置（R5.3）。请立即修改；如非本人申请，请报告保密工作机构。",
            "Your password was reset by the administrators (R5.3). Change it now; if you did not \
             ask for it, report it to the confidentiality office.",
        ),
        "reset-requested" => lang.pick(
            "已申请重置密码，待本单位安全保密管理员确认（R5.3）。",
            "The reset was requested; the unit's security administrator confirms it (R5.3).",
        ),
        "account" => lang.pick("账户已创建。", "The account was created."),
        "roles" => lang.pick("角色已设置。", "The roles were set."),
        "approver-roles" => lang.pick("审批角色已设置。", "The approver roles were set."),
        "classifier" => lang.pick("已授予定密权限。", "The classifier was granted."),
        "authorisation" => lang.pick("已登记定密授权。", "The authorisation was recorded."),
        "withdraw" => lang.pick("定密授权已撤销。", "The authorisation was withdrawn."),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// One's own account
// ---------------------------------------------------------------------------------------------

/// `GET /account`: one's account, the password change and the TOTP enrolment. A session that
/// must change its password or enrol a second factor is sent here (`?forced=…`).
pub async fn account(State(web): State<Web>, headers: HeaderMap, uri: Uri) -> Response {
    let done = query_value(&uri, "done");
    finish(account_page(&web, &headers, done.as_deref(), None, None, StatusCode::OK).await)
}

async fn account_page(
    web: &Web,
    headers: &HeaderMap,
    done: Option<&str>,
    refusal: Option<Value>,
    enrolment: Option<Value>,
    status: StatusCode,
) -> PageResult {
    let principal = who(web, headers, "/api/v1/auth/me").await?;
    let lang = principal.lang;
    let me = read(web, &principal, headers, "/api/v1/auth/me").await?;
    let password_due = me
        .get("password_due")
        .and_then(Value::as_str)
        .map(|d| day_text(d, lang));
    let context = json!({
        "me": me,
        "password_hint": password_hint(web.state.config.system_level, lang),
        "password_due": password_due,
        "forced": me.get("restriction"),
        "done": done_text(done, lang),
        "refusal": refusal,
        "enrolment": enrolment,
    });
    Ok(render(
        "account.html",
        status,
        lang,
        web.state.config.system_level,
        merge(base(web, &principal, "/account", "account"), context),
    ))
}

/// The password rule of this system's level, in words (R4.2), from the core's own policy.
fn password_hint(level: baomi_core::marks::Level, lang: Lang) -> String {
    let policy = baomi_core::devices::PasswordPolicy::for_level(level, None);
    let mut parts: Vec<String> = Vec::new();
    if let Some(min) = policy.min_length {
        parts.push(format!(
            "{}{min}{}",
            lang.pick("至少 ", "at least "),
            lang.pick(" 位", " characters")
        ));
    }
    if policy.letters_and_digits {
        parts.push(
            lang.pick("须同时含字母和数字", "letters and digits")
                .to_owned(),
        );
    }
    if let Some(days) = policy.max_age_days {
        parts.push(format!(
            "{}{days}{}",
            lang.pick("至多 ", "changed at least every "),
            lang.pick(" 天更换一次", " days")
        ));
    }
    let level_name = super::level_name(level, lang);
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "R4.2 {}{level_name}{}{}",
        lang.pick("（本系统为", "(this system is "),
        lang.pick("）：", "): "),
        parts.join(lang.pick("，", ", "))
    )
}

/// `POST /account/password`: the API's password change (R4.2); the new password is typed
/// twice, and a mismatch is caught here before anything is sent.
pub async fn change_password(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    finish(change_password_inner(&web, &headers, &form).await)
}

async fn change_password_inner(
    web: &Web,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> PageResult {
    let new = value_of(form, "new");
    if new != value_of(form, "confirm") {
        let principal = who(web, headers, "/api/v1/auth/me").await?;
        let message = principal
            .lang
            .pick("两次输入的新密码不一致。", "The two new passwords differ.");
        return account_page(
            web,
            headers,
            None,
            Some(json!({ "message": message })),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let body = json!({ "current": value_of(form, "current"), "new": new });
    match submit(web, headers, "/api/v1/auth/password", form, body).await? {
        Ok(_) => Ok(see_other("/account?done=password")),
        Err((refusal, status)) => {
            account_page(web, headers, None, Some(refusal), None, status).await
        }
    }
}

/// The enrolment box: the new secret, its `otpauth:` address and that address as a QR code for
/// an authenticator app.
fn enrolment_view(secret: &str, otpauth: &str) -> Value {
    json!({ "secret": secret, "otpauth": otpauth, "qr": super::qr::encode(otpauth) })
}

/// `POST /account/totp`: starts a TOTP enrolment (the API makes the secret).
pub async fn totp_begin(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    finish(totp_begin_inner(&web, &headers, &form).await)
}

async fn totp_begin_inner(web: &Web, headers: &HeaderMap, form: &[(String, String)]) -> PageResult {
    match submit(web, headers, "/api/v1/auth/totp", form, json!({})).await? {
        Ok(body) => {
            let secret = body.get("secret").and_then(Value::as_str).unwrap_or("");
            let otpauth = body.get("otpauth").and_then(Value::as_str).unwrap_or("");
            account_page(
                web,
                headers,
                None,
                None,
                Some(enrolment_view(secret, otpauth)),
                StatusCode::OK,
            )
            .await
        }
        Err((refusal, status)) => {
            account_page(web, headers, None, Some(refusal), None, status).await
        }
    }
}

/// `POST /account/totp/confirm`: puts the secret in force once a code from it is right.
pub async fn totp_confirm(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    finish(totp_confirm_inner(&web, &headers, &form).await)
}

async fn totp_confirm_inner(
    web: &Web,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> PageResult {
    let secret = value_of(form, "secret");
    let optional = |key: &str| {
        let v = value_of(form, key).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    let body = json!({
        "secret": secret,
        "code": value_of(form, "code").trim(),
        "password": optional("password"),
        "current_code": optional("current_code"),
    });
    match submit(web, headers, "/api/v1/auth/totp/confirm", form, body).await? {
        Ok(_) => Ok(see_other("/account?done=totp")),
        Err((refusal, status)) => {
            let otpauth = value_of(form, "otpauth");
            account_page(
                web,
                headers,
                None,
                Some(refusal),
                Some(enrolment_view(secret, otpauth)),
                status,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The system administrator: service status and accounts
// ---------------------------------------------------------------------------------------------

pub(super) const NEW_ACCOUNT: Action = Action {
    key: "account",
    label: "create_account",
    api: "/api/v1/accounts",
    fields: &[
        field("person", "person_field", Input::Person, true),
        field("login", "username", Input::Text, true),
        field("password", "initial_password", Input::Password, true),
    ],
    when: &[],
};

/// `GET /admin/system`.
pub async fn system(State(web): State<Web>, headers: HeaderMap, uri: Uri) -> Response {
    let done = query_value(&uri, "done");
    finish(system_page(&web, &headers, done.as_deref(), None, None).await)
}

fn duration_text(d: std::time::Duration, lang: Lang) -> String {
    let minutes = d.as_secs() / 60;
    if minutes.is_multiple_of(60) {
        format!("{} {}", minutes / 60, lang.pick("小时", "h"))
    } else {
        format!("{minutes} {}", lang.pick("分钟", "min"))
    }
}

/// The write path's health for the status page: normal, or the last storage fault.
fn storage_text(store: &baomi_store::Store, lang: Lang) -> String {
    use baomi_core::Describe;
    match store.last_fault() {
        None => lang.pick("正常", "normal").to_owned(),
        Some(report) => {
            let e = baomi_store::StoreError::Unavailable(report.fault);
            let when = crate::api::audit::local_time(report.at);
            match lang {
                Lang::Zh => format!(
                    "最近一次故障 {when}：{}；已拒绝 {} 次写入；{}",
                    e.describe(Lang::Zh),
                    report.refused,
                    if report.cleared {
                        "已恢复"
                    } else {
                        "尚未恢复"
                    }
                ),
                Lang::En => format!(
                    "last fault {when}: {}; {} writes refused; {}",
                    e.describe(Lang::En),
                    report.refused,
                    if report.cleared {
                        "recovered"
                    } else {
                        "not recovered"
                    }
                ),
            }
        }
    }
}

/// A one-time password just issued by a reset (R5.3), shown once on the page that answers it.
fn one_time_of(body: &Value) -> Option<Value> {
    let password = body.get("one_time_password")?.as_str()?;
    Some(json!({ "login": body.get("login"), "password": password }))
}

async fn system_page(
    web: &Web,
    headers: &HeaderMap,
    done: Option<&str>,
    refusal: Notice,
    one_time: Option<Value>,
) -> PageResult {
    let principal = who(web, headers, "/api/v1/accounts").await?;
    let lang = principal.lang;
    let accounts = read(web, &principal, headers, "/api/v1/accounts").await?;
    let dir = Directory::load(web)
        .await
        .map_err(|e| error_page(web, &e, lang))?;
    let config = &web.state.config;
    let items: Vec<Value> = super::items_of(&accounts)
        .into_iter()
        .map(|mut a| {
            let due = a
                .get("password_due")
                .and_then(Value::as_str)
                .map(|d| day_text(d, lang));
            if let Some(map) = a.as_object_mut() {
                map.insert("password_due_text".into(), json!(due));
            }
            a
        })
        .collect();
    let locked = items
        .iter()
        .filter(|a| a.get("locked") == Some(&json!(true)))
        .count();
    let status = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "backend": format!("{:?}", web.state.store.backend()),
        "system_level": super::level_name(config.system_level, lang),
        "now": crate::api::audit::local_time(web.state.clock.now()),
        "session_idle": duration_text(config.session_idle, lang),
        "session_absolute": duration_text(config.session_absolute, lang),
        "lockout": format!("{} / {}", config.lockout_failures, duration_text(config.lockout, lang)),
        "signed_checkpoints": config.signing_key.is_some(),
        "storage": storage_text(&web.state.store, lang),
        "accounts": items.len(),
        "locked": locked,
    });
    let (refusal, code) = match refusal {
        Some((r, s)) => (Some(r), s),
        None => (None, StatusCode::OK),
    };
    let context = json!({
        "status": status,
        "accounts": items,
        "new_account": {
            "key": NEW_ACCOUNT.key,
            "label": NEW_ACCOUNT.label,
            "fields": form_fields(&NEW_ACCOUNT, lang, &dir, &principal),
        },
        "done": done_text(done, lang),
        "refusal": refusal,
        "one_time": one_time,
    });
    Ok(render(
        "system.html",
        code,
        lang,
        config.system_level,
        merge(base(web, &principal, "/admin/system", "system"), context),
    ))
}

/// `POST /admin/system/{person}/{action}`: unlock, disable, enable, reset-password — or, with
/// person `new` and action `account`, a new account.
pub async fn account_action(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((person, action)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    finish(account_action_inner(&web, &headers, &person, &action, &form).await)
}

async fn account_action_inner(
    web: &Web,
    headers: &HeaderMap,
    person: &str,
    action: &str,
    form: &[(String, String)],
) -> PageResult {
    let (api, body) = match (person, action) {
        ("new", "account") => (NEW_ACCOUNT.api.to_owned(), form_body(&NEW_ACCOUNT, form)),
        (id, "reset-password") if id.parse::<i64>().is_ok() => {
            (format!("/api/v1/accounts/{id}/reset-password"), json!({}))
        }
        (id, "unlock" | "disable" | "enable") if id.parse::<i64>().is_ok() => {
            (format!("/api/v1/accounts/{id}/{action}"), json!({}))
        }
        _ => return Err(StatusCode::NOT_FOUND.into_response()),
    };
    match submit(web, headers, &api, form, body).await? {
        // R5.3: the one-time password of a direct reset is shown once, on this answer.
        Ok(body) if one_time_of(&body).is_some() => {
            system_page(web, headers, Some(action), None, one_time_of(&body)).await
        }
        Ok(body) if body.get("pending") == Some(&Value::Bool(true)) => {
            Ok(see_other("/admin/system?done=reset-requested"))
        }
        Ok(_) => Ok(see_other(&format!("/admin/system?done={action}"))),
        Err(refusal) => system_page(web, headers, None, Some(refusal), None).await,
    }
}

// ---------------------------------------------------------------------------------------------
// The security administrator: roles, approver roles, classifier grants
// ---------------------------------------------------------------------------------------------

/// Every role (the API replaces a person's roles with what the form sends, so the form must
/// show them all: a role left off the form would be silently taken away).
pub(super) const ROLES: &[(&str, &str, &str)] = &[
    (
        "confidentiality_officer",
        "保密员",
        "confidentiality officer",
    ),
    ("unit_head", "单位负责人", "unit head"),
    ("classifier", "定密责任人", "classifier"),
    ("system_administrator", "系统管理员", "system administrator"),
    (
        "security_administrator",
        "安全保密管理员",
        "security administrator",
    ),
    ("security_auditor", "安全审计员", "security auditor"),
];

pub(super) const APPROVER_ROLES: &[(&str, &str, &str)] = &[
    ("unit_head", "单位负责人", "unit head"),
    ("leader", "分管领导", "leader in charge"),
    (
        "confidentiality_office",
        "保密工作机构",
        "confidentiality office",
    ),
    ("competent_department", "主管部门", "competent department"),
    ("originator", "产生单位", "originator"),
];

const LEVEL_CHOICES: &[(&str, &str, &str)] = &[
    ("secret", "秘密", "Secret"),
    ("confidential", "机密", "Confidential"),
    ("top_secret", "绝密", "Top secret"),
];

pub(super) const GRANT: Action = Action {
    key: "classifier",
    label: "grant_classifier",
    api: "/api/v1/classifiers",
    fields: &[
        field("person", "person_field", Input::Person, true),
        field(
            "highest_level",
            "highest_level",
            Input::Choice(LEVEL_CHOICES),
            true,
        ),
        field("is_head", "is_head", Input::Check, false),
        field("trained", "trained", Input::Check, false),
        field(
            "certificate_expires",
            "certificate_expires",
            Input::Date,
            false,
        ),
    ],
    when: &[],
};

pub(super) const AUTHORISE: Action = Action {
    key: "authorisation",
    label: "grant_authorisation",
    api: "/api/v1/authorisations",
    fields: &[
        field("unit", "unit", Input::Unit, true),
        field("granted_by", "granted_by", Input::Unit, true),
        field(
            "highest_level",
            "highest_level",
            Input::Choice(LEVEL_CHOICES),
            true,
        ),
        field("subject_areas", "subject_areas", Input::Words, true),
        field("granted_on", "granted_on", Input::Date, false),
    ],
    when: &[],
};

/// `GET /admin/security`.
pub async fn security(State(web): State<Web>, headers: HeaderMap, uri: Uri) -> Response {
    let done = query_value(&uri, "done");
    finish(security_page(&web, &headers, done.as_deref(), None, None).await)
}

fn picked(codes: Option<&Value>, table: &[(&str, &str, &str)], lang: Lang) -> Vec<Value> {
    let have: Vec<&str> = codes
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    table
        .iter()
        .map(|(code, zh, en)| {
            json!({ "code": code, "label": lang.pick(zh, en), "checked": have.contains(code) })
        })
        .collect()
}

async fn security_page(
    web: &Web,
    headers: &HeaderMap,
    done: Option<&str>,
    refusal: Notice,
    one_time: Option<Value>,
) -> PageResult {
    let principal = who(web, headers, "/api/v1/classifiers").await?;
    let lang = principal.lang;
    // R5.3: the console is the security administrator's. What it lists is readable to others
    // too, but its forms are not theirs: anyone else gets the page for a refusal, with the
    // core's reason (only the security administrator grants rights).
    let grant = baomi_core::access::Action::GrantRights;
    if let Some(role) = grant
        .required_role()
        .filter(|r| !principal.person.roles.contains(*r))
    {
        let reason = baomi_core::access::DenyReason::RoleRequired {
            action: grant,
            role,
        };
        return Err(error_page(
            web,
            &crate::error::ApiError::denied(&reason).in_lang(lang),
            lang,
        ));
    }
    let classifiers = read(web, &principal, headers, "/api/v1/classifiers?per_page=500").await?;
    let people = read(web, &principal, headers, "/api/v1/people?per_page=500").await?;
    let authorisations = read(
        web,
        &principal,
        headers,
        "/api/v1/authorisations?per_page=500",
    )
    .await?;
    let resets = read(web, &principal, headers, "/api/v1/accounts/reset-requests").await?;
    let dir = Directory::load(web)
        .await
        .map_err(|e| error_page(web, &e, lang))?;
    let people: Vec<Value> = super::items_of(&people)
        .iter()
        .map(|p| {
            json!({
                "id": p.get("id"),
                "name": p.get("name"),
                "post": p.get("post"),
                "roles": picked(p.get("roles"), ROLES, lang),
                "approver_roles": picked(p.get("approver_roles"), APPROVER_ROLES, lang),
            })
        })
        .collect();
    let grants: Vec<Value> = super::items_of(&classifiers)
        .iter()
        .map(|g| {
            let level = g.get("highest_level").and_then(Value::as_str).unwrap_or("");
            json!({
                "id": g.get("id"),
                "person": g.get("person").and_then(Value::as_i64).map(|id| dir.person(id)),
                "unit": g.get("unit").and_then(Value::as_i64).map(|id| dir.unit(id)),
                "level": level,
                "level_text": baomi_core::marks::Level::from_code(level)
                    .map(|l| super::level_name(l, lang)),
                "is_head": g.get("is_head"),
                "qualified": g.get("qualified_today"),
                "expires": g.get("certificate_expires").and_then(Value::as_str).map(|d| day_text(d, lang)),
            })
        })
        .collect();
    let authorisations: Vec<Value> = super::items_of(&authorisations)
        .iter()
        .map(|a| {
            let level = a.get("highest_level").and_then(Value::as_str).unwrap_or("");
            let day = |k: &str| a.get(k).and_then(Value::as_str).map(|d| day_text(d, lang));
            json!({
                "id": a.get("id"),
                "unit": a.get("unit").and_then(Value::as_i64).map(|id| dir.unit(id)),
                "granted_by": a.get("granted_by").and_then(Value::as_i64).map(|id| dir.unit(id)),
                "level": level,
                "level_text": baomi_core::marks::Level::from_code(level)
                    .map(|l| super::level_name(l, lang)),
                "areas": a.get("subject_areas").and_then(Value::as_array).map(|v| {
                    v.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(lang.pick("、", ", "))
                }),
                "granted_on": day("granted_on"),
                "withdrawn_on": day("withdrawn_on"),
                "in_force": a.get("in_force"),
            })
        })
        .collect();
    let (refusal, code) = match refusal {
        Some((r, s)) => (Some(r), s),
        None => (None, StatusCode::OK),
    };
    let context = json!({
        "console": "security",
        "one_time": one_time,
        "resets": super::items_of(&resets),
        "authorisations": authorisations,
        "authorise": {
            "key": AUTHORISE.key,
            "label": AUTHORISE.label,
            "fields": form_fields(&AUTHORISE, lang, &dir, &principal),
        },
        "people": people,
        "grants": grants,
        "grant": {
            "key": GRANT.key,
            "label": GRANT.label,
            "fields": form_fields(&GRANT, lang, &dir, &principal),
        },
        "done": done_text(done, lang),
        "refusal": refusal,
    });
    Ok(render(
        "consoles.html",
        code,
        lang,
        web.state.config.system_level,
        merge(
            base(web, &principal, "/admin/security", "security"),
            context,
        ),
    ))
}

/// `POST /admin/security/{person}/{what}`: roles, approver-roles — or, with person `new`,
/// a classifier grant.
pub async fn security_action(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((person, what)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    finish(security_action_inner(&web, &headers, &person, &what, &form).await)
}

async fn security_action_inner(
    web: &Web,
    headers: &HeaderMap,
    person: &str,
    what: &str,
    form: &[(String, String)],
) -> PageResult {
    let all = |key: &str| -> Vec<&str> {
        form.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let (api, body) = match (person, what) {
        ("new", "classifier") => (GRANT.api.to_owned(), form_body(&GRANT, form)),
        ("new", "authorisation") => (AUTHORISE.api.to_owned(), form_body(&AUTHORISE, form)),
        (id, "withdraw") if id.parse::<i64>().is_ok() => {
            (format!("/api/v1/authorisations/{id}/withdraw"), json!({}))
        }
        (id, "roles") if id.parse::<i64>().is_ok() => (
            format!("/api/v1/people/{id}/roles"),
            json!({ "roles": all("roles") }),
        ),
        (id, "confirm-reset") if id.parse::<i64>().is_ok() => (
            format!("/api/v1/accounts/{id}/reset-password/confirm"),
            json!({}),
        ),
        (id, "approver-roles") if id.parse::<i64>().is_ok() => (
            format!("/api/v1/people/{id}/approver-roles"),
            json!({ "approver_roles": all("approver_roles") }),
        ),
        _ => return Err(StatusCode::NOT_FOUND.into_response()),
    };
    match submit(web, headers, &api, form, body).await? {
        // R5.3: the one-time password is shown once, to the confirming security administrator.
        Ok(body) if one_time_of(&body).is_some() => {
            security_page(
                web,
                headers,
                Some("reset-password"),
                None,
                one_time_of(&body),
            )
            .await
        }
        Ok(_) => Ok(see_other(&format!("/admin/security?done={what}"))),
        Err(refusal) => security_page(web, headers, None, Some(refusal), None).await,
    }
}

// ---------------------------------------------------------------------------------------------
// The security auditor: search, export, verify
// ---------------------------------------------------------------------------------------------

const AUDIT_FILTERS: [&str; 8] = [
    "actor",
    "action",
    "object_kind",
    "object_id",
    "outcome",
    "from",
    "until",
    "before",
];

/// `GET /admin/audit`: the trail, newest first, with the API's filters; `?verify=1` checks the
/// hash chain (and signed checkpoints) through the API.
pub async fn audit(State(web): State<Web>, headers: HeaderMap, uri: Uri) -> Response {
    finish(audit_page(&web, &headers, &uri).await)
}

async fn audit_page(web: &Web, headers: &HeaderMap, uri: &Uri) -> PageResult {
    let principal = who(web, headers, "/api/v1/audit").await?;
    let lang = principal.lang;
    let filters: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (AUDIT_FILTERS.contains(&k) && !v.is_empty()).then(|| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let query = filters
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let trail = read(
        web,
        &principal,
        headers,
        &format!("/api/v1/audit?{query}&limit=100"),
    )
    .await?;
    let verify = if query_value(uri, "verify").is_some() {
        Some(read(web, &principal, headers, "/api/v1/audit/verify").await?)
    } else {
        None
    };
    let entries: Vec<Value> = super::items_of(&trail)
        .into_iter()
        .map(|mut e| {
            let detail = e.get("detail").map(Value::to_string).unwrap_or_default();
            let shown: String = detail.chars().take(200).collect();
            if let Some(map) = e.as_object_mut() {
                map.insert("detail_text".into(), json!(shown));
            }
            e
        })
        .collect();
    let oldest = entries
        .last()
        .and_then(|e| e.get("seq"))
        .and_then(Value::as_u64);
    let kept: Vec<(String, String)> = filters
        .iter()
        .filter(|(k, _)| k != "before")
        .cloned()
        .collect();
    let kept_query = kept
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let older = (entries.len() >= 100)
        .then_some(oldest)
        .flatten()
        .map(|seq| format!("/admin/audit?{kept_query}&before={seq}"));
    let value = |k: &str| {
        filters
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| super::ledgers::decoded(v))
    };
    let context = json!({
        "console": "audit",
        "entries": entries,
        "verify": verify,
        "older": older,
        "export": {
            "csv": format!("/api/v1/audit/export?{kept_query}&format=csv"),
            "xlsx": format!("/api/v1/audit/export?{kept_query}&format=xlsx"),
        },
        "filter": {
            "actor": value("actor"),
            "action": value("action"),
            "object_kind": value("object_kind"),
            "object_id": value("object_id"),
            "outcome": value("outcome"),
            "from": value("from"),
            "until": value("until"),
        },
        "verify_link": format!("/admin/audit?{kept_query}&verify=1"),
    });
    Ok(render(
        "consoles.html",
        StatusCode::OK,
        lang,
        web.state.config.system_level,
        merge(base(web, &principal, "/admin/audit", "audit"), context),
    ))
}

/// The consoles a person's roles open, for the navigation.
pub(super) fn consoles_of(principal: &Principal) -> Vec<&'static str> {
    use baomi_core::access::Role;
    let mut out = Vec::new();
    for (role, console) in [
        (Role::SystemAdministrator, "system"),
        (Role::SecurityAdministrator, "security"),
        (Role::SecurityAuditor, "audit"),
    ] {
        if principal.person.roles.contains(role) {
            out.push(console);
        }
    }
    out
}
