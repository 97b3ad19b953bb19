//! Import of people, carriers and devices from a CSV or XLSX file (R13.3): a preview with every
//! row's values and errors, and **nothing written unless every row of the file is valid**.
//!
//! ## The API
//!
//! * `POST /api/v1/imports/{people|carriers|devices}?commit=false|true[&sha256=HEX]` — the body
//!   is the file itself. An XLSX workbook is told by its first bytes (`PK\x03\x04`); anything
//!   else is read as CSV. Send a `Content-Type` (`text/csv`, the XLSX media type or
//!   `application/octet-stream`): a body without one is taken for JSON by the API's body bound.
//!   The answer lists every data row with its number in the file (the header is row 1 when it
//!   is the first line), its values by column, the ids the names resolved to, and its errors
//!   (column, message in Chinese and English, the DOMAIN rule when a rule refuses it, a reason
//!   code), plus the totals (`total`, `valid`, `invalid`).
//!   - `commit=false` (the default) is a **dry run**: every row is registered exactly as the
//!     single registration would register it, inside one write transaction that is then rolled
//!     back. So the preview reports what the commit would meet, duplicates within the file
//!     included. Answer 200.
//!   - `commit=true` does the same and commits the one transaction only if every row is valid
//!     (201, with each row's new `id`); otherwise it writes nothing and answers 422
//!     (`reason: import_invalid`) with the same rows and errors. With `sha256=` the file must be
//!     the one previewed (its SHA-256, as the preview reported it), else 409 `file_changed`.
//! * `GET /api/v1/imports/{kind}/template?format=csv|xlsx|json` — an empty table with the
//!   columns' headers in the caller's language (`*` marks a required column; the parenthesis
//!   after a header lists what it accepts and is ignored when the file is read back), made by
//!   [`crate::export`]; `format=json` describes the columns.
//!
//! ## Rules, authorisation and audit
//!
//! Each row goes through the registration code of its ledger — `people::register_in`,
//! `carriers::register_row`, `devices::register_in` — so every rule a single registration
//! enforces is enforced per row: R2.2 (appointment checklist of a classified post) for people;
//! R3.2 (numbering, marking with its matter's level, unique number and copy in the unit), R1.7
//! (knowledge scope) and R2.1 (the registrant and the custodian cleared for the carrier) for
//! carriers; R2.1 (the holder cleared for the device's level) and a unique asset number for
//! devices. Who may import is who may register: the confidentiality office for people (R2.2,
//! `people::require_office`), the unit's device managers for devices (`devices::manages_any`,
//! R13.3); carriers are decided per row by the access decision (R13.1), as
//! `POST /api/v1/carriers` does. A refused importer is audited as a denial (`import.<kind>`).
//! A committed import writes each record's own `*.register` entry and one `import.<kind>`
//! entry (the file's SHA-256, size, format, encoding, row counts, the new ids, outcome
//! `committed`) in the same transaction; a preview (`previewed`), a refused commit (denied,
//! `import_invalid`) and a refused file (denied, with the file's reason code) are audited
//! with one `import.<kind>` entry each.
//!
//! ## Names instead of ids
//!
//! People are named by **login**, or by **name** when exactly one person of the importer's unit
//! has it; departments by name within the importer's unit; units by name; matters by id
//! (digits) or exact title among the matters the importer may read. A name that matches nobody
//! is `unknown_*`, one that matches several is `ambiguous_*`, reported on its row and column.
//! Lists in a cell are separated by `、` `,` `，` (or `;` `；`). A knowledge scope (carriers
//! without a matter, R1.7) is `张伟、li.na` for named persons, and `保密办：李娜、王芳` for persons
//! limited to a department of the importer's unit or to a unit (by name); several groups are
//! separated by `;` or `；`.
//!
//! ## Columns
//!
//! Headers are matched in Chinese or English, case and spaces ignored, a trailing `*` and
//! anything from the first `(` / `（` on ignored, as are the aliases listed in [`ImportKind::columns`].
//! An unknown, repeated or missing required column refuses the whole file (400).
//!
//! People (`POST /api/v1/people`):
//!
//! | Header | Key | | Accepts |
//! |---|---|---|---|
//! | 姓名 | `name` | required | 1 to 64 characters |
//! | 部门 | `departments` | | department names of the importer's unit, separated by `、` |
//! | 岗位 | `post` | | text |
//! | 涉密类别 | `category` | | 核心 / 重要 / 一般 (`core`, `important`, `general`); empty: not a classified post |
//! | 上岗条件 | `checklist` | | R2.2 conditions met: 全部 (`all`), or 国籍、政治立场、品行、能力、人事审查、保密审查、承诺书 |
//! | 承诺书签订日期 | `commitment_signed_on` | | a date, not after today |
//!
//! Carriers (`POST /api/v1/carriers`):
//!
//! | Header | Key | | Accepts |
//! |---|---|---|---|
//! | 编号 | `number` | required | the unit-wide number (R3.2) |
//! | 份号 | `copy` | | a whole number from 1 (default 1) |
//! | 类型 | `kind` | required | 文件、图纸、书刊资料、光盘、U盘、移动硬盘、硬盘、磁带、软盘、涉密设备、涉密产品 (or the English names or codes) |
//! | 密级标志 | `marking` | | `机密★10年`, `秘密★2031年6月30日`, or a level; default the matter's mark |
//! | 名称 | `title` | required | text |
//! | 所属事项 | `matter` | | a matter's id or exact title |
//! | 知悉范围 | `scope` | | required without a matter (R1.7); see above |
//! | 存放地点 | `location` | required | text |
//! | 保管人 | `custodian` | | login or name; default the importer |
//!
//! Devices (`POST /api/v1/devices`):
//!
//! | Header | Key | | Accepts |
//! |---|---|---|---|
//! | 编号 | `number` | required | the unit's asset number (unique) |
//! | 类型 | `kind` | required | 台式计算机、便携式计算机、服务器、U盘、移动硬盘、光盘、存储卡、打印机、复印机、扫描仪、传真机、多功能一体机、网络设备、手机、其他设备 (or English names or codes) |
//! | 密级 | `level` | required | 绝密、机密、秘密、内部、非密 (or `top_secret` … `unclassified`) |
//! | 序列号 | `serial` | required | the manufacturer's serial |
//! | 名称 | `name` | required | brand and model |
//! | 使用部门 | `department` | | a department name of the importer's unit |
//! | 责任人 | `holder` | | login or name |
//! | 存放地点 | `location` | | text |
//! | 口令更换日期 | `password_changed` | | a date (computers, R4.2) |
//! | 第二因子 | `second_factor` | | IC卡、USB Key、生理特征、一次性口令 (needs the date) |
//!
//! Dates are `2026-03-02`, `2026/3/2`, `2026.3.2` or `2026年3月2日`, or a date cell of the
//! workbook.
//!
//! ## Hostile files
//!
//! * At most [`MAX_UPLOAD`] bytes (413 `file_too_large`, refused before the rest is read),
//!   [`MAX_ROWS`] data rows (413 `too_many_rows`), [`MAX_COLUMNS`] columns, [`MAX_CELL_CHARS`]
//!   characters a cell (a row error), [`MAX_TABLE_TEXT`] bytes of cell text in all (413: a
//!   workbook's shared strings can repeat one long text in every cell).
//! * XLSX is a zip archive: its central directory is checked **before anything is inflated**
//!   — at most [`MAX_ZIP_ENTRIES`] entries, no ZIP64, the declared uncompressed sizes at most
//!   [`MAX_INFLATED`] in all — and then every entry is inflated once through a counter that stops
//!   at the same bound and must find exactly the declared size (413 `archive_too_large`, 400
//!   `damaged_archive`), before calamine reads the workbook. Only the first worksheet is read,
//!   cell by cell (calamine's streaming reader), within the row, column and text bounds.
//!   Legacy `.xls` files (415 `unsupported_format`), encrypted workbooks and anything calamine
//!   cannot read are refused (400 `unreadable_workbook`). Reading runs on the blocking pool;
//!   a reader that panics on a malformed file is answered 400, never brings the service down.
//! * Formula cells are never evaluated: a workbook cell is read as the value the spreadsheet
//!   stored with it, as text; a cell holding a spreadsheet error (`#N/A`) is a row error. CSV
//!   cells are text (a leading `=` is kept as written).
//! * Encodings: UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark (Excel's
//!   "Unicode text"), else GB18030 (which includes GBK, what Chinese Excel writes). Bytes that
//!   none of them decodes, or text with control characters, are a 400 `bad_encoding`. The
//!   delimiter is the one of `,` `;` tab that the header line uses most (`,` on a tie).

use crate::api::carriers::{self, RegisterBody};
use crate::api::common::bounded_detail;
use crate::api::devices::{self, NewDevice, PasswordRecord};
use crate::api::matters::MatterRecord;
use crate::api::people::{self, NewPerson};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::export::{table_response, ExportFormat, ExportQuery};
use crate::ledger::load_all_for_update;
use crate::people::Person;
use crate::state::{civil_day, AppState};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{decide, Action, KnowledgeScope, Organisation, ScopeGroup, ScopeHolder};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::carriers::CarrierKind;
use baomi_core::devices::{DeviceKind, SecondFactor};
use baomi_core::ids::{DepartmentId, MatterId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_core::personnel::{AppointmentCondition, Category};
use baomi_core::{Describe, Lang};
use baomi_store::{RecordFilter, WriteTx};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};

