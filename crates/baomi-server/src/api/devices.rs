//! The devices ledger (设备台账, R4, R13.3): computers, storage media and office equipment,
//! their level (R4.1), holder, password-policy status (R4.2) and lifecycle.
//!
//! * A device is a [`DeviceRecord`] (record kind `device`) wrapping
//!   `baomi_core::devices::Device`; every lifecycle step is the core's `Device::apply`.
//! * **Who sees what (D1).** Device rows carry no classified content (names, serials, levels,
//!   states). The confidentiality office and the security administrator see every device of
//!   their unit; everyone else sees the devices they hold or carry. A device one may not see is
//!   404, and lists never count it. A list is audited once (`device.list` with the ids), a
//!   single read once (`device.read`).
//! * **Who acts (D2).** The confidentiality office and the security administrator of the unit
//!   register devices and take every lifecycle step; the holder may also ask to carry their
//!   device out (R4.4). The holder must be cleared for the device's level
//!   (`access::check_clearance`, R2.1), and so must the bearer of a carried-out device.
//! * **Approvals (R4.4, R4.7, R4.1, R3.8).** An action for which the core names an approval
//!   (`Device::approval_needed`: carrying a classified laptop or medium out, sending a classified
//!   device out for repair, security processing, declassifying, disposing, scrapping) is first
//!   tried against the core with a stand-in approval, so that what no approval can cure (a
//!   classified device discarded, a desktop carried out, no destruction body) is refused at
//!   once; then it becomes an [`ApprovalRequest`] routed to the approver roles the core names
//!   (`ApprovedAction::approvers`; any one suffices) and is carried out by
//!   [`carry_out_approved`] when approved, where the core checks the approval (role, never the
//!   requester or bearer, not after the act). One request per device is pending at a time.
//! * `GET /api/v1/devices/{id}/password-status` gives R4.2 for the device's level and second
//!   factor: the policy, when the password was last changed, when it is due, and whether it is
//!   expired or lacks the second factor Top Secret needs.

use crate::api::common::{audit_read, deny_role, invalid, refuse};
use crate::api::people::{audit_refusal, is_confidentiality_office};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalSubject};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::export::{table_response, ExportFormat, ExportQuery};
use crate::ledger::{
    insert, level_rank, load, load_all, load_all_for_update, load_for_update, next_id, save,
    Ledger, ListQuery, Loaded, Page,
};
use crate::people::Person;
use crate::state::{civil_day, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{check_clearance, Role};
use baomi_core::audit::{AuditDraft, ObjectRef};
use baomi_core::carriers::{Approval, ApproverRole, RepairArrangement};
use baomi_core::devices::{
    ApprovedAction, Device, DeviceAction, DeviceKind, DeviceRefusal, DeviceState, Disposal,
    PasswordAge, PasswordPolicy, PasswordProblem, SecondFactor,
};
use baomi_core::ids::{ApprovalId, DepartmentId, DeviceId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{RecordFilter, RecordKind, RecordMeta, WriteTx};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The devices ledger's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/devices", get(list).post(register))
        .route("/api/v1/devices/export", get(export))
        .route("/api/v1/devices/{id}", get(show))
        .route("/api/v1/devices/{id}/password-status", get(password_status))
        .route("/api/v1/devices/{id}/{action}", post(command))
}

// ---------------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------------

/// The record of a passed security test (R4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecurityTest {
    /// The day of the test.
    #[schemars(schema_with = "baomi_core::schema::date")]
    pub on: Date,
    /// Who tested (the testing body).
    pub by: String,
    /// The test report's reference.
    pub reference: String,
}

/// The device's password as last recorded (R4.2): never the password, only when it changed
/// and which second factor is used with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PasswordRecord {
    /// The day it was last changed.
    #[schemars(schema_with = "baomi_core::schema::date")]
    pub last_changed: Date,
    /// The second factor in use, if any.
    #[serde(default)]
    pub second_factor: Option<SecondFactor>,
}

/// One step in the device's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// When.
    pub at: Timestamp,
    /// Who recorded it.
    pub by: Option<PersonId>,
    /// What (`register`, a core action code, `assign`, `password`).
    pub action: String,
    /// The approval request it carried out, if any.
    #[serde(default)]
    pub approval: Option<i64>,
    /// A note (reason, destination, repairer…).
    #[serde(default)]
    pub note: String,
}

/// A device in the ledger (R4, R13.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The core device: id, kind, level (R4.1), serial, lifecycle state.
    pub device: Device,
    /// The unit's asset number (unique).
    pub number: String,
    /// Brand and model.
    pub name: String,
    /// The unit.
    pub unit: UnitId,
    /// The department using it.
    #[serde(default)]
    pub department: Option<DepartmentId>,
    /// The person responsible for it (责任人).
    #[serde(default)]
    pub holder: Option<PersonId>,
    /// Where it is kept.
    #[serde(default)]
    pub location: String,
    /// The day it was registered.
    pub registered_on: Date,
    /// The passed security test (R4.1).
    #[serde(default)]
    pub security_test: Option<SecurityTest>,
    /// Its password as last recorded (R4.2), for computers.
    #[serde(default)]
    pub password: Option<PasswordRecord>,
    /// Where it was carried to, while carried out (R4.4).
    #[serde(default)]
    pub destination: Option<String>,
    /// What happened to it.
    #[serde(default)]
    pub history: Vec<DeviceEvent>,
}

