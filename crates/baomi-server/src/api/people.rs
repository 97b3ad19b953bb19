//! The people ledger (人员台账, R2) and the administrators' work on people: rights by the
//! security administrator (R5.3) and accounts by the system administrator (R5.3, R13.1, R4.2).
//!
//! ## Who sees what (least privilege; R13.1, R2, R5.3)
//!
//! * **P1 — the directory** (id, name, unit, departments, post, status): every logged-in person
//!   of the **same unit**. People of other units are neither listed nor found (404): nobody
//!   learns another unit's staff from this ledger.
//! * **P2 — personnel details** (category and when it ends, training and its R2.3 status, the
//!   commitment letter, the detachment period, roles and approver roles): only
//!   - the person themself;
//!   - the confidentiality office of their unit (the confidentiality officer role, or the
//!     confidentiality-office approver role), who keeps the ledger (R13.3, R2.2–R2.4);
//!   - the security administrator of their unit, who sets rights by duties (R5.3).
//!
//!   Not the system administrator (R5.3: runs the service, sees nothing by role), not the
//!   auditor (reads the audit trail, R13.2), not unit heads or colleagues. A list filtered or
//!   sorted by category (`level`) or detachment end (`due_by`, `sort=due`) would reveal P2, so
//!   only those who see P2 for the whole unit may use those parameters (others get 400).
//! * Every list, read and export is audited once (`person.list` with the ids and whether
//!   details were shown, `person.read`, `person.export`).
//!
//! ## Changes
//!
//! * The confidentiality office registers people (`POST /api/v1/people`; a classified post
//!   needs the R2.2 appointment checklist met, `personnel::AppointmentChecklist`), records
//!   training (R2.3, `personnel::TrainingRecord`), commitment letters (R2.2) and leaving a post
//!   (R2.4: `personnel::LeavingClearance` from the carrier and device ledgers, then
//!   `personnel::Detachment::new`; the category stops counting from the day of leaving).
//! * The security administrator alone sets roles and approver roles, never their own
//!   (`access::decide` with `Action::GrantRights` on `Object::account`, which runs
//!   `access::may_grant`; denials audited 403) and never two administrator roles for one person
//!   (`access::RoleSet::new`, 422 R5.3).
//! * The system administrator alone manages accounts (`Action::ManageUsers` on
//!   `Object::system` / `Object::account`): lists logins, lock and password state (never a hash
//!   or a TOTP secret, never a category), creates an account for an existing person with an
//!   initial password under the R4.2 policy of the system's level (must be changed at first
//!   login), resets passwords (must change; sessions ended), unlocks, disables (sessions ended)
//!   and enables. A reset leaves the second factor in place, so resetting an administrator's
//!   password does not hand over their account.
//!
//! Every change is one transaction with its audit entry and bumps the principal cache
//! (`AppState::people_changed`) so that rights and sessions take effect on the next request.

use crate::api::common::{audit_read, authorise, deny_role, invalid, refuse};
use crate::api::devices::DeviceRecord;
use crate::auth::{
    account_for, check_new_password, hash_password, one_time_password, password_due_on,
    password_expired, second_factor_required, NewAccount, Principal,
};
use crate::error::{ApiError, ApiResult};
use crate::export::{table_response, ExportFormat, ExportQuery};
use crate::ledger::{
    insert, load, load_all, load_for_update, next_id, save, ListQuery, Loaded, Page,
};
use crate::people::{Person, PersonStatus};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{self, Action, Object, Role, RoleSet};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::carriers::{ApproverRole, CarrierStatus};
use baomi_core::ids::{CarrierId, DepartmentId, DeviceId, PersonId};
use baomi_core::marks::LegalBasis;
use baomi_core::personnel::{
    may_confirm_password_reset, password_reset, training_compliance, AppointmentChecklist,
    AppointmentCondition, Category, Detachment, DetachmentError, LeavingClearance, PasswordReset,
    ResetConfirmation, TrainingError, TrainingRecord,
};
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{RecordFilter, RecordKind, RecordOrder, WriteTx};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The people ledger's, the rights' and the accounts' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people", get(list).post(register))
        .route("/api/v1/people/export", get(export))
        .route("/api/v1/people/{id}", get(show))
        .route("/api/v1/people/{id}/training", post(add_training))
        .route("/api/v1/people/{id}/training-status", get(training_status))
        .route("/api/v1/people/{id}/commitment", post(sign_commitment))
        .route("/api/v1/people/{id}/leave", post(leave))
        .route("/api/v1/people/{id}/roles", post(set_roles))
        .route(
            "/api/v1/people/{id}/approver-roles",
            post(set_approver_roles),
        )
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route(
            "/api/v1/accounts/{person}/reset-password",
            post(reset_password),
        )
        .route(
            "/api/v1/accounts/{person}/reset-password/confirm",
            post(confirm_reset_password),
        )
        .route("/api/v1/accounts/reset-requests", get(reset_requests))
        .route("/api/v1/accounts/{person}/unlock", post(unlock))
        .route("/api/v1/accounts/{person}/disable", post(disable))
        .route("/api/v1/accounts/{person}/enable", post(enable))
}

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

/// The confidentiality office (officer role or office approver role).
pub fn is_confidentiality_office(principal: &Principal) -> bool {
    principal.has_role(Role::ConfidentialityOfficer)
        || principal
            .person
            .approver_roles
            .contains(&ApproverRole::ConfidentialityOffice)
}

/// P2 for the whole unit: the confidentiality office and the security administrator.
fn sees_unit_details(principal: &Principal) -> bool {
    is_confidentiality_office(principal) || principal.has_role(Role::SecurityAdministrator)
}

/// P1: the same unit.
fn sees_directory(principal: &Principal, person: &Person) -> bool {
    principal.person.unit == person.unit
}

/// P2: themself, or the unit's confidentiality office or security administrator.
fn sees_details(principal: &Principal, person: &Person) -> bool {
    principal.id() == person.id
        || (sees_directory(principal, person) && sees_unit_details(principal))
}

fn person_ref(id: PersonId) -> ObjectRef {
    ObjectRef::person(id)
}

fn category_code(c: Category) -> &'static str {
    match c {
        Category::Core => "core",
        Category::Important => "important",
        Category::General => "general",
    }
}

fn status_zh(s: PersonStatus) -> &'static str {
    match s {
        PersonStatus::Active => "在岗",
        PersonStatus::InDetachment => "脱密期",
        PersonStatus::Left => "已离开",
    }
}

