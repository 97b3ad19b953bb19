//! Import of people, carriers and devices from CSV/XLSX (preview, per-row errors, all or nothing).
//!
//! The page decides nothing: it sends the file to the API's import (`api::import`) in process,
//! with the browser's cookie and the form's CSRF token, and renders its answer.
//!
//! * `GET /import` — choose what to import and the file; links to the templates
//!   (`/api/v1/imports/{kind}/template?format=xlsx|csv`) and each kind's columns, as the API
//!   describes them (`?format=json`).
//! * `POST /import` (multipart: `csrf`, `kind`, `step=preview`, `file`) — the API's dry run
//!   (`?commit=false`): every row with its values and errors, its DOMAIN rule where a rule
//!   refuses it. When every row is valid, a form to import the file.
//! * `POST /import` (multipart: `csrf`, `kind`, `step=commit`, `sha256`, `data`) — the API's
//!   commit (`?commit=true&sha256=…`). Written: `303` to `GET /import?kind=…&created=ids`, which
//!   links to the new records (`/people/{id}`, `/carriers/{id}`, `/devices/{id}`); so a reload
//!   does not import the file twice. Refused: the rows and their errors again.
//!
//! **Why the commit form carries the file (base64 in a hidden field)** rather than asking for it
//! again or keeping it on the server: the person confirms exactly the bytes they previewed —
//! the API refuses the commit if their SHA-256 is not the one previewed (409 `file_changed`) —
//! without choosing the file a second time (a browser never pre-fills a file input); and the
//! service keeps no state between the two steps: no upload of possibly classified content in a
//! temporary file or session store to expire and clean up. The price is a page up to 4/3 of the
//! file's size, within the API's bound ([`MAX_UPLOAD`]).
//!
//! Bounds: the form is read field by field, the file at most [`MAX_UPLOAD`] bytes, the commit's
//! base64 at most the encoding of that; the API bounds the rest (rows, columns, zip bombs).

use super::pages::{base, finish, merge, refusal_of, who, PageResult};
use super::{highest, render, see_other, Answer, Web};
use crate::api::import::{ImportKind, MAX_ROWS, MAX_UPLOAD, XLSX_TYPE};
use crate::auth::Principal;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::header::HeaderMap;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baomi_core::marks::Level;
use baomi_core::Lang;
use serde::Deserialize;
use serde_json::{json, Value};

/// This module's templates (name, source), registered with the others.
pub const TEMPLATES: &[(&str, &str)] =
    &[("import.html", include_str!("../../templates/import.html"))];

/// This module's words (key, Chinese, English), added to `t`.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("imp_title", "批量导入", "Import"),
    (
        "imp_intro",
        "从 CSV 或 XLSX 文件批量登记人员、载体或设备。先预览：每一行都按单条登记的全部规则检查；只有整个文件都没有错误时才能导入，且一次全部写入。",
        "Register people, carriers or devices from a CSV or XLSX file. Preview first: every row is checked against every rule of a single registration; the file can be imported only when no row has an error, and then all of it is written at once.",
    ),
    ("imp_kind", "导入内容", "What to import"),
    ("imp_kind_people", "人员", "People"),
    ("imp_kind_carriers", "涉密载体", "Carriers"),
    ("imp_kind_devices", "设备", "Devices"),
    ("imp_file", "文件（CSV 或 XLSX）", "File (CSV or XLSX)"),
    (
        "imp_file_help",
        "第一行为表头（中文或英文列名），其后每行一条记录；CSV 可为 UTF-8 或 GBK 编码；XLSX 只读第一个工作表。文件至多 5 MiB、10000 行。",
        "The first row is the header (Chinese or English column names), then one record a row; CSV in UTF-8 or GBK; only the first worksheet of an XLSX is read. At most 5 MiB and 10,000 rows.",
    ),
    ("imp_preview", "预览", "Preview"),
    ("imp_templates", "模板与列说明", "Templates and columns"),
    ("imp_template_xlsx", "下载 XLSX 模板", "Download the XLSX template"),
    ("imp_template_csv", "下载 CSV 模板", "Download the CSV template"),
    ("imp_column", "列名", "Column"),
    ("imp_also", "也可写作", "Also accepted"),
    ("imp_required", "必填", "Required"),
    ("imp_accepts", "填写说明", "What it takes"),
    ("imp_preview_of", "导入预览", "Import preview"),
    ("imp_file_name", "文件", "File"),
    ("imp_format", "格式", "Format"),
    ("imp_rows", "数据行", "Data rows"),
    ("imp_valid", "无误", "Valid"),
    ("imp_invalid", "有错误", "With errors"),
    (
        "imp_all_valid",
        "所有行均无错误。确认后将在一次操作中全部写入。",
        "No row has an error. On confirmation all of them are written at once.",
    ),
    ("imp_commit", "确认导入", "Import"),
    (
        "imp_has_errors",
        "有行存在错误，不能导入：请在文件中改正后重新预览。未写入任何记录。",
        "Some rows have errors, so the file cannot be imported: correct the file and preview it again. Nothing was written.",
    ),
    ("imp_again", "选择其他文件", "Choose another file"),
    ("imp_row", "行号", "Row"),
    ("imp_problems", "检查结果", "Check"),
    ("imp_ok", "无误", "OK"),
    ("imp_warning", "提示", "Note"),
    ("imp_done", "导入完成", "Imported"),
    ("imp_created", "已登记的记录", "Records registered"),
    ("imp_record", "记录", "Record"),
    ("imp_encoding", "编码", "Encoding"),
    (
        "imp_rule_note",
        "标有规则编号的错误由该规则拒绝。",
        "Errors marked with a rule id are refused by that rule.",
    ),
];