/// R4.2 for one device.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordStatus {
    /// Whether R4.2 applies (a computer in service at a level with a password rule).
    pub applies: bool,
    /// The device's level.
    pub level: Level,
    /// The second factor recorded.
    pub second_factor: Option<SecondFactor>,
    /// Minimum length.
    pub min_length: Option<usize>,
    /// Letters and digits mixed.
    pub letters_and_digits: bool,
    /// Longest age in days.
    pub max_age_days: Option<u16>,
    /// Top Secret without the factor R4.2 needs.
    pub second_factor_missing: bool,
    /// Last changed.
    pub last_changed: Option<Date>,
    /// The last valid day.
    pub due: Option<Date>,
    /// `not_applicable`, `not_recorded`, `expired`, `second_factor_missing` or `ok`.
    pub status: &'static str,
    /// The R4.2 problems (expiry, second factor).
    pub problems: Vec<PasswordProblem>,
}

impl DeviceRecord {
    /// Whether `person` holds or carries it and it is not gone (R2.4 clearance).
    pub fn held_by(&self, person: PersonId) -> bool {
        if self.device.state.is_final() {
            return false;
        }
        self.holder == Some(person)
            || matches!(self.device.state, DeviceState::CarriedOut { by, .. } if by == person)
    }

    /// R4.2 status on `today`.
    pub fn password_status(&self, today: Date) -> PasswordStatus {
        let factor = self.password.and_then(|p| p.second_factor);
        let policy = PasswordPolicy::for_level(self.device.level, factor);
        let applies = self.device.kind.is_computer()
            && !self.device.state.is_final()
            && self.device.state != DeviceState::Retired
            && (policy.min_length.is_some() || policy.second_factor_missing);
        let mut problems = Vec::new();
        let status = if !applies {
            "not_applicable"
        } else if let Some(p) = self.password {
            problems = policy
                .check(
                    "",
                    Some(PasswordAge {
                        last_changed: p.last_changed,
                        on: today,
                    }),
                )
                .into_iter()
                .filter(|p| {
                    matches!(
                        p,
                        PasswordProblem::Expired { .. } | PasswordProblem::SecondFactorRequired
                    )
                })
                .collect();
            if problems
                .iter()
                .any(|p| matches!(p, PasswordProblem::Expired { .. }))
            {
                "expired"
            } else if !problems.is_empty() {
                "second_factor_missing"
            } else {
                "ok"
            }
        } else {
            "not_recorded"
        };
        PasswordStatus {
            applies,
            level: self.device.level,
            second_factor: factor,
            min_length: policy.min_length,
            letters_and_digits: policy.letters_and_digits,
            max_age_days: policy.max_age_days,
            second_factor_missing: policy.second_factor_missing,
            last_changed: self.password.map(|p| p.last_changed),
            due: if applies {
                self.password.and_then(|p| policy.due(p.last_changed))
            } else {
                None
            },
            status,
            problems,
        }
    }

    /// The day something is due: the return of a carried-out device, else its password.
    fn due_on(&self) -> Option<Date> {
        match self.device.state {
            DeviceState::CarriedOut { due, .. } => Some(due),
            _ => {
                let factor = self.password.and_then(|p| p.second_factor);
                if self.device.kind.is_computer() && !self.device.state.is_final() {
                    self.password.and_then(|p| {
                        PasswordPolicy::for_level(self.device.level, factor).due(p.last_changed)
                    })
                } else {
                    None
                }
            }
        }
    }
}

impl Ledger for DeviceRecord {
    const KIND: RecordKind = RecordKind::Device;

    fn record_id(&self) -> i64 {
        self.device.id.0
    }