/// A person as the subject may see them (P1, plus P2 when `details`).
fn view(p: &Person, details: bool, today: Date) -> Value {
    let mut v = json!({
        "id": p.id,
        "name": p.name,
        "unit": p.unit,
        "departments": p.departments,
        "post": p.post,
        "status": p.status.code(),
        "status_zh": status_zh(p.status),
        "details": details,
    });
    if details {
        let status = training_compliance(p.id, &p.training, today.year());
        v["category"] = json!(p.category.map(category_code));
        v["category_zh"] = json!(p.category.map(Category::zh));
        v["category_counts"] = json!(p.subject().category_on(today).map(category_code));
        v["post_ends"] = json!(p.post_ends);
        v["roles"] = json!(p.roles);
        v["approver_roles"] = json!(p.approver_roles);
        v["training"] = json!(p.training);
        v["training_status"] = json!({
            "year": status.year,
            "minutes": status.minutes,
            "required_minutes": status.required_minutes,
            "short_by_minutes": status.short_by_minutes,
            "compliant": status.is_compliant(),
        });
        v["commitment_signed_on"] = json!(p.commitment_signed_on);
        v["detachment"] = json!(p.detachment);
        v["standing"] = json!(p.detachment.as_ref().map(|d| d.standing_on(today)));
    }
    v
}

/// Loads a person the subject may see in the directory; otherwise 404.
async fn find_visible(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> ApiResult<Loaded<Person>> {
    let mut tx = state.store.read().await?;
    let found = load::<Person>(&mut tx, id).await?;
    tx.finish().await?;
    match found {
        Some(loaded)
            if sees_directory(principal, &loaded.value) || loaded.value.id == principal.id() =>
        {
            Ok(loaded)
        }
        _ => Err(ApiError::not_found().in_lang(principal.lang)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/// Refuses the parameters that would reveal P2 to someone who does not see it for the unit.
fn check_query(principal: &Principal, query: &ListQuery) -> ApiResult<()> {
    if sees_unit_details(principal) {
        return Ok(());
    }
    let by_detail = query.level.is_some()
        || query.due_by.is_some()
        || matches!(query.sort.as_deref(), Some("level" | "due"));
    if by_detail {
        return Err(invalid(
            principal,
            "query",
            "只有保密工作机构和安全保密管理员可以按涉密类别或脱密期筛选、排序",
            "only the confidentiality office and the security administrator may filter or sort by category or detachment",
        ));
    }
    Ok(())
}

/// The people of the subject's unit matching `query`, with whether details are shown.
async fn visible_people(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> ApiResult<Vec<(Person, bool)>> {
    let lang = principal.lang;
    check_query(principal, query)?;
    let (mut filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
    if filter.unit.is_some_and(|u| u != principal.person.unit.0) {
        return Ok(Vec::new());
    }
    filter.unit = Some(principal.person.unit.0);
    let mut tx = state.store.read().await?;
    let all: Vec<Loaded<Person>> = load_all(&mut tx, &filter, order, descending).await?;
    tx.finish().await?;
    Ok(all
        .into_iter()
        .map(|l| {
            let details = sees_details(principal, &l.value);
            (l.value, details)
        })
        .collect())
}

/// R2.3: how many of the people whose details the subject sees have done this year's training
/// hours, and how many have not (the dashboard's chart).
pub(crate) async fn training_counts(
    state: &AppState,
    principal: &Principal,
    today: Date,
) -> ApiResult<(u64, u64)> {
    let people = visible_people(state, principal, &ListQuery::default()).await?;
    let mut ok = 0;
    let mut short = 0;
    for (p, details) in &people {
        if !details {
            continue;
        }
        if training_compliance(p.id, &p.training, today.year()).is_compliant() {
            ok += 1;
        } else {
            short += 1;
        }
    }
    Ok((ok, short))
}

/// `GET /api/v1/people`: the subject's unit (P1; P2 where allowed), paged in SQL (everyone of
/// the unit is listed; what each row shows is decided per row).
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let lang = principal.lang;
    let (page_no, _) = query.page_numbers().map_err(|e| e.in_lang(lang))?;
    check_query(&principal, &query)?;
    let today = state.clock.today();
    let (mut filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
    let window = query.window(order).map_err(|e| e.in_lang(lang))?;
    let elsewhere = filter.unit.is_some_and(|u| u != principal.person.unit.0);
    filter.unit = Some(principal.person.unit.0);
    let (people, total) = if elsewhere {
        (Vec::new(), 0)
    } else {
        let mut tx = state.store.read().await?;
        let people: Vec<Loaded<Person>> =
            crate::ledger::load_page(&mut tx, &filter, None, order, descending, window).await?;
        let total = tx
            .count_records(RecordKind::Person, &filter, None, crate::ledger::TOTAL_CAP)
            .await?;
        tx.finish().await?;
        (people, total)
    };
    let n = people.len();
    let last = people.last().map(|l| l.value.id.0);
    let rows: Vec<Value> = people
        .iter()
        .map(|l| view(&l.value, sees_details(&principal, &l.value), today))
        .collect();
    let page = Page::decided(rows, window, page_no, n, last, total);
    let ids: Vec<&Value> = page.items.iter().map(|v| &v["id"]).collect();
    let details: Vec<&Value> = page
        .items
        .iter()
        .filter(|v| v["details"] == json!(true))
        .map(|v| &v["id"])
        .collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("person", "list"),
        "person.list",
        json!({ "ids": ids, "details": details }),
    )
    .await?;
    Ok(Json(page))
}

/// `GET /api/v1/people/{id}`.
async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let loaded = find_visible(&state, &principal, id).await?;
    let details = sees_details(&principal, &loaded.value);
    audit_read(
        &state,
        &principal,
        person_ref(loaded.value.id),
        "person.read",
        json!({ "details": details }),
    )
    .await?;
    let mut v = view(&loaded.value, details, state.clock.today());
    v["version"] = json!(loaded.version);
    Ok(Json(v))
}

/// `?year=` of the training status.
#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    /// The calendar year (default: this year).
    pub year: Option<i16>,
}

/// `GET /api/v1/people/{id}/training-status?year=`: R2.3 (4 hours a year) for one person.
async fn training_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Query(query): Query<YearQuery>,
) -> ApiResult<Json<Value>> {
    let loaded = find_visible(&state, &principal, id).await?;
    let person = loaded.value;
    if !sees_details(&principal, &person) {
        return Err(deny_role(
            &state,
            &principal,
            Some(person_ref(person.id)),
            "person.training_status",
            RuleId("R2.3"),
            "只有本人、保密工作机构和安全保密管理员可以查看培训记录",
            "only the person, the confidentiality office and the security administrator see training records",
        )
        .await);
    }
    let year = query.year.unwrap_or_else(|| state.clock.today().year());
    let status = training_compliance(person.id, &person.training, year);
    audit_read(
        &state,
        &principal,
        person_ref(person.id),
        "person.training_status",
        json!({ "year": year }),
    )
    .await?;
    let records: Vec<&TrainingRecord> = person
        .training
        .iter()
        .filter(|r| r.on.year() == year)
        .collect();
    Ok(Json(json!({
        "person": person.id,
        "year": status.year,
        "minutes": status.minutes,
        "required_minutes": status.required_minutes,
        "short_by_minutes": status.short_by_minutes,
        "compliant": status.is_compliant(),
        "records": records,
        "rule": "R2.3",
    })))
}

/// `GET /api/v1/people/export?format=csv|xlsx` (R13.3): the rows the subject may list, with
/// the detail columns only for those who see P2 for the whole unit.
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    Query(list_query): Query<ListQuery>,
    Query(export_query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let format = ExportFormat::of(&export_query).map_err(|e| e.in_lang(lang))?;
    let today = state.clock.today();
    let people = visible_people(&state, &principal, &list_query).await?;
    let full = sees_unit_details(&principal);
    let mut tx = state.store.read().await?;
    let departments: BTreeMap<DepartmentId, String> = tx
        .list_departments(principal.person.unit)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    tx.finish().await?;
    let mut columns: Vec<(&str, &str)> = vec![
        ("编号", "Id"),
        ("姓名", "Name"),
        ("部门", "Department"),
        ("岗位", "Post"),
        ("状态", "Status"),
    ];
    if full {
        columns.extend([
            ("涉密类别", "Category"),
            ("离岗日期", "Left post on"),
            ("本年培训（分钟）", "Training this year (minutes)"),
            ("培训是否达标", "Training compliant (R2.3)"),
            ("保密承诺书签订日期", "Commitment signed on"),
            ("脱密期截止", "Detachment ends"),
        ]);
    }
    let rows: Vec<Vec<String>> = people
        .iter()
        .map(|(p, _)| {
            let depts: Vec<String> = p
                .departments
                .iter()
                .map(|d| departments.get(d).cloned().unwrap_or_else(|| d.to_string()))
                .collect();
            let mut row = vec![
                p.id.to_string(),
                p.name.clone(),
                depts.join("、"),
                p.post.clone(),
                lang.pick(status_zh(p.status), p.status.code()).to_owned(),
            ];
            if full {
                let status = training_compliance(p.id, &p.training, today.year());
                row.extend([
                    p.category
                        .map(|c| lang.pick(c.zh(), c.en()).to_owned())
                        .unwrap_or_default(),
                    p.post_ends.map(|d| d.to_string()).unwrap_or_default(),
                    status.minutes.to_string(),
                    lang.pick(
                        if status.is_compliant() { "是" } else { "否" },
                        if status.is_compliant() { "yes" } else { "no" },
                    )
                    .to_owned(),
                    p.commitment_signed_on
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    p.detachment
                        .as_ref()
                        .map(|d| d.ends_on().to_string())
                        .unwrap_or_default(),
                ]);
            }
            row
        })
        .collect();
    let ids: Vec<PersonId> = people.iter().map(|(p, _)| p.id).collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("person", "export"),
        "person.export",
        json!({ "ids": ids, "details": full, "format": format.extension() }),
    )
    .await?;
    let title = lang.pick("人员台账", "People ledger");
    Ok(table_response(title, &columns, rows, format, lang))
}

// ---------------------------------------------------------------------------------------------
// The confidentiality office's changes (R2.2–R2.4)
// ---------------------------------------------------------------------------------------------

pub(crate) async fn require_office(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    action: &str,
    rule: &'static str,
) -> ApiResult<()> {
    if is_confidentiality_office(principal) {
        return Ok(());
    }
    Err(deny_role(
        state,
        principal,
        object,
        action,
        RuleId(rule),
        "只有保密工作机构（保密员）可以办理",
        "only the confidentiality office may do this",
    )
    .await)
}

/// `POST /api/v1/people`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewPerson {
    /// Full name.
    pub name: String,
    /// Departments of the officer's unit.
    #[serde(default)]
    pub departments: Vec<DepartmentId>,
    /// Post.
    #[serde(default)]
    pub post: String,
    /// Category of a classified post (R2.1); absent for a non-classified post.
    #[serde(default)]
    pub category: Option<Category>,
    /// The R2.2 conditions found met (required, all of them, for a classified post).
    #[serde(default)]
    pub checklist: Vec<AppointmentCondition>,
    /// The day the on-post commitment was signed (default today when the checklist says so).
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub commitment_signed_on: Option<Date>,
}

