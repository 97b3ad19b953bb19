//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route under `/api/v1`,
//! generated from one table ([`ROUTES`]) so that it cannot silently drift from the router:
//! a test requests every route of the table and checks that the router knows it (no 404
//! fallback, no 405), and another reads the modules' `.route(…)` calls and checks that each
//! is in the table.
//!
//! Served without authentication (it describes the API, not the data) and fetched from the
//! service itself: no asset comes from the Internet.

use crate::api::{approvals, carriers, devices, matters, org, people};
use crate::auth;
use crate::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// What an operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A JSON object.
    Object,
    /// A page of a list (`items`, `page`, `per_page`, `total`), with the list parameters.
    Page,
    /// A CSV or XLSX file (`?format=csv|xlsx`), with the list parameters.
    File,
    /// A named schema of `components.schemas`.
    Schema(&'static str),
}

/// The JSON Schema of a request type, registered in `components.schemas` (a `$ref`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> schemars::Schema;

/// What an operation takes as its request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body.
    None,
    /// A JSON body of the schema, required.
    Json(SchemaFn),
    /// A JSON body of the schema that may be left out (it then reads as `{}`).
    Optional(SchemaFn),
    /// An import file: CSV or XLSX as the raw body.
    Import,
}

/// One route of the API.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path as routed (`{id}` for parameters).
    pub path: &'static str,
    /// The group (OpenAPI tag).
    pub tag: &'static str,
    /// Summary in Chinese.
    pub zh: &'static str,
    /// Summary in English.
    pub en: &'static str,
    /// The request body, with the schema generated from the handler's Rust type.
    pub body: Body,
    /// What it answers.
    pub answer: Answer,
    /// The success statuses it answers.
    pub ok: &'static [u16],
    /// True when no login is needed.
    pub public: bool,
}

const fn r(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    zh: &'static str,
    en: &'static str,
    body: Body,
    answer: Answer,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        tag,
        zh,
        en,
        body,
        answer,
        ok: OK,
        public: false,
    }
}

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

/// A required JSON body of type `T`.
const fn j<T: JsonSchema>() -> Body {
    Body::Json(schema_of::<T>)
}

/// An optional JSON body of type `T`.
const fn o<T: JsonSchema>() -> Body {
    Body::Optional(schema_of::<T>)
}

const NO: Body = Body::None;
const OK: &[u16] = &[200];
const CREATED: &[u16] = &[201];
const ACCEPTED: &[u16] = &[202];
const OK_OR_ACCEPTED: &[u16] = &[200, 202];
const OK_OR_CREATED: &[u16] = &[200, 201];
const CREATED_OR_ACCEPTED: &[u16] = &[201, 202];

/// The body of `POST /api/v1/carriers/{id}/{action}`: one of the commands' bodies, by action.
fn carrier_commands(generator: &mut SchemaGenerator) -> schemars::Schema {
    let bodies = [
        (
            "take-into-custody",
            generator.subschema_for::<carriers::CustodyBody>(),
        ),
        ("lend", generator.subschema_for::<carriers::LendBody>()),
        ("return", generator.subschema_for::<carriers::ReturnBody>()),
        (
            "transmit",
            generator.subschema_for::<carriers::TransmitBody>(),
        ),
        (
            "receive",
            generator.subschema_for::<carriers::ReceiveBody>(),
        ),
        (
            "carry-out",
            generator.subschema_for::<carriers::CarryOutBody>(),
        ),
        ("repair", generator.subschema_for::<carriers::RepairBody>()),
        (
            "destroy",
            generator.subschema_for::<carriers::DestroyBody>(),
        ),
        (
            "declassify",
            generator.subschema_for::<carriers::DeclassifyBody>(),
        ),
        ("remark", generator.subschema_for::<carriers::RemarkBody>()),
        (
            "release",
            generator.subschema_for::<carriers::ReleaseBody>(),
        ),
    ];
    let one_of: Vec<Value> = bodies
        .into_iter()
        .map(|(action, schema)| {
            let mut v = schema.to_value();
            if let Some(o) = v.as_object_mut() {
                o.insert("title".to_owned(), json!(action));
            }
            v
        })
        .collect();
    schemars::Schema::from(
        json!({ "description": "按路径中的操作取其一 / one of these, by the path's action (title)", "anyOf": one_of })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )
}

/// The body of `POST /api/v1/devices/{id}/{action}`: the command's fields (its `action` comes
/// from the path), and an optional `reason`.
fn device_commands(generator: &mut SchemaGenerator) -> schemars::Schema {
    let mut value = generator
        .subschema_for::<devices::DeviceCommand>()
        .to_value();
    // Inline the generated enum so that the path's `action` can be dropped from `required`.
    if let Some(name) = value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
    {
        if let Some(def) = generator.definitions().get(&name) {
            value = def.clone();
        }
    }
    fn relax(v: &mut Value) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Array(req)) = o.get_mut("required") {
                    req.retain(|f| f != "action");
                    if req.is_empty() {
                        o.remove("required");
                    }
                }
                if let Some(Value::Object(props)) = o.get_mut("properties") {
                    if props.contains_key("action") {
                        props.insert(
                            "reason".to_owned(),
                            json!({ "type": "string", "description": "事由 / reason" }),
                        );
                    }
                }
                o.values_mut().for_each(relax);
            }
            Value::Array(items) => items.iter_mut().for_each(relax),
            _ => {}
        }
    }
    relax(&mut value);
    if let Some(o) = value.as_object_mut() {
        o.insert(
            "description".to_owned(),
            json!("action 取自路径，可省略 / action comes from the path and may be left out"),
        );
    }
    schemars::Schema::from(value.as_object().cloned().unwrap_or_default())
}

