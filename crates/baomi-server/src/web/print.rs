//! Printable forms (R13.3): the carrier registration card with a QR code of its number
//! (载体登记卡, R3.2), the loan/return slip (借阅/归还单, R3.4) and the destruction list
//! (销毁清单, R3.9).
//!
//! Like every page, a form only renders what the API answers to the browser's own session
//! ([`Web::call`]): the carrier's record and history from `GET /api/v1/carriers/{id}`, lists
//! from `GET /api/v1/carriers?…` and the approvals inbox, names from the people directory and
//! the organisation chart. So the API decides who may print what and audits every read
//! (R13.1); a reader who may not read the carrier gets the API's refusal with its rule.
//!
//! * `GET /carriers/{id}/card` — the registration card.
//! * `GET /carriers/{id}/slip?line=N` — the slip of the loan on line `N` of the carrier's
//!   history (default: its latest loan), with its return when there is one.
//! * `GET /carriers/destruction-list?from=YYYY-MM-DD&to=YYYY-MM-DD&status=all|destroyed|pending`
//!   — carriers destroyed in the range (by the day of destruction) and carriers whose
//!   destruction request is pending (by the day it was asked for; the pending requests the
//!   reader filed or that are routed to them).
//! * `GET /assets/print.css` — the print stylesheet (A4, banners on every page, no navigation).
//!
//! Printing is the browser's: the page says so, and a `<button data-print hidden>` is there for
//! the script to reveal. Dates are written in the reader's language (the `day` filter).

use super::pages::{ask, base, finish, level_label, merge, read, who, PageResult};
use super::{asset, highest, qr, render, Web};
use crate::auth::Principal;
use crate::state::civil_day;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baomi_core::carriers::ApproverRole;
use baomi_core::Lang;
use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// This module's templates (name, source), registered with the others.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "print_base.html",
        include_str!("../../templates/print_base.html"),
    ),
    (
        "print_card.html",
        include_str!("../../templates/print_card.html"),
    ),
    (
        "print_slip.html",
        include_str!("../../templates/print_slip.html"),
    ),
    (
        "print_destruction.html",
        include_str!("../../templates/print_destruction.html"),
    ),
];