fn clean_name(principal: &Principal, name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(invalid(
            principal,
            "name",
            "姓名不能为空，至多 64 个字符",
            "a name of 1 to 64 characters is required",
        ));
    }
    Ok(name.to_owned())
}

/// Registers a person in the officer's unit (R2.2 for a classified post).
async fn register(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewPerson>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_office(&state, &principal, None, "person.register", "R2.2").await?;
    let today = state.clock.today();
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    match register_in(&mut tx, &principal, body, today, now).await {
        Ok(person) => {
            state.commit_people_change(tx).await?;
            Ok((StatusCode::CREATED, Json(view(&person, true, today))))
        }
        Err(e) => {
            tx.rollback().await?;
            Err(audit_refusal(&state, &principal, None, "person.register", e).await)
        }
    }
}

/// One person's registration inside `tx`, with its `person.register` audit entry: the name,
/// R2.2's appointment checklist for a classified post, the commitment day, departments of the
/// officer's unit. Shared by `POST /api/v1/people` and the import (`api::import`); the caller
/// has checked that the principal may register people ([`require_office`]), and commits or
/// rolls back. A rule's refusal is a 422 naming it, not yet audited ([`audit_refusal`]).
pub(crate) async fn register_in(
    tx: &mut WriteTx,
    principal: &Principal,
    body: NewPerson,
    today: Date,
    now: Timestamp,
) -> ApiResult<Person> {
    let name = clean_name(principal, &body.name)?;
    let post = body.post.trim().chars().take(128).collect::<String>();
    let unit = principal.person.unit;
    let checklist = AppointmentChecklist {
        met: body.checklist.iter().copied().collect(),
    };
    if body.category.is_some() {
        if let Err(refusal) = checklist.check() {
            return Err(ApiError::refused(
                &refusal,
                refusal.rule(),
                "appointment_conditions_unmet",
            )
            .in_lang(principal.lang));
        }
    }
    if body.commitment_signed_on.is_some_and(|d| d > today) {
        return Err(invalid(
            principal,
            "commitment_signed_on",
            "不能晚于今天",
            "may not be after today",
        ));
    }
    let commitment_signed_on = body.commitment_signed_on.or_else(|| {
        checklist
            .met
            .contains(&AppointmentCondition::CommitmentSigned)
            .then_some(today)
    });
    let known: BTreeSet<DepartmentId> = tx
        .list_departments(unit)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let departments: BTreeSet<DepartmentId> = body.departments.iter().copied().collect();
    if departments.iter().any(|d| !known.contains(d)) {
        return Err(invalid(
            principal,
            "departments",
            "须为本单位的部门",
            "must be departments of your unit",
        ));
    }
    let id = PersonId(next_id::<Person>(tx).await?);
    let person = Person {
        id,
        name,
        unit,
        departments,
        post,
        category: body.category,
        post_ends: None,
        roles: RoleSet::none(),
        approver_roles: BTreeSet::new(),
        training: Vec::new(),
        commitment_signed_on,
        detachment: None,
        status: PersonStatus::Active,
    };
    insert(tx, &person, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.register")
            .on(person_ref(id))
            .detail(json!({ "category": person.category.map(category_code), "checklist": checklist.met }).to_string()),
    )
    .await?;
    Ok(person)
}