/// The page's bound on a whole form: the commit's base64 of the largest file, and the rest.
const MAX_FORM: usize = MAX_UPLOAD / 3 * 4 + 64 * 1024;

/// This module's routes.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/import", get(page).post(submit))
        .layer(DefaultBodyLimit::max(MAX_FORM))
}

fn kind_label(kind: ImportKind, lang: Lang) -> &'static str {
    match kind {
        ImportKind::People => lang.pick("人员", "People"),
        ImportKind::Carriers => lang.pick("涉密载体", "Carriers"),
        ImportKind::Devices => lang.pick("设备", "Devices"),
    }
}

/// The kinds, for the form's choice, with their columns as the API describes them.
async fn kinds(web: &Web, headers: &HeaderMap, lang: Lang) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in ImportKind::ALL {
        let columns = match web
            .call(
                Method::GET,
                &format!("/api/v1/imports/{}/template?format=json", kind.code()),
                headers,
                None,
                None,
            )
            .await
        {
            Ok(answer) if answer.ok() => answer
                .body
                .get("columns")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    let pick = |zh: &str, en: &str| {
                        c.get(lang.pick(zh, en)).cloned().unwrap_or(Value::Null)
                    };
                    json!({
                        "header": pick("header_zh", "header_en"),
                        "other": lang.pick(
                            c.get("header_en").and_then(Value::as_str).unwrap_or(""),
                            c.get("header_zh").and_then(Value::as_str).unwrap_or(""),
                        ),
                        "aliases": c.get("aliases").cloned().unwrap_or(Value::Null),
                        "required": c.get("required").cloned().unwrap_or(Value::Null),
                        "help": pick("help_zh", "help_en"),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        out.push(json!({
            "code": kind.code(),
            "label": kind_label(kind, lang),
            "columns": columns,
        }));
    }
    out
}

/// `GET /import` query: the kind to preselect, and the ids just imported.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

/// `GET /import`: the form, or (after a commit) the records it registered.
async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    finish(page_inner(&web, &headers, &query).await)
}

async fn page_inner(web: &Web, headers: &HeaderMap, query: &PageQuery) -> PageResult {
    let principal = who(web, headers, "/api/v1/auth/me").await?;
    let kind = query.kind.as_deref().and_then(ImportKind::parse);
    if let (Some(kind), Some(created)) = (kind, query.created.as_deref()) {
        let ids = expand_ids(created);
        let links: Vec<Value> = ids.iter().map(|id| json!({ "id": id })).collect();
        return Ok(view(
            web,
            &principal,
            StatusCode::OK,
            web.state.config.system_level,
            json!({
                "stage": "done",
                "kind": kind.code(),
                "kind_label": kind_label(kind, principal.lang),
                "created": links,
            }),
        ));
    }
    Ok(choose(web, &principal, headers, kind, None, StatusCode::OK).await)
}

fn view(
    web: &Web,
    principal: &Principal,
    status: StatusCode,
    banner: Level,
    context: Value,
) -> Response {
    render(
        "import.html",
        status,
        principal.lang,
        banner,
        merge(base(web, principal, "/import", "import"), context),
    )
}

/// The form (with a refusal above it, when there is one).
async fn choose(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    kind: Option<ImportKind>,
    refusal: Option<Value>,
    status: StatusCode,
) -> Response {
    let kinds = kinds(web, headers, principal.lang).await;
    view(
        web,
        principal,
        status,
        web.state.config.system_level,
        json!({
            "stage": "choose",
            "kind": kind.map(ImportKind::code),
            "kinds": kinds,
            "refusal": refusal,
        }),
    )
}

/// Ids as ascending ranges (`3-7,9`), and back (at most [`MAX_ROWS`] of them).
fn compact_ids(ids: &[i64]) -> String {
    crate::api::common::id_ranges(ids)
}

fn expand_ids(text: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let (start, end) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<i64>(), b.trim().parse::<i64>()),
            None => (part.trim().parse::<i64>(), part.trim().parse::<i64>()),
        };
        let (Ok(start), Ok(end)) = (start, end) else {
            continue;
        };
        let mut id = start;
        while id <= end && out.len() < MAX_ROWS {
            out.push(id);
            match id.checked_add(1) {
                Some(next) => id = next,
                None => break,
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648, standard alphabet, padded)
// ---------------------------------------------------------------------------------------------

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        ALPHABET
            .iter()
            .position(|a| *a == c)
            .and_then(|p| u32::try_from(p).ok())
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (i, quad) in clean.chunks(4).enumerate() {
        let last = i + 1 == quads;
        let pad = quad.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n: u32 = 0;
        for (j, c) in quad.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { value(*c)? };
            n = (n << 6) | v;
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.push(a);
        if pad < 2 {
            out.push(b);
        }
        if pad < 1 {
            out.push(c);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------------

/// The multipart form, read within bounds.
#[derive(Default)]
struct ImportForm {
    csrf: String,
    kind: String,
    step: String,
    sha256: String,
    name: String,
    file: Option<Vec<u8>>,
    data: Option<String>,
}

impl std::fmt::Debug for ImportForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportForm")
            .field("kind", &self.kind)
            .field("step", &self.step)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why the form could not be read.
#[derive(Debug)]
enum FormProblem {
    TooLarge,
    Malformed,
}

impl FormProblem {
    fn refusal(&self, lang: Lang) -> (StatusCode, Value) {
        let (status, zh, en) = match self {
            FormProblem::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("文件过大：至多 {} MiB", MAX_UPLOAD / (1024 * 1024)),
                format!(
                    "the file is too large: at most {} MiB",
                    MAX_UPLOAD / (1024 * 1024)
                ),
            ),
            FormProblem::Malformed => (
                StatusCode::BAD_REQUEST,
                "表单不完整，请重新选择文件".to_owned(),
                "the form was incomplete; choose the file again".to_owned(),
            ),
        };
        (
            status,
            json!({ "status": status.as_u16(), "rule": null, "message": lang.pick(&zh, &en) }),
        )
    }
}

async fn field_bytes(
    field: &mut axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<Vec<u8>, FormProblem> {
    let mut out = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if out.len().saturating_add(chunk.len()) > max {
                    return Err(FormProblem::TooLarge);
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(FormProblem::TooLarge)
            }
            Err(_) => return Err(FormProblem::Malformed),
        }
    }
}

async fn field_text(
    field: &mut axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<String, FormProblem> {
    String::from_utf8(field_bytes(field, max).await?).map_err(|_| FormProblem::Malformed)
}

async fn read_form(mut multipart: Multipart) -> Result<ImportForm, FormProblem> {
    let mut form = ImportForm::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(form),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(FormProblem::TooLarge)
            }
            Err(_) => return Err(FormProblem::Malformed),
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "csrf" => form.csrf = field_text(&mut field, 256).await?,
            "kind" => form.kind = field_text(&mut field, 32).await?,
            "step" => form.step = field_text(&mut field, 32).await?,
            "sha256" => form.sha256 = field_text(&mut field, 128).await?,
            "name" => form.name = field_text(&mut field, 1024).await?,
            "file" => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                form.file = Some(field_bytes(&mut field, MAX_UPLOAD).await?);
                if form.name.is_empty() {
                    form.name = file_name;
                }
            }
            "data" => form.data = Some(field_text(&mut field, MAX_FORM).await?),
            // Unknown fields are read past, within the same bound.
            _ => {
                field_bytes(&mut field, 1024).await?;
            }
        }
    }
}