/// Largest file accepted, in bytes.
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 10_000;
/// Most columns in one file.
pub const MAX_COLUMNS: usize = 64;
/// Longest cell, in characters (the API's bound on any text, [`crate::api::MAX_TEXT_CHARS`]).
pub const MAX_CELL_CHARS: usize = crate::api::MAX_TEXT_CHARS;
/// Most bytes of cell text in one file.
pub const MAX_TABLE_TEXT: usize = 16 * 1024 * 1024;
/// Most entries in an XLSX archive (a workbook has a dozen or two).
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// Most bytes an XLSX archive may inflate to, all entries together.
pub const MAX_INFLATED: u64 = 32 * 1024 * 1024;
/// The XLSX media type.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The import's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/imports/{kind}", post(import))
        .route("/api/v1/imports/{kind}/template", get(template))
}

// ---------------------------------------------------------------------------------------------
// Kinds and columns
// ---------------------------------------------------------------------------------------------

/// What a file imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// The people ledger (R2).
    People,
    /// The carriers ledger (R3).
    Carriers,
    /// The devices ledger (R4).
    Devices,
}

/// One column of an import file.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The key (the registration's field, or the English header).
    pub key: &'static str,
    /// The Chinese header.
    pub zh: &'static str,
    /// The English header.
    pub en: &'static str,
    /// Other headers accepted for it.
    pub aliases: &'static [&'static str],
    /// Whether every file must have it.
    pub required: bool,
    /// What it accepts, in short (shown in the template's header), Chinese.
    pub hint_zh: &'static str,
    /// What it accepts, in short, English.
    pub hint_en: &'static str,
    /// What it accepts, Chinese.
    pub help_zh: &'static str,
    /// What it accepts, English.
    pub help_en: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn col(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    hint: (&'static str, &'static str),
    help: (&'static str, &'static str),
) -> Column {
    Column {
        key,
        zh,
        en,
        aliases,
        required,
        hint_zh: hint.0,
        hint_en: hint.1,
        help_zh: help.0,
        help_en: help.1,
    }
}

const PEOPLE_COLUMNS: &[Column] = &[
    col(
        "name",
        "姓名",
        "name",
        &["full name"],
        true,
        ("", ""),
        ("1 至 64 个字符", "1 to 64 characters"),
    ),
    col(
        "departments",
        "部门",
        "departments",
        &["所在部门", "department"],
        false,
        ("本单位部门名称，用“、”分隔", "department names, separated by 、 or ,"),
        (
            "本单位的部门名称，多个用“、”分隔",
            "names of departments of your unit, separated by 、 or commas",
        ),
    ),
    col(
        "post",
        "岗位",
        "post",
        &["职务"],
        false,
        ("", ""),
        ("岗位名称", "the post"),
    ),
    col(
        "category",
        "涉密类别",
        "category",
        &["类别", "人员类别"],
        false,
        ("核心/重要/一般，非涉密岗位留空", "core/important/general; empty if not classified"),
        (
            "核心、重要或一般（R2.1）；非涉密岗位留空",
            "core, important or general (R2.1); empty for a post that is not classified",
        ),
    ),
    col(
        "checklist",
        "上岗条件",
        "checklist",
        &["审查条件", "conditions"],
        false,
        ("涉密岗位须“全部”", "classified posts: all"),
        (
            "涉密岗位须满足全部上岗条件（R2.2）：写“全部”，或列出已满足的条件：国籍、政治立场、品行、能力、人事审查、保密审查、承诺书",
            "a classified post needs every appointment condition (R2.2): write all, or list the conditions met: nationality, loyalty, reliability, competence, personnel_review, confidentiality_review, commitment_signed",
        ),
    ),
    col(
        "commitment_signed_on",
        "承诺书签订日期",
        "commitment signed on",
        &["承诺书日期", "commitment_signed"],
        false,
        ("日期", "date"),
        (
            "保密承诺书签订日期，不晚于今天（默认：条件含承诺书时为今天）",
            "the day the commitment letter was signed, not after today (default today when the checklist says so)",
        ),
    ),
];

const CARRIER_COLUMNS: &[Column] = &[
    col(
        "number",
        "编号",
        "number",
        &["载体编号", "文号", "carrier number"],
        true,
        ("", ""),
        (
            "载体编号；与份号一起在本单位内唯一（R3.2）",
            "the carrier's number; unique in the unit together with the copy number (R3.2)",
        ),
    ),
    col(
        "copy",
        "份号",
        "copy",
        &["copy number"],
        false,
        ("默认 1", "default 1"),
        ("从 1 起的整数，默认 1", "a whole number from 1, default 1"),
    ),
    col(
        "kind",
        "类型",
        "kind",
        &["载体类型", "种类", "carrier kind"],
        true,
        (
            "文件/图纸/书刊资料/光盘/U盘/移动硬盘/硬盘/磁带/软盘/涉密设备/涉密产品",
            "document/drawing/book/optical disc/USB disk/portable drive/hard disk/tape/floppy disk/equipment/product",
        ),
        (
            "载体类型（R3.1）：文件、图纸、书刊资料、光盘、U盘、移动硬盘、硬盘、磁带、软盘、涉密设备、涉密产品",
            "the kind (R3.1): document, drawing, book, optical disc, USB disk, portable drive, hard disk, tape, floppy disk, equipment, product",
        ),
    ),
    col(
        "marking",
        "密级标志",
        "marking",
        &["密级", "标志", "mark", "level"],
        false,
        ("如 机密★10年；有所属事项时可空", "e.g. 机密★10年; may be empty with a matter"),
        (
            "密级标志（R1.3），如“机密★10年”“秘密★2031年6月30日”，或只写密级；有所属事项时可空（取事项的标志），须与事项密级一致",
            "the mark (R1.3), e.g. 机密★10年 or SECRET//2031-06-30, or only a level; may be empty when the carrier has a matter (its mark is used), and must carry the matter's level",
        ),
    ),
    col(
        "title",
        "名称",
        "title",
        &["标题", "文件名称", "题名", "载体名称"],
        true,
        ("", ""),
        ("名称或内容摘要", "the title or a description"),
    ),
    col(
        "matter",
        "所属事项",
        "matter",
        &["事项", "定密事项"],
        false,
        ("事项编号或完整标题", "matter id or exact title"),
        (
            "所属国家秘密事项的编号或完整标题（须是您可查看的事项）；有事项时知悉范围随事项",
            "the matter's id or exact title (a matter you may read); the carrier then follows its knowledge scope",
        ),
    ),
    col(
        "scope",
        "知悉范围",
        "scope",
        &["knowledge scope"],
        false,
        ("无所属事项时必填", "required without a matter"),
        (
            "无所属事项时必填（R1.7）：人员的登录名或姓名，用“、”分隔；限定在部门或单位内的人员写作“保密办：李娜、王芳”，多组用“；”分隔",
            "required without a matter (R1.7): persons by login or name, separated by 、 or commas; persons limited to a department or unit as 保密办: li.na, wang.fang; groups separated by ;",
        ),
    ),
    col(
        "location",
        "存放地点",
        "location",
        &["存放位置", "位置"],
        true,
        ("", ""),
        ("存放地点（R3.2、R3.7）", "where it is kept (R3.2, R3.7)"),
    ),
    col(
        "custodian",
        "保管人",
        "custodian",
        &["责任人", "持有人", "holder"],
        false,
        ("登录名或姓名，默认导入人", "login or name; default you"),
        (
            "保管人的登录名，或本单位内唯一的姓名；默认为导入人；须能接触该载体（R2.1、R1.7）",
            "the custodian's login, or a name unique in your unit; default you; must be cleared for the carrier (R2.1, R1.7)",
        ),
    ),
];

const DEVICE_COLUMNS: &[Column] = &[
    col(
        "number",
        "编号",
        "number",
        &["资产编号", "设备编号", "asset number"],
        true,
        ("", ""),
        ("本单位资产编号（唯一）", "the unit's asset number (unique)"),
    ),
    col(
        "kind",
        "类型",
        "kind",
        &["设备类型", "种类", "device kind"],
        true,
        (
            "台式计算机/便携式计算机/服务器/U盘/移动硬盘/光盘/存储卡/打印机/复印机/扫描仪/传真机/多功能一体机/网络设备/手机/其他设备",
            "desktop computer/laptop/server/USB disk/portable drive/optical disc/memory card/printer/copier/scanner/fax machine/multifunction device/network device/mobile phone/other device",
        ),
        (
            "设备类型：台式计算机、便携式计算机、服务器、U盘、移动硬盘、光盘、存储卡、打印机、复印机、扫描仪、传真机、多功能一体机、网络设备、手机、其他设备",
            "the kind: desktop computer, laptop, server, USB disk, portable drive, optical disc, memory card, printer, copier, scanner, fax machine, multifunction device, network device, mobile phone, other device",
        ),
    ),
    col(
        "level",
        "密级",
        "level",
        &["设备密级", "classification"],
        true,
        ("绝密/机密/秘密/内部/非密", "top secret/confidential/secret/internal/unclassified"),
        (
            "设备存储、处理信息的最高密级（R4.1）：绝密、机密、秘密、内部、非密",
            "the highest level it stores or processes (R4.1): top secret, confidential, secret, internal, unclassified",
        ),
    ),
    col(
        "serial",
        "序列号",
        "serial",
        &["出厂编号", "serial number"],
        true,
        ("", ""),
        ("出厂序列号", "the manufacturer's serial"),
    ),
    col(
        "name",
        "名称",
        "name",
        &["品牌型号", "设备名称", "model", "title"],
        true,
        ("品牌型号", "brand and model"),
        ("品牌和型号", "brand and model"),
    ),
    col(
        "department",
        "使用部门",
        "department",
        &["部门"],
        false,
        ("", ""),
        ("本单位的部门名称", "a department of your unit, by name"),
    ),
    col(
        "holder",
        "责任人",
        "holder",
        &["保管人", "使用人", "custodian"],
        false,
        ("登录名或姓名", "login or name"),
        (
            "责任人的登录名，或本单位内唯一的姓名；须是本单位人员且涉密类别覆盖设备密级（R2.1）",
            "the holder's login, or a name unique in your unit; a person of the unit whose category covers the device's level (R2.1)",
        ),
    ),
    col(
        "location",
        "存放地点",
        "location",
        &["放置地点", "位置"],
        false,
        ("", ""),
        ("存放地点", "where it is kept"),
    ),
    col(
        "password_changed",
        "口令更换日期",
        "password changed",
        &["密码更换日期", "password_changed_on"],
        false,
        ("日期（计算机）", "date (computers)"),
        (
            "计算机口令最近一次更换的日期（R4.2）",
            "the day the computer's password was last changed (R4.2)",
        ),
    ),
    col(
        "second_factor",
        "第二因子",
        "second factor",
        &["身份鉴别"],
        false,
        ("IC卡/USB Key/生理特征", "IC card/USB key/biometric"),
        (
            "与口令一起使用的第二因子（R4.2）：IC卡、USB Key、生理特征、一次性口令；须同时填写口令更换日期",
            "the second factor used with the password (R4.2): IC card, USB key, biometric, one-time password; needs the password date",
        ),
    ),
];

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 3] = [
        ImportKind::People,
        ImportKind::Carriers,
        ImportKind::Devices,
    ];

    /// The kind named in the path (`people`, `carriers`, `devices`).
    pub fn parse(text: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.code() == text)
    }

    /// The path name.
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::People => "people",
            ImportKind::Carriers => "carriers",
            ImportKind::Devices => "devices",
        }
    }

    /// The columns a file of this kind has.
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::People => PEOPLE_COLUMNS,
            ImportKind::Carriers => CARRIER_COLUMNS,
            ImportKind::Devices => DEVICE_COLUMNS,
        }
    }

    /// The audit action of an import of this kind.
    fn action(self) -> &'static str {
        match self {
            ImportKind::People => "import.people",
            ImportKind::Carriers => "import.carriers",
            ImportKind::Devices => "import.devices",
        }
    }

    fn template_title(self, lang: Lang) -> &'static str {
        match self {
            ImportKind::People => lang.pick("人员导入模板", "People import template"),
            ImportKind::Carriers => lang.pick("载体导入模板", "Carriers import template"),
            ImportKind::Devices => lang.pick("设备导入模板", "Devices import template"),
        }
    }
}