/// An [`ApiError`] as the refusal it reports, so that [`refuse`] can audit it.
#[derive(Debug)]
struct Told<'a>(&'a ApiError);

impl Describe for Told<'_> {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.0.zh.clone(),
            Lang::En => self.0.en.clone(),
        }
    }
}

/// Audits a rule's refusal (a 422 naming its rule) met inside a transaction that has since
/// been rolled back, exactly as [`refuse`] would have, and answers it; any other error is
/// answered as it is.
pub(crate) async fn audit_refusal(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    action: &str,
    e: ApiError,
) -> ApiError {
    match (e.status, e.rule) {
        (StatusCode::UNPROCESSABLE_ENTITY, Some(rule)) => {
            let reason = e.reason.clone().unwrap_or_else(|| "refused".to_owned());
            refuse(state, principal, object, action, &Told(&e), rule, &reason).await
        }
        _ => e,
    }
}

/// Loads a person of the officer's unit for a change in `tx`; 404 otherwise.
async fn load_in_unit(
    tx: &mut WriteTx,
    principal: &Principal,
    id: i64,
) -> ApiResult<Option<Loaded<Person>>> {
    Ok(load_for_update::<Person>(tx, id)
        .await?
        .filter(|l| l.value.unit == principal.person.unit))
}

/// `POST /api/v1/people/{id}/training`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewTraining {
    /// The day of the session (not after today).
    #[schemars(schema_with = "baomi_core::schema::date")]
    pub on: Date,
    /// Minutes (1 to 1440).
    pub minutes: u32,
    /// What it covered.
    pub topic: String,
}

fn training_code(e: &TrainingError) -> &'static str {
    match e {
        TrainingError::NoDuration => "no_duration",
        TrainingError::LongerThanADay { .. } => "longer_than_a_day",
        TrainingError::NoTopic => "no_topic",
    }
}

/// Records a training session (R2.3).
async fn add_training(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<NewTraining>,
) -> ApiResult<Json<Value>> {
    require_office(
        &state,
        &principal,
        Some(ObjectRef::new("person", id)),
        "person.training",
        "R2.3",
    )
    .await?;
    let today = state.clock.today();
    if body.on > today {
        return Err(invalid(
            &principal,
            "on",
            "培训日期不能晚于今天",
            "the training day may not be after today",
        ));
    }
    let record = match TrainingRecord::new(PersonId(id), body.on, body.minutes, &body.topic) {
        Ok(r) => r,
        Err(e) => {
            return Err(refuse(
                &state,
                &principal,
                Some(ObjectRef::new("person", id)),
                "person.training",
                &e,
                e.rule(),
                training_code(&e),
            )
            .await)
        }
    };
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut person,
        version,
        ..
    }) = load_in_unit(&mut tx, &principal, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    person.training.push(record.clone());
    save(&mut tx, &person, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.training")
            .on(person_ref(person.id))
            .detail(
                json!({ "on": record.on, "minutes": record.minutes, "topic": record.topic })
                    .to_string(),
            ),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(view(&person, true, today)))
}

/// `POST /api/v1/people/{id}/commitment`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Commitment {
    /// The day it was signed (default today).
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub signed_on: Option<Date>,
}