    fn meta(&self) -> RecordMeta {
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(self.unit.0),
            level: Some(level_rank(self.device.level)),
            status: self.device.state.code().to_owned(),
            title: format!("{} {}", self.name, self.device.serial),
            number: Some(self.number.clone()),
            place: Some(self.location.clone()).filter(|l| !l.is_empty()),
            holder: self.holder.map(|h| h.0),
            due_on: self.due_on(),
            remind_on: None,
            read: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Visibility (D1) and who acts (D2)
// ---------------------------------------------------------------------------------------------

/// The unit's device managers: the confidentiality office and the security administrator.
fn manages(principal: &Principal, unit: UnitId) -> bool {
    principal.person.unit == unit
        && (is_confidentiality_office(principal) || principal.has_role(Role::SecurityAdministrator))
}

/// The unit's device managers (D2): who registers devices, one by one or by import.
pub(crate) fn manages_any(principal: &Principal) -> bool {
    manages(principal, principal.person.unit)
}

fn visible(principal: &Principal, rec: &DeviceRecord) -> bool {
    manages(principal, rec.unit)
        || (principal.person.unit == rec.unit && rec.held_by(principal.id()))
}

fn device_ref(id: DeviceId) -> ObjectRef {
    ObjectRef::device(id)
}

/// A row of the ledger (no history).
fn row(rec: &DeviceRecord, today: Date) -> Value {
    let pw = rec.password_status(today);
    json!({
        "id": rec.device.id,
        "number": rec.number,
        "name": rec.name,
        "kind": rec.device.kind,
        "kind_zh": rec.device.kind.zh(),
        "level": rec.device.level.code(),
        "level_zh": rec.device.level.zh(),
        "serial": rec.device.serial,
        "status": rec.device.state.code(),
        "status_zh": rec.device.state.zh(),
        "state": rec.device.state,
        "unit": rec.unit,
        "department": rec.department,
        "holder": rec.holder,
        "location": rec.location,
        "registered_on": rec.registered_on,
        "security_tested": rec.security_test.is_some(),
        "password_status": pw.status,
        "password_due": pw.due,
        "destination": rec.destination,
    })
}

/// The full record.
fn detail(rec: &DeviceRecord, today: Date, version: i64) -> Value {
    let mut v = row(rec, today);
    v["security_test"] = json!(rec.security_test);
    v["password"] = json!(rec.password);
    v["history"] = json!(rec.history);
    v["version"] = json!(version);
    v
}

async fn find_visible(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> ApiResult<Loaded<DeviceRecord>> {
    let mut tx = state.store.read().await?;
    let found = load::<DeviceRecord>(&mut tx, id).await?;
    tx.finish().await?;
    match found {
        Some(l) if visible(principal, &l.value) => Ok(l),
        _ => Err(ApiError::not_found().in_lang(principal.lang)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

async fn visible_devices(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> ApiResult<Vec<DeviceRecord>> {
    let lang = principal.lang;
    let (mut filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
    if filter.unit.is_some_and(|u| u != principal.person.unit.0) {
        return Ok(Vec::new());
    }
    filter.unit = Some(principal.person.unit.0);
    let mut tx = state.store.read().await?;
    let all: Vec<Loaded<DeviceRecord>> = load_all(&mut tx, &filter, order, descending).await?;
    tx.finish().await?;
    Ok(all
        .into_iter()
        .map(|l| l.value)
        .filter(|rec| visible(principal, rec))
        .collect())
}

/// R4.2: how many of the devices the subject sees whose password rules apply are in policy, and
/// how many are not (the dashboard's chart).
pub(crate) async fn password_counts(
    state: &AppState,
    principal: &Principal,
    today: Date,
) -> ApiResult<(u64, u64)> {
    let mut ok = 0;
    let mut out = 0;
    for rec in visible_devices(state, principal, &ListQuery::default()).await? {
        match row(&rec, today)
            .get("password_status")
            .and_then(Value::as_str)
        {
            None | Some("not_applicable") => {}
            Some("ok") => ok += 1,
            Some(_) => out += 1,
        }
    }
    Ok((ok, out))
}

/// `GET /api/v1/devices`. The unit's device managers see the unit's whole ledger, paged in
/// SQL; anyone else the devices they hold, filtered here (D1).
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let lang = principal.lang;
    let (page_no, per_page) = query.page_numbers().map_err(|e| e.in_lang(lang))?;
    let today = state.clock.today();
    let unit = principal.person.unit;
    let page = if manages(&principal, unit) {
        let (mut filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
        let window = query.window(order).map_err(|e| e.in_lang(lang))?;
        let elsewhere = filter.unit.is_some_and(|u| u != unit.0);
        filter.unit = Some(unit.0);
        let (devices, total) = if elsewhere {
            (Vec::new(), 0)
        } else {
            let mut tx = state.store.read().await?;
            let devices: Vec<Loaded<DeviceRecord>> =
                crate::ledger::load_page(&mut tx, &filter, None, order, descending, window).await?;
            let total = tx
                .count_records(RecordKind::Device, &filter, None, crate::ledger::TOTAL_CAP)
                .await?;
            tx.finish().await?;
            (devices, total)
        };
        let n = devices.len();
        let last = devices.last().map(|l| l.value.device.id.0);
        let rows: Vec<Value> = devices.iter().map(|l| row(&l.value, today)).collect();
        Page::decided(rows, window, page_no, n, last, total)
    } else {
        query.page().map_err(|e| e.in_lang(lang))?;
        let rows: Vec<Value> = visible_devices(&state, &principal, &query)
            .await?
            .iter()
            .map(|r| row(r, today))
            .collect();
        Page::of(rows, page_no, per_page)
    };
    let ids: Vec<&Value> = page.items.iter().map(|v| &v["id"]).collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("device", "list"),
        "device.list",
        json!({ "ids": ids }),
    )
    .await?;
    Ok(Json(page))
}

/// `GET /api/v1/devices/{id}`.
async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let loaded = find_visible(&state, &principal, id).await?;
    audit_read(
        &state,
        &principal,
        device_ref(loaded.value.device.id),
        "device.read",
        json!({}),
    )
    .await?;
    Ok(Json(detail(
        &loaded.value,
        state.clock.today(),
        loaded.version,
    )))
}

/// `GET /api/v1/devices/{id}/password-status` (R4.2).
async fn password_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let loaded = find_visible(&state, &principal, id).await?;
    let rec = &loaded.value;
    audit_read(
        &state,
        &principal,
        device_ref(rec.device.id),
        "device.password_status",
        json!({}),
    )
    .await?;
    let status = rec.password_status(state.clock.today());
    let messages: Vec<String> = status
        .problems
        .iter()
        .map(|p| p.describe(principal.lang))
        .collect();
    let mut v = json!(status);
    v["device"] = json!(rec.device.id);
    v["rule"] = json!("R4.2");
    v["messages"] = json!(messages);
    Ok(Json(v))
}

/// `GET /api/v1/devices/export?format=csv|xlsx` (R13.3).
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    Query(list_query): Query<ListQuery>,
    Query(export_query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let format = ExportFormat::of(&export_query).map_err(|e| e.in_lang(lang))?;
    let today = state.clock.today();
    let devices = visible_devices(&state, &principal, &list_query).await?;
    let mut tx = state.store.read().await?;
    let filter = RecordFilter {
        unit: Some(principal.person.unit.0),
        ..RecordFilter::default()
    };
    let people: Vec<Loaded<Person>> =
        load_all(&mut tx, &filter, baomi_store::RecordOrder::Id, false).await?;
    let departments: BTreeMap<DepartmentId, String> = tx
        .list_departments(principal.person.unit)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    tx.finish().await?;
    let names: BTreeMap<PersonId, String> = people
        .into_iter()
        .map(|l| (l.value.id, l.value.name))
        .collect();
    let columns = [
        ("设备编号", "Number"),
        ("名称型号", "Name and model"),
        ("类型", "Kind"),
        ("密级", "Level"),
        ("序列号", "Serial"),
        ("状态", "State"),
        ("责任人", "Holder"),
        ("使用部门", "Department"),
        ("存放地点", "Location"),
        ("启用前保密检测", "Security test (R4.1)"),
        ("口令状态", "Password (R4.2)"),
        ("口令到期", "Password due"),
        ("登记日期", "Registered on"),
    ];
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|rec| {
            let pw = rec.password_status(today);
            vec![
                rec.number.clone(),
                rec.name.clone(),
                rec.device.kind.describe(lang),
                rec.device.level.describe(lang),
                rec.device.serial.clone(),
                lang.pick(rec.device.state.zh(), rec.device.state.en())
                    .to_owned(),
                rec.holder
                    .and_then(|h| names.get(&h).cloned())
                    .unwrap_or_default(),
                rec.department
                    .and_then(|d| departments.get(&d).cloned())
                    .unwrap_or_default(),
                rec.location.clone(),
                rec.security_test
                    .as_ref()
                    .map(|t| format!("{} {}", t.on, t.reference))
                    .unwrap_or_default(),
                password_status_text(pw.status, lang).to_owned(),
                pw.due.map(|d| d.to_string()).unwrap_or_default(),
                rec.registered_on.to_string(),
            ]
        })
        .collect();
    let ids: Vec<DeviceId> = devices.iter().map(|r| r.device.id).collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("device", "export"),
        "device.export",
        json!({ "ids": ids, "format": format.extension() }),
    )
    .await?;
    Ok(table_response(
        lang.pick("设备台账", "Devices ledger"),
        &columns,
        rows,
        format,
        lang,
    ))
}

fn password_status_text(status: &str, lang: Lang) -> &'static str {
    match status {
        "ok" => lang.pick("符合", "compliant"),
        "expired" => lang.pick("已过期", "expired"),
        "second_factor_missing" => lang.pick("缺少第二因子", "second factor missing"),
        "not_recorded" => lang.pick("未登记", "not recorded"),
        _ => lang.pick("不适用", "not applicable"),
    }
}

// ---------------------------------------------------------------------------------------------
// Register
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/devices`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewDevice {
    /// What it is.
    pub kind: DeviceKind,
    /// R4.1: the highest level it stores or processes.
    pub level: Level,
    /// Manufacturer's serial.
    pub serial: String,
    /// The unit's asset number (unique).
    pub number: String,
    /// Brand and model.
    pub name: String,
    /// The department using it.
    #[serde(default)]
    pub department: Option<DepartmentId>,
    /// The person responsible.
    #[serde(default)]
    pub holder: Option<PersonId>,
    /// Where it is kept.
    #[serde(default)]
    pub location: String,
    /// Its password as last changed (computers).
    #[serde(default)]
    pub password: Option<PasswordRecord>,
}

fn text_field(
    principal: &Principal,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> ApiResult<String> {
    let v = value.trim();
    if (required && v.is_empty()) || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(
            principal,
            field,
            &format!(
                "须为{}至多 {max} 个字符的文字",
                if required { "非空、" } else { "" }
            ),
            &format!(
                "must be {}text of at most {max} characters",
                if required { "non-empty " } else { "" }
            ),
        ));
    }
    Ok(v.to_owned())
}

/// Audits and answers the 403 of someone who does not manage the devices ledger (D2).
pub(crate) async fn deny_manage(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    action: &str,
) -> ApiError {
    deny_role(
        state,
        principal,
        object,
        action,
        RuleId("R13.3"),
        "只有本单位保密工作机构和安全保密管理员可以管理设备台账",
        "only the unit's confidentiality office and security administrator manage the devices ledger",
    )
    .await
}

/// Whether `person` is a person of `unit` (else a 400) cleared for `level` (R2.1; the core's
/// refusal to audit otherwise).
fn holder_clearance(
    principal: &Principal,
    person: Option<Person>,
    unit: UnitId,
    level: Level,
    today: Date,
) -> ApiResult<Result<(), baomi_core::access::DenyReason>> {
    let Some(person) = person.filter(|p| p.unit == unit) else {
        return Err(invalid(
            principal,
            "holder",
            "须为本单位人员",
            "must be a person of the unit",
        ));
    };
    Ok(check_clearance(&person.subject(), level, today))
}

/// [`holder_clearance`] of `holder` read in `tx`.
async fn check_holder(
    tx: &mut WriteTx,
    principal: &Principal,
    unit: UnitId,
    holder: PersonId,
    level: Level,
    today: Date,
) -> ApiResult<Result<(), baomi_core::access::DenyReason>> {
    let person = load_for_update::<Person>(tx, holder.0)
        .await?
        .map(|l| l.value);
    holder_clearance(principal, person, unit, level, today)
}

/// Registers a device (R4, R13.3).
async fn register(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewDevice>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !manages_any(&principal) {
        return Err(deny_manage(&state, &principal, None, "device.register").await);
    }
    let today = state.clock.today();
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    match register_in(&mut tx, &principal, body, today, now).await {
        Ok(rec) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(detail(&rec, today, 1))))
        }
        Err(e) => {
            tx.rollback().await?;
            Err(audit_refusal(&state, &principal, None, "device.register", e).await)
        }
    }
}

/// One device's registration inside `tx`, with its `device.register` audit entry: the text
/// fields, a department of the unit, the holder a person of the unit cleared for the device's
/// level (R2.1), a number not yet used. Shared by `POST /api/v1/devices` and the import
/// (`api::import`); the caller has checked [`manages_any`], and commits or rolls back. A
/// rule's refusal is a 422 naming it, not yet audited (`people::audit_refusal`).
pub(crate) async fn register_in(
    tx: &mut WriteTx,
    principal: &Principal,
    body: NewDevice,
    today: Date,
    now: Timestamp,
) -> ApiResult<DeviceRecord> {
    let number = text_field(principal, "number", &body.number, 64, true)?;
    let name = text_field(principal, "name", &body.name, 128, true)?;
    let serial = text_field(principal, "serial", &body.serial, 128, true)?;
    let location = text_field(principal, "location", &body.location, 128, false)?;
    let unit = principal.person.unit;
    if let Some(d) = body.department {
        let known: BTreeSet<DepartmentId> = tx
            .list_departments(unit)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        if !known.contains(&d) {
            return Err(invalid(
                principal,
                "department",
                "须为本单位的部门",
                "must be a department of your unit",
            ));
        }
    }
    if let Some(holder) = body.holder {
        if let Err(reason) = check_holder(tx, principal, unit, holder, body.level, today).await? {
            return Err(
                ApiError::refused(&reason, reason.rule(), reason.code()).in_lang(principal.lang)
            );
        }
    }
    if tx
        .get_record_by_number(RecordKind::Device, &number)
        .await?
        .is_some()
    {
        return Err(
            ApiError::conflict("设备编号已被使用", "the device number is taken")
                .with_reason("number_taken")
                .in_lang(principal.lang),
        );
    }
    let id = DeviceId(next_id::<DeviceRecord>(tx).await?);
    let rec = DeviceRecord {
        device: Device::register(id, body.kind, body.level, &serial),
        number,
        name,
        unit,
        department: body.department,
        holder: body.holder,
        location,
        registered_on: today,
        security_test: None,
        password: body.password,
        destination: None,
        history: vec![DeviceEvent {
            at: now,
            by: Some(principal.id()),
            action: "register".to_owned(),
            approval: None,
            note: String::new(),
        }],
    };
    insert(tx, &rec, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "device.register")
            .on(device_ref(id))
            .detail(json!({ "number": rec.number, "kind": rec.device.kind, "level": rec.device.level.code() }).to_string()),
    )
    .await?;
    Ok(rec)
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// A step in a device's life as asked over HTTP: the core's actions without their approvals
/// (the inbox supplies those), plus two ledger edits (`assign`, `password`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DeviceCommand {
    /// R4.1: into use; a classified device with its passed security test.
    Commission {
        /// The test record.
        #[serde(default)]
        security_test: Option<SecurityTest>,
    },
    /// R3.8: to repair.
    SendForRepair {
        /// How.
        arrangement: RepairArrangement,
    },
    /// Back from repair.
    ReturnFromRepair,
    /// R4.4: out of the office.
    CarryOut {
        /// The bearer (default: the holder, else whoever asks).
        #[serde(default)]
        by: Option<PersonId>,
        /// To be back by.
        #[schemars(schema_with = "baomi_core::schema::date")]
        due: Date,
        /// Where to.
        #[serde(default)]
        destination: String,
        /// Storage encrypted.
        #[serde(default)]
        encrypted: bool,
        /// Authentication on.
        #[serde(default)]
        authenticated: bool,
    },
    /// R4.4: back in the office.
    ReturnFromCarryOut,
    /// R4.1: to security processing (approved).
    SendForSecurityProcessing,
    /// R4.1: processing done.
    CompleteSecurityProcessing,
    /// R4.1: turned non-classified (approved; storage removed).
    Declassify {
        /// Storage removed.
        #[serde(default)]
        storage_removed: bool,
    },
    /// R4.1/R4.7: given away or sold (approved).
    Dispose {
        /// How.
        disposal: Disposal,
    },
    /// R4.7: scrapped through the destruction body (approved).
    Scrap {
        /// The destruction body.
        #[serde(default)]
        destruction_body: String,
    },
    /// Ledger edit: holder (null: none), department (null: none), location (absent: unchanged).
    Assign {
        /// The new holder.
        #[serde(default)]
        holder: Option<PersonId>,
        /// The new department.
        #[serde(default)]
        department: Option<DepartmentId>,
        /// The new location.
        #[serde(default)]
        location: Option<String>,
    },
    /// Ledger edit (R4.2): the password was changed.
    Password {
        /// The day (default today).
        #[serde(default)]
        #[schemars(schema_with = "baomi_core::schema::date_or_null")]
        changed_on: Option<Date>,
        /// The second factor used with it.
        #[serde(default)]
        second_factor: Option<SecondFactor>,
    },
}

/// The path names of [`DeviceCommand`].
const ACTIONS: [&str; 12] = [
    "commission",
    "send_for_repair",
    "return_from_repair",
    "carry_out",
    "return_from_carry_out",
    "send_for_security_processing",
    "complete_security_processing",
    "declassify",
    "dispose",
    "scrap",
    "assign",
    "password",
];

/// What an approval request for a device holds (`ApprovalSubject::Device::request`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRequest {
    /// The command as asked (the bearer filled in for a carry-out).
    pub command: DeviceCommand,
    /// The approval the core named.
    pub approval_for: ApprovedAction,
}

/// The core action for `command` on `device`, with `approval` where the action takes one
/// (`None` for the ledger edits).
fn core_action(
    command: &DeviceCommand,
    device: DeviceId,
    requested_by: PersonId,
    on: Date,
    approval: Option<Approval>,
) -> Option<DeviceAction> {
    let approval_id = approval.as_ref().map(|a| a.id).unwrap_or(ApprovalId(0));
    Some(match command {
        DeviceCommand::Commission { security_test } => DeviceAction::Commission {
            // The test record is kept on the device record itself.
            security_test: security_test
                .as_ref()
                .filter(|t| !t.by.trim().is_empty() && !t.reference.trim().is_empty() && t.on <= on)
                .map(|_| ApprovalId(device.0)),
        },
        DeviceCommand::SendForRepair { arrangement } => DeviceAction::SendForRepair {
            approval,
            arrangement: arrangement.clone(),
            requested_by,
            on,
        },
        DeviceCommand::ReturnFromRepair => DeviceAction::ReturnFromRepair,
        DeviceCommand::CarryOut {
            by,
            due,
            encrypted,
            authenticated,
            ..
        } => DeviceAction::CarryOut {
            by: by.unwrap_or(requested_by),
            requested_by,
            due: *due,
            on,
            approval,
            encrypted: *encrypted,
            authenticated: *authenticated,
        },
        DeviceCommand::ReturnFromCarryOut => DeviceAction::ReturnFromCarryOut,
        DeviceCommand::SendForSecurityProcessing => DeviceAction::SendForSecurityProcessing {
            approval: approval_id,
        },
        DeviceCommand::CompleteSecurityProcessing => DeviceAction::CompleteSecurityProcessing,
        DeviceCommand::Declassify { storage_removed } => DeviceAction::Declassify {
            approval: approval_id,
            storage_removed: *storage_removed,
        },
        DeviceCommand::Dispose { disposal } => DeviceAction::Dispose {
            approval: approval_id,
            disposal: *disposal,
        },
        DeviceCommand::Scrap { destruction_body } => DeviceAction::Scrap {
            approval: approval_id,
            destruction_body: destruction_body.trim().to_owned(),
        },
        DeviceCommand::Assign { .. } | DeviceCommand::Password { .. } => return None,
    })
}

/// Applies an accepted core result to the record (what the core does not keep).
fn record_step(
    rec: &mut DeviceRecord,
    command: &DeviceCommand,
    next: Device,
    by: PersonId,
    at: Timestamp,
    approval: Option<i64>,
    note: &str,
) {
    let action = match command {
        DeviceCommand::Commission { security_test } => {
            rec.security_test = security_test.clone();
            "commission"
        }
        DeviceCommand::CarryOut { destination, .. } => {
            rec.destination = Some(destination.trim().to_owned());
            "carry_out"
        }
        DeviceCommand::ReturnFromCarryOut => {
            rec.destination = None;
            "return_from_carry_out"
        }
        DeviceCommand::SendForRepair { .. } => "send_for_repair",
        DeviceCommand::ReturnFromRepair => "return_from_repair",
        DeviceCommand::SendForSecurityProcessing => "send_for_security_processing",
        DeviceCommand::CompleteSecurityProcessing => "complete_security_processing",
        DeviceCommand::Declassify { .. } => "declassify",
        DeviceCommand::Dispose { .. } => "dispose",
        DeviceCommand::Scrap { .. } => "scrap",
        DeviceCommand::Assign { .. } => "assign",
        DeviceCommand::Password { .. } => "password",
    };
    rec.device = next;
    rec.history.push(DeviceEvent {
        at,
        by: Some(by),
        action: action.to_owned(),
        approval,
        note: note.chars().take(500).collect(),
    });
}

fn refused(refusal: &DeviceRefusal, lang: Lang) -> ApiError {
    ApiError::refused(refusal, refusal.rule(), refusal.code()).in_lang(lang)
}

/// Parses `{..}` with the path's action into a command; the `reason` field is taken out.
fn parse_command(
    principal: &Principal,
    action: &str,
    body: &Bytes,
) -> ApiResult<(DeviceCommand, String)> {
    let mut object: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => o,
            _ => {
                return Err(invalid(
                    principal,
                    "body",
                    "须为 JSON 对象",
                    "must be a JSON object",
                ))
            }
        }
    };
    let reason = match object.remove("reason") {
        Some(Value::String(s)) => s.trim().chars().take(500).collect(),
        _ => String::new(),
    };
    object.insert("action".to_owned(), Value::String(action.to_owned()));
    let command = super::reject::from_value::<DeviceCommand>(Value::Object(object))
        .map_err(|e| e.in_lang(principal.lang))?;
    Ok((command, reason))
}

/// `POST /api/v1/devices/{id}/{action}`.
async fn command(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let lang = principal.lang;
    if !ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::not_found().in_lang(lang));
    }
    let audit_action = format!("device.{action}");
    let loaded = find_visible(&state, &principal, id).await?;
    let rec = loaded.value;
    let (mut command, reason) = parse_command(&principal, &action, &body)?;
    let may = manages(&principal, rec.unit)
        || (matches!(command, DeviceCommand::CarryOut { .. })
            && rec.holder == Some(principal.id()));
    if !may {
        return Err(deny_manage(
            &state,
            &principal,
            Some(device_ref(rec.device.id)),
            &audit_action,
        )
        .await);
    }
    let today = state.clock.today();
    let now = state.clock.now();
    if let DeviceCommand::CarryOut { by, .. } = &mut command {
        *by = Some(by.or(rec.holder).unwrap_or(principal.id()));
    }
    match &command {
        DeviceCommand::Assign { .. } | DeviceCommand::Password { .. } => {
            return ledger_edit(&state, &principal, id, &command, &reason, &audit_action).await;
        }
        _ => {}
    }
    let Some(trial_action) = core_action(&command, rec.device.id, principal.id(), today, None)
    else {
        return Err(ApiError::internal(&"device command without a core action"));
    };
    // The bearer of a carried-out device holds it: cleared for its level (R2.1).
    if let DeviceCommand::CarryOut {
        by: Some(bearer), ..
    } = &command
    {
        let mut tx = state.store.read().await?;
        let person = load::<Person>(&mut tx, bearer.0).await?.map(|l| l.value);
        tx.finish().await?;
        if let Err(reason) =
            holder_clearance(&principal, person, rec.unit, rec.device.level, today)?
        {
            return Err(refuse(
                &state,
                &principal,
                Some(device_ref(rec.device.id)),
                &audit_action,
                &reason,
                reason.rule(),
                reason.code(),
            )
            .await);
        }
    }
    match rec.device.approval_needed(&trial_action) {
        Some(kind) => {
            request_approval(
                &state,
                &principal,
                &rec,
                command,
                kind,
                &reason,
                &audit_action,
            )
            .await
        }
        None => {
            let mut tx = state.store.write().await?;
            let Some(Loaded {
                value: mut rec,
                version,
                ..
            }) = load_for_update::<DeviceRecord>(&mut tx, id).await?
            else {
                tx.rollback().await?;
                return Err(ApiError::not_found().in_lang(lang));
            };
            match rec.device.apply(&trial_action) {
                Err(refusal) => {
                    tx.rollback().await?;
                    Err(refuse(
                        &state,
                        &principal,
                        Some(device_ref(rec.device.id)),
                        &audit_action,
                        &refusal,
                        refusal.rule(),
                        refusal.code(),
                    )
                    .await)
                }
                Ok(next) => {
                    record_step(&mut rec, &command, next, principal.id(), now, None, &reason);
                    let version = save(&mut tx, &rec, version, now).await?;
                    tx.append_audit(
                        AuditDraft::new(now, principal.actor(), &audit_action)
                            .on(device_ref(rec.device.id))
                            .detail(json!({ "command": command, "reason": reason, "state": rec.device.state }).to_string()),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok((StatusCode::OK, Json(detail(&rec, today, version))))
                }
            }
        }
    }
}

/// The pending approval request about device `id`, if any.
async fn pending_request(tx: &mut WriteTx, unit: UnitId, id: i64) -> ApiResult<Option<i64>> {
    let filter = RecordFilter {
        unit: Some(unit.0),
        statuses: vec![ApprovalStatus::Pending.code().to_owned()],
        about: Some((RecordKind::Device, id)),
        ..RecordFilter::default()
    };
    Ok(load_all_for_update::<ApprovalRequest>(tx, &filter)
        .await?
        .into_iter()
        .find(|l| matches!(l.value.subject, ApprovalSubject::Device { device, .. } if device == id))
        .map(|l| l.value.id))
}

/// An action needing approval: tried against the core with a stand-in approval, then put in
/// the inbox (202).
async fn request_approval(
    state: &AppState,
    principal: &Principal,
    rec: &DeviceRecord,
    command: DeviceCommand,
    kind: ApprovedAction,
    reason: &str,
    audit_action: &str,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let lang = principal.lang;
    let today = state.clock.today();
    let now = state.clock.now();
    let needed: Vec<ApproverRole> = kind.approvers().to_vec();
    let Some(role) = needed.first().copied() else {
        return Err(ApiError::internal(&"an approved action without approvers"));
    };
    // A stand-in approval that meets every approval check (right role, nobody's own, today):
    // whatever the core still refuses, no approval can cure.
    let stand_in = Approval {
        id: ApprovalId(0),
        by: PersonId(0),
        role,
        unit: rec.unit,
        on: today,
    };
    let trial = core_action(
        &command,
        rec.device.id,
        principal.id(),
        today,
        Some(stand_in),
    );
    if let Some(trial) = trial {
        if let Err(refusal) = rec.device.apply(&trial) {
            return Err(refuse(
                state,
                principal,
                Some(device_ref(rec.device.id)),
                audit_action,
                &refusal,
                refusal.rule(),
                refusal.code(),
            )
            .await);
        }
    }
    let mut tx = state.store.write().await?;
    if let Some(open) = pending_request(&mut tx, rec.unit, rec.device.id.0).await? {
        tx.rollback().await?;
        return Err(ApiError::conflict(
            format!("该设备已有待审批的申请（{open}）"),
            format!("the device already has a pending request ({open})"),
        )
        .with_reason("request_pending")
        .in_lang(lang));
    }
    let id = next_id::<ApprovalRequest>(&mut tx).await?;
    let request = ApprovalRequest {
        id,
        unit: rec.unit,
        subject: ApprovalSubject::Device {
            device: rec.device.id.0,
            request: json!(DeviceRequest {
                command,
                approval_for: kind,
            }),
        },
        title: format!(
            "{} {} {}：{}",
            rec.number,
            rec.device.kind.zh(),
            rec.name,
            kind.zh()
        ),
        level: rec.device.level,
        requested_by: principal.id(),
        requested_at: now,
        reason: reason.to_owned(),
        needed: needed.clone(),
        status: ApprovalStatus::Pending,
        steps: Vec::new(),
    };
    insert(&mut tx, &request, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), audit_action)
            .on(device_ref(rec.device.id))
            .detail(
                json!({ "requested": kind, "approval": id, "needed": needed, "reason": reason })
                    .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "pending",
            "approval": id,
            "needed": needed,
            "needed_zh": needed.iter().map(|r| r.zh()).collect::<Vec<_>>(),
            "rule": kind.rule().0,
        })),
    ))
}

/// `assign` and `password`: ledger edits by the unit's managers.
async fn ledger_edit(
    state: &AppState,
    principal: &Principal,
    id: i64,
    command: &DeviceCommand,
    reason: &str,
    audit_action: &str,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let lang = principal.lang;
    let today = state.clock.today();
    let now = state.clock.now();
    let location = match command {
        DeviceCommand::Assign {
            location: Some(l), ..
        } => Some(text_field(principal, "location", l, 128, false)?),
        _ => None,
    };
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut rec,
        version,
        ..
    }) = load_for_update::<DeviceRecord>(&mut tx, id).await?
    else {
        tx.rollback().await?;
        return Err(ApiError::not_found().in_lang(lang));
    };
    let note = match command {
        DeviceCommand::Assign {
            holder, department, ..
        } => {
            if let Some(h) = holder {
                match check_holder(&mut tx, principal, rec.unit, *h, rec.device.level, today).await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(refusal)) => {
                        tx.rollback().await?;
                        return Err(refuse(
                            state,
                            principal,
                            Some(device_ref(rec.device.id)),
                            audit_action,
                            &refusal,
                            refusal.rule(),
                            refusal.code(),
                        )
                        .await);
                    }
                    Err(e) => {
                        tx.rollback().await?;
                        return Err(e);
                    }
                }
            }
            if let Some(d) = department {
                let known: BTreeSet<DepartmentId> = tx
                    .list_departments(rec.unit)
                    .await?
                    .into_iter()
                    .map(|d| d.id)
                    .collect();
                if !known.contains(d) {
                    tx.rollback().await?;
                    return Err(invalid(
                        principal,
                        "department",
                        "须为本单位的部门",
                        "must be a department of your unit",
                    ));
                }
            }
            let before = json!({ "holder": rec.holder, "department": rec.department, "location": rec.location });
            rec.holder = *holder;
            rec.department = *department;
            if let Some(l) = location {
                rec.location = l;
            }
            json!({ "before": before, "after": { "holder": rec.holder, "department": rec.department, "location": rec.location } })
        }
        DeviceCommand::Password {
            changed_on,
            second_factor,
        } => {
            let changed_on = changed_on.unwrap_or(today);
            if changed_on > today {
                tx.rollback().await?;
                return Err(invalid(
                    principal,
                    "changed_on",
                    "不能晚于今天",
                    "may not be after today",
                ));
            }
            rec.password = Some(PasswordRecord {
                last_changed: changed_on,
                second_factor: *second_factor,
            });
            json!({ "changed_on": changed_on, "second_factor": second_factor })
        }
        _ => return Err(ApiError::internal(&"not a ledger edit")),
    };
    let device = rec.device.clone();
    record_step(&mut rec, command, device, principal.id(), now, None, reason);
    let version = save(&mut tx, &rec, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), audit_action)
            .on(device_ref(rec.device.id))
            .detail(json!({ "change": note, "reason": reason }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::OK, Json(detail(&rec, today, version))))
}

/// Carries out an approved device request (called by the approvals inbox, which loaded the
/// request in `tx` and records the decision): the core checks the approval (R4.4, R4.7, R4.1,
/// R3.8: role, never the requester or the bearer, not after the act) and the step itself; on a
/// refusal the answer is the 422 with its rule and nothing is written or audited here. The
/// approver's category must cover the device's level (R2.1: else 403 with its reason, also
/// unaudited here: the inbox rolls back and audits the denied attempt). The answer is the
/// device's detail only if the approver may see the device (D1); otherwise its id and status.
pub async fn carry_out_approved(
    _state: &AppState,
    tx: &mut WriteTx,
    request: &ApprovalRequest,
    approver: &Principal,
    role: ApproverRole,
    now: Timestamp,
) -> ApiResult<Value> {
    let lang = approver.lang;
    let ApprovalSubject::Device {
        device,
        request: body,
    } = &request.subject
    else {
        return Err(ApiError::internal(&"not a device request"));
    };
    let asked: DeviceRequest = serde_json::from_value(body.clone()).map_err(|e| {
        ApiError::internal(&format!(
            "device request {} does not decode: {e}",
            request.id
        ))
    })?;
    let Some(Loaded {
        value: mut rec,
        version,
        ..
    }) = load_for_update::<DeviceRecord>(tx, *device).await?
    else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    let today = civil_day(now);
    check_clearance(&approver.subject(), rec.device.level, today)
        .map_err(|reason| ApiError::denied(&reason).in_lang(lang))?;
    let approval = Approval {
        id: ApprovalId(request.id),
        by: approver.id(),
        role,
        unit: approver.person.unit,
        on: today,
    };
    let Some(action) = core_action(
        &asked.command,
        rec.device.id,
        request.requested_by,
        today,
        Some(approval.clone()),
    ) else {
        return Err(ApiError::internal(&"device request without a core action"));
    };
    if let Some(kind) = rec.device.approval_needed(&action) {
        let mut requesters = vec![request.requested_by];
        if let DeviceCommand::CarryOut {
            by: Some(bearer), ..
        } = &asked.command
        {
            requesters.push(*bearer);
        }
        kind.check(Some(&approval), &requesters, today)
            .map_err(|r| refused(&r, lang))?;
    }
    let next = rec.device.apply(&action).map_err(|r| refused(&r, lang))?;
    let note = match &asked.command {
        DeviceCommand::CarryOut { destination, .. } => destination.clone(),
        DeviceCommand::Scrap { destruction_body } => destruction_body.clone(),
        _ => request.reason.clone(),
    };
    record_step(
        &mut rec,
        &asked.command,
        next,
        approver.id(),
        now,
        Some(request.id),
        &note,
    );
    let version = save(tx, &rec, version, now).await?;
    tx.append_audit(
        AuditDraft::new(
            now,
            approver.actor(),
            &format!("device.{}", asked.approval_for.code()),
        )
        .on(device_ref(rec.device.id))
        .detail(
            json!({
                "approval": request.id,
                "requested_by": request.requested_by,
                "approved_by": approver.id(),
                "role": role,
                "command": asked.command,
                "state": rec.device.state,
            })
            .to_string(),
        ),
    )
    .await?;
    if visible(approver, &rec) {
        return Ok(detail(&rec, today, version));
    }
    Ok(json!({
        "id": rec.device.id,
        "status": rec.device.state.code(),
        "status_zh": rec.device.state.zh(),
        "status_en": rec.device.state.en(),
        "withheld": { "reason": "not_device_manager_or_holder", "rule": "R13.1" },
    }))
}