use Answer::{File, Object as Obj, Page as List, Schema};

/// Every route of the API.
pub const ROUTES: &[RouteDoc] = &[
    // Authentication (R13.1, R4.2)
    RouteDoc {
        public: true,
        ..r("POST", "/api/v1/auth/login", "auth", "登录（口令、动态口令）", "log in (password, TOTP)", j::<auth::LoginRequest>(), Obj)
    },
    r("POST", "/api/v1/auth/logout", "auth", "退出登录", "log out", NO, Obj),
    r("GET", "/api/v1/auth/me", "auth", "当前用户", "who is logged in", NO, Obj),
    r("POST", "/api/v1/auth/password", "auth", "修改本人密码（R4.2）", "change one's password (R4.2)", j::<auth::PasswordChange>(), Obj),
    r("POST", "/api/v1/auth/lang", "auth", "设置界面语言", "set the interface language", j::<auth::LangChange>(), Obj),
    r("POST", "/api/v1/auth/totp", "auth", "开始绑定动态口令", "begin TOTP enrolment", NO, Obj),
    r("POST", "/api/v1/auth/totp/confirm", "auth", "确认绑定动态口令", "confirm TOTP enrolment", j::<auth::TotpConfirm>(), Obj),
    // Organisation (R1.4)
    r("GET", "/api/v1/units", "organisation", "单位与部门", "units and departments", NO, Obj),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/units", "organisation", "新建单位", "create a unit", j::<org::NewUnit>(), Obj) },
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/units/{id}/departments", "organisation", "新建部门", "create a department", j::<org::NewDepartment>(), Obj) },
    // People and accounts (R2, R5.3)
    r("GET", "/api/v1/people", "people", "人员台账", "the personnel ledger", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/people", "people", "登记人员（R2.2 上岗条件）", "register a person (R2.2)", j::<people::NewPerson>(), Obj) },
    r("GET", "/api/v1/people/export", "people", "导出人员台账", "export the personnel ledger", NO, File),
    r("GET", "/api/v1/people/{id}", "people", "人员详情", "one person", NO, Obj),
    r("POST", "/api/v1/people/{id}/training", "people", "登记培训（R2.3）", "record training (R2.3)", j::<people::NewTraining>(), Obj),
    r("GET", "/api/v1/people/{id}/training-status", "people", "年度培训学时（R2.3）", "training hours of a year (R2.3)", NO, Obj),
    r("POST", "/api/v1/people/{id}/commitment", "people", "签订保密承诺书（R2.2）", "sign the commitment (R2.2)", o::<people::Commitment>(), Obj),
    r("POST", "/api/v1/people/{id}/leave", "people", "离岗与脱密期（R2.4）", "leave the post, detachment (R2.4)", j::<people::Leaving>(), Obj),
    r("POST", "/api/v1/people/{id}/roles", "people", "设置角色（三员分离，R5.3）", "set roles (R5.3)", j::<people::RolesBody>(), Obj),
    r("POST", "/api/v1/people/{id}/approver-roles", "people", "设置审批角色", "set approver roles", j::<people::ApproverRolesBody>(), Obj),
    r("GET", "/api/v1/accounts", "accounts", "用户账户", "user accounts", NO, Obj),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/accounts", "accounts", "新建账户（系统管理员）", "create an account (system administrator)", j::<people::NewAccountBody>(), Obj) },
    RouteDoc { ok: OK_OR_ACCEPTED, ..r("POST", "/api/v1/accounts/{person}/reset-password", "accounts", "重置密码（本单位；涉密人员待安全保密管理员确认，R5.3）", "reset a password (own unit; classified personnel wait for the security administrator, R5.3)", o::<people::ResetBody>(), Obj) },
    r("POST", "/api/v1/accounts/{person}/reset-password/confirm", "accounts", "确认密码重置并取得一次性口令（安全保密管理员）", "confirm a password reset and get the one-time password (security administrator)", NO, Obj),
    r("GET", "/api/v1/accounts/reset-requests", "accounts", "待确认的密码重置", "password resets waiting for confirmation", NO, Obj),
    r("POST", "/api/v1/accounts/{person}/unlock", "accounts", "解除锁定", "unlock an account", NO, Obj),
    r("POST", "/api/v1/accounts/{person}/disable", "accounts", "停用账户", "disable an account", NO, Obj),
    r("POST", "/api/v1/accounts/{person}/enable", "accounts", "启用账户", "enable an account", NO, Obj),
    // Determination (R1.4–R1.10)
    r("GET", "/api/v1/proposals", "matters", "定密意见", "proposals to classify", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/proposals", "matters", "提出定密意见（R1.6）", "file a proposal (R1.6)", j::<matters::ProposalInput>(), Obj) },
    r("GET", "/api/v1/proposals/{id}", "matters", "定密意见详情", "one proposal", NO, Obj),
    r("GET", "/api/v1/matters", "matters", "国家秘密事项台账", "the classified-matters ledger", NO, List),
    r("GET", "/api/v1/matters/export", "matters", "导出国家秘密事项台账", "export the matters ledger", NO, File),
    r("GET", "/api/v1/matters/{id}", "matters", "事项详情", "one matter", NO, Obj),
    r("POST", "/api/v1/matters/{id}/change", "matters", "变更密级、期限或知悉范围（R1.8）", "change level, period or scope (R1.8)", j::<matters::ChangeInput>(), Obj),
    r("POST", "/api/v1/matters/{id}/extend", "matters", "延长保密期限（R1.9）", "extend the period (R1.9)", j::<matters::ExtendInput>(), Obj),
    r("POST", "/api/v1/matters/{id}/declassify", "matters", "提前解密（R1.9）", "declassify early (R1.9)", j::<matters::DeclassifyInput>(), Obj),
    r("POST", "/api/v1/matters/{id}/review", "matters", "年度审核（R1.9）", "yearly review (R1.9)", j::<matters::ReasonInput>(), Obj),
    r("POST", "/api/v1/matters/{id}/condition-met", "matters", "解密条件达成（R1.9）", "declassification condition met (R1.9)", j::<matters::ReasonInput>(), Obj),
    r("GET", "/api/v1/escalations", "matters", "不明确或有争议事项（R1.10）", "unclear and disputed matters (R1.10)", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/escalations", "matters", "提请确定密级（R1.10）", "open an unclear matter or dispute (R1.10)", j::<matters::EscalationInput>(), Obj) },
    r("GET", "/api/v1/escalations/{id}", "matters", "事项详情（R1.10）", "one case (R1.10)", NO, Obj),
    r("POST", "/api/v1/escalations/{id}/{step}", "matters", "报送、转报、决定、答复、接受、上报", "submit, forward, decide, answer, accept, escalate", j::<matters::StepInput>(), Obj),
    r("GET", "/api/v1/classifiers", "matters", "定密责任人（R1.5）", "classifiers (R1.5)", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/classifiers", "matters", "指定定密责任人（安全保密管理员）", "grant a classifier (security administrator)", j::<matters::GrantInput>(), Obj) },
    r("GET", "/api/v1/authorisations", "matters", "定密授权（R1.4）", "authorisations to classify (R1.4)", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/authorisations", "matters", "登记定密授权（R1.4）", "record an authorisation (R1.4)", j::<matters::AuthorisationInput>(), Obj) },
    r("POST", "/api/v1/authorisations/{id}/withdraw", "matters", "撤销定密授权", "withdraw an authorisation", j::<matters::WithdrawInput>(), Obj),
    // Carriers (R3)
    r("GET", "/api/v1/carriers", "carriers", "载体台账", "the carrier ledger", NO, List),
    RouteDoc { ok: CREATED_OR_ACCEPTED, ..r("POST", "/api/v1/carriers", "carriers", "登记载体（R3.2）", "register a carrier (R3.2)", o::<carriers::RegisterBody>(), Obj) },
    r("GET", "/api/v1/carriers/export", "carriers", "导出载体台账", "export the carrier ledger", NO, File),
    r("GET", "/api/v1/carriers/{id}", "carriers", "载体详情", "one carrier", NO, Obj),
    RouteDoc { ok: ACCEPTED, ..r("POST", "/api/v1/carriers/{id}/copy", "carriers", "复制、摘录（R1.11）", "copy or excerpt (R1.11)", o::<carriers::CopyBody>(), Obj) },
    RouteDoc { ok: OK_OR_ACCEPTED, ..r("POST", "/api/v1/carriers/{id}/{action}", "carriers", "载体操作：签收、借阅、归还、传递、接收、携带外出、维修、销毁、解密、重新标识、解除管理（R3.4–R3.10）", "carrier command: take-into-custody, lend, return, transmit, receive, carry-out, repair, destroy, declassify, remark, release (R3.4–R3.10)", Body::Optional(carrier_commands), Obj) },
    r("GET", "/api/v1/inventories", "carriers", "载体清查（R3.7）", "inventory rounds (R3.7)", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/inventories", "carriers", "开始清查", "start an inventory round", o::<carriers::StartBody>(), Obj) },
    r("GET", "/api/v1/inventories/{id}", "carriers", "清查详情", "one inventory round", NO, Obj),
    r("POST", "/api/v1/inventories/{id}/observations", "carriers", "登记清查所见", "record what was found", o::<carriers::ObserveBody>(), Obj),
    r("POST", "/api/v1/inventories/{id}/close", "carriers", "完成清查并对账", "close and reconcile", NO, Obj),
    // Devices (R4)
    r("GET", "/api/v1/devices", "devices", "设备台账", "the device ledger", NO, List),
    RouteDoc { ok: CREATED, ..r("POST", "/api/v1/devices", "devices", "登记设备（R4.1）", "register a device (R4.1)", j::<devices::NewDevice>(), Obj) },
    r("GET", "/api/v1/devices/export", "devices", "导出设备台账", "export the device ledger", NO, File),
    r("GET", "/api/v1/devices/{id}", "devices", "设备详情", "one device", NO, Obj),
    r("GET", "/api/v1/devices/{id}/password-status", "devices", "设备口令策略状态（R4.2）", "the device's password status (R4.2)", NO, Obj),
    RouteDoc { ok: OK_OR_ACCEPTED, ..r("POST", "/api/v1/devices/{id}/{action}", "devices", "设备操作：投入使用、维修、携带外出、安全处理、解密、处置、报废、调配、口令（R4.4–R4.7）", "device command: commission, repair, carry out, security processing, declassify, dispose, scrap, assign, password (R4.4–R4.7)", Body::Optional(device_commands), Obj) },
    // Approvals inbox
    r("GET", "/api/v1/approvals", "approvals", "审批待办（box=inbox|mine|decided）", "the approvals inbox (box=inbox|mine|decided)", NO, List),
    r("GET", "/api/v1/approvals/{id}", "approvals", "审批详情", "one approval request", NO, Obj),
    r("POST", "/api/v1/approvals/{id}/approve", "approvals", "批准（不得审批本人申请，R1.6）", "approve (never one's own request, R1.6)", o::<approvals::DecisionBody>(), Obj),
    r("POST", "/api/v1/approvals/{id}/refuse", "approvals", "不批准", "refuse", o::<approvals::DecisionBody>(), Obj),
    r("POST", "/api/v1/approvals/{id}/withdraw", "approvals", "撤回申请", "withdraw one's request", NO, Obj),
    // Audit trail (R13.2, R5.3)
    r("GET", "/api/v1/audit", "audit", "检索审计记录（安全审计员）", "search the audit trail (security auditor)", NO, Schema("AuditSearchResult")),
    r("GET", "/api/v1/audit/verify", "audit", "校验审计日志哈希链与检查点（安全审计员）", "verify the audit chain and checkpoints (security auditor)", NO, Schema("AuditVerification")),
    r("GET", "/api/v1/audit/export", "audit", "导出审计记录（安全审计员）", "export the audit trail (security auditor)", NO, File),
    RouteDoc { ok: OK_OR_CREATED, ..r("POST", "/api/v1/imports/{kind}", "imports", "导入人员、载体或设备（CSV/XLSX；先预览，?commit=true 全部写入或不写）", "import people, carriers or devices (CSV/XLSX; preview, then ?commit=true writes all rows or none)", Body::Import, Obj) },
    r("GET", "/api/v1/imports/{kind}/template", "imports", "导入模板（csv、xlsx，或 json 列说明）", "the import template (csv, xlsx, or json columns)", NO, File),
    r("GET", "/api/v1/records/{kind}/{id}/history", "audit", "记录的操作历史（可阅知该记录者）", "a record's history (whoever may read the record)", NO, Schema("RecordHistory")),
    // Reminders (R13.4)
    r("GET", "/api/v1/reminders", "reminders", "本人的提醒（R13.4）", "one's own reminders (R13.4)", NO, Schema("Reminders")),
    r("GET", "/api/v1/dashboard", "reminders", "首页统计（按密级、状态计数；培训、设备口令）", "the home page's counts (by level and status; training, device passwords)", NO, Schema("Dashboard")),
];

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(serve))
}

async fn serve() -> Json<Value> {
    Json(document())
}

/// The parameters named in a path (`{id}` → `id`).
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn path_param(path: &str, name: &str) -> Value {
    let (schema, zh) = match name {
        "action" if path.starts_with("/api/v1/devices") => (
            json!({ "type": "string", "enum": ["commission", "send_for_repair", "return_from_repair", "carry_out", "return_from_carry_out", "send_for_security_processing", "complete_security_processing", "declassify", "dispose", "scrap", "assign", "password"] }),
            "设备操作",
        ),
        "kind" if path.starts_with("/api/v1/imports") => (
            json!({ "type": "string", "enum": ["people", "carriers", "devices"] }),
            "导入的台账",
        ),
        "kind" => (
            json!({ "type": "string", "enum": ["matter", "carrier", "device", "person"] }),
            "记录类型",
        ),
        "action" => (
            json!({ "type": "string", "enum": ["take-into-custody", "lend", "return", "transmit", "receive", "carry-out", "repair", "destroy", "declassify", "remark", "release"] }),
            "载体操作",
        ),
        "step" => (
            json!({ "type": "string", "enum": ["submit", "forward", "decide", "answer", "accept", "escalate"] }),
            "步骤",
        ),
        _ => (json!({ "type": "integer", "format": "int64" }), "编号"),
    };
    json!({ "name": name, "in": "path", "required": true, "description": zh, "schema": schema })
}

fn query(name: &str, schema: Value, zh: &str, en: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": format!("{zh} / {en}"), "schema": schema })
}

fn list_params() -> Vec<Value> {
    let text = json!({ "type": "string" });
    vec![
        query(
            "q",
            text.clone(),
            "标题或编号包含",
            "title or number contains",
        ),
        query(
            "status",
            text.clone(),
            "状态（逗号分隔）",
            "status (comma-separated)",
        ),
        query(
            "level",
            json!({ "type": "string", "enum": ["unclassified", "internal", "secret", "confidential", "top_secret"] }),
            "密级",
            "level",
        ),
        query("unit", json!({ "type": "integer" }), "单位", "unit"),
        query("holder", json!({ "type": "integer" }), "持有人", "holder"),
        query(
            "due_by",
            json!({ "type": "string", "format": "date" }),
            "到期日不晚于",
            "due on or before",
        ),
        query(
            "sort",
            json!({ "type": "string", "enum": ["id", "title", "level", "status", "due", "updated", "number"] }),
            "排序",
            "sort by",
        ),
        query(
            "order",
            json!({ "type": "string", "enum": ["asc", "desc"] }),
            "方向",
            "direction",
        ),
        query(
            "page",
            json!({ "type": "integer", "minimum": 1 }),
            "页码",
            "page",
        ),
        query(
            "per_page",
            json!({ "type": "integer", "minimum": 1, "maximum": 500 }),
            "每页条数",
            "items per page",
        ),
        query(
            "after",
            json!({ "type": "integer", "minimum": 0 }),
            "键集分页：从此序号之后（仅按序号排序时）",
            "keyset paging: after this id (with sort=id only)",
        ),
    ]
}

fn audit_params() -> Vec<Value> {
    let text = json!({ "type": "string" });
    vec![
        query(
            "actor",
            json!({ "type": "integer" }),
            "操作者（人员编号）",
            "actor (person id)",
        ),
        query(
            "action",
            text.clone(),
            "操作前缀，如 carrier.",
            "action prefix, e.g. carrier.",
        ),
        query("object_kind", text.clone(), "对象类型", "object kind"),
        query("object_id", text.clone(), "对象编号", "object id"),
        query(
            "outcome",
            json!({ "type": "string", "enum": ["success", "denied", "failed"] }),
            "结果",
            "outcome",
        ),
        query(
            "from",
            text.clone(),
            "起（RFC 3339 或 YYYY-MM-DD）",
            "from (RFC 3339 or YYYY-MM-DD)",
        ),
        query(
            "until",
            text,
            "止（不含；日期则含当日）",
            "until (exclusive; a day includes it)",
        ),
        query(
            "before",
            json!({ "type": "integer" }),
            "序号小于（翻页）",
            "seq below (paging)",
        ),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
            "条数",
            "entries",
        ),
    ]
}

/// Every status an answer may have, with its description; errors use the shared schema.
const STATUSES: &[(u16, &str)] = &[
    (200, "成功 / OK"),
    (201, "已创建 / created"),
    (202, "已受理，待审批 / accepted, waiting for approval"),
    (400, "请求格式错误（字段、查询参数或路径参数）/ malformed request (body field, query or path parameter)"),
    (401, "未登录或会话已过期 / not logged in, or the session ended"),
    (403, "无权访问（已审计）/ denied (audited)"),
    (404, "记录不存在 / no such record"),
    (409, "冲突：已被他人修改或编号重复 / conflict: changed by someone else, or a duplicate"),
    (413, "请求体过大 / request body too large"),
    (415, "请求体媒体类型不受支持 / unsupported media type"),
    (422, "保密规则不允许（已审计，注明规则）/ refused by a rule (audited, names the rule)"),
    (423, "账户已锁定 / account locked"),
    (503, "存储暂不可用，未保存任何内容 / storage unavailable, nothing saved"),
    (507, "存储空间已满，未保存任何内容 / storage full, nothing saved"),
];

/// The statuses `route` answers: its successes, and the errors its kind of route can meet.
pub fn statuses(route: &RouteDoc) -> Vec<u16> {
    let mut out: Vec<u16> = route.ok.to_vec();
    // Any part of a request may be malformed; any request may be audited (a write that the
    // storage may refuse).
    out.extend([400, 503, 507]);
    if !route.public {
        out.extend([401, 403]);
    }
    // Signing in, and re-entering one's password, can meet the lockout.
    if route.path.starts_with("/api/v1/auth/") {
        out.extend([401, 403, 423]);
    }
    if !path_params(route.path).is_empty() || route.method == "POST" {
        out.push(404);
    }
    if route.method == "POST" {
        out.extend([409, 413, 415, 422]);
    }
    if route.answer == Answer::File {
        out.push(422);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn describe(code: u16) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, d)| d)
}

fn error_response(code: u16) -> Value {
    let mut r = json!({
        "description": describe(code),
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    });
    if matches!(code, 503 | 507) {
        r["headers"] = json!({ "Retry-After": { "description": "秒 / seconds", "schema": { "type": "integer" } } });
    }
    r
}

fn operation(route: &RouteDoc, generator: &mut SchemaGenerator) -> Value {
    let mut params: Vec<Value> = path_params(route.path)
        .into_iter()
        .map(|p| path_param(route.path, p))
        .collect();
    let ok_content = match route.answer {
        Answer::Object => json!({ "application/json": { "schema": { "type": "object" } } }),
        Answer::Page => {
            params.extend(list_params());
            json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } })
        }
        Answer::File => {
            let formats = if route.path.starts_with("/api/v1/imports") {
                json!({ "type": "string", "enum": ["csv", "xlsx", "json"], "default": "csv" })
            } else {
                json!({ "type": "string", "enum": ["csv", "xlsx"], "default": "csv" })
            };
            params.push(query("format", formats, "格式", "format"));
            if route.path.starts_with("/api/v1/audit") {
                params.extend(audit_params());
            } else if !route.path.starts_with("/api/v1/imports") {
                params.extend(list_params());
            }
            json!({
                "text/csv": { "schema": { "type": "string" } },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } },
                "application/json": { "schema": { "type": "object" } }
            })
        }
        Answer::Schema(name) => {
            if route.path == "/api/v1/audit" {
                params.extend(audit_params());
            }
            json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } })
        }
    };
    match route.path {
        "/api/v1/approvals" => params.push(query(
            "box",
            json!({ "type": "string", "enum": ["inbox", "mine", "decided"], "default": "inbox" }),
            "待办、本人申请或已审批",
            "inbox, one's own requests, or decided",
        )),
        "/api/v1/records/{kind}/{id}/history" => {
            params.push(query(
                "before",
                json!({ "type": "integer" }),
                "序号小于（翻页，上一页的 next_before）",
                "seq below (paging: the previous page's next_before)",
            ));
            params.push(query(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
                "条数（最新在前）",
                "entries (newest first)",
            ));
        }
        "/api/v1/people/{id}/training-status" => params.push(query(
            "year",
            json!({ "type": "integer" }),
            "年度（默认今年）",
            "year (default this year)",
        )),
        "/api/v1/imports/{kind}" => {
            params.push(query(
                "commit",
                json!({ "type": "string", "enum": ["true", "false"], "default": "false" }),
                "true 则全部写入或不写；默认仅预览",
                "true writes all rows or none; a preview by default",
            ));
            params.push(query(
                "sha256",
                json!({ "type": "string", "pattern": "^[0-9a-fA-F]{64}$" }),
                "预览时文件的 SHA-256（写入时核对）",
                "the previewed file's SHA-256 (checked on commit)",
            ));
        }
        _ => {}
    }
    let mut responses = Map::new();
    for code in statuses(route) {
        let answer = if route.ok.contains(&code) {
            let content = if code == 202 {
                json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Pending" } } })
            } else {
                ok_content.clone()
            };
            json!({ "description": describe(code), "content": content })
        } else {
            error_response(code)
        };
        responses.insert(code.to_string(), answer);
    }
    let operation_id: String = format!("{} {}", route.method.to_lowercase(), route.path)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut op = json!({
        "operationId": operation_id,
        "tags": [route.tag],
        "summary": route.zh,
        "description": route.en,
        "x-summary-en": route.en,
        "parameters": params,
        "responses": responses,
    });
    if route.public {
        op["security"] = json!([]);
    } else if route.method != "GET" {
        op["security"] = json!([{ "cookieSession": [], "csrfToken": [] }, { "bearerToken": [] }]);
    }
    let json_body = |schema: SchemaFn, generator: &mut SchemaGenerator, required: bool| {
        json!({
            "required": required,
            "content": { "application/json": { "schema": schema(generator).to_value() } }
        })
    };
    match route.body {
        Body::None => {}
        Body::Json(schema) => op["requestBody"] = json_body(schema, generator, true),
        Body::Optional(schema) => op["requestBody"] = json_body(schema, generator, false),
        Body::Import => {
            op["requestBody"] = json!({
                "required": true,
                "description": "导入文件作为请求体原样上传（CSV 为 UTF-8 或 GB18030；XLSX 取第一个工作表）/ the import file as the raw body (CSV in UTF-8 or GB18030; XLSX: the first sheet)",
                "content": {
                    "text/csv": { "schema": { "type": "string" } },
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } },
                    "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } }
                }
            });
        }
    }
    op
}