/// Records the signed on-post commitment letter (R2.2).
async fn sign_commitment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    body: Option<Json<Commitment>>,
) -> ApiResult<Json<Value>> {
    require_office(
        &state,
        &principal,
        Some(ObjectRef::new("person", id)),
        "person.commitment",
        "R2.2",
    )
    .await?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let today = state.clock.today();
    let signed_on = body.signed_on.unwrap_or(today);
    if signed_on > today {
        return Err(invalid(
            &principal,
            "signed_on",
            "不能晚于今天",
            "may not be after today",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut person,
        version,
        ..
    }) = load_in_unit(&mut tx, &principal, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    person.commitment_signed_on = Some(signed_on);
    save(&mut tx, &person, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.commitment")
            .on(person_ref(person.id))
            .detail(json!({ "signed_on": signed_on }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(view(&person, true, today)))
}

/// `POST /api/v1/people/{id}/leave`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Leaving {
    /// The day they leave the post (default today).
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub left_on: Option<Date>,
    /// The detachment period in months (default: the category's shortest).
    #[serde(default)]
    pub months: Option<u16>,
    /// The legal basis for a longer period.
    #[serde(default)]
    pub basis: Option<String>,
    /// The exit commitment letter is signed.
    #[serde(default)]
    pub exit_commitment_signed: bool,
}

fn detachment_code(e: &DetachmentError) -> &'static str {
    match e {
        DetachmentError::Outstanding { .. } => "outstanding",
        DetachmentError::TooShort { .. } => "too_short",
        DetachmentError::TooLongWithoutBasis { .. } => "too_long_without_basis",
        DetachmentError::EndOutOfRange { .. } => "end_out_of_range",
    }
}

/// What the person still holds (R2.4): carriers registered to them that are not destroyed or
/// released, and devices they hold or carry that are not scrapped or disposed of.
async fn clearance_of(
    tx: &mut WriteTx,
    person: &Person,
    exit_commitment_signed: bool,
) -> ApiResult<LeavingClearance> {
    let held = RecordFilter {
        holder: Some(person.id.0),
        ..RecordFilter::default()
    };
    let mut carriers_held = BTreeSet::new();
    for record in tx
        .list_records(RecordKind::Carrier, &held, RecordOrder::Id, false)
        .await?
    {
        let terminal =
            serde_json::from_value::<CarrierStatus>(Value::String(record.meta.status.clone()))
                .map(CarrierStatus::is_terminal)
                .unwrap_or(false);
        if !terminal {
            carriers_held.insert(CarrierId(record.id));
        }
    }
    let unit = RecordFilter {
        unit: Some(person.unit.0),
        ..RecordFilter::default()
    };
    let mut devices_held = BTreeSet::new();
    for loaded in crate::ledger::load_all_for_update::<DeviceRecord>(tx, &unit).await? {
        if loaded.value.held_by(person.id) {
            devices_held.insert(DeviceId(loaded.value.device.id.0));
        }
    }
    Ok(LeavingClearance {
        carriers_held,
        devices_held,
        exit_commitment_signed,
    })
}

/// Records leaving a classified post (R2.4): everything cleared, the exit letter signed, a
/// detachment period of the category's length; the category stops counting on `left_on`.
async fn leave(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Leaving>,
) -> ApiResult<Json<Value>> {
    let object = ObjectRef::new("person", id);
    require_office(
        &state,
        &principal,
        Some(object.clone()),
        "person.leave",
        "R2.4",
    )
    .await?;
    let today = state.clock.today();
    let left_on = body.left_on.unwrap_or(today);
    let basis = match body
        .basis
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(text) => LegalBasis::new(text),
        None => None,
    };
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut person,
        version,
        ..
    }) = load_in_unit(&mut tx, &principal, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    if person.status != PersonStatus::Active || person.post_ends.is_some() {
        tx.rollback().await?;
        return Err(ApiError::conflict(
            "此人已离开涉密岗位",
            "this person has already left their post",
        )
        .with_reason("already_left")
        .in_lang(principal.lang));
    }
    let detachment = match person.category {
        None => None,
        Some(category) => {
            let clearance = clearance_of(&mut tx, &person, body.exit_commitment_signed).await?;
            let months = body.months.unwrap_or(*category.detachment_months().start());
            match Detachment::new(person.id, category, left_on, months, basis, &clearance) {
                Ok(d) => Some(d),
                Err(e) => {
                    tx.rollback().await?;
                    return Err(refuse(
                        &state,
                        &principal,
                        Some(object),
                        "person.leave",
                        &e,
                        e.rule(),
                        detachment_code(&e),
                    )
                    .await);
                }
            }
        }
    };
    person.post_ends = Some(left_on);
    person.status = match &detachment {
        Some(d) if d.is_in_detachment(today) => PersonStatus::InDetachment,
        Some(d) if today < d.left_on() => PersonStatus::Active,
        _ => PersonStatus::Left,
    };
    person.detachment = detachment;
    save(&mut tx, &person, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.leave")
            .on(person_ref(person.id))
            .detail(
                json!({
                    "left_on": left_on,
                    "detachment": person.detachment,
                    "roles_kept": person.roles,
                    "approver_roles_kept": person.approver_roles,
                })
                .to_string(),
            ),
    )
    .await?;
    state.commit_people_change(tx).await?;
    let mut v = view(&person, true, today);
    // Rights are the security administrator's to withdraw (R5.3); say what is left to do.
    v["roles_to_review"] =
        json!(person.roles.iter().next().is_some() || !person.approver_roles.is_empty());
    Ok(Json(v))
}