/// This module's words (key, Chinese, English), added to `t`.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("pr_colon", "：", ": "),
    (
        "pr_print_hint",
        "请使用浏览器的“打印”功能（Ctrl+P）打印本表，也可在打印对话框中另存为 PDF。",
        "Use your browser's Print command (Ctrl+P) to print this form, or choose “Save as PDF” there.",
    ),
    ("pr_print", "打印", "Print"),
    ("pr_tools", "打印操作", "Printing"),
    ("pr_printed_on", "打印日期", "Printed on"),
    ("pr_printed_by", "打印人", "Printed by"),
    ("pr_card_title", "涉密载体登记卡", "Classified carrier registration card"),
    (
        "pr_slip_title",
        "涉密载体借阅（归还）单",
        "Classified carrier loan and return slip",
    ),
    (
        "pr_list_title",
        "涉密载体销毁清单",
        "Classified carrier destruction list",
    ),
    ("pr_carrier", "载体", "Carrier"),
    ("pr_unit", "单位", "Unit"),
    ("pr_number", "载体编号", "Number"),
    ("pr_copy", "份号", "Copy"),
    ("pr_kind", "载体种类", "Kind"),
    ("pr_marking", "密级标志", "Marking"),
    ("pr_level", "密级", "Level"),
    ("pr_title", "名称", "Title"),
    ("pr_matter", "所属事项", "Classified matter"),
    (
        "pr_no_matter",
        "无（按登记时确定的知悉范围管理）",
        "none (managed under the scope given at registration)",
    ),
    ("pr_location", "存放位置", "Location"),
    ("pr_custodian", "保管人（持有人）", "Custodian (holder)"),
    ("pr_registrant", "登记人", "Registered by"),
    ("pr_registered_on", "登记日期", "Registered on"),
    ("pr_status", "当前状态", "Status"),
    ("pr_scope", "知悉范围", "Knowledge scope"),
    ("pr_qr", "载体编号二维码", "QR code of the carrier number"),
    (
        "pr_qr_missing",
        "编号过长，无法生成二维码。",
        "The number is too long for a QR code.",
    ),
    ("pr_signatures", "签字", "Signatures"),
    ("pr_date", "日期", "Date"),
    ("pr_sign_registrant", "登记人签字", "Registrant's signature"),
    ("pr_sign_custodian", "保管人签收", "Custodian's signature"),
    ("pr_loans", "借阅记录", "Loans"),
    (
        "pr_no_loans",
        "该载体没有借阅记录。",
        "This carrier has not been lent.",
    ),
    ("pr_slip_link", "打印借阅单", "Print the loan slip"),
    ("pr_lend_part", "借阅", "Loan"),
    ("pr_return_part", "归还", "Return"),
    ("pr_borrower", "借阅人", "Borrower"),
    ("pr_lent_on", "借出日期", "Lent on"),
    ("pr_due", "应还日期", "Due back"),
    ("pr_handled_by", "经办人", "Issued by"),
    ("pr_requested_by", "申请人", "Requested by"),
    ("pr_requested_on", "申请日期", "Requested on"),
    ("pr_reason", "借阅事由", "Reason"),
    ("pr_approver", "批准人", "Approved by"),
    ("pr_approved_at", "批准时间", "Approved at"),
    ("pr_opinion", "审批意见", "Approver's remarks"),
    ("pr_not_shown", "（未向您显示）", "(not shown to you)"),
    ("pr_returned_on", "归还日期", "Returned on"),
    ("pr_received_by", "接收人", "Received by"),
    ("pr_face_to_face", "当面交接", "Handed over face to face"),
    ("pr_inventory_matches", "清点无误", "Inventory matches"),
    ("pr_yes", "是", "yes"),
    ("pr_no", "否", "no"),
    ("pr_not_returned", "尚未归还。", "Not yet returned."),
    ("pr_sign_borrower", "借阅人签字", "Borrower's signature"),
    ("pr_sign_approver", "批准人签字", "Approver's signature"),
    ("pr_sign_issuer", "经办人签字", "Issuing officer's signature"),
    ("pr_sign_returner", "归还人签字", "Returned by (signature)"),
    ("pr_sign_receiver", "接收人签字", "Receiver's signature"),
    (
        "pr_no_lend",
        "该载体没有这条借阅记录。",
        "This carrier has no such loan.",
    ),
    ("pr_back_card", "返回登记卡", "Back to the registration card"),
    ("pr_filter", "筛选", "Filter"),
    ("pr_from", "起始日期", "From"),
    ("pr_to", "截止日期", "To"),
    ("pr_state", "状态", "Status"),
    (
        "pr_state_all",
        "已销毁及待审批销毁",
        "destroyed and awaiting approval",
    ),
    ("pr_state_destroyed", "已销毁", "destroyed"),
    ("pr_state_pending", "待审批销毁", "awaiting destruction approval"),
    ("pr_show", "显示", "Show"),
    ("pr_range", "日期范围", "Dates"),
    ("pr_range_to", "至", "to"),
    ("pr_any_date", "不限", "any"),
    ("pr_seq", "序号", "No."),
    ("pr_method", "销毁方式", "Method"),
    ("pr_on", "日期", "Date"),
    (
        "pr_method_body",
        "送交指定销毁机构",
        "handed to the designated destruction body",
    ),
    ("pr_packed", "分类封装", "packed"),
    ("pr_transported", "安全运输", "transported safely"),
    ("pr_supervisor", "现场监销人", "supervised on site by"),
    ("pr_method_in_house", "本单位自行销毁", "destroyed in-house"),
    (
        "pr_standard",
        "设备符合国家保密标准",
        "equipment meets the national standard",
    ),
    ("pr_operator", "操作人", "operator"),
    ("pr_method_unknown", "未写明", "not stated"),
    ("pr_awaiting", "待审批，可由以下之一批准：", "awaiting approval by one of: "),
    ("pr_request_reason", "申请事由", "Reason given"),
    (
        "pr_list_empty",
        "所选范围内没有已销毁或待审批销毁的载体。",
        "No carrier was destroyed or awaits destruction approval in the chosen range.",
    ),
    ("pr_total", "合计", "Total"),
    ("pr_items", "件", "item(s)"),
    ("pr_sign_handler", "销毁经办人签字", "Handler's signature"),
    ("pr_sign_supervisor", "监销人签字", "Supervisor's signature"),
    (
        "pr_sign_office",
        "保密工作机构负责人签字",
        "Head of the confidentiality office",
    ),
    (
        "pr_card_rule",
        "R3.2：涉密载体应当清点、编号、登记、签收，载明密级标志、份号、保管人和存放位置。",
        "R3.2: every carrier is inventoried, numbered, registered and signed for, with its marking, copy number, custodian and location.",
    ),
    (
        "pr_slip_rule",
        "R3.4：借阅须经领导批准，登记并签字；归还时当面清点交接。",
        "R3.4: borrowing needs a leader's approval, registration and signature; a return is handed over face to face with an inventory.",
    ),
    (
        "pr_list_rule",
        "R3.9：销毁须经清点、登记、审批，由指定销毁机构或以符合国家保密标准的设备销毁；销毁记录永久保存。",
        "R3.9: destruction follows inventory, registration and approval, by the designated destruction body or with equipment meeting the national standard; destruction records are kept permanently.",
    ),
    (
        "pr_bad_date",
        "日期应写作 YYYY-MM-DD。",
        "Dates are written YYYY-MM-DD.",
    ),
    ("pr_bad_state", "未知的状态筛选。", "Unknown status filter."),
    ("pr_person", "人员", "person"),
    ("pr_unit_n", "单位", "unit"),
    ("pr_dept_n", "部门", "department"),
    ("pr_list_sep", "、", ", "),
    ("pr_group_sep", "；", "; "),
    ("pr_open", "（", " ("),
    ("pr_close", "）", ")"),
];