fn components() -> Value {
    json!({
        "securitySchemes": {
            "cookieSession": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "会话 Cookie（HttpOnly, SameSite=Strict）/ session cookie" },
            "csrfToken": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "Cookie 会话的修改请求须带登录时返回的 csrf / cookie sessions send their csrf token on changes" },
            "bearerToken": { "type": "http", "scheme": "bearer", "description": "脚本用令牌（登录时 bearer=true）/ script token (login with bearer=true)" }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message", "message_zh", "message_en"],
                "properties": {
                    "error": { "type": "string", "description": "forbidden, refused, not_found, bad_request, unauthenticated, conflict, csrf, locked, internal" },
                    "reason": { "type": ["string", "null"], "description": "not_in_scope, category_too_low, role_required, …" },
                    "rule": { "type": ["string", "null"], "description": "DOMAIN rule id, e.g. R1.7" },
                    "message": { "type": "string" },
                    "message_zh": { "type": "string" },
                    "message_en": { "type": "string" }
                }
            },
            "Pending": {
                "type": "object",
                "required": ["status", "approval_request"],
                "properties": {
                    "status": { "const": "pending" },
                    "approval_request": { "type": "integer" },
                    "needed": { "type": "array", "items": { "type": "string" } },
                    "rule": { "type": ["string", "null"] },
                    "message_zh": { "type": "string" },
                    "message_en": { "type": "string" }
                }
            },
            "Page": {
                "type": "object",
                "required": ["items", "page", "per_page", "total"],
                "properties": {
                    "items": { "type": "array", "items": { "type": "object" } },
                    "page": { "type": "integer" },
                    "per_page": { "type": "integer" },
                    "total": { "type": "integer", "description": "visible to the subject only; counted up to 10,000" },
                    "total_capped": { "type": "boolean", "description": "true when there are more than `total`" },
                    "next_after": { "type": "integer", "description": "the `after` of the next page, when this one is full" }
                }
            },
            "AuditEntry": {
                "type": "object",
                "properties": {
                    "seq": { "type": "integer" },
                    "at": { "type": "string", "format": "date-time" },
                    "at_local": { "type": "string" },
                    "actor": { "type": "object", "properties": { "kind": { "type": "string" }, "id": { "type": ["integer", "null"] }, "name": { "type": ["string", "null"] } } },
                    "action": { "type": "string" },
                    "object": { "type": ["object", "null"], "properties": { "kind": { "type": "string" }, "id": { "type": "string" } } },
                    "outcome": { "type": "string", "enum": ["success", "denied", "failed"] },
                    "reason": { "type": ["string", "null"] },
                    "detail": {},
                    "prev_hash": { "type": "string" },
                    "hash": { "type": "string" }
                }
            },
            "AuditSearchResult": {
                "type": "object",
                "properties": {
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } },
                    "limit": { "type": "integer" },
                    "next_before": { "type": ["integer", "null"] }
                }
            },
            "AuditVerification": {
                "type": "object",
                "required": ["ok", "entries", "head", "first_broken_seq", "problem"],
                "properties": {
                    "ok": { "type": "boolean" },
                    "entries": { "type": "integer" },
                    "head": { "type": "object", "properties": { "seq": { "type": "integer" }, "hash": { "type": "string" }, "algorithm": { "type": "string" } } },
                    "first_broken_seq": { "type": ["integer", "null"] },
                    "problem": { "type": ["object", "null"], "properties": { "kind": { "type": "string" }, "rule": { "type": "string" }, "message_zh": { "type": "string" }, "message_en": { "type": "string" } } },
                    "checkpoint": { "type": ["object", "null"] },
                    "truncation_checked": { "type": "boolean" },
                    "external_checkpoint": { "type": ["object", "null"] }
                }
            },
            "RecordHistory": {
                "type": "object",
                "properties": {
                    "object": { "type": "object" },
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } },
                    "limit": { "type": "integer" },
                    "next_before": { "type": ["integer", "null"] },
                    "truncated": { "type": "boolean" }
                }
            },
            "Reminder": {
                "type": "object",
                "required": ["kind", "rule", "due", "object", "message_zh", "message_en"],
                "properties": {
                    "kind": { "type": "string", "enum": ["term_ending", "review_due", "password_due", "training_short", "detachment_ending", "inventory_due", "carrier_overdue"] },
                    "rule": { "type": "string" },
                    "due": { "type": "string", "format": "date" },
                    "overdue": { "type": "boolean" },
                    "object": { "type": "object", "properties": { "kind": { "type": "string" }, "id": { "type": "integer" } } },
                    "message": { "type": "string" },
                    "message_zh": { "type": "string" },
                    "message_en": { "type": "string" },
                    "level": { "type": "string", "description": "the level of what the message shows, for the banner" }
                }
            },
            "Dashboard": {
                "type": "object",
                "required": ["day", "matters", "carriers", "training", "device_passwords"],
                "properties": {
                    "day": { "type": "string", "format": "date" },
                    "matters": { "type": "object", "properties": {
                        "total": { "type": "integer" },
                        "by_level": { "type": "object", "additionalProperties": { "type": "integer" } },
                        "by_status": { "type": "object", "additionalProperties": { "type": "integer" } }
                    } },
                    "carriers": { "type": "object", "properties": {
                        "by_status": { "type": "object", "additionalProperties": { "type": "integer" } },
                        "status_names": { "type": "object" }
                    } },
                    "training": { "type": "object", "properties": { "compliant": { "type": "integer" }, "not_compliant": { "type": "integer" } } },
                    "device_passwords": { "type": "object", "properties": { "in_policy": { "type": "integer" }, "out_of_policy": { "type": "integer" } } }
                }
            },
            "Reminders": {
                "type": "object",
                "properties": {
                    "day": { "type": "string", "format": "date" },
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/Reminder" } }
                }
            }
        }
    })
}