fn unknown_kind(lang: Lang) -> ApiError {
    ApiError::not_found()
        .with_reason("unknown_import_kind")
        .in_lang(lang)
}

/// A header as compared: no byte-order mark, full-width ASCII folded, nothing from the first
/// parenthesis on, no `*`, no spaces, `_` and `-` as spaces (removed), ASCII lowercased.
fn header_key(text: &str) -> String {
    let folded: String = text
        .trim_start_matches('\u{feff}')
        .chars()
        .map(fold_width)
        .collect();
    let cut = folded
        .find(['(', '（'])
        .map_or(folded.as_str(), |at| folded.get(..at).unwrap_or(""));
    cut.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '_' | '-' | '　'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Full-width ASCII (`Ａ`, `＊`) to half-width; the ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        c => c,
    }
}

impl Column {
    fn matches(&self, key: &str) -> bool {
        header_key(self.zh) == key
            || header_key(self.en) == key
            || header_key(self.key) == key
            || self.aliases.iter().any(|a| header_key(a) == key)
    }

    /// The header written in a template.
    fn template_header(&self, lang: Lang) -> String {
        let (label, hint) = match lang {
            Lang::Zh => (self.zh, self.hint_zh),
            Lang::En => (self.en, self.hint_en),
        };
        let star = if self.required { "*" } else { "" };
        match (hint.is_empty(), lang) {
            (true, _) => format!("{label}{star}"),
            (false, Lang::Zh) => format!("{label}{star}（{hint}）"),
            (false, Lang::En) => format!("{label}{star} ({hint})"),
        }
    }

    fn describe(&self) -> Value {
        json!({
            "key": self.key,
            "header_zh": self.zh,
            "header_en": self.en,
            "aliases": self.aliases,
            "required": self.required,
            "help_zh": self.help_zh,
            "help_en": self.help_en,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Template
// ---------------------------------------------------------------------------------------------

/// `GET /api/v1/imports/{kind}/template?format=csv|xlsx|json`: the columns, as an empty table
/// to fill in or (json) described.
async fn template(
    principal: Principal,
    Path(kind): Path<String>,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let kind = ImportKind::parse(&kind).ok_or_else(|| unknown_kind(lang))?;
    if query
        .format
        .as_deref()
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("json"))
    {
        let columns: Vec<Value> = kind.columns().iter().map(Column::describe).collect();
        return Ok(Json(json!({
            "kind": kind.code(),
            "columns": columns,
            "max_upload_bytes": MAX_UPLOAD,
            "max_rows": MAX_ROWS,
        }))
        .into_response());
    }
    let format = ExportFormat::of(&query).map_err(|e| e.in_lang(lang))?;
    let headers: Vec<(String, String)> = kind
        .columns()
        .iter()
        .map(|c| (c.template_header(Lang::Zh), c.template_header(Lang::En)))
        .collect();
    let columns: Vec<(&str, &str)> = headers
        .iter()
        .map(|(zh, en)| (zh.as_str(), en.as_str()))
        .collect();
    Ok(table_response(
        kind.template_title(lang),
        &columns,
        Vec::new(),
        format,
        lang,
    ))
}

// ---------------------------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------------------------

/// Why a file is refused as a whole.
#[derive(Debug, Clone)]
struct FileError {
    status: StatusCode,
    reason: &'static str,
    zh: String,
    en: String,
}

impl FileError {
    fn new(
        status: StatusCode,
        reason: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> FileError {
        FileError {
            status,
            reason,
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn bad(reason: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FileError {
        FileError::new(StatusCode::BAD_REQUEST, reason, zh, en)
    }

    fn too_large(reason: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FileError {
        FileError::new(StatusCode::PAYLOAD_TOO_LARGE, reason, zh, en)
    }

    fn error(&self, lang: Lang) -> ApiError {
        let code = match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::CONFLICT => "conflict",
            _ => "bad_request",
        };
        ApiError::new(self.status, code, self.zh.clone(), self.en.clone())
            .with_reason(self.reason)
            .in_lang(lang)
    }
}

fn file_too_large() -> FileError {
    FileError::too_large(
        "file_too_large",
        format!("文件过大：至多 {} MiB", MAX_UPLOAD / (1024 * 1024)),
        format!(
            "the file is too large: at most {} MiB",
            MAX_UPLOAD / (1024 * 1024)
        ),
    )
}

/// A cell that cannot be taken as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CellProblem {
    /// Longer than [`MAX_CELL_CHARS`] (its text is cut for the answer).
    TooLong,
    /// A spreadsheet error value (`#N/A`, `#DIV/0!`).
    SpreadsheetError(String),
}

#[derive(Debug, Clone)]
struct RawCell {
    text: String,
    problem: Option<CellProblem>,
}

/// A file read as a table: the header and the non-empty rows, by their number in the file.
#[derive(Debug)]
struct Table {
    format: &'static str,
    encoding: &'static str,
    header: BTreeMap<usize, String>,
    rows: Vec<(u32, BTreeMap<usize, RawCell>)>,
}

/// Collects cells within the bounds.
#[derive(Debug, Default)]
struct Builder {
    rows: BTreeMap<u32, BTreeMap<usize, RawCell>>,
    text: usize,
}

impl Builder {
    fn cell(
        &mut self,
        row: u32,
        col: usize,
        text: &str,
        problem: Option<CellProblem>,
    ) -> Result<(), FileError> {
        let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if text.is_empty() && problem.is_none() {
            return Ok(());
        }
        if col >= MAX_COLUMNS {
            return Err(FileError::bad(
                "too_many_columns",
                format!("列数过多：至多 {MAX_COLUMNS} 列"),
                format!("too many columns: at most {MAX_COLUMNS}"),
            ));
        }
        self.text = self.text.saturating_add(text.len());
        if self.text > MAX_TABLE_TEXT {
            return Err(FileError::too_large(
                "too_much_text",
                format!(
                    "表格文字总量过大：至多 {} MiB",
                    MAX_TABLE_TEXT / (1024 * 1024)
                ),
                format!(
                    "the table holds too much text: at most {} MiB",
                    MAX_TABLE_TEXT / (1024 * 1024)
                ),
            ));
        }
        if !self.rows.contains_key(&row) && self.rows.len() > MAX_ROWS {
            return Err(too_many_rows());
        }
        let (text, problem) = if text.chars().count() > MAX_CELL_CHARS {
            let mut cut: String = text.chars().take(200).collect();
            cut.push('…');
            (cut, Some(CellProblem::TooLong))
        } else {
            (text.to_owned(), problem)
        };
        self.rows
            .entry(row)
            .or_default()
            .insert(col, RawCell { text, problem });
        Ok(())
    }

    fn finish(self, format: &'static str, encoding: &'static str) -> Result<Table, FileError> {
        let mut rows = self.rows.into_iter();
        let Some((_, header)) = rows.next() else {
            return Err(no_rows());
        };
        let header: BTreeMap<usize, String> =
            header.into_iter().map(|(c, cell)| (c, cell.text)).collect();
        let rows: Vec<(u32, BTreeMap<usize, RawCell>)> = rows.collect();
        if rows.is_empty() {
            return Err(no_rows());
        }
        Ok(Table {
            format,
            encoding,
            header,
            rows,
        })
    }
}

fn too_many_rows() -> FileError {
    FileError::too_large(
        "too_many_rows",
        format!("行数过多：一个文件至多 {MAX_ROWS} 行数据"),
        format!("too many rows: at most {MAX_ROWS} data rows a file"),
    )
}

fn no_rows() -> FileError {
    FileError::bad(
        "no_rows",
        "文件中没有数据：第一行为表头，其后每行一条记录",
        "the file holds no data: the first row is the header, then one record a row",
    )
}

/// Reads `bytes` as a table: XLSX by its magic, else CSV. `content_type` only refines the
/// error for a file that claims to be XLSX and is not.
fn read_table(bytes: &[u8], content_type: &str) -> Result<Table, FileError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        return Err(FileError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_format",
            "不支持旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV",
            "legacy Excel (.xls) files are not supported: save as .xlsx or CSV",
        ));
    }
    if content_type.contains("spreadsheetml") || content_type.contains("zip") {
        return Err(FileError::bad(
            "unreadable_workbook",
            "不是有效的 XLSX 工作簿",
            "not a valid XLSX workbook",
        ));
    }
    read_csv(bytes)
}

// CSV ------------------------------------------------------------------------------------------

/// The text of a CSV file and the name of its encoding.
fn decode(bytes: &[u8]) -> Result<(String, &'static str), FileError> {
    let bad_encoding = || {
        FileError::bad(
            "bad_encoding",
            "无法识别文件的编码：请保存为 UTF-8 或 GBK（GB18030）编码的 CSV，或 XLSX",
            "the file's encoding is not recognised: save it as CSV in UTF-8 or GBK (GB18030), or as XLSX",
        )
    };
    let (text, name) = if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        let text = std::str::from_utf8(rest).map_err(|_| bad_encoding())?;
        (text.to_owned(), "utf-8")
    } else if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        let (encoding, rest) = match bytes.split_at_checked(2) {
            Some((bom, rest)) if bom == b"\xff\xfe" => (encoding_rs::UTF_16LE, rest),
            Some((_, rest)) => (encoding_rs::UTF_16BE, rest),
            None => return Err(bad_encoding()),
        };
        let text = encoding
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(bad_encoding)?;
        let name = if encoding == encoding_rs::UTF_16LE {
            "utf-16le"
        } else {
            "utf-16be"
        };
        (text.into_owned(), name)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), "utf-8")
    } else {
        let text = encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(bad_encoding)?;
        (text.into_owned(), "gb18030")
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(FileError::bad(
            "bad_encoding",
            "文件含有控制字符，不是文本表格：请上传 CSV 或 XLSX",
            "the file holds control characters and is not a text table: upload CSV or XLSX",
        ));
    }
    Ok((text, name))
}