// ---------------------------------------------------------------------------------------------
// Rights: the security administrator (R5.3)
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/people/{id}/roles` `{"roles": [...]}`: the whole set.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RolesBody {
    /// The roles the person is to hold.
    pub roles: Vec<Role>,
}

/// `POST /api/v1/people/{id}/approver-roles` `{"approver_roles": [...]}`: the whole set.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ApproverRolesBody {
    /// The approver roles the person is to hold in their unit.
    pub approver_roles: Vec<ApproverRole>,
}

/// Asks the core whether the principal may grant rights to `person` (R5.3; audited 403).
async fn authorise_grant(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    action: &str,
) -> ApiResult<()> {
    authorise(
        state,
        principal,
        &Object::account(person, state.config.system_level),
        Action::GrantRights,
        person_ref(person),
        action,
    )
    .await
}

/// Sets a person's roles: the security administrator only, never their own, never two
/// administrator roles (R5.3).
async fn set_roles(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<RolesBody>,
) -> ApiResult<Json<Value>> {
    let target = find_visible(&state, &principal, id).await?.value;
    authorise_grant(&state, &principal, target.id, "person.roles").await?;
    let roles = match RoleSet::new(body.roles.iter().copied()) {
        Ok(r) => r,
        Err(conflict) => {
            return Err(refuse(
                &state,
                &principal,
                Some(person_ref(target.id)),
                "person.roles",
                &conflict,
                conflict.rule(),
                "two_administrator_roles",
            )
            .await)
        }
    };
    // R5.3, R13.1: an administrator of a classified system is classified personnel cleared
    // for its level; the category is the one that counts today.
    let category = target.subject().category_on(state.clock.today());
    for role in roles.iter() {
        if let Err(e) = access::may_hold_role(role, category, state.config.system_level) {
            return Err(refuse(
                &state,
                &principal,
                Some(person_ref(target.id)),
                "person.roles",
                &e,
                e.rule(),
                e.code(),
            )
            .await);
        }
    }
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut person,
        version,
        ..
    }) = load_in_unit(&mut tx, &principal, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let before = person.roles.clone();
    person.roles = roles;
    save(&mut tx, &person, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.roles")
            .on(person_ref(person.id))
            .detail(json!({ "before": before, "after": person.roles }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(json!({ "person": person.id, "roles": person.roles })))
}

/// Sets a person's approver roles: the security administrator only, never their own (R5.3).
async fn set_approver_roles(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<ApproverRolesBody>,
) -> ApiResult<Json<Value>> {
    let target = find_visible(&state, &principal, id).await?.value;
    authorise_grant(&state, &principal, target.id, "person.approver_roles").await?;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut person,
        version,
        ..
    }) = load_in_unit(&mut tx, &principal, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let before = person.approver_roles.clone();
    person.approver_roles = body.approver_roles.iter().copied().collect();
    save(&mut tx, &person, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "person.approver_roles")
            .on(person_ref(person.id))
            .detail(json!({ "before": before, "after": person.approver_roles }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(
        json!({ "person": person.id, "approver_roles": person.approver_roles }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Accounts: the system administrator (R5.3, R13.1, R4.2)
// ---------------------------------------------------------------------------------------------

fn account_ref(person: PersonId) -> ObjectRef {
    ObjectRef::new("account", person)
}

/// The core's `ManageUsers` decision on the account, and then R5.3 between the three
/// administrators: the system administrator may lift another administrator's lock, but may
/// not reset their password (they would know it and could act as them — the security
/// administrator granting rights, the auditor reading the trail), nor disable or enable them
/// (switching off the auditor who reviews them). Those are done at the console
/// (`baomi admin reset-password`), on the host itself; refusals are audited.
async fn authorise_account(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    action: &str,
) -> ApiResult<()> {
    authorise(
        state,
        principal,
        &Object::account(person, state.config.system_level),
        Action::ManageUsers,
        account_ref(person),
        action,
    )
    .await?;
    if action == "account.unlock" {
        return Ok(());
    }
    if person == principal.id() {
        // One's own password is changed with the current one (`/auth/password`, counted
        // toward lockout); disabling oneself would leave no system administrator.
        return Err(deny_role(
            state,
            principal,
            Some(account_ref(person)),
            action,
            RuleId("R5.3"),
            "不能在账户管理中重置或停用本人的账户；修改本人密码请用“修改密码”",
            "you may not reset or disable your own account here; change your own password instead",
        )
        .await);
    }
    let mut tx = state.store.read().await?;
    let target = load::<Person>(&mut tx, person.0).await?;
    tx.finish().await?;
    if target.is_some_and(|t| t.value.roles.administrator().is_some()) {
        return Err(deny_role(
            state,
            principal,
            Some(account_ref(person)),
            action,
            RuleId("R5.3"),
            "其他管理员的账户只能在服务器控制台上重置或停用（baomi admin reset-password）",
            "another administrator's account is reset or disabled only at the server's console \
             (baomi admin reset-password)",
        )
        .await);
    }
    Ok(())
}

/// An account as the system administrator sees it: no hash, no TOTP secret, no category.
#[derive(Debug, Serialize)]
struct AccountView {
    person: PersonId,
    login: String,
    name: String,
    unit: Option<i64>,
    disabled: bool,
    locked: bool,
    locked_until: Option<String>,
    failed_count: u32,
    must_change: bool,
    password_set: String,
    password_due: Option<Date>,
    password_expired: bool,
    totp_enrolled: bool,
    second_factor_required: bool,
    /// A reset waits for the security administrator's confirmation (R5.3).
    reset_pending: bool,
}

fn account_view(
    state: &AppState,
    account: &baomi_store::Account,
    person: Option<&Person>,
    now: Timestamp,
) -> AccountView {
    AccountView {
        person: account.person,
        login: account.login.clone(),
        name: person.map(|p| p.name.clone()).unwrap_or_default(),
        unit: person.map(|p| p.unit.0),
        disabled: account.disabled,
        locked: account.locked_until.is_some_and(|u| u > now),
        locked_until: account
            .locked_until
            .filter(|u| *u > now)
            .map(|u| u.to_string()),
        failed_count: account.failed_count,
        must_change: account.must_change,
        password_set: account.password_set.to_string(),
        password_due: password_due_on(state, account.password_set),
        password_expired: password_expired(state, account.password_set, now),
        totp_enrolled: account.totp_secret.is_some(),
        second_factor_required: person.is_some_and(|p| second_factor_required(state, p)),
        reset_pending: account.reset_requested_by.is_some(),
    }
}

/// `GET /api/v1/accounts`: every account of the service (the system administrator runs the
/// whole service).
async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    authorise(
        &state,
        &principal,
        &Object::system(state.config.system_level),
        Action::ManageUsers,
        ObjectRef::new("account", "list"),
        "account.list",
    )
    .await?;
    let now = state.clock.now();
    let (accounts, people) = accounts_and_people(&state).await?;
    let items: Vec<AccountView> = accounts
        .iter()
        .map(|a| account_view(&state, a, people.get(&a.person), now))
        .collect();
    let ids: Vec<PersonId> = items.iter().map(|a| a.person).collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("account", "list"),
        "account.list",
        json!({ "ids": ids }),
    )
    .await?;
    Ok(Json(json!({ "items": items, "total": items.len() })))
}

/// `POST /api/v1/accounts`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewAccountBody {
    /// The existing person.
    pub person: PersonId,
    /// The login.
    pub login: String,
    /// The initial password (R4.2 policy of the system's level); must be changed at first login.
    pub password: String,
}

impl std::fmt::Debug for NewAccountBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccountBody")
            .field("person", &self.person)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/accounts/{person}/reset-password` (`{}`): the administrator no longer
/// chooses the password (R5.3); a `password` sent is refused.
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct ResetBody {
    /// Refused when present: the reset issues a one-time password.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for ResetBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetBody { .. }")
    }
}

fn valid_login(login: &str) -> bool {
    let n = login.chars().count();
    (1..=64).contains(&n) && login.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// R4.2 on an initial password set by the administrator; a refusal is audited.
async fn check_initial_password(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    action: &str,
    password: &str,
) -> ApiResult<()> {
    if let Err(e) = check_new_password(state, password, principal.lang) {
        state
            .audit
            .record(
                AuditDraft::new(state.clock.now(), principal.actor(), action)
                    .on(account_ref(person))
                    .outcome(Outcome::Denied {
                        reason: e
                            .reason
                            .clone()
                            .unwrap_or_else(|| "password_policy".to_owned()),
                    })
                    .detail(json!({ "rule": e.rule.map(|r| r.0) }).to_string()),
            )
            .await?;
        return Err(e);
    }
    Ok(())
}

async fn hash(password: &str) -> ApiResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// Creates an account for an existing person (must change the password at first login).
async fn create_account(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewAccountBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let lang = principal.lang;
    authorise_account(&state, &principal, body.person, "account.create").await?;
    let login = body.login.trim().to_owned();
    if !valid_login(&login) {
        return Err(invalid(
            &principal,
            "login",
            "登录名为 1 至 64 个字符，不含空白",
            "a login is 1 to 64 characters without spaces",
        ));
    }
    check_initial_password(
        &state,
        &principal,
        body.person,
        "account.create",
        &body.password,
    )
    .await?;
    let password_hash = hash(&body.password).await?;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded { value: person, .. }) =
        load_for_update::<Person>(&mut tx, body.person.0).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(lang));
    };
    if person.status == PersonStatus::Left {
        tx.rollback().await?;
        return Err(ApiError::conflict(
            "此人已离开本单位，不能开设账户",
            "this person has left; no account may be opened",
        )
        .with_reason("person_left")
        .in_lang(lang));
    }
    if tx.account(person.id).await?.is_some() {
        tx.rollback().await?;
        return Err(
            ApiError::conflict("此人已有账户", "this person already has an account")
                .with_reason("account_exists")
                .in_lang(lang),
        );
    }
    if tx.account_by_login(&login).await?.is_some() {
        tx.rollback().await?;
        return Err(ApiError::conflict("登录名已被使用", "the login is taken")
            .with_reason("login_taken")
            .in_lang(lang));
    }
    let account = account_for(
        person.id,
        NewAccount {
            login: login.clone(),
            password_hash,
            must_change: true,
            totp_secret: None,
        },
        now,
    );
    tx.insert_account(&account).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "account.create")
            .on(account_ref(person.id))
            .detail(json!({ "login": login }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!(account_view(&state, &account, Some(&person), now))),
    ))
}