fn content_type_of(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"PK\x03\x04") {
        XLSX_TYPE
    } else {
        "text/csv"
    }
}

/// `POST /import`: the preview (`step=preview`, a file) or the commit (`step=commit`, the file
/// previewed).
async fn submit(State(web): State<Web>, headers: HeaderMap, multipart: Multipart) -> Response {
    finish(submit_inner(&web, &headers, multipart).await)
}

async fn submit_inner(web: &Web, headers: &HeaderMap, multipart: Multipart) -> PageResult {
    let principal = who(web, headers, "/api/v1/auth/me").await?;
    let lang = principal.lang;
    let form = match read_form(multipart).await {
        Ok(form) => form,
        Err(problem) => {
            let (status, refusal) = problem.refusal(lang);
            return Ok(choose(web, &principal, headers, None, Some(refusal), status).await);
        }
    };
    let Some(kind) = ImportKind::parse(form.kind.trim()) else {
        let (status, refusal) = FormProblem::Malformed.refusal(lang);
        return Ok(choose(web, &principal, headers, None, Some(refusal), status).await);
    };
    let commit = form.step == "commit";
    let bytes = if commit {
        form.data.as_deref().and_then(base64_decode)
    } else {
        form.file.clone()
    };
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        let (status, refusal) = FormProblem::Malformed.refusal(lang);
        return Ok(choose(web, &principal, headers, Some(kind), Some(refusal), status).await);
    };
    let mut uri = format!(
        "/api/v1/imports/{}?commit={}",
        kind.code(),
        if commit { "true" } else { "false" }
    );
    if commit {
        let digest: String = form
            .sha256
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect();
        uri.push_str(&format!("&sha256={digest}"));
    }
    let data = (!commit).then(|| base64_encode(&bytes));
    let answer = web
        .send(
            Method::POST,
            &uri,
            headers,
            Some(&form.csrf),
            Some((content_type_of(&bytes), bytes)),
        )
        .await
        .map_err(|e| super::pages::error_page(web, &e, lang))?;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(see_other("/login"));
    }
    if answer.status == StatusCode::CREATED {
        let ids: Vec<i64> = rows(&answer)
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect();
        return Ok(see_other(&format!(
            "/import?kind={}&created={}",
            kind.code(),
            compact_ids(&ids)
        )));
    }
    let previewed = answer.status == StatusCode::OK
        || (answer.status == StatusCode::UNPROCESSABLE_ENTITY && answer.body.get("rows").is_some());
    if !previewed {
        return Ok(choose(
            web,
            &principal,
            headers,
            Some(kind),
            Some(refusal_of(&answer)),
            answer.status,
        )
        .await);
    }
    let data = match data {
        Some(data) => Some(data),
        None => form.data.clone(),
    };
    Ok(preview(web, &principal, kind, &form.name, &answer, data))
}