/// The delimiter the header line uses most: `,`, `;` or tab (`,` on a tie).
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let count = |c: char| first.chars().filter(|x| *x == c).count();
    let (comma, semicolon, tab) = (count(','), count(';'), count('\t'));
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma {
        b';'
    } else {
        b','
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, FileError> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut builder = Builder::default();
    let mut record = csv::StringRecord::new();
    let raw = text.as_bytes();
    let (mut counted_to, mut lines) = (0usize, 1usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(FileError::bad(
                    "malformed_csv",
                    format!("CSV 格式有误（第 {line} 行附近）：引号不配对或记录不完整"),
                    format!("malformed CSV near line {line}: unbalanced quotes or a broken record"),
                ));
            }
        }
        // The csv crate's own line count drifts over CRLF and blank lines: count the line
        // breaks before the record's first character instead.
        let mut start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(counted_to)
            .max(counted_to);
        while matches!(raw.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines += raw
            .get(counted_to..start)
            .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
        counted_to = start;
        let row = u32::try_from(lines).map_err(|_| too_many_rows())?;
        for (col, field) in record.iter().enumerate() {
            builder.cell(row, col, field, None)?;
        }
    }
    builder.finish("csv", encoding)
}

// XLSX -----------------------------------------------------------------------------------------

fn damaged() -> FileError {
    FileError::bad(
        "damaged_archive",
        "XLSX 文件已损坏（压缩包内容与目录不符）",
        "the XLSX file is damaged (its archive does not match its directory)",
    )
}

fn archive_too_large() -> FileError {
    FileError::too_large(
        "archive_too_large",
        format!(
            "XLSX 文件解压后过大（至多 {} MiB，或条目过多），已拒绝",
            MAX_INFLATED / (1024 * 1024)
        ),
        format!(
            "the XLSX file would inflate too far (at most {} MiB, or too many entries); refused",
            MAX_INFLATED / (1024 * 1024)
        ),
    )
}

fn le16(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_le_bytes([*b.first()?, *b.get(1)?])))
}

fn le32(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    let mut four = [0u8; 4];
    four.copy_from_slice(b);
    Some(u64::from(u32::from_le_bytes(four)))
}

/// The zip bomb guard: the end-of-central-directory records (no ZIP64; at most
/// [`MAX_ZIP_ENTRIES`] entries; the directory inside the file), then the declared sizes (at
/// most [`MAX_INFLATED`] in all) — all before inflating a byte — then every entry inflated
/// once through a counter that stops at the bound and must meet exactly its declared size.
fn check_zip(bytes: &[u8]) -> Result<(), FileError> {
    let tail_from = bytes.len().saturating_sub(22 + 65_535);
    let tail = bytes.get(tail_from..).unwrap_or(&[]);
    let has = |needle: &[u8]| tail.windows(needle.len()).any(|w| w == needle);
    if has(b"PK\x06\x06") || has(b"PK\x06\x07") {
        return Err(archive_too_large());
    }
    let mut found = false;
    for (i, w) in tail.windows(4).enumerate() {
        if w != b"PK\x05\x06" {
            continue;
        }
        let at = tail_from + i;
        let (Some(entries), Some(total), Some(size), Some(offset)) = (
            le16(bytes, at + 8),
            le16(bytes, at + 10),
            le32(bytes, at + 12),
            le32(bytes, at + 16),
        ) else {
            continue;
        };
        if entries > MAX_ZIP_ENTRIES || total > MAX_ZIP_ENTRIES || entries == 0xffff {
            return Err(archive_too_large());
        }
        if offset.saturating_add(size) > bytes.len() as u64 || size == 0xffff_ffff {
            return Err(damaged());
        }
        found = true;
    }
    if !found {
        return Err(damaged());
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| damaged())?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(archive_too_large());
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| damaged())?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_INFLATED {
        return Err(archive_too_large());
    }
    let mut budget = MAX_INFLATED;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| {
            FileError::bad(
                "unreadable_workbook",
                "无法读取 XLSX 文件（可能已加密）",
                "the XLSX file cannot be read (it may be encrypted)",
            )
        })?;
        let size = entry.size();
        let inflated = std::io::copy(
            &mut entry.take(budget.saturating_add(1)),
            &mut std::io::sink(),
        )
        .map_err(|_| damaged())?;
        if inflated > budget {
            return Err(archive_too_large());
        }
        if inflated != size {
            return Err(damaged());
        }
        budget -= inflated;
    }
    Ok(())
}

/// A workbook cell as text: strings as they are, whole numbers without a fraction, dates as
/// `YYYY-MM-DD`; a formula cell is its stored value (never evaluated).
fn cell_text(value: &calamine::DataRef<'_>) -> (String, Option<CellProblem>) {
    use calamine::DataRef;
    match value {
        DataRef::Empty => (String::new(), None),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (s.clone(), None),
        DataRef::SharedString(s) => ((*s).to_owned(), None),
        DataRef::Int(i) => (i.to_string(), None),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                // Exact: a whole number below 2^53.
                #[allow(clippy::cast_possible_truncation)]
                let whole = *f as i64;
                (whole.to_string(), None)
            } else {
                (f.to_string(), None)
            }
        }
        DataRef::Bool(b) => ((if *b { "TRUE" } else { "FALSE" }).to_owned(), None),
        DataRef::DateTime(d) => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            if (h, min, s) == (0, 0, 0) {
                (format!("{y:04}-{m:02}-{day:02}"), None)
            } else {
                (
                    format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02}"),
                    None,
                )
            }
        }
        DataRef::Error(e) => {
            let text = e.to_string();
            (text.clone(), Some(CellProblem::SpreadsheetError(text)))
        }
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, FileError> {
    use calamine::Reader;
    check_zip(bytes)?;
    let unreadable = |e: &dyn std::fmt::Display| {
        let shown: String = e.to_string().chars().take(200).collect();
        FileError::bad(
            "unreadable_workbook",
            format!("无法读取 XLSX 工作簿：{shown}"),
            format!("the XLSX workbook cannot be read: {shown}"),
        )
    };
    let mut workbook: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        return Err(no_rows());
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable(&e))?;
    let mut builder = Builder::default();
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        let (row, col) = cell.get_position();
        let (text, problem) = cell_text(cell.get_value());
        // 1-based rows, as the spreadsheet shows them.
        let row = row.checked_add(1).ok_or_else(too_many_rows)?;
        let col = usize::try_from(col).unwrap_or(usize::MAX);
        builder.cell(row, col, &text, problem)?;
    }
    builder.finish("xlsx", "xlsx")
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/// One error of one row.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// The column's key, when the error is about one column.
    pub column: Option<&'static str>,
    /// The message in the caller's language.
    pub message: String,
    /// The message in Chinese.
    pub message_zh: String,
    /// The message in English.
    pub message_en: String,
    /// The DOMAIN rule that refuses it, if a rule does.
    pub rule: Option<&'static str>,
    /// A reason code (`unknown_person`, `duplicate_number`, the core's refusal code…).
    pub reason: String,
    /// The status the single registration would have answered.
    pub status: u16,
}

impl RowError {
    fn new(column: &'static str, reason: &str, zh: String, en: String, lang: Lang) -> RowError {
        RowError {
            column: Some(column),
            message: lang.pick(&zh, &en).to_owned(),
            message_zh: zh,
            message_en: en,
            rule: None,
            reason: reason.to_owned(),
            status: StatusCode::BAD_REQUEST.as_u16(),
        }
    }