/// Changes one account in one transaction with its audit entry; `change` answers the detail.
async fn change_account(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    action: &str,
    change: impl FnOnce(&mut baomi_store::Account) -> Value,
    revoke_sessions: bool,
) -> ApiResult<Json<Value>> {
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(mut account) = tx.account(person).await? else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let mut detail = change(&mut account);
    tx.update_account(&account).await?;
    if revoke_sessions {
        let revoked = tx.revoke_credentials_of(person).await?;
        detail["sessions_revoked"] = json!(revoked);
    }
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), action)
            .on(account_ref(person))
            .detail(detail.to_string()),
    )
    .await?;
    let target = load_for_update::<Person>(&mut tx, person.0)
        .await?
        .map(|l| l.value);
    state.commit_people_change(tx).await?;
    Ok(Json(json!(account_view(
        state,
        &account,
        target.as_ref(),
        now
    ))))
}

/// R5.3: resets a password. Only for a person of the administrator's own unit. A person who is
/// not classified personnel gets a one-time password at once (shown to the system
/// administrator, who never chooses it); for classified personnel the reset is only asked for,
/// and waits until the unit's security administrator confirms it
/// ([`confirm_reset_password`]), who alone sees the one-time password and hands it over
/// through the confidentiality office. Either way the password must be changed at the first
/// login, every session and token of the person ends, and that first login is flagged to the
/// auditor (`auth.login_after_reset`).
async fn reset_password(
    State(state): State<AppState>,
    principal: Principal,
    Path(person): Path<i64>,
    body: Option<Json<ResetBody>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let person = PersonId(person);
    let lang = principal.lang;
    authorise_account(&state, &principal, person, "account.reset_password").await?;
    if body.is_some_and(|Json(b)| b.password.is_some()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "重置密码不再由管理员设定密码：系统生成一次性口令（涉密人员须安全保密管理员确认）",
            "a reset no longer takes a password from the administrator: the service issues a \
             one-time password (for classified personnel after the security administrator \
             confirms)",
        )
        .with_rule(RuleId("R5.3"))
        .with_reason("password_not_chosen")
        .in_lang(lang));
    }
    let mut tx = state.store.read().await?;
    let target = load::<Person>(&mut tx, person.0).await?.map(|l| l.value);
    tx.finish().await?;
    let Some(target) = target else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    let holds_rights = target.roles.iter().next().is_some() || !target.approver_roles.is_empty();
    match password_reset(
        principal.person.unit,
        target.unit,
        target.category,
        holds_rights,
    ) {
        PasswordReset::OtherUnit => Err(deny_role(
            &state,
            &principal,
            Some(account_ref(person)),
            "account.reset_password",
            RuleId("R5.3"),
            "只能重置本单位人员的密码",
            "you may reset the passwords of your own unit's people only",
        )
        .await),
        PasswordReset::Direct => {
            let (password, password_hash) = issue_one_time_password(&state, lang).await?;
            let now = state.clock.now();
            let by = principal.id();
            let Json(mut view) = change_account(
                &state,
                &principal,
                person,
                "account.reset_password",
                move |a| {
                    reset_to(a, password_hash, now);
                    json!({ "must_change": true, "person": person, "by": by, "confirmed_by": null })
                },
                true,
            )
            .await?;
            view["one_time_password"] = json!(password);
            view["pending"] = json!(false);
            Ok((StatusCode::OK, Json(view)))
        }
        PasswordReset::NeedsSecurityAdministrator => {
            let now = state.clock.now();
            let by = principal.id();
            let Json(mut view) = change_account(
                &state,
                &principal,
                person,
                "account.reset_password_request",
                move |a| {
                    a.reset_requested_by = Some(by);
                    a.reset_requested = Some(now);
                    json!({ "person": person, "needs": "security_administrator" })
                },
                false,
            )
            .await?;
            view["pending"] = json!(true);
            Ok((StatusCode::ACCEPTED, Json(view)))
        }
    }
}

/// Sets a reset password on `account`: to be changed at the first login, which is flagged.
fn reset_to(account: &mut baomi_store::Account, password_hash: String, now: Timestamp) {
    account.password_hash = password_hash;
    account.password_set = now;
    account.must_change = true;
    account.reset_login_pending = true;
    account.reset_requested_by = None;
    account.reset_requested = None;
    account.failed_count = 0;
    account.locked_until = None;
}

/// A new one-time password and its hash.
async fn issue_one_time_password(state: &AppState, lang: Lang) -> ApiResult<(String, String)> {
    let password = one_time_password()?;
    // The policy of the system's level must hold for it too (R4.2).
    check_new_password(state, &password, lang)?;
    let password_hash = hash(&password).await?;
    Ok((password, password_hash))
}