/// The word `key` of [`TEXTS`] in `lang` (the key itself if it is missing).
fn word(key: &'static str, lang: Lang) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, zh, en)| lang.pick(zh, en))
}

/// This module's routes.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/carriers/destruction-list", get(destruction_list))
        .route("/carriers/{id}/card", get(card))
        .route("/carriers/{id}/slip", get(slip))
        .route("/assets/print.css", get(css))
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/print.css"),
    )
}

// ---------------------------------------------------------------------------------------------
// What every form needs: lists, names, dates
// ---------------------------------------------------------------------------------------------

/// Most pages of a list read for one form.
const MAX_PAGES: u32 = 200;

/// Every item of an API list (`uri` without paging). A refusal is the refusal page.
async fn all_items(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    uri: &str,
) -> Result<Vec<Value>, Response> {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    for page in 1..=MAX_PAGES {
        let body = read(
            web,
            principal,
            headers,
            &format!("{uri}{sep}per_page=500&page={page}"),
        )
        .await?;
        let batch = super::items_of(&body);
        let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
        let done = batch.is_empty();
        items.extend(batch);
        if done || items.len() as u64 >= total {
            break;
        }
    }
    Ok(items)
}

/// Like [`all_items`], but what may not be listed is simply left out (names, approvals).
async fn some_items(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    uri: &str,
) -> Vec<Value> {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    for page in 1..=MAX_PAGES {
        let Ok(answer) = ask(
            web,
            principal,
            headers,
            &format!("{uri}{sep}per_page=500&page={page}"),
        )
        .await
        else {
            break;
        };
        if !answer.ok() {
            break;
        }
        let batch = super::items_of(&answer.body);
        let total = answer.body.get("total").and_then(Value::as_u64);
        let done = batch.is_empty();
        items.extend(batch);
        if done || total.is_none_or(|t| items.len() as u64 >= t) {
            break;
        }
    }
    items
}

/// A carrier's record, or `None` when the API does not give it to this reader.
async fn carrier_if_readable(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    id: i64,
) -> Option<Value> {
    match ask(web, principal, headers, &format!("/api/v1/carriers/{id}")).await {
        Ok(answer) if answer.ok() => Some(answer.body),
        _ => None,
    }
}

/// Names of people, units and departments as far as the reader may list them; ids otherwise.
struct Directory {
    lang: Lang,
    people: BTreeMap<i64, String>,
    units: BTreeMap<i64, String>,
    departments: BTreeMap<i64, String>,
}