    /// An error of the row as a whole.
    fn general(reason: &str, zh: String, en: String, lang: Lang) -> RowError {
        RowError {
            column: None,
            ..RowError::new("", reason, zh, en, lang)
        }
    }

    fn with_rule(mut self, rule: &'static str) -> RowError {
        self.rule = Some(rule);
        self
    }

    fn of(kind: ImportKind, e: &ApiError, lang: Lang) -> RowError {
        RowError {
            column: column_of(kind, e),
            message: lang.pick(&e.zh, &e.en).to_owned(),
            message_zh: e.zh.clone(),
            message_en: e.en.clone(),
            rule: e.rule.map(|r| r.0),
            reason: e.reason.clone().unwrap_or_else(|| e.code.to_owned()),
            status: e.status.as_u16(),
        }
    }
}

/// The column a registration's error is about, from its reason code.
fn column_of(kind: ImportKind, e: &ApiError) -> Option<&'static str> {
    let reason = e.reason.as_deref().unwrap_or("");
    let column = match (kind, reason) {
        (ImportKind::People, "appointment_conditions_unmet") => "checklist",
        (ImportKind::Carriers, "empty_number" | "duplicate_number") => "number",
        (ImportKind::Carriers, "empty_location") => "location",
        (ImportKind::Carriers, "empty_title") => "title",
        (ImportKind::Carriers, "not_classified") => "marking",
        (ImportKind::Carriers, r) if r.starts_with("custodian") => "custodian",
        (ImportKind::Devices, "number_taken") => "number",
        // The device registration refuses only its holder's clearance (R2.1).
        (ImportKind::Devices, _) if e.status == StatusCode::UNPROCESSABLE_ENTITY => "holder",
        (_, r) => r.strip_prefix("invalid_").unwrap_or(""),
    };
    kind.columns().iter().map(|c| c.key).find(|k| *k == column)
}

/// One row as answered.
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    /// Its number in the file (1 is the first line or spreadsheet row).
    pub row: u32,
    /// Whether it would be (or was) written.
    pub valid: bool,
    /// Its cells by column key, as read.
    pub values: BTreeMap<&'static str, String>,
    /// What names resolved to: column key → id or ids.
    pub resolved: BTreeMap<&'static str, Value>,
    /// The level of the record, when it has one (carriers, devices).
    pub level: Option<&'static str>,
    /// The new record's id (committed imports only).
    pub id: Option<i64>,
    /// Its errors.
    pub errors: Vec<RowError>,
    /// What is worth a look but does not stop it (a person of the same name exists).
    pub warnings: Vec<String>,
}

/// What names in cells resolve against: the importer's unit, its people and departments, the
/// units, and the matters the importer may read; logins looked up once each.

#[derive(Debug, Default)]
struct Names {
    people: Vec<(PersonId, String)>,
    departments: Vec<(DepartmentId, String)>,
    units: Vec<(UnitId, String)>,
    matters: Vec<(MatterId, String)>,
    logins: HashMap<String, Option<PersonId>>,
    /// What a scope's names are checked against (R1.7): the unit's people with their
    /// departments (the only people a cell resolves to), every unit and the unit's departments.
    org: Organisation,
}

impl Names {
    async fn load(
        tx: &mut WriteTx,
        principal: &Principal,
        kind: ImportKind,
        today: Date,
    ) -> ApiResult<Names> {
        let unit = principal.person.unit;
        let loaded = load_all_for_update::<Person>(
            tx,
            &RecordFilter {
                unit: Some(unit.0),
                ..RecordFilter::default()
            },
        )
        .await?;
        let members = loaded
            .iter()
            .map(|l| l.value.subject().membership)
            .collect();
        let people = loaded
            .into_iter()
            .map(|l| (l.value.id, l.value.name))
            .collect();
        let departments: Vec<(DepartmentId, String)> = tx
            .list_departments(unit)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let units: Vec<(UnitId, String)> = tx
            .list_units()
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let org = Organisation {
            people: members,
            units: units.iter().map(|(id, _)| *id).collect(),
            departments: departments.iter().map(|(id, _)| *id).collect(),
        };
        let matters = if kind == ImportKind::Carriers {
            let subject = principal.subject();
            load_all_for_update::<MatterRecord>(tx, &RecordFilter::default())
                .await?
                .into_iter()
                .filter(|l| {
                    decide(&subject, &l.value.object(today), Action::Read, today).is_allowed()
                })
                .map(|l| (l.value.matter.id(), l.value.matter.title().to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Names {
            people,
            departments,
            units,
            matters,
            org,
            logins: HashMap::new(),
        })
    }

    async fn login(&mut self, tx: &mut WriteTx, login: &str) -> ApiResult<Option<PersonId>> {
        if let Some(found) = self.logins.get(login) {
            return Ok(*found);
        }
        // Only logins of people of the importer's unit resolve: anything else is as unknown as
        // a login that does not exist, so the import is no login→id (or clearance) oracle.
        let found = tx
            .account_by_login(login)
            .await?
            .map(|a| a.person)
            .filter(|id| self.people.iter().any(|(p, _)| p == id));
        self.logins.insert(login.to_owned(), found);
        Ok(found)
    }

    /// A person by login, else by a name unique in the unit.
    async fn person(
        &mut self,
        tx: &mut WriteTx,
        column: &'static str,
        text: &str,
        lang: Lang,
    ) -> ApiResult<Result<PersonId, Box<RowError>>> {
        if let Some(id) = self.login(tx, text).await? {
            return Ok(Ok(id));
        }
        let found: Vec<PersonId> = self
            .people
            .iter()
            .filter(|(_, name)| name == text)
            .map(|(id, _)| *id)
            .collect();
        Ok(match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Box::new(RowError::new(
                column,
                "unknown_person",
                format!("找不到登录名或姓名为“{text}”的本单位人员"),
                format!("no person of your unit has the login or name \"{text}\""),
                lang,
            ))),
            many => Err(Box::new(RowError::new(
                column,
                "ambiguous_person",
                format!("本单位有 {} 人名为“{text}”：请改写登录名", many.len()),
                format!(
                    "{} people of your unit are named \"{text}\": write the login instead",
                    many.len()
                ),
                lang,
            ))),
        })
    }

    fn department(
        &self,
        column: &'static str,
        text: &str,
        lang: Lang,
    ) -> Result<DepartmentId, Box<RowError>> {
        unique(
            self.departments
                .iter()
                .filter(|(_, n)| n == text)
                .map(|(id, _)| *id),
            column,
            "department",
            ("部门", "department"),
            text,
            lang,
        )
    }

    fn unit(&self, column: &'static str, text: &str, lang: Lang) -> Result<UnitId, Box<RowError>> {
        unique(
            self.units
                .iter()
                .filter(|(_, n)| n == text)
                .map(|(id, _)| *id),
            column,
            "unit",
            ("单位", "unit"),
            text,
            lang,
        )
    }

    /// A matter by id (digits; the registration answers for it) or by exact title among the
    /// matters the importer may read.
    fn matter(
        &self,
        column: &'static str,
        text: &str,
        lang: Lang,
    ) -> Result<MatterId, Box<RowError>> {
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(id) = text.parse::<i64>() {
                return Ok(MatterId(id));
            }
        }
        unique(
            self.matters
                .iter()
                .filter(|(_, t)| t == text)
                .map(|(id, _)| *id),
            column,
            "matter",
            ("您可查看的事项", "matter you may read"),
            text,
            lang,
        )
    }
}

/// The one match, or an `unknown_…` / `ambiguous_…` error.
fn unique<T>(
    mut found: impl Iterator<Item = T>,
    column: &'static str,
    what: &str,
    (zh, en): (&str, &str),
    text: &str,
    lang: Lang,
) -> Result<T, Box<RowError>> {
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(Box::new(RowError::new(
            column,
            &format!("unknown_{what}"),
            format!("找不到名为“{text}”的{zh}"),
            format!("no {en} is named \"{text}\""),
            lang,
        ))),
        (Some(_), Some(_)) => Err(Box::new(RowError::new(
            column,
            &format!("ambiguous_{what}"),
            format!("名为“{text}”的{zh}不止一个"),
            format!("more than one {en} is named \"{text}\""),
            lang,
        ))),
    }
}

/// A cell's list: items separated by `、` `,` `，` `;` `；` (or line breaks), trimmed.
fn items(text: &str) -> Vec<&str> {
    text.split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn same(text: &str, name: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .map(fold_width)
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .collect::<String>()
            .to_lowercase()
    };
    norm(text) == norm(name)
}

fn code_of<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn choice<T: Copy + Serialize>(
    all: &[T],
    names: impl Fn(T) -> Vec<&'static str>,
    text: &str,
) -> Option<T> {
    all.iter()
        .copied()
        .find(|v| same(text, &code_of(*v)) || names(*v).into_iter().any(|n| same(text, n)))
}

fn bad_choice(column: &'static str, text: &str, allowed: &[String], lang: Lang) -> RowError {
    RowError::new(
        column,
        &format!("invalid_{column}"),
        format!("“{text}”不是可用的值；可用：{}", allowed.join("、")),
        format!(
            "\"{text}\" is not accepted; use one of: {}",
            allowed.join(", ")
        ),
        lang,
    )
}

fn level_of(text: &str) -> Option<Level> {
    choice(
        &Level::ALL,
        |l| {
            let mut names = vec![l.zh(), l.en()];
            match l {
                Level::Unclassified => names.push("非涉密"),
                Level::Internal => names.push("工作秘密"),
                _ => {}
            }
            names
        },
        text,
    )
}

fn category_of(text: &str) -> Option<Option<Category>> {
    if ["无", "非涉密", "none", "-"].iter().any(|n| same(text, n)) {
        return Some(None);
    }
    choice(
        &Category::ALL,
        |c| {
            let short = match c {
                Category::Core => "核心",
                Category::Important => "重要",
                Category::General => "一般",
            };
            vec![c.zh(), c.en(), short]
        },
        text,
    )
    .map(Some)
}