/// The OpenAPI 3.1 document, built once.
pub fn document() -> Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build).clone()
}

/// The group descriptions, in the order of the table.
fn tag_description(tag: &str) -> &'static str {
    match tag {
        "auth" => "登录与本人账户 / signing in and one's own account",
        "organisation" => "单位与部门 / units and departments",
        "people" => "涉密人员（R2）/ classified personnel (R2)",
        "accounts" => "用户账户（系统管理员，R5.3）/ user accounts (system administrator, R5.3)",
        "matters" => "定密与国家秘密事项（R1）/ determination and classified matters (R1)",
        "carriers" => "涉密载体（R3）/ classified carriers (R3)",
        "devices" => "涉密设备（R4）/ classified devices (R4)",
        "approvals" => "审批 / approvals",
        "audit" => "审计（R13.2）/ the audit trail (R13.2)",
        "imports" => "批量导入 / bulk imports",
        "reminders" => "提醒（R13.4）/ reminders (R13.4)",
        _ => "",
    }
}

fn build() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    for route in ROUTES {
        let op = operation(route, &mut generator);
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(route.method.to_lowercase(), op);
        }
    }
    // Tags in the table's order, each once.
    let mut tags: Vec<&str> = Vec::new();
    for route in ROUTES {
        if !tags.contains(&route.tag) {
            tags.push(route.tag);
        }
    }
    let mut components = components();
    if let Some(schemas) = components["schemas"].as_object_mut() {
        for (name, schema) in generator.take_definitions(true) {
            schemas.entry(name).or_insert(schema);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Baomi 保密管理服务 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "保密工作台账、审批与审计的 JSON 接口。每项规则来自 DOMAIN（R…）；拒绝时返回 403/422 并注明规则编号，且记入审计日志。格式错误的请求一律返回 400（或 413、415），错误体与其他错误相同。\n\nThe JSON API of Baomi's ledgers, approvals and audit trail. Every refusal names its DOMAIN rule and is audited. A malformed request answers 400 (or 413, 415) with the same error body as every other error; 422 is only ever a rule's refusal."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "cookieSession": [] }, { "bearerToken": [] }],
        "tags": tags.iter().map(|t| json!({ "name": t, "description": tag_description(t) })).collect::<Vec<_>>(),
        "paths": paths,
        "components": components,
    })
}