impl Directory {
    async fn load(web: &Web, principal: &Principal, headers: &HeaderMap) -> Directory {
        let name_of =
            |v: &Value| Some((v.get("id")?.as_i64()?, v.get("name")?.as_str()?.to_owned()));
        let people = some_items(web, principal, headers, "/api/v1/people")
            .await
            .iter()
            .filter_map(name_of)
            .collect();
        let units_body = match ask(web, principal, headers, "/api/v1/units").await {
            Ok(answer) if answer.ok() => answer.body,
            _ => Value::Null,
        };
        let unit_list = super::items_of(&units_body);
        let units = unit_list.iter().filter_map(name_of).collect();
        let departments = unit_list
            .iter()
            .filter_map(|u| u.get("departments").and_then(Value::as_array))
            .flatten()
            .filter_map(name_of)
            .collect();
        Directory {
            lang: principal.lang,
            people,
            units,
            departments,
        }
    }

    fn person_name(&self, id: i64) -> String {
        self.people
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("{} #{id}", word("pr_person", self.lang)))
    }

    /// The name of the person `id` (a JSON id), or `null`.
    fn person(&self, id: &Value) -> Value {
        id.as_i64()
            .map_or(Value::Null, |id| Value::from(self.person_name(id)))
    }

    fn unit(&self, id: &Value) -> String {
        let Some(id) = id.as_i64() else {
            return String::new();
        };
        self.units
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("{} #{id}", word("pr_unit_n", self.lang)))
    }

    fn names(&self, ids: Option<&Value>) -> String {
        ids.and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_i64)
                    .map(|id| self.person_name(id))
                    .collect::<Vec<_>>()
                    .join(word("pr_list_sep", self.lang))
            })
            .unwrap_or_default()
    }

    /// A knowledge scope in words: named persons, then each unit or department with its
    /// named persons (R1.7).
    fn scope(&self, scope: &Value) -> String {
        let lang = self.lang;
        let mut parts = Vec::new();
        let persons = self.names(scope.get("persons"));
        if !persons.is_empty() {
            parts.push(persons);
        }
        for group in scope
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let holder = field(group, "holder");
            let id = holder.get("id").and_then(Value::as_i64).unwrap_or(0);
            let name = match holder.get("kind").and_then(Value::as_str) {
                Some("department") => self
                    .departments
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("{} #{id}", word("pr_dept_n", lang))),
                _ => self.unit(&json!(id)),
            };
            parts.push(format!(
                "{name}{}{}{}",
                word("pr_open", lang),
                self.names(group.get("persons")),
                word("pr_close", lang)
            ));
        }
        parts.join(word("pr_group_sep", lang))
    }
}

/// JSON `null`, for what an answer leaves out.
static NULL: Value = Value::Null;

/// Field `key` of `v` (`null` when absent).
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&NULL)
}

/// The value at `pointer` in `v` (`null` when absent).
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&NULL)
}

/// Boolean field `key` of `v` (`false` when absent).
fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `zh` or `en` of a `{key}_zh` / `{key}_en` pair of the API's answer.
fn in_lang(v: &Value, key: &str, lang: Lang) -> String {
    text_of(v, &format!("{key}_{}", lang.pick("zh", "en")))
}

/// An approver role (`leader`) in words.
fn role_label(role: &Value, lang: Lang) -> Value {
    serde_json::from_value::<ApproverRole>(role.clone())
        .map_or(Value::Null, |r| Value::from(lang.pick(r.zh(), r.en())))
}

fn roles_label(roles: &Value, lang: Lang) -> String {
    roles
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| role_label(r, lang).as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(word("pr_list_sep", lang))
}

/// `HH:MM` of a timestamp in China Standard Time (the day is written by the `day` filter).
fn time_of(at: &Value) -> Value {
    at.as_str()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map_or(Value::Null, |t| {
            Value::from(
                t.to_zoned(TimeZone::fixed(tz::offset(8)))
                    .strftime("%H:%M")
                    .to_string(),
            )
        })
}