fn condition_of(text: &str) -> Option<AppointmentCondition> {
    choice(
        &AppointmentCondition::ALL,
        |c| {
            let short: &[&'static str] = match c {
                AppointmentCondition::Nationality => &["国籍"],
                AppointmentCondition::Loyalty => &["政治立场", "遵纪守法"],
                AppointmentCondition::Reliability => &["品行", "忠诚可靠"],
                AppointmentCondition::Competence => &["能力", "业务能力"],
                AppointmentCondition::PersonnelReview => &["人事审查"],
                AppointmentCondition::ConfidentialityReview => &["保密审查"],
                AppointmentCondition::CommitmentSigned => &["承诺书", "保密承诺书"],
            };
            let mut names = vec![c.zh(), c.en()];
            names.extend_from_slice(short);
            names
        },
        text,
    )
}

fn second_factor_of(text: &str) -> Option<SecondFactor> {
    choice(
        &[
            SecondFactor::IcCard,
            SecondFactor::UsbKey,
            SecondFactor::Biometric,
            SecondFactor::OneTimePassword,
        ],
        |f| match f {
            SecondFactor::IcCard => vec!["IC卡", "IC card"],
            SecondFactor::UsbKey => vec!["USB Key", "USBKey", "USB 钥匙"],
            SecondFactor::Biometric => vec!["生理特征", "生物特征", "biometric"],
            SecondFactor::OneTimePassword => vec!["一次性口令", "动态口令", "TOTP"],
        },
        text,
    )
}

/// A date: `2026-03-02`, `2026/3/2`, `2026.3.2`, `2026年3月2日`, with any time after it.
fn date_of(text: &str) -> Option<Date> {
    let day = text.split(['T', ' ']).next().unwrap_or("");
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

fn bad_date(column: &'static str, text: &str, lang: Lang) -> RowError {
    RowError::new(
        column,
        &format!("invalid_{column}"),
        format!("“{text}”不是日期（如 2026-03-02 或 2026年3月2日）"),
        format!("\"{text}\" is not a date (e.g. 2026-03-02)"),
        lang,
    )
}

/// A row's cells by column and what it is becoming.
struct RowWork<'a> {
    values: &'a BTreeMap<&'static str, String>,
    errors: Vec<RowError>,
    resolved: BTreeMap<&'static str, Value>,
    lang: Lang,
}

impl RowWork<'_> {
    fn text(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    fn fail(&mut self, e: RowError) {
        self.errors.push(e);
    }

    async fn person(
        &mut self,
        tx: &mut WriteTx,
        names: &mut Names,
        key: &'static str,
    ) -> ApiResult<Option<PersonId>> {
        let Some(text) = self.text(key).map(str::to_owned) else {
            return Ok(None);
        };
        match names.person(tx, key, &text, self.lang).await? {
            Ok(id) => {
                self.resolved.insert(key, json!(id.0));
                Ok(Some(id))
            }
            Err(e) => {
                self.fail(*e);
                Ok(None)
            }
        }
    }

    /// R1.7's scope from a cell: persons, and `group：persons` for persons limited to a
    /// department of the unit or to a unit.
    async fn scope(
        &mut self,
        tx: &mut WriteTx,
        names: &mut Names,
        text: &str,
    ) -> ApiResult<KnowledgeScope> {
        let lang = self.lang;
        let mut scope = KnowledgeScope::default();
        let mut shown: Vec<Value> = Vec::new();
        for part in text
            .split([';', '；', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (group, persons) = match part.split_once([':', '：']) {
                Some((g, p)) => (Some(g.trim()), p),
                None => (None, part),
            };
            let mut ids = BTreeSet::new();
            for name in items(persons) {
                match names.person(tx, "scope", name, lang).await? {
                    Ok(id) => {
                        ids.insert(id);
                    }
                    Err(e) => self.fail(*e),
                }
            }
            match group {
                None => {
                    shown.extend(ids.iter().map(|id| json!(id.0)));
                    scope.persons.extend(ids);
                }
                Some(g) => {
                    let department = names.department("scope", g, lang);
                    let unit = names.unit("scope", g, lang);
                    let holder = match (department, unit) {
                        (Ok(d), Err(_)) => ScopeHolder::Department(d),
                        (Err(_), Ok(u)) => ScopeHolder::Unit(u),
                        (Ok(_), Ok(_)) => {
                            self.fail(RowError::new(
                                "scope",
                                "ambiguous_group",
                                format!("“{g}”既是部门又是单位的名称"),
                                format!("\"{g}\" names both a department and a unit"),
                                lang,
                            ));
                            continue;
                        }
                        (Err(e), Err(_)) => {
                            let ambiguous = e.reason.starts_with("ambiguous");
                            self.fail(if ambiguous {
                                *e
                            } else {
                                RowError::new(
                                    "scope",
                                    "unknown_group",
                                    format!("找不到名为“{g}”的本单位部门或单位"),
                                    format!(
                                        "no department of your unit and no unit is named \"{g}\""
                                    ),
                                    lang,
                                )
                            });
                            continue;
                        }
                    };
                    shown.push(json!({ "holder": holder, "persons": ids }));
                    scope.groups.push(ScopeGroup {
                        holder,
                        persons: ids,
                    });
                }
            }
        }
        self.resolved.insert("scope", Value::Array(shown));
        // R1.7: the same check as a single registration — a person named in a group they do
        // not belong to (a dormant grant, should they move there) is refused.
        if let Err(e) = scope.check_names(&names.org) {
            let mut error = RowError::new(
                "scope",
                e.code(),
                e.describe(Lang::Zh),
                e.describe(Lang::En),
                lang,
            )
            .with_rule(e.rule().0);
            error.status = StatusCode::UNPROCESSABLE_ENTITY.as_u16();
            self.fail(error);
        }
        Ok(scope)
    }
}

/// The registration body of a people row, or its errors.
fn person_body(w: &mut RowWork<'_>, names: &Names) -> Option<NewPerson> {
    let lang = w.lang;
    let name = w.text("name").unwrap_or("").to_owned();
    let mut departments = Vec::new();
    if let Some(text) = w.text("departments").map(str::to_owned) {
        for d in items(&text) {
            match names.department("departments", d, lang) {
                Ok(id) => departments.push(id),
                Err(e) => w.fail(*e),
            }
        }
        w.resolved.insert(
            "departments",
            json!(departments.iter().map(|d| d.0).collect::<Vec<_>>()),
        );
    }
    let category = match w.text("category").map(str::to_owned) {
        None => None,
        Some(text) => match category_of(&text) {
            Some(c) => c,
            None => {
                let allowed: Vec<String> = Category::ALL
                    .iter()
                    .map(|c| lang.pick(c.zh(), code_of(c).as_str()).to_owned())
                    .collect();
                w.fail(bad_choice("category", &text, &allowed, lang));
                None
            }
        },
    };
    let mut checklist = Vec::new();
    if let Some(text) = w.text("checklist").map(str::to_owned) {
        if ["全部", "all", "全部满足"].iter().any(|a| same(&text, a)) {
            checklist = AppointmentCondition::ALL.to_vec();
        } else {
            for item in items(&text) {
                match condition_of(item) {
                    Some(c) => checklist.push(c),
                    None => {
                        let allowed: Vec<String> = AppointmentCondition::ALL
                            .iter()
                            .map(|c| lang.pick(c.zh(), code_of(c).as_str()).to_owned())
                            .collect();
                        w.fail(bad_choice("checklist", item, &allowed, lang));
                    }
                }
            }
        }
    }
    let commitment_signed_on = match w.text("commitment_signed_on").map(str::to_owned) {
        None => None,
        Some(text) => match date_of(&text) {
            Some(d) => Some(d),
            None => {
                w.fail(bad_date("commitment_signed_on", &text, lang));
                None
            }
        },
    };
    Some(NewPerson {
        name,
        departments,
        post: w.text("post").unwrap_or("").to_owned(),
        category,
        checklist,
        commitment_signed_on,
    })
}

/// The registration body of a carriers row, or its errors.
async fn carrier_body(
    tx: &mut WriteTx,
    w: &mut RowWork<'_>,
    names: &mut Names,
) -> ApiResult<Option<RegisterBody>> {
    let lang = w.lang;
    let copy = match w.text("copy").map(str::to_owned) {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                w.fail(RowError::new(
                    "copy",
                    "invalid_copy",
                    format!("份号“{text}”应为从 1 起的整数"),
                    format!("the copy number \"{text}\" must be a whole number from 1"),
                    lang,
                ));
                None
            }
        },
    };
    let kind_text = w.text("kind").unwrap_or("").to_owned();
    let kind = choice(&CarrierKind::ALL, |k| vec![k.zh(), k.en()], &kind_text);
    if kind.is_none() {
        let allowed: Vec<String> = CarrierKind::ALL
            .iter()
            .map(|k| lang.pick(k.zh(), k.en()).to_owned())
            .collect();
        w.fail(bad_choice("kind", &kind_text, &allowed, lang).with_rule("R3.1"));
    }
    let matter = match w.text("matter").map(str::to_owned) {
        None => None,
        Some(text) => match names.matter("matter", &text, lang) {
            Ok(id) => {
                w.resolved.insert("matter", json!(id.0));
                Some(id)
            }
            Err(e) => {
                w.fail(*e);
                None
            }
        },
    };
    let scope = match w.text("scope").map(str::to_owned) {
        None => None,
        Some(text) => Some(w.scope(tx, names, &text).await?),
    };
    let custodian = w.person(tx, names, "custodian").await?;
    let Some(kind) = kind else { return Ok(None) };
    Ok(Some(RegisterBody {
        number: w.text("number").unwrap_or("").to_owned(),
        copy,
        kind,
        marking: w.text("marking").map(str::to_owned),
        title: w.text("title").unwrap_or("").to_owned(),
        matter,
        scope,
        location: w.text("location").unwrap_or("").to_owned(),
        custodian,
    }))
}