/// `POST /api/v1/accounts/{person}/reset-password/confirm`: the unit's security administrator
/// confirms a pending reset (R5.3: the second person). Answers the one-time password, to be
/// handed to the person through the confidentiality office; the person's sessions end, they
/// are told at their next login, and the reset is in the audit trail under their name.
async fn confirm_reset_password(
    State(state): State<AppState>,
    principal: Principal,
    Path(person): Path<i64>,
) -> ApiResult<Json<Value>> {
    let person = PersonId(person);
    let lang = principal.lang;
    let action = "account.reset_password";
    let mut tx = state.store.read().await?;
    let target = load::<Person>(&mut tx, person.0).await?.map(|l| l.value);
    let account = tx.account(person).await?;
    tx.finish().await?;
    let requester = account.as_ref().and_then(|a| a.reset_requested_by);
    let allowed = |requester: PersonId, target: &Person, account: &baomi_store::Account| {
        may_confirm_password_reset(&ResetConfirmation {
            confirmer: principal.id(),
            confirmer_unit: principal.person.unit,
            confirmer_is_security_administrator: principal.has_role(Role::SecurityAdministrator),
            requester,
            target: target.id,
            target_unit: target.unit,
            target_is_administrator: target.roles.administrator().is_some(),
            target_active: !account.disabled && target.status != crate::people::PersonStatus::Left,
        })
    };
    let (Some(target), Some(requester)) = (target, requester) else {
        if !principal.has_role(Role::SecurityAdministrator) {
            return Err(not_security_administrator(&state, &principal, person, action).await);
        }
        return Err(ApiError::conflict(
            "此账户没有待确认的密码重置",
            "this account has no password reset waiting for confirmation",
        )
        .with_reason("no_pending_reset")
        .in_lang(lang));
    };
    let Some(checked_account) = account.as_ref() else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    if !allowed(requester, &target, checked_account) {
        return Err(not_security_administrator(&state, &principal, person, action).await);
    }
    let (password, password_hash) = issue_one_time_password(&state, lang).await?;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(mut account) = tx.account(person).await? else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(lang));
    };
    // Confirmed or withdrawn meanwhile, or the person changed (given an administrator role,
    // disabled, left): the request confirmed must be the one checked, for the person as
    // they are now.
    let now_target = crate::ledger::load_for_update::<Person>(&mut tx, person.0)
        .await?
        .map(|l| l.value);
    let still_allowed = now_target
        .as_ref()
        .is_some_and(|t| allowed(requester, t, &account));
    if !still_allowed {
        tx.rollback().await?;
        return Err(not_security_administrator(&state, &principal, person, action).await);
    }
    if account.reset_requested_by != Some(requester) {
        tx.rollback().await?;
        return Err(ApiError::conflict(
            "此账户没有待确认的密码重置",
            "this account has no password reset waiting for confirmation",
        )
        .with_reason("no_pending_reset")
        .in_lang(lang));
    }
    let requested = account.reset_requested;
    reset_to(&mut account, password_hash, now);
    tx.update_account(&account).await?;
    let revoked = tx.revoke_credentials_of(person).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), action)
            .on(account_ref(person))
            .detail(
                json!({
                    "must_change": true,
                    "person": person,
                    "by": requester,
                    "requested": requested.map(|t| t.to_string()),
                    "confirmed_by": principal.id(),
                    "sessions_revoked": revoked,
                })
                .to_string(),
            ),
    )
    .await?;
    // The person is told: an entry under their own name (and a notice at their next login).
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "account.reset_notice")
            .on(ObjectRef::person(person))
            .detail(
                json!({ "person": person, "requested_by": requester, "confirmed_by": principal.id() })
                    .to_string(),
            ),
    )
    .await?;
    state.commit_people_change(tx).await?;
    let mut view = json!(account_view(&state, &account, Some(&target), now));
    view["one_time_password"] = json!(password);
    view["pending"] = json!(false);
    Ok(Json(view))
}

async fn not_security_administrator(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    action: &str,
) -> ApiError {
    deny_role(
        state,
        principal,
        Some(account_ref(person)),
        action,
        RuleId("R5.3"),
        "密码重置须由本单位另一位安全保密管理员确认",
        "a password reset is confirmed by a security administrator of the person's unit other \
         than the one who asked for it",
    )
    .await
}

/// Every account, and every person by id (to name them).
async fn accounts_and_people(
    state: &AppState,
) -> ApiResult<(Vec<baomi_store::Account>, BTreeMap<PersonId, Person>)> {
    let mut tx = state.store.read().await?;
    let accounts = tx.list_accounts().await?;
    let people: Vec<Loaded<Person>> =
        load_all(&mut tx, &RecordFilter::default(), RecordOrder::Id, false).await?;
    tx.finish().await?;
    let people = people.into_iter().map(|l| (l.value.id, l.value)).collect();
    Ok((accounts, people))
}

/// `GET /api/v1/accounts/reset-requests`: the resets waiting for the security administrator
/// of the caller's unit.
async fn reset_requests(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    if !principal.has_role(Role::SecurityAdministrator) {
        return Err(deny_role(
            &state,
            &principal,
            Some(ObjectRef::new("account", "reset-requests")),
            "account.reset_requests",
            RuleId("R5.3"),
            "待确认的密码重置只由安全保密管理员查看",
            "pending password resets are for the security administrator",
        )
        .await);
    }
    let (accounts, people) = accounts_and_people(&state).await?;
    let items: Vec<Value> = accounts
        .iter()
        .filter_map(|a| {
            let by = a.reset_requested_by?;
            let person = people.get(&a.person)?;
            (person.unit == principal.person.unit).then(|| {
                json!({
                    "person": a.person,
                    "login": a.login,
                    "name": person.name,
                    "requested_by": by,
                    "requested_by_name": people.get(&by).map(|p| p.name.clone()),
                    "requested": a.reset_requested.map(|t| t.to_string()),
                })
            })
        })
        .collect();
    let persons: Vec<&Value> = items.iter().map(|v| &v["person"]).collect();
    // R13.1: every read is audited, this one too.
    crate::api::common::audit_read(
        &state,
        &principal,
        ObjectRef::new("account", "reset-requests"),
        "account.reset_requests",
        json!({ "persons": persons }),
    )
    .await?;
    Ok(Json(json!({ "items": items, "total": items.len() })))
}

/// Lifts a lock after repeated failures.
async fn unlock(
    State(state): State<AppState>,
    principal: Principal,
    Path(person): Path<i64>,
) -> ApiResult<Json<Value>> {
    let person = PersonId(person);
    authorise_account(&state, &principal, person, "account.unlock").await?;
    change_account(
        &state,
        &principal,
        person,
        "account.unlock",
        |a| {
            let before = a.failed_count;
            a.failed_count = 0;
            a.locked_until = None;
            json!({ "failed_count_before": before })
        },
        false,
    )
    .await
}

/// Disables an account and ends its sessions and tokens.
async fn disable(
    State(state): State<AppState>,
    principal: Principal,
    Path(person): Path<i64>,
) -> ApiResult<Json<Value>> {
    let person = PersonId(person);
    authorise_account(&state, &principal, person, "account.disable").await?;
    change_account(
        &state,
        &principal,
        person,
        "account.disable",
        |a| {
            a.disabled = true;
            json!({ "disabled": true })
        },
        true,
    )
    .await
}

/// Enables a disabled account again.
async fn enable(
    State(state): State<AppState>,
    principal: Principal,
    Path(person): Path<i64>,
) -> ApiResult<Json<Value>> {
    let person = PersonId(person);
    authorise_account(&state, &principal, person, "account.enable").await?;
    change_account(
        &state,
        &principal,
        person,
        "account.enable",
        |a| {
            a.disabled = false;
            json!({ "disabled": false })
        },
        false,
    )
    .await
}