/// The day of a timestamp (`2026-03-02T01:00:00Z`) or date, in China Standard Time.
fn day_of(v: &Value) -> Option<Date> {
    let s = v.as_str()?;
    s.parse::<Timestamp>()
        .ok()
        .map(civil_day)
        .or_else(|| s.get(..10).and_then(|d| d.parse::<Date>().ok()))
}

/// The parts of a carrier every form shows.
fn carrier_view(c: &Value, dir: &Directory, lang: Lang) -> Value {
    let level = text_of(c, "level");
    json!({
        "id": c.get("id"),
        "number": c.get("number"),
        "copy": c.get("copy"),
        "title": c.get("title"),
        "level": level,
        "level_label": level_label(&level, lang),
        "marking_text": c.pointer(&format!("/marking/{}", lang.pick("zh", "en"))),
        "kind_text": in_lang(c, "kind", lang),
        "status_text": in_lang(c, "status", lang),
        "unit_name": dir.unit(field(c, "unit")),
        "location": c.get("location"),
        "holder_name": dir.person(field(c, "holder")),
    })
}

/// The layout's context plus what every form's header shows.
fn form_base(web: &Web, principal: &Principal, dir: &Directory, path: &str) -> Value {
    merge(
        base(web, principal, path, ""),
        json!({
            "printed_on": civil_day(web.state.clock.now()).to_string(),
            "unit_name": dir.unit(&json!(principal.person.unit.0)),
        }),
    )
}