/// The registration body of a devices row, or its errors.
async fn device_body(
    tx: &mut WriteTx,
    w: &mut RowWork<'_>,
    names: &mut Names,
) -> ApiResult<Option<NewDevice>> {
    let lang = w.lang;
    let kind_text = w.text("kind").unwrap_or("").to_owned();
    let kind = choice(&DeviceKind::ALL, |k| vec![k.zh(), k.en()], &kind_text);
    if kind.is_none() {
        let allowed: Vec<String> = DeviceKind::ALL
            .iter()
            .map(|k| lang.pick(k.zh(), k.en()).to_owned())
            .collect();
        w.fail(bad_choice("kind", &kind_text, &allowed, lang));
    }
    let level_text = w.text("level").unwrap_or("").to_owned();
    let level = level_of(&level_text);
    if level.is_none() {
        let allowed: Vec<String> = Level::ALL
            .iter()
            .rev()
            .map(|l| lang.pick(l.zh(), l.code()).to_owned())
            .collect();
        w.fail(bad_choice("level", &level_text, &allowed, lang).with_rule("R4.1"));
    }
    let department = match w.text("department").map(str::to_owned) {
        None => None,
        Some(text) => match names.department("department", &text, lang) {
            Ok(id) => {
                w.resolved.insert("department", json!(id.0));
                Some(id)
            }
            Err(e) => {
                w.fail(*e);
                None
            }
        },
    };
    let holder = w.person(tx, names, "holder").await?;
    let changed = match w.text("password_changed").map(str::to_owned) {
        None => None,
        Some(text) => match date_of(&text) {
            Some(d) => Some(d),
            None => {
                w.fail(bad_date("password_changed", &text, lang));
                None
            }
        },
    };
    let second_factor = match w.text("second_factor").map(str::to_owned) {
        None => None,
        Some(text) if ["无", "none", "-"].iter().any(|n| same(&text, n)) => None,
        Some(text) => match second_factor_of(&text) {
            Some(f) => Some(f),
            None => {
                let allowed = ["IC卡", "USB Key", "生理特征", "一次性口令"].map(str::to_owned);
                w.fail(bad_choice("second_factor", &text, &allowed, lang).with_rule("R4.2"));
                None
            }
        },
    };
    if second_factor.is_some() && changed.is_none() && w.text("password_changed").is_none() {
        w.fail(RowError::new(
            "password_changed",
            "invalid_password_changed",
            "填写第二因子时须同时填写口令更换日期".to_owned(),
            "a second factor needs the day the password was changed".to_owned(),
            lang,
        ));
    }
    let (Some(kind), Some(level)) = (kind, level) else {
        return Ok(None);
    };
    Ok(Some(NewDevice {
        kind,
        level,
        serial: w.text("serial").unwrap_or("").to_owned(),
        number: w.text("number").unwrap_or("").to_owned(),
        name: w.text("name").unwrap_or("").to_owned(),
        department,
        holder,
        location: w.text("location").unwrap_or("").to_owned(),
        password: changed.map(|last_changed| PasswordRecord {
            last_changed,
            second_factor,
        }),
    }))
}

/// A registered record: its id and level.
struct Registered {
    id: i64,
    level: Option<&'static str>,
}

/// Registers one row's body through its ledger's own registration.
async fn register(
    tx: &mut WriteTx,
    principal: &Principal,
    body: NewRecord,
    today: Date,
    now: Timestamp,
) -> ApiResult<Registered> {
    match body {
        NewRecord::Person(b) => {
            let p = people::register_in(tx, principal, b, today, now).await?;
            Ok(Registered {
                id: p.id.0,
                level: None,
            })
        }
        NewRecord::Carrier(b) => {
            let r = carriers::register_row(tx, principal, b, today, now).await?;
            Ok(Registered {
                id: r.carrier.id().0,
                level: Some(r.carrier.level().code()),
            })
        }
        NewRecord::Device(b) => {
            let r = devices::register_in(tx, principal, b, today, now).await?;
            Ok(Registered {
                id: r.device.id.0,
                level: Some(r.device.level.code()),
            })
        }
    }
}

/// One row's registration body.
enum NewRecord {
    Person(NewPerson),
    Carrier(RegisterBody),
    Device(NewDevice),
}

/// The header's columns by position: unknown, repeated and missing required columns refuse
/// the file.
fn map_header(
    kind: ImportKind,
    header: &BTreeMap<usize, String>,
) -> Result<BTreeMap<usize, &'static Column>, FileError> {
    let mut mapped: BTreeMap<usize, &'static Column> = BTreeMap::new();
    let mut unknown: Vec<&str> = Vec::new();
    let mut repeated: Vec<&str> = Vec::new();
    for (&at, text) in header {
        let key = header_key(text);
        if key.is_empty() {
            continue;
        }
        match kind.columns().iter().find(|c| c.matches(&key)) {
            Some(c) if mapped.values().any(|m| m.key == c.key) => repeated.push(text),
            Some(c) => {
                mapped.insert(at, c);
            }
            None => unknown.push(text),
        }
    }
    let shown = |list: &[&str]| -> String {
        list.iter()
            .take(10)
            .map(|s| s.chars().take(40).collect::<String>())
            .collect::<Vec<_>>()
            .join("、")
    };
    let accepted_zh: Vec<&str> = kind.columns().iter().map(|c| c.zh).collect();
    let accepted_en: Vec<&str> = kind.columns().iter().map(|c| c.en).collect();
    if !unknown.is_empty() {
        return Err(FileError::bad(
            "unknown_column",
            format!(
                "第一行（表头）有不认识的列：{}。可用的列：{}",
                shown(&unknown),
                accepted_zh.join("、")
            ),
            format!(
                "the first row (the header) has unknown columns: {}. Accepted columns: {}",
                shown(&unknown),
                accepted_en.join(", ")
            ),
        ));
    }
    if !repeated.is_empty() {
        return Err(FileError::bad(
            "duplicate_column",
            format!("表头中的列重复：{}", shown(&repeated)),
            format!("columns repeated in the header: {}", shown(&repeated)),
        ));
    }
    let missing: Vec<&Column> = kind
        .columns()
        .iter()
        .filter(|c| c.required && !mapped.values().any(|m| m.key == c.key))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::bad(
            "missing_column",
            format!(
                "缺少必需的列：{}",
                missing.iter().map(|c| c.zh).collect::<Vec<_>>().join("、")
            ),
            format!(
                "required columns are missing: {}",
                missing.iter().map(|c| c.en).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(mapped)
}

// ---------------------------------------------------------------------------------------------
// The handler
// ---------------------------------------------------------------------------------------------

/// `?commit=` and `?sha256=`.
#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    /// `true` to write (all rows or nothing); default a preview.
    #[serde(default)]
    pub commit: Option<String>,
    /// The SHA-256 the file must have (the one previewed).
    #[serde(default)]
    pub sha256: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `principal` may import `kind` at all (who may register it); a refusal is audited.
async fn authorise(state: &AppState, principal: &Principal, kind: ImportKind) -> ApiResult<()> {
    match kind {
        ImportKind::People => {
            people::require_office(state, principal, None, kind.action(), "R2.2").await
        }
        ImportKind::Devices if !devices::manages_any(principal) => {
            Err(devices::deny_manage(state, principal, None, kind.action()).await)
        }
        ImportKind::Devices | ImportKind::Carriers => Ok(()),
    }
}

/// What an import's audit entry says.
struct Facts<'a> {
    kind: ImportKind,
    sha256: Option<&'a str>,
    bytes: usize,
    commit: bool,
}

impl Facts<'_> {
    fn draft(&self, principal: &Principal, now: Timestamp, detail: Value) -> AuditDraft {
        let mut d = json!({
            "sha256": self.sha256,
            "bytes": self.bytes,
            "commit": self.commit,
        });
        if let (Some(into), Value::Object(more)) = (d.as_object_mut(), detail) {
            into.extend(more);
        }
        AuditDraft::new(now, principal.actor(), self.kind.action())
            .on(ObjectRef::new("import", self.kind.code()))
            .detail(bounded_detail(d))
    }
}

/// Audits a file refused as a whole and answers its error.
async fn refuse_file(
    state: &AppState,
    principal: &Principal,
    facts: &Facts<'_>,
    e: FileError,
) -> ApiError {
    let draft = facts
        .draft(
            principal,
            state.clock.now(),
            json!({ "outcome": "refused", "reason": e.reason }),
        )
        .outcome(Outcome::Denied {
            reason: e.reason.to_owned(),
        });
    match state.audit.record(draft).await {
        Ok(_) => e.error(principal.lang),
        Err(err) => err,
    }
}