/// The `(METHOD, path)` pairs routed by `.route("…", get(…).post(…))` calls in `source`.
pub fn routes_in_source(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let path = &after[..close];
        // The handler expression runs to the matching closing parenthesis.
        let mut depth = 1usize;
        let mut end = close + 1;
        for (i, c) in after[close + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = close + 1 + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &after[close + 1..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let token = format!("{method}(");
            let found = handlers.match_indices(&token).any(|(i, _)| {
                i == 0
                    || handlers[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| !c.is_ascii_alphanumeric() && c != '_')
            });
            if found && path.starts_with("/api/") {
                out.push((method.to_uppercase(), path.to_owned()));
            }
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn r13_3_document_is_openapi_3_1_with_security_and_error_shape() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["components"]["securitySchemes"]["cookieSession"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearerToken"].is_object());
        assert!(doc["components"]["schemas"]["Error"]["properties"]["rule"].is_object());
        let verify = &doc["paths"]["/api/v1/audit/verify"]["get"];
        assert_eq!(verify["tags"][0], "audit");
        let history = &doc["paths"]["/api/v1/records/{kind}/{id}/history"]["get"];
        assert_eq!(history["parameters"].as_array().unwrap().len(), 4);
        let login = &doc["paths"]["/api/v1/auth/login"]["post"];
        assert_eq!(login["security"], json!([]));
    }

    /// Follows a local `$ref` (`#/components/schemas/X`) in `doc`.
    fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
        doc.pointer(reference.strip_prefix('#')?)
    }

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    /// The structural rules of OpenAPI 3.1 that can be checked without the network (the full
    /// validator, openapi-spec-validator, runs in tests/openapi_validate.sh).
    #[test]
    fn r13_3_document_is_structurally_valid_openapi() {
        let doc = document();
        let text = serde_json::to_string(&doc).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        // Tags: unique, and every operation's tag is declared.
        let tags: Vec<&str> = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<_> = tags.iter().collect();
        assert_eq!(unique.len(), tags.len(), "duplicate tags: {tags:?}");
        // Every $ref resolves.
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in &all {
            assert!(resolve(&doc, r).is_some(), "unresolved $ref {r}");
        }
        let mut operation_ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let declared_in_path: std::collections::BTreeSet<&str> =
                path_params(path).into_iter().collect();
            for (method, op) in item.as_object().unwrap() {
                assert!(
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                    "{method} {path}"
                );
                let id = op["operationId"].as_str().unwrap();
                assert!(
                    operation_ids.insert(id.to_owned()),
                    "operationId {id} twice"
                );
                for tag in op["tags"].as_array().unwrap() {
                    assert!(tags.contains(&tag.as_str().unwrap()), "{path}: tag {tag}");
                }
                // Every path parameter declared once, as required; no undeclared one.
                let params = op["parameters"].as_array().unwrap();
                let mut seen = std::collections::BTreeSet::new();
                for p in params {
                    let key = (p["in"].as_str().unwrap(), p["name"].as_str().unwrap());
                    assert!(seen.insert(key), "{method} {path}: parameter {key:?} twice");
                    if key.0 == "path" {
                        assert!(declared_in_path.contains(key.1), "{path}: {key:?}");
                        assert_eq!(p["required"], true, "{path}: {key:?}");
                    }
                    assert!(p["schema"].is_object(), "{path}: {key:?}");
                }
                for name in &declared_in_path {
                    assert!(
                        seen.contains(&("path", *name)),
                        "{method} {path}: path parameter {name} not declared"
                    );
                }
                // Responses: known statuses; errors in the shared shape; 422 never the only
                // client error a malformed request could get.
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("400"), "{method} {path}");
                for (code, answer) in responses {
                    let code: u16 = code.parse().unwrap();
                    assert!(STATUSES.iter().any(|(c, _)| *c == code), "{path}: {code}");
                    assert!(answer["description"].is_string(), "{path}: {code}");
                    if code >= 400 {
                        assert_eq!(
                            answer["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {code}"
                        );
                    }
                }
                assert!(
                    responses.keys().any(|c| c.starts_with('2')),
                    "{method} {path}: no success"
                );
            }
        }
    }

    #[test]
    fn r13_3_request_bodies_are_typed_with_required_fields() {
        let doc = document();
        let body_schema = |path: &str| {
            let op = &doc["paths"][path]["post"];
            let schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
            match schema["$ref"].as_str() {
                Some(r) => resolve(&doc, r).unwrap().clone(),
                None => schema,
            }
        };
        let proposal = body_schema("/api/v1/proposals");
        let required = proposal["required"].as_array().unwrap();
        for field in ["title", "mark", "basis"] {
            assert!(required.contains(&json!(field)), "{proposal}");
        }
        assert!(proposal["properties"]["scope"].is_object());
        let carrier = body_schema("/api/v1/carriers");
        assert!(
            carrier["properties"]["copy"]["type"].is_array()
                || carrier["properties"]["copy"]["type"].is_string(),
            "{carrier}"
        );
        assert!(carrier["required"]
            .as_array()
            .unwrap()
            .contains(&json!("number")));
        let device = body_schema("/api/v1/devices");
        let kind = &device["properties"]["kind"]["$ref"];
        let kind = resolve(&doc, kind.as_str().unwrap()).unwrap();
        assert!(
            kind.to_string().contains("computer")
                || kind["enum"].is_array()
                || kind["oneOf"].is_array(),
            "{kind}"
        );
        // Every POST with a JSON body has a schema; every route answers a documented success.
        for route in ROUTES {
            let op = &doc["paths"][route.path][route.method.to_lowercase()];
            if let Body::Json(_) | Body::Optional(_) = route.body {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                assert!(
                    schema["$ref"].is_string()
                        || schema["anyOf"].is_array()
                        || schema["oneOf"].is_array(),
                    "{} {}: {schema}",
                    route.method,
                    route.path
                );
            }
            for code in route.ok {
                assert!(op["responses"][code.to_string()].is_object());
            }
        }
        // Imports: the ledgers the server takes, and the file as the body.
        let import = &doc["paths"]["/api/v1/imports/{kind}"]["post"];
        assert_eq!(
            import["parameters"][0]["schema"]["enum"],
            json!(["people", "carriers", "devices"])
        );
        let media = import["requestBody"]["content"].as_object().unwrap();
        assert!(media.contains_key("text/csv"));
        assert!(!media.contains_key("application/json"));
        // 202 where the server answers it.
        let reset = &doc["paths"]["/api/v1/accounts/{person}/reset-password"]["post"];
        assert!(reset["responses"]["202"].is_object());
        assert!(doc["paths"]["/api/v1/proposals"]["post"]["responses"]["201"].is_object());
        assert!(doc["paths"]["/api/v1/proposals"]["post"]["responses"]["415"].is_object());
    }

    #[test]
    fn r13_3_table_has_no_duplicates() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
        }
    }

    #[test]
    fn r13_3_every_routed_path_in_the_sources_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (method, route) in routes_in_source(&source) {
                if !ROUTES.iter().any(|r| r.method == method && r.path == route) {
                    missing.push(format!("{method} {route} ({})", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "routes missing from openapi::ROUTES: {missing:#?}"
        );
    }

    #[test]
    fn routes_in_source_reads_multi_line_route_calls() {
        let source = r#"
            .route("/api/v1/a", get(list).post(create))
            .route(
                "/api/v1/b/{id}",
                post(withdraw),
            )
            .route("/api/v1/c", get(forget_me))
        "#;
        let found = routes_in_source(source);
        assert_eq!(
            found,
            vec![
                ("GET".to_owned(), "/api/v1/a".to_owned()),
                ("POST".to_owned(), "/api/v1/a".to_owned()),
                ("POST".to_owned(), "/api/v1/b/{id}".to_owned()),
                ("GET".to_owned(), "/api/v1/c".to_owned()),
            ]
        );
    }
}
