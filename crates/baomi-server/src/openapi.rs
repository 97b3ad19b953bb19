//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route under `/api/v1`,
//! generated from one table ([`ROUTES`]) so that it cannot silently drift from the router:
//! a test requests every route of the table and checks that the router knows it (no 404
//! fallback, no 405), and another reads the modules' `.route(…)` calls and checks that each
//! is in the table.
//!
//! Served without authentication (it describes the API, not the data) and fetched from the
//! service itself: no asset comes from the Internet.

use crate::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

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
    /// The key fields of the JSON request body (POST).
    pub body: &'static [&'static str],
    /// What it answers.
    pub answer: Answer,
    /// True when no login is needed.
    pub public: bool,
}

const fn r(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    zh: &'static str,
    en: &'static str,
    body: &'static [&'static str],
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
        public: false,
    }
}

const NONE: &[&str] = &[];
const REASON: &[&str] = &["reason"];

use Answer::{File, Object as Obj, Page as List, Schema};

/// Every route of the API.
pub const ROUTES: &[RouteDoc] = &[
    // Authentication (R13.1, R4.2)
    RouteDoc {
        public: true,
        ..r("POST", "/api/v1/auth/login", "auth", "登录（口令、动态口令）", "log in (password, TOTP)", &["login", "password", "totp", "bearer", "label"], Obj)
    },
    r("POST", "/api/v1/auth/logout", "auth", "退出登录", "log out", NONE, Obj),
    r("GET", "/api/v1/auth/me", "auth", "当前用户", "who is logged in", NONE, Obj),
    r("POST", "/api/v1/auth/password", "auth", "修改本人密码（R4.2）", "change one's password (R4.2)", &["current", "new"], Obj),
    r("POST", "/api/v1/auth/lang", "auth", "设置界面语言", "set the interface language", &["lang"], Obj),
    r("POST", "/api/v1/auth/totp", "auth", "开始绑定动态口令", "begin TOTP enrolment", NONE, Obj),
    r("POST", "/api/v1/auth/totp/confirm", "auth", "确认绑定动态口令", "confirm TOTP enrolment", &["secret", "code", "password", "current_code"], Obj),
    // Organisation (R1.4)
    r("GET", "/api/v1/units", "organisation", "单位与部门", "units and departments", NONE, Obj),
    r("POST", "/api/v1/units", "organisation", "新建单位", "create a unit", &["name", "tier", "superior"], Obj),
    r("POST", "/api/v1/units/{id}/departments", "organisation", "新建部门", "create a department", &["name"], Obj),
    // People and accounts (R2, R5.3)
    r("GET", "/api/v1/people", "people", "人员台账", "the personnel ledger", NONE, List),
    r("POST", "/api/v1/people", "people", "登记人员（R2.2 上岗条件）", "register a person (R2.2)", &["name", "departments", "post", "category", "checklist", "commitment_signed_on"], Obj),
    r("GET", "/api/v1/people/export", "people", "导出人员台账", "export the personnel ledger", NONE, File),
    r("GET", "/api/v1/people/{id}", "people", "人员详情", "one person", NONE, Obj),
    r("POST", "/api/v1/people/{id}/training", "people", "登记培训（R2.3）", "record training (R2.3)", &["on", "minutes", "topic"], Obj),
    r("GET", "/api/v1/people/{id}/training-status", "people", "年度培训学时（R2.3）", "training hours of a year (R2.3)", NONE, Obj),
    r("POST", "/api/v1/people/{id}/commitment", "people", "签订保密承诺书（R2.2）", "sign the commitment (R2.2)", &["signed_on"], Obj),
    r("POST", "/api/v1/people/{id}/leave", "people", "离岗与脱密期（R2.4）", "leave the post, detachment (R2.4)", &["left_on", "months", "basis", "exit_commitment_signed"], Obj),
    r("POST", "/api/v1/people/{id}/roles", "people", "设置角色（三员分离，R5.3）", "set roles (R5.3)", &["roles"], Obj),
    r("POST", "/api/v1/people/{id}/approver-roles", "people", "设置审批角色", "set approver roles", &["approver_roles"], Obj),
    r("GET", "/api/v1/accounts", "accounts", "用户账户", "user accounts", NONE, Obj),
    r("POST", "/api/v1/accounts", "accounts", "新建账户（系统管理员）", "create an account (system administrator)", &["person", "login", "password"], Obj),
    r("POST", "/api/v1/accounts/{person}/reset-password", "accounts", "重置密码（本单位；涉密人员待安全保密管理员确认，R5.3）", "reset a password (own unit; classified personnel wait for the security administrator, R5.3)", NONE, Obj),
    r("POST", "/api/v1/accounts/{person}/reset-password/confirm", "accounts", "确认密码重置并取得一次性口令（安全保密管理员）", "confirm a password reset and get the one-time password (security administrator)", NONE, Obj),
    r("GET", "/api/v1/accounts/reset-requests", "accounts", "待确认的密码重置", "password resets waiting for confirmation", NONE, Obj),
    r("POST", "/api/v1/accounts/{person}/unlock", "accounts", "解除锁定", "unlock an account", NONE, Obj),
    r("POST", "/api/v1/accounts/{person}/disable", "accounts", "停用账户", "disable an account", NONE, Obj),
    r("POST", "/api/v1/accounts/{person}/enable", "accounts", "启用账户", "enable an account", NONE, Obj),
    // Determination (R1.4–R1.10)
    r("GET", "/api/v1/proposals", "matters", "定密意见", "proposals to classify", NONE, List),
    r("POST", "/api/v1/proposals", "matters", "提出定密意见（R1.6）", "file a proposal (R1.6)", &["title", "mark", "scope", "basis", "subject_area", "period_override"], Obj),
    r("GET", "/api/v1/proposals/{id}", "matters", "定密意见详情", "one proposal", NONE, Obj),
    r("GET", "/api/v1/matters", "matters", "国家秘密事项台账", "the classified-matters ledger", NONE, List),
    r("GET", "/api/v1/matters/export", "matters", "导出国家秘密事项台账", "export the matters ledger", NONE, File),
    r("GET", "/api/v1/matters/{id}", "matters", "事项详情", "one matter", NONE, Obj),
    r("POST", "/api/v1/matters/{id}/change", "matters", "变更密级、期限或知悉范围（R1.8）", "change level, period or scope (R1.8)", &["mark", "level", "term", "scope", "period_override", "reason"], Obj),
    r("POST", "/api/v1/matters/{id}/extend", "matters", "延长保密期限（R1.9）", "extend the period (R1.9)", &["mark", "term", "period_override", "reason"], Obj),
    r("POST", "/api/v1/matters/{id}/declassify", "matters", "提前解密（R1.9）", "declassify early (R1.9)", &["ground", "reason"], Obj),
    r("POST", "/api/v1/matters/{id}/review", "matters", "年度审核（R1.9）", "yearly review (R1.9)", REASON, Obj),
    r("POST", "/api/v1/matters/{id}/condition-met", "matters", "解密条件达成（R1.9）", "declassification condition met (R1.9)", REASON, Obj),
    r("GET", "/api/v1/escalations", "matters", "不明确或有争议事项（R1.10）", "unclear and disputed matters (R1.10)", NONE, List),
    r("POST", "/api/v1/escalations", "matters", "提请确定密级（R1.10）", "open an unclear matter or dispute (R1.10)", &["kind", "title", "mark", "reason"], Obj),
    r("GET", "/api/v1/escalations/{id}", "matters", "事项详情（R1.10）", "one case (R1.10)", NONE, Obj),
    r("POST", "/api/v1/escalations/{id}/{step}", "matters", "报送、转报、决定、答复、接受、上报", "submit, forward, decide, answer, accept, escalate", &["level", "reason"], Obj),
    r("GET", "/api/v1/classifiers", "matters", "定密责任人（R1.5）", "classifiers (R1.5)", NONE, List),
    r("POST", "/api/v1/classifiers", "matters", "指定定密责任人（安全保密管理员）", "grant a classifier (security administrator)", &["person", "unit", "highest_level", "is_head", "trained", "certificate_expires"], Obj),
    r("GET", "/api/v1/authorisations", "matters", "定密授权（R1.4）", "authorisations to classify (R1.4)", NONE, List),
    r("POST", "/api/v1/authorisations", "matters", "登记定密授权（R1.4）", "record an authorisation (R1.4)", &["unit", "granted_by", "highest_level", "subject_areas", "granted_on"], Obj),
    r("POST", "/api/v1/authorisations/{id}/withdraw", "matters", "撤销定密授权", "withdraw an authorisation", &["on"], Obj),
    // Carriers (R3)
    r("GET", "/api/v1/carriers", "carriers", "载体台账", "the carrier ledger", NONE, List),
    r("POST", "/api/v1/carriers", "carriers", "登记载体（R3.2）", "register a carrier (R3.2)", &["number", "copy", "kind", "marking", "title", "matter", "scope", "location", "custodian"], Obj),
    r("GET", "/api/v1/carriers/export", "carriers", "导出载体台账", "export the carrier ledger", NONE, File),
    r("GET", "/api/v1/carriers/{id}", "carriers", "载体详情", "one carrier", NONE, Obj),
    r("POST", "/api/v1/carriers/{id}/copy", "carriers", "复制、摘录（R1.11）", "copy or excerpt (R1.11)", &["number", "copy", "kind", "unit", "holder", "location"], Obj),
    r("POST", "/api/v1/carriers/{id}/{action}", "carriers", "载体操作：签收、借阅、归还、传递、接收、携带外出、维修、销毁、解密、重新标识、解除管理（R3.4–R3.10）", "carrier command: take-into-custody, lend, return, transmit, receive, carry-out, repair, destroy, declassify, remark, release (R3.4–R3.10)", REASON, Obj),
    r("GET", "/api/v1/inventories", "carriers", "载体清查（R3.7）", "inventory rounds (R3.7)", NONE, List),
    r("POST", "/api/v1/inventories", "carriers", "开始清查", "start an inventory round", &["unit"], Obj),
    r("GET", "/api/v1/inventories/{id}", "carriers", "清查详情", "one inventory round", NONE, Obj),
    r("POST", "/api/v1/inventories/{id}/observations", "carriers", "登记清查所见", "record what was found", &["number", "copy", "holder", "location"], Obj),
    r("POST", "/api/v1/inventories/{id}/close", "carriers", "完成清查并对账", "close and reconcile", NONE, Obj),
    // Devices (R4)
    r("GET", "/api/v1/devices", "devices", "设备台账", "the device ledger", NONE, List),
    r("POST", "/api/v1/devices", "devices", "登记设备（R4.1）", "register a device (R4.1)", &["kind", "level", "serial", "number", "name", "department", "holder", "location", "password"], Obj),
    r("GET", "/api/v1/devices/export", "devices", "导出设备台账", "export the device ledger", NONE, File),
    r("GET", "/api/v1/devices/{id}", "devices", "设备详情", "one device", NONE, Obj),
    r("GET", "/api/v1/devices/{id}/password-status", "devices", "设备口令策略状态（R4.2）", "the device's password status (R4.2)", NONE, Obj),
    r("POST", "/api/v1/devices/{id}/{action}", "devices", "设备操作：投入使用、维修、携带外出、安全处理、解密、处置、报废、调配、口令（R4.4–R4.7）", "device command: commission, repair, carry out, security processing, declassify, dispose, scrap, assign, password (R4.4–R4.7)", &["command", "approval_for"], Obj),
    // Approvals inbox
    r("GET", "/api/v1/approvals", "approvals", "审批待办（box=inbox|mine|decided）", "the approvals inbox (box=inbox|mine|decided)", NONE, List),
    r("GET", "/api/v1/approvals/{id}", "approvals", "审批详情", "one approval request", NONE, Obj),
    r("POST", "/api/v1/approvals/{id}/approve", "approvals", "批准（不得审批本人申请，R1.6）", "approve (never one's own request, R1.6)", &["role", "reason"], Obj),
    r("POST", "/api/v1/approvals/{id}/refuse", "approvals", "不批准", "refuse", &["role", "reason"], Obj),
    r("POST", "/api/v1/approvals/{id}/withdraw", "approvals", "撤回申请", "withdraw one's request", REASON, Obj),
    // Audit trail (R13.2, R5.3)
    r("GET", "/api/v1/audit", "audit", "检索审计记录（安全审计员）", "search the audit trail (security auditor)", NONE, Schema("AuditSearchResult")),
    r("GET", "/api/v1/audit/verify", "audit", "校验审计日志哈希链与检查点（安全审计员）", "verify the audit chain and checkpoints (security auditor)", NONE, Schema("AuditVerification")),
    r("GET", "/api/v1/audit/export", "audit", "导出审计记录（安全审计员）", "export the audit trail (security auditor)", NONE, File),
    r("POST", "/api/v1/imports/{kind}", "imports", "导入人员、载体或设备（CSV/XLSX；先预览，?commit=true 全部写入或不写）", "import people, carriers or devices (CSV/XLSX; preview, then ?commit=true writes all rows or none)", NONE, Obj),
    r("GET", "/api/v1/imports/{kind}/template", "imports", "导入模板（csv、xlsx，或 json 列说明）", "the import template (csv, xlsx, or json columns)", NONE, File),
    r("GET", "/api/v1/records/{kind}/{id}/history", "audit", "记录的操作历史（可阅知该记录者）", "a record's history (whoever may read the record)", NONE, Schema("RecordHistory")),
    // Reminders (R13.4)
    r("GET", "/api/v1/reminders", "reminders", "本人的提醒（R13.4）", "one's own reminders (R13.4)", NONE, Schema("Reminders")),
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

fn error_responses(public: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let codes: &[(&str, &str)] = &[
        ("400", "请求格式错误 / malformed request"),
        ("401", "未登录 / not logged in"),
        ("403", "无权访问（已审计）/ denied (audited)"),
        ("404", "记录不存在 / no such record"),
        ("409", "冲突 / conflict"),
        (
            "422",
            "保密规则不允许（已审计）/ refused by a rule (audited)",
        ),
    ];
    for (code, text) in codes {
        if public && matches!(*code, "401" | "403") {
            continue;
        }
        out.insert(
            (*code).to_owned(),
            json!({ "description": text, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    out
}

fn operation(route: &RouteDoc) -> Value {
    let mut params: Vec<Value> = path_params(route.path)
        .into_iter()
        .map(|p| path_param(route.path, p))
        .collect();
    let ok = match route.answer {
        Answer::Object => {
            json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } })
        }
        Answer::Page => {
            params.extend(list_params());
            json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } })
        }
        Answer::File => {
            params.push(query(
                "format",
                json!({ "type": "string", "enum": ["csv", "xlsx"], "default": "csv" }),
                "导出格式",
                "export format",
            ));
            if route.path.starts_with("/api/v1/audit") {
                params.extend(audit_params());
            } else {
                params.extend(list_params());
            }
            json!({
                "description": "CSV (UTF-8 with BOM) or XLSX, as an attachment",
                "content": {
                    "text/csv": { "schema": { "type": "string" } },
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } }
                }
            })
        }
        Answer::Schema(name) => {
            if route.path == "/api/v1/audit" {
                params.extend(audit_params());
            }
            json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } } })
        }
    };
    let mut responses = error_responses(route.public);
    responses.insert("200".to_owned(), ok);
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
    if route.method == "POST" {
        let properties: Map<String, Value> = route
            .body
            .iter()
            .map(|f| ((*f).to_owned(), json!({})))
            .collect();
        op["requestBody"] = json!({
            "required": !route.body.is_empty(),
            "content": { "application/json": { "schema": { "type": "object", "properties": properties } } }
        });
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
            "Page": {
                "type": "object",
                "required": ["items", "page", "per_page", "total"],
                "properties": {
                    "items": { "type": "array", "items": { "type": "object" } },
                    "page": { "type": "integer" },
                    "per_page": { "type": "integer" },
                    "total": { "type": "integer", "description": "visible to the subject only" }
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
                    "message_en": { "type": "string" }
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

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(route.method.to_lowercase(), operation(route));
        }
    }
    let mut tags: Vec<&str> = ROUTES.iter().map(|r| r.tag).collect();
    tags.dedup();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Baomi 保密管理服务 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "保密工作台账、审批与审计的 JSON 接口。每项规则来自 DOMAIN（R…）；拒绝时返回 403/422 并注明规则编号，且记入审计日志。\n\nThe JSON API of Baomi's ledgers, approvals and audit trail. Every refusal names its DOMAIN rule and is audited."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "cookieSession": [] }, { "bearerToken": [] }],
        "tags": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
        "paths": paths,
        "components": components(),
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
        assert_eq!(history["parameters"].as_array().unwrap().len(), 2);
        let login = &doc["paths"]["/api/v1/auth/login"]["post"];
        assert_eq!(login["security"], json!([]));
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