/// `POST /api/v1/imports/{kind}?commit=false|true`: the preview, or the import of the whole
/// file in one transaction.
async fn import(
    State(state): State<AppState>,
    principal: Principal,
    Path(kind): Path<String>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let kind = ImportKind::parse(&kind).ok_or_else(|| unknown_kind(lang))?;
    let commit = match query.commit.as_deref().map(str::trim) {
        None | Some("" | "false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "commit 应为 true 或 false",
                "commit must be true or false",
            )
            .with_reason("invalid_commit")
            .in_lang(lang))
        }
    };
    authorise(&state, &principal, kind).await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let oversized = Facts {
        kind,
        sha256: None,
        bytes: declared.unwrap_or(0),
        commit,
    };
    if declared.is_some_and(|n| n > MAX_UPLOAD) {
        return Err(refuse_file(&state, &principal, &oversized, file_too_large()).await);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_UPLOAD).await else {
        return Err(refuse_file(&state, &principal, &oversized, file_too_large()).await);
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let facts = Facts {
        kind,
        sha256: Some(&sha256),
        bytes: bytes.len(),
        commit,
    };
    if let Some(expected) = query.sha256.as_deref() {
        if !expected.trim().eq_ignore_ascii_case(&sha256) {
            return Err(refuse_file(
                &state,
                &principal,
                &facts,
                FileError::new(
                    StatusCode::CONFLICT,
                    "file_changed",
                    "文件与预览时的文件不同（SHA-256 不符），请重新预览",
                    "the file is not the one previewed (SHA-256 differs); preview it again",
                ),
            )
            .await);
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let owned = bytes.clone();
    let table = match tokio::task::spawn_blocking(move || read_table(&owned, &content_type)).await {
        Ok(Ok(table)) => table,
        Ok(Err(e)) => return Err(refuse_file(&state, &principal, &facts, e).await),
        Err(join) => {
            tracing::warn!(error = %join, "an import file broke its reader");
            return Err(refuse_file(
                &state,
                &principal,
                &facts,
                FileError::bad(
                    "unreadable_workbook",
                    "无法读取该文件（格式损坏）",
                    "the file cannot be read (it is malformed)",
                ),
            )
            .await);
        }
    };
    let mapped = match map_header(kind, &table.header) {
        Ok(m) => m,
        Err(e) => return Err(refuse_file(&state, &principal, &facts, e).await),
    };

    // One import at a time: it holds the store's write transaction for the whole file, and
    // every audited read waits behind it; a second import is told to retry.
    let Ok(_running) = state.import_running.try_lock() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "import_busy",
            "另一项导入正在进行，请稍后再试",
            "another import is running; try again shortly",
        )
        .in_lang(principal.lang));
    };
    let now = state.clock.now();
    let today = civil_day(now);
    let mut tx = state.store.write().await?;
    let outcome = rows_in(&mut tx, &principal, kind, &table, &mapped, today, now).await;
    let mut reports = match outcome {
        Ok(reports) => reports,
        Err(e) => {
            tx.rollback().await?;
            return Err(e.in_lang(lang));
        }
    };
    let total = reports.len();
    let valid = reports.iter().filter(|r| r.valid).count();
    let invalid = total - valid;
    let errors: Vec<Value> = reports
        .iter()
        .flat_map(|r| {
            r.errors.iter().map(move |e| {
                json!({ "row": r.row, "column": e.column, "rule": e.rule, "reason": e.reason })
            })
        })
        .take(100)
        .collect();
    let ids: Vec<i64> = reports.iter().filter_map(|r| r.id).collect();
    let committing = commit && invalid == 0;
    if !committing {
        // The dry run's ids are not the ones a later commit would give.
        for r in &mut reports {
            r.id = None;
        }
    }
    let columns: Vec<Value> = mapped
        .iter()
        .map(|(at, c)| {
            json!({
                "key": c.key,
                "header": table.header.get(at),
                "label": lang.pick(c.zh, c.en),
                "position": at + 1,
            })
        })
        .collect();
    let mut answer = json!({
        "kind": kind.code(),
        "format": table.format,
        "encoding": table.encoding,
        "sha256": sha256,
        "bytes": bytes.len(),
        "committed": false,
        "columns": columns,
        "total": total,
        "valid": valid,
        "invalid": invalid,
        "rows": reports,
    });
    let counts = json!({
        "format": table.format,
        "encoding": table.encoding,
        "rows": total,
        "valid": valid,
        "invalid": invalid,
        "errors": errors,
        "errors_total": reports.iter().map(|r| r.errors.len()).sum::<usize>(),
    });
    if committing {
        let mut detail = counts;
        detail["outcome"] = json!("committed");
        detail["ids"] = json!(ids);
        tx.append_audit(facts.draft(&principal, now, detail))
            .await?;
        if kind == ImportKind::People {
            state.commit_people_change(tx).await?;
        } else {
            tx.commit().await?;
        }
        answer["committed"] = json!(true);
        return Ok((StatusCode::CREATED, Json(answer)).into_response());
    }
    tx.rollback().await?;
    let mut detail = counts;
    if commit {
        detail["outcome"] = json!("refused");
        let draft = facts
            .draft(&principal, now, detail)
            .outcome(Outcome::Denied {
                reason: "import_invalid".to_owned(),
            });
        state.audit.record(draft).await?;
        let zh = format!("{invalid} 行有错误，未写入任何记录；请改正后重新导入");
        let en = format!(
            "{invalid} rows have errors; nothing was written. Correct them and import again"
        );
        answer["error"] = json!("refused");
        answer["reason"] = json!("import_invalid");
        answer["rule"] = Value::Null;
        answer["message"] = json!(lang.pick(&zh, &en));
        answer["message_zh"] = json!(zh);
        answer["message_en"] = json!(en);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response());
    }
    detail["outcome"] = json!("previewed");
    state
        .audit
        .record(facts.draft(&principal, now, detail))
        .await?;
    Ok((StatusCode::OK, Json(answer)).into_response())
}

/// Every row of `table`: read, names resolved, registered in `tx` by its ledger's own code. A
/// row's refusal is on its report; a failure of the service (500) ends the import.
async fn rows_in(
    tx: &mut WriteTx,
    principal: &Principal,
    kind: ImportKind,
    table: &Table,
    mapped: &BTreeMap<usize, &'static Column>,
    today: Date,
    now: Timestamp,
) -> ApiResult<Vec<RowReport>> {
    let lang = principal.lang;
    let mut names = Names::load(tx, principal, kind, today).await?;
    let mut seen_names: BTreeSet<String> = BTreeSet::new();
    let mut reports = Vec::with_capacity(table.rows.len());
    for (number, cells) in &table.rows {
        let mut values: BTreeMap<&'static str, String> = BTreeMap::new();
        let mut errors = Vec::new();
        for (at, cell) in cells {
            match mapped.get(at) {
                Some(c) => {
                    values.insert(c.key, cell.text.clone());
                    match &cell.problem {
                        None => {}
                        Some(CellProblem::TooLong) => errors.push(RowError::new(
                            c.key,
                            "text_too_long",
                            format!("文字过长（至多 {MAX_CELL_CHARS} 字）"),
                            format!("text too long (at most {MAX_CELL_CHARS} characters)"),
                            lang,
                        )),
                        Some(CellProblem::SpreadsheetError(e)) => errors.push(RowError::new(
                            c.key,
                            "spreadsheet_error",
                            format!("单元格是表格错误值 {e}，请填写实际内容"),
                            format!("the cell holds the spreadsheet error {e}; enter the value"),
                            lang,
                        )),
                    }
                }
                None => errors.push(RowError::general(
                    "no_column",
                    format!("第 {} 列有内容但没有表头", at + 1),
                    format!("column {} has a value but no header", at + 1),
                    lang,
                )),
            }
        }
        let mut work = RowWork {
            values: &values,
            errors,
            resolved: BTreeMap::new(),
            lang,
        };
        let mut warnings = Vec::new();
        let body = match kind {
            ImportKind::People => {
                let name = work.text("name").unwrap_or("").to_owned();
                if !name.is_empty() {
                    if names.people.iter().any(|(_, n)| *n == name) {
                        warnings.push(
                            lang.pick(
                                "本单位已有同名人员；导入将新增一人",
                                "a person of this name is already in your unit; the import adds another",
                            )
                            .to_owned(),
                        );
                    } else if !seen_names.insert(name) {
                        warnings.push(
                            lang.pick(
                                "文件中有同名的另一行",
                                "another row of the file has this name",
                            )
                            .to_owned(),
                        );
                    }
                }
                person_body(&mut work, &names).map(NewRecord::Person)
            }
            ImportKind::Carriers => carrier_body(tx, &mut work, &mut names)
                .await?
                .map(NewRecord::Carrier),
            ImportKind::Devices => device_body(tx, &mut work, &mut names)
                .await?
                .map(NewRecord::Device),
        };
        let RowWork {
            mut errors,
            resolved,
            ..
        } = work;
        let mut report = RowReport {
            row: *number,
            valid: false,
            values: values.clone(),
            resolved,
            level: None,
            id: None,
            errors: Vec::new(),
            warnings,
        };
        if let (Some(body), true) = (body, errors.is_empty()) {
            match register(tx, principal, body, today, now).await {
                Ok(done) => {
                    report.id = Some(done.id);
                    report.level = done.level;
                }
                Err(e) if e.status.is_server_error() => return Err(e),
                Err(e) => errors.push(RowError::of(kind, &e, lang)),
            }
        }
        if report.level.is_none() {
            report.level = match kind {
                ImportKind::Devices => values
                    .get("level")
                    .and_then(|t| level_of(t))
                    .map(Level::code),
                _ => None,
            };
        }
        report.valid = errors.is_empty();
        if !report.valid {
            report.id = None;
        }
        report.errors = errors;
        reports.push(report);
    }
    Ok(reports)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn r13_3_csv_rows_keep_their_line_numbers() {
        let table = read_csv("a,b\r\n1,2\r\n\r\n\"x\ny\",3\r\n4,5\r\n".as_bytes()).unwrap();
        let numbers: Vec<u32> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![2, 4, 6]);
        assert_eq!(table.header.get(&1).map(String::as_str), Some("b"));
    }

    fn zip_of(size: usize) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("a.xml", options).unwrap();
        zip.write_all(&vec![b' '; size]).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn r13_1_zip_bounds_are_checked_before_and_while_inflating() {
        assert!(check_zip(&zip_of(1024)).is_ok());
        let e = check_zip(&zip_of(64 * 1024 * 1024)).unwrap_err();
        assert_eq!(e.reason, "archive_too_large", "{e:?}");
    }
}