/// A form-level refusal that is not the API's (a loan line that is not there, a bad filter).
fn form_error(web: &Web, principal: &Principal, status: StatusCode, key: &'static str) -> Response {
    render(
        "error.html",
        status,
        principal.lang,
        web.state.config.system_level,
        merge(
            base(web, principal, "/dashboard", ""),
            json!({
                "status": status.as_u16(),
                "rule": null,
                "message": word(key, principal.lang),
            }),
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The registration card (R3.2)
// ---------------------------------------------------------------------------------------------

/// `GET /carriers/{id}/card`.
pub async fn card(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    finish(card_inner(&web, &headers, id).await)
}

async fn card_inner(web: &Web, headers: &HeaderMap, id: i64) -> PageResult {
    let principal = who(web, headers, "/api/v1/carriers").await?;
    let lang = principal.lang;
    let c = read(web, &principal, headers, &format!("/api/v1/carriers/{id}")).await?;
    let dir = Directory::load(web, &principal, headers).await;
    let level = text_of(&c, "level");
    let banner = highest([level.as_str()], web.state.config.system_level);
    let matter = match c.get("matter").and_then(Value::as_i64) {
        Some(mid) => {
            let title = match ask(web, &principal, headers, &format!("/api/v1/matters/{mid}")).await
            {
                Ok(answer) if answer.ok() => answer.body.get("title").cloned(),
                _ => None,
            };
            json!({ "id": mid, "title": title })
        }
        None => Value::Null,
    };
    let lends: Vec<Value> = history(&c)
        .iter()
        .enumerate()
        .filter(|(_, h)| h.get("action").and_then(Value::as_str) == Some("lend"))
        .map(|(line, h)| {
            json!({
                "line": line,
                "on": h.pointer("/transition/on"),
                "borrower": dir.person(at(h, "/transition/command/to")),
                "due": h.pointer("/transition/command/due"),
            })
        })
        .collect();
    let mut view = carrier_view(&c, &dir, lang);
    if let Some(map) = view.as_object_mut() {
        map.insert("matter".into(), matter);
        map.insert("scope_text".into(), json!(dir.scope(&c["scope"])));
        map.insert("registrant".into(), dir.person(field(&c, "registered_by")));
        map.insert("registered_on".into(), json!(c.get("registered_on")));
        map.insert("lends".into(), json!(lends));
    }
    let qr = c.get("number").and_then(Value::as_str).and_then(qr::encode);
    let path = format!("/carriers/{id}/card");
    Ok(render(
        "print_card.html",
        StatusCode::OK,
        lang,
        banner,
        merge(
            form_base(web, &principal, &dir, &path),
            json!({ "c": view, "qr": qr }),
        ),
    ))
}

fn history(c: &Value) -> Vec<Value> {
    c.get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The loan / return slip (R3.4)
// ---------------------------------------------------------------------------------------------

/// `/carriers/{id}/slip` query.
#[derive(Debug, Default, Deserialize)]
pub struct SlipQuery {
    /// The loan's line in the carrier's history (default: the latest loan).
    #[serde(default)]
    line: Option<String>,
}

/// `GET /carriers/{id}/slip?line=N`.
pub async fn slip(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<SlipQuery>,
) -> Response {
    finish(slip_inner(&web, &headers, id, query.line.as_deref()).await)
}

async fn slip_inner(web: &Web, headers: &HeaderMap, id: i64, line: Option<&str>) -> PageResult {
    let principal = who(web, headers, "/api/v1/carriers").await?;
    let lang = principal.lang;
    let c = read(web, &principal, headers, &format!("/api/v1/carriers/{id}")).await?;
    let lines = history(&c);
    let is_lend = |h: &Value| h.get("action").and_then(Value::as_str) == Some("lend");
    let index = match line.map(str::trim).filter(|l| !l.is_empty()) {
        Some(text) => text.parse::<usize>().ok(),
        None => lines.iter().rposition(is_lend),
    };
    let Some((index, lend)) = index.and_then(|i| Some((i, lines.get(i)?))) else {
        return Err(form_error(
            web,
            &principal,
            StatusCode::NOT_FOUND,
            "pr_no_lend",
        ));
    };
    if !is_lend(lend) {
        return Err(form_error(
            web,
            &principal,
            StatusCode::NOT_FOUND,
            "pr_no_lend",
        ));
    }
    // The return that ended this loan: the next return before any later loan.
    let returned = lines
        .iter()
        .skip(index + 1)
        .take_while(|h| !is_lend(h))
        .find(|h| h.get("action").and_then(Value::as_str) == Some("return"));
    let dir = Directory::load(web, &principal, headers).await;
    let command = at(lend, "/transition/command");
    let request_id = lend.get("approval_request").and_then(Value::as_i64);
    // The approval as the carrier's record shows it (approver, time, remarks) ...
    let approval = request_id.and_then(|rid| {
        c.get("approvals")
            .and_then(Value::as_array)?
            .iter()
            .find(|a| a.get("id").and_then(Value::as_i64) == Some(rid))
    });
    let step = approval
        .and_then(|a| {
            a.get("steps")
                .and_then(Value::as_array)?
                .iter()
                .rev()
                .find(|s| s.get("outcome").and_then(Value::as_str) == Some("approved"))
        })
        .unwrap_or(&NULL);
    // ... and the requester's reason, when the approvals inbox shows it to this reader.
    let reason = match request_id {
        Some(rid) => match ask(
            web,
            &principal,
            headers,
            &format!("/api/v1/approvals/{rid}"),
        )
        .await
        {
            Ok(answer) if answer.ok() && answer.body.get("redacted") != Some(&json!(true)) => {
                answer.body.get("reason").cloned().unwrap_or(Value::Null)
            }
            _ => Value::Null,
        },
        None => Value::Null,
    };
    let lend_view = json!({
        "line": index,
        "lent_on": lend.pointer("/transition/on"),
        "borrower": dir.person(field(command, "to")),
        "due": command.get("due"),
        "handled_by": dir.person(field(lend, "by")),
        "requested_by": dir.person(approval.map_or(&NULL, |a| field(a, "requested_by"))),
        "requested_at": approval.map(|a| field(a, "requested_at")),
        "request": request_id,
        "reason": reason,
        "approver": dir.person(field(lend, "approved_by")),
        "approver_role": role_label(at(command, "/approval/role"), lang),
        "approved_at": step.get("at").or_else(|| command.pointer("/approval/on")),
        "approved_time": time_of(field(step, "at")),
        "opinion": step.get("reason"),
    });
    let return_view = returned.map(|r| {
        let rc = at(r, "/transition/command");
        json!({
            "returned_on": r.pointer("/transition/on"),
            "received_by": dir.person(field(rc, "received_by")),
            "face_to_face": flag(rc, "face_to_face"),
            "inventory_matches": flag(rc, "inventory_matches"),
            "recorded_by": dir.person(field(r, "by")),
        })
    });
    let level = text_of(&c, "level");
    let banner = highest([level.as_str()], web.state.config.system_level);
    let path = format!("/carriers/{id}/slip?line={index}");
    Ok(render(
        "print_slip.html",
        StatusCode::OK,
        lang,
        banner,
        merge(
            form_base(web, &principal, &dir, &path),
            json!({ "c": carrier_view(&c, &dir, lang), "lend": lend_view, "ret": return_view }),
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// The destruction list (R3.9)
// ---------------------------------------------------------------------------------------------

/// `/carriers/destruction-list` query (all optional; an unchanged form sends empty values).
#[derive(Debug, Default, Deserialize)]
pub struct DestructionQuery {
    /// First day (`YYYY-MM-DD`).
    #[serde(default)]
    from: Option<String>,
    /// Last day.
    #[serde(default)]
    to: Option<String>,
    /// `all` (default), `destroyed` or `pending`.
    #[serde(default)]
    status: Option<String>,
}

/// `GET /carriers/destruction-list`.
pub async fn destruction_list(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<DestructionQuery>,
) -> Response {
    finish(destruction_inner(&web, &headers, &query).await)
}

/// A day of the filter: `Ok(None)` when not given, `Err` when not a date.
fn filter_day(text: Option<&String>) -> Result<Option<Date>, ()> {
    match text.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<Date>().map(Some).map_err(|_| ()),
    }
}

async fn destruction_inner(web: &Web, headers: &HeaderMap, query: &DestructionQuery) -> PageResult {
    let principal = who(web, headers, "/api/v1/carriers").await?;
    let lang = principal.lang;
    let (Ok(from), Ok(to)) = (
        filter_day(query.from.as_ref()),
        filter_day(query.to.as_ref()),
    ) else {
        return Err(form_error(
            web,
            &principal,
            StatusCode::BAD_REQUEST,
            "pr_bad_date",
        ));
    };
    let status = query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("all");
    if !matches!(status, "all" | "destroyed" | "pending") {
        return Err(form_error(
            web,
            &principal,
            StatusCode::BAD_REQUEST,
            "pr_bad_state",
        ));
    }
    let in_range = |day: Option<Date>| {
        day.is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
    };
    let dir = Directory::load(web, &principal, headers).await;
    let mut rows: Vec<(Date, Value)> = Vec::new();

    if status != "pending" {
        // The ledger's destroyed carriers this reader may read; the day of destruction is
        // the day of their last change (nothing leads out of destroyed, R3.10).
        let destroyed = all_items(
            web,
            &principal,
            headers,
            "/api/v1/carriers?status=destroyed&sort=id",
        )
        .await?;
        for summary in destroyed {
            if !in_range(day_of(field(&summary, "changed_on"))) {
                continue;
            }
            let Some(id) = summary.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let Some(c) = carrier_if_readable(web, &principal, headers, id).await else {
                continue;
            };
            let line = history(&c)
                .into_iter()
                .rev()
                .find(|h| h.get("action").and_then(Value::as_str) == Some("destroy"))
                .unwrap_or(Value::Null);
            let command = at(&line, "/transition/command");
            let day = day_of(at(&c, "/state/on"))
                .or_else(|| day_of(at(&line, "/transition/on")))
                .or_else(|| day_of(field(&summary, "changed_on")));
            let Some(day) = day.filter(|d| in_range(Some(*d))) else {
                continue;
            };
            let method = c
                .pointer("/state/method")
                .unwrap_or_else(|| field(command, "method"));
            let mut row = carrier_view(&c, &dir, lang);
            if let Some(map) = row.as_object_mut() {
                map.insert("status".into(), json!("destroyed"));
                map.insert("on".into(), json!(day.to_string()));
                map.insert("method".into(), method_view(method, &dir));
                map.insert("approver".into(), dir.person(field(&line, "approved_by")));
                map.insert(
                    "approver_role".into(),
                    role_label(at(command, "/approval/role"), lang),
                );
                map.insert(
                    "requested_by".into(),
                    dir.person(field(command, "requested_by")),
                );
            }
            rows.push((day, row));
        }
    }

    if status != "destroyed" {
        // Pending destruction requests the reader filed or that wait for them.
        let mut seen = BTreeSet::new();
        let mut requests = some_items(
            web,
            &principal,
            headers,
            "/api/v1/approvals?box=mine&status=pending",
        )
        .await;
        requests.extend(
            some_items(
                web,
                &principal,
                headers,
                "/api/v1/approvals?box=inbox&status=pending",
            )
            .await,
        );
        for request in requests {
            let Some(rid) = request.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let subject = field(&request, "subject");
            let is_destroy = subject.get("kind").and_then(Value::as_str) == Some("carrier")
                && subject.pointer("/command/command").and_then(Value::as_str) == Some("destroy");
            if !is_destroy || !seen.insert(rid) {
                continue;
            }
            let day = day_of(field(&request, "requested_at"));
            let Some(day) = day.filter(|d| in_range(Some(*d))) else {
                continue;
            };
            let Some(cid) = subject.get("carrier").and_then(Value::as_i64) else {
                continue;
            };
            let Some(c) = carrier_if_readable(web, &principal, headers, cid).await else {
                continue;
            };
            let mut row = carrier_view(&c, &dir, lang);
            if let Some(map) = row.as_object_mut() {
                map.insert("status".into(), json!("pending"));
                map.insert("on".into(), json!(day.to_string()));
                map.insert(
                    "method".into(),
                    method_view(at(subject, "/command/method"), &dir),
                );
                map.insert(
                    "needed".into(),
                    json!(roles_label(field(&request, "needed"), lang)),
                );
                map.insert(
                    "requested_by".into(),
                    dir.person(field(&request, "requested_by")),
                );
                map.insert(
                    "reason".into(),
                    request.get("reason").cloned().unwrap_or(Value::Null),
                );
                map.insert("request".into(), json!(rid));
            }
            rows.push((day, row));
        }
    }

    rows.sort_by(|(a, ra), (b, rb)| {
        a.cmp(b)
            .then_with(|| text_of(ra, "number").cmp(&text_of(rb, "number")))
            .then_with(|| {
                let copy = |r: &Value| r.get("copy").and_then(Value::as_i64).unwrap_or(0);
                copy(ra).cmp(&copy(rb))
            })
    });
    let rows: Vec<Value> = rows.into_iter().map(|(_, r)| r).collect();
    let banner = highest(
        rows.iter()
            .filter_map(|r| r.get("level").and_then(Value::as_str)),
        web.state.config.system_level,
    );
    let states: Vec<Value> = [
        ("all", "pr_state_all"),
        ("destroyed", "pr_state_destroyed"),
        ("pending", "pr_state_pending"),
    ]
    .into_iter()
    .map(|(code, key)| json!({ "code": code, "label": word(key, lang) }))
    .collect();
    let filter = json!({
        "from": from.map(|d| d.to_string()),
        "to": to.map(|d| d.to_string()),
        "status": status,
        "status_label": states.iter().find(|s| s["code"] == status).map(|s| s["label"].clone()),
    });
    let mut path = format!("/carriers/destruction-list?status={status}");
    for (key, day) in [("from", from), ("to", to)] {
        if let Some(day) = day {
            path.push_str(&format!("&{key}={day}"));
        }
    }
    Ok(render(
        "print_destruction.html",
        StatusCode::OK,
        lang,
        banner,
        merge(
            form_base(web, &principal, &dir, &path),
            json!({ "rows": rows, "filter": filter, "states": states }),
        ),
    ))
}

/// A destruction method (R3.9) for the template, with names for the persons it names.
fn method_view(method: &Value, dir: &Directory) -> Value {
    match method.get("kind").and_then(Value::as_str) {
        Some("designated_body") => json!({
            "kind": "designated_body",
            "body": method.get("body"),
            "packed": flag(method, "packed"),
            "transported_safely": flag(method, "transported_safely"),
            "supervisor": dir.person(field(method, "supervisor")),
        }),
        Some("in_house") => json!({
            "kind": "in_house",
            "equipment": method.get("equipment"),
            "meets_national_standard": flag(method, "meets_national_standard"),
            "operator": dir.person(field(method, "operator")),
        }),
        _ => Value::Null,
    }
}