fn rows(answer: &Answer) -> Vec<Value> {
    answer
        .body
        .get("rows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The preview (or a refused commit): every row with its values and errors.
fn preview(
    web: &Web,
    principal: &Principal,
    kind: ImportKind,
    name: &str,
    answer: &Answer,
    data: Option<String>,
) -> Response {
    let lang = principal.lang;
    let columns: Vec<Value> = answer
        .body
        .get("columns")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let label_of = |key: &str| -> Value {
        columns
            .iter()
            .find(|c| c.get("key").and_then(Value::as_str) == Some(key))
            .and_then(|c| c.get("label").cloned())
            .unwrap_or_else(|| Value::from(key))
    };
    let rows: Vec<Value> = rows(answer)
        .into_iter()
        .map(|mut r| {
            let errors: Vec<Value> = r
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut e| {
                    let column = e.get("column").and_then(Value::as_str).map(&label_of);
                    if let Some(map) = e.as_object_mut() {
                        map.insert("column_label".into(), column.unwrap_or(Value::Null));
                    }
                    e
                })
                .collect();
            if let Some(map) = r.as_object_mut() {
                map.insert("errors".into(), Value::Array(errors));
            }
            r
        })
        .collect();
    let banner = highest(
        rows.iter()
            .filter_map(|r| r.get("level").and_then(Value::as_str)),
        web.state.config.system_level,
    );
    let invalid = answer
        .body
        .get("invalid")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let status = if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
        answer.status
    } else {
        StatusCode::OK
    };
    let refusal = (answer.status == StatusCode::UNPROCESSABLE_ENTITY).then(|| refusal_of(answer));
    view(
        web,
        principal,
        status,
        banner,
        json!({
            "stage": "preview",
            "kind": kind.code(),
            "kind_label": kind_label(kind, lang),
            "file_name": name,
            "answer": {
                "sha256": answer.body.get("sha256"),
                "format": answer.body.get("format"),
                "encoding": answer.body.get("encoding"),
                "total": answer.body.get("total"),
                "valid": answer.body.get("valid"),
                "invalid": invalid,
            },
            "columns": columns,
            "rows": rows,
            "can_commit": invalid == 0,
            "data": if invalid == 0 { data } else { None },
            "refusal": refusal,
        }),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn r13_3_base64_round_trips() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64_encode(&bytes);
            assert_eq!(base64_decode(&text).unwrap(), bytes, "{len}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm9v\nYmE="), Some(b"fooba".to_vec()));
        assert_eq!(base64_decode("Zm9"), None);
        assert_eq!(base64_decode("Zm=v"), None);
        assert_eq!(base64_decode("Z!9v"), None);
    }

    #[test]
    fn r13_3_created_ids_compact_and_expand() {
        assert_eq!(compact_ids(&[5, 3, 4, 9]), "3-5,9");
        assert_eq!(expand_ids("3-5,9"), vec![3, 4, 5, 9]);
        assert_eq!(expand_ids("x,2"), vec![2]);
        assert_eq!(expand_ids("1-99999999").len(), MAX_ROWS);
    }
}
