//! Ledger exports (R13.3): every ledger downloads as CSV or XLSX.
//!
//! * CSV is UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly, written
//!   by the `csv` crate (RFC 4180 quoting). A cell that a spreadsheet would take for a formula
//!   (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`: an
//!   exported title must never run as a formula on the auditor's machine (OWASP "CSV
//!   injection").
//! * XLSX is written by `rust_xlsxwriter`: one sheet named after the export, a bold frozen
//!   header row, columns sized to their contents. Cells are written as text, never formulas.
//! * Both answer `Content-Disposition: attachment` with an ASCII fallback name and the real
//!   name in `filename*=UTF-8''…` (RFC 6266, RFC 5987).
//!
//! Callers decide what goes in the rows (only what the subject may read, R13.1) and audit the
//! export before calling [`table_response`].
//!
//! Large ledgers stream ([`stream_table`], issue 19): the caller's producer sends the rows in
//! batches through a bounded channel as it reads them window by window, so memory stays
//! bounded at any size. CSV goes out as the batches arrive; XLSX is written in
//! `rust_xlsxwriter`'s constant-memory mode (rows go to a temporary file as written) and sent
//! when complete, its columns sized to the header and the first batch.

use crate::error::{ApiError, ApiResult};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use baomi_core::Lang;
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

/// The formats a ledger exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8 with BOM (the default).
    #[default]
    Csv,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

/// The `?format=` parameter of export endpoints.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

impl ExportFormat {
    /// The format named by `?format=`: absent or empty is CSV; anything but `csv` or `xlsx`
    /// (any case) is a 400.
    pub fn parse(format: Option<&str>) -> ApiResult<ExportFormat> {
        match format.map(str::trim) {
            None | Some("") => Ok(ExportFormat::Csv),
            Some(f) if f.eq_ignore_ascii_case("csv") => Ok(ExportFormat::Csv),
            Some(f) if f.eq_ignore_ascii_case("xlsx") => Ok(ExportFormat::Xlsx),
            Some(other) => {
                let shown: String = other.chars().take(32).collect();
                Err(ApiError::bad_request(
                    format!("导出格式 {shown:?} 应为 csv 或 xlsx"),
                    format!("export format {shown:?} must be csv or xlsx"),
                )
                .with_reason("invalid_format"))
            }
        }
    }

    /// The format of an [`ExportQuery`].
    pub fn of(query: &ExportQuery) -> ApiResult<ExportFormat> {
        ExportFormat::parse(query.format.as_deref())
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest text one XLSX cell holds.
const XLSX_MAX_CELL_CHARS: usize = 32_767;

/// Rows one XLSX sheet holds (including the header).
const XLSX_MAX_ROWS: usize = 1_048_576;

/// Widest column set, in characters.
const MAX_COLUMN_WIDTH: f64 = 60.0;

/// The cell as it goes into a CSV file: a leading `'` when a spreadsheet would read it as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return).
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// The headers in `lang`.
fn headers<'a>(columns: &'a [(&'a str, &'a str)], lang: Lang) -> Vec<&'a str> {
    columns.iter().map(|(zh, en)| lang.pick(zh, en)).collect()
}

/// The table as CSV bytes (BOM, header row, rows; formula-looking cells neutralised).
pub fn to_csv(columns: &[(&str, &str)], rows: &[Vec<String>], lang: Lang) -> ApiResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    writer
        .write_record(
            headers(columns, lang)
                .iter()
                .map(|h| csv_safe(h).into_owned()),
        )
        .map_err(|e| ApiError::internal(&e))?;
    for row in rows {
        writer
            .write_record(row.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(|e| ApiError::internal(&e))?;
    }
    writer.into_inner().map_err(|e| ApiError::internal(&e))
}

/// A valid worksheet name from `title`: at most 31 characters, none of `[]:*?/\`, not
/// starting or ending with `'`, never empty.
pub fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(31)
        .collect();
    let trimmed = cleaned.trim_matches('\'').trim();
    if trimmed.is_empty() {
        "Sheet1".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// How wide `text` shows, in character cells: East Asian wide characters count two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let u = u32::from(c);
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u)
                || (0x20000..=0x3FFFD).contains(&u);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Text cut to what one XLSX cell holds.
fn xlsx_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= XLSX_MAX_CELL_CHARS {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().take(XLSX_MAX_CELL_CHARS).collect())
    }
}

/// The table as an XLSX workbook: one sheet named after `title`, a bold frozen header row,
/// columns sized to their contents, every cell text.
pub fn to_xlsx(
    title: &str,
    columns: &[(&str, &str)],
    rows: &[Vec<String>],
    lang: Lang,
) -> ApiResult<Vec<u8>> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| ApiError::internal(&format!("xlsx export: {e}"));
    if rows.len() >= XLSX_MAX_ROWS {
        return Err(ApiError::bad_request(
            "导出行数超过 Excel 工作表上限，请缩小范围或改用 CSV",
            "too many rows for one Excel sheet; narrow the export or use CSV",
        )
        .with_reason("too_many_rows"));
    }
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(title)).map_err(xlsx)?;
    let header = headers(columns, lang);
    let width = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut widths: Vec<usize> = vec![4; width];
    for (col, text) in header.iter().enumerate() {
        let c = u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
        sheet
            .write_string_with_format(0, c, xlsx_cell(text), &bold)
            .map_err(xlsx)?;
        if let Some(w) = widths.get_mut(col) {
            *w = (*w).max(display_width(text));
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let r =
            u32::try_from(r.saturating_add(1)).map_err(|_| ApiError::internal(&"too many rows"))?;
        for (col, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let c = u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
            sheet.write_string(r, c, xlsx_cell(text)).map_err(xlsx)?;
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(display_width(text));
            }
        }
    }
    for (col, w) in widths.iter().enumerate() {
        let c = u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
        let chars = u32::try_from(*w).unwrap_or(u32::MAX);
        let width = (f64::from(chars) + 2.0).min(MAX_COLUMN_WIDTH);
        sheet.set_column_width(c, width).map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}

/// RFC 5987 `attr-char`s are kept; every other byte is percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_mul(3));
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An ASCII stand-in for the file name (older clients): letters, digits, `-`, `_`, `.`.
fn ascii_fallback(title: &str) -> String {
    let name: String = title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    if name.is_empty() {
        "export".to_owned()
    } else {
        name
    }
}

/// The `Content-Disposition` value for `title` in `format`.
pub fn content_disposition(title: &str, format: ExportFormat) -> String {
    let ext = format.extension();
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(100)
        .collect();
    format!(
        "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}.{ext}",
        ascii_fallback(&stem),
        percent_encode(&stem)
    )
}

fn build(
    title: &str,
    columns: &[(&str, &str)],
    rows: &[Vec<String>],
    format: ExportFormat,
    lang: Lang,
) -> ApiResult<Response> {
    let body = match format {
        ExportFormat::Csv => to_csv(columns, rows, lang)?,
        ExportFormat::Xlsx => to_xlsx(title, columns, rows, lang)?,
    };
    let mut response = (StatusCode::OK, body).into_response();
    download_headers(&mut response, title, format)?;
    Ok(response)
}

/// A batch of rows from an export's producer, or what stopped it.
pub type RowBatch = ApiResult<Vec<Vec<String>>>;

/// Batches an export's producer may run ahead of the writer (each a window of rows).
pub const STREAM_AHEAD: usize = 2;

fn csv_rows(rows: &[Vec<String>], with_bom: bool) -> ApiResult<Vec<u8>> {
    let start = if with_bom { BOM.to_vec() } else { Vec::new() };
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(start);
    for row in rows {
        writer
            .write_record(row.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(|e| ApiError::internal(&e))?;
    }
    writer.into_inner().map_err(|e| ApiError::internal(&e))
}

fn download_headers(response: &mut Response, title: &str, format: ExportFormat) -> ApiResult<()> {
    let disposition = HeaderValue::from_str(&content_disposition(title, format))
        .map_err(|e| ApiError::internal(&e))?;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(CONTENT_DISPOSITION, disposition);
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Ok(())
}

/// A table as a download whose rows arrive in batches from `rows` (see the module
/// documentation). A producer's error ends a CSV download early (its last line is then
/// incomplete, and the error is logged) or answers an XLSX export with the error.
pub async fn stream_table(
    title: &str,
    columns: &[(&str, &str)],
    format: ExportFormat,
    lang: Lang,
    rows: tokio::sync::mpsc::Receiver<RowBatch>,
) -> Response {
    let result = match format {
        ExportFormat::Csv => stream_csv(title, columns, lang, rows),
        ExportFormat::Xlsx => stream_xlsx(title, columns, lang, rows).await,
    };
    match result {
        Ok(response) => response,
        Err(e) => e.in_lang(lang).into_response(),
    }
}

fn stream_csv(
    title: &str,
    columns: &[(&str, &str)],
    lang: Lang,
    rows: tokio::sync::mpsc::Receiver<RowBatch>,
) -> ApiResult<Response> {
    use tokio_stream::StreamExt;
    let header_row: Vec<String> = headers(columns, lang)
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
    let head = csv_rows(&[header_row], true)?;
    let body = tokio_stream::once(Ok(axum::body::Bytes::from(head))).chain(
        tokio_stream::wrappers::ReceiverStream::new(rows).map(|batch| {
            batch
                .and_then(|rows| csv_rows(&rows, false))
                .map(axum::body::Bytes::from)
                .map_err(|e| {
                    tracing::error!(error = ?e, "export stopped");
                    std::io::Error::other("export stopped")
                })
        }),
    );
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(body)).into_response();
    download_headers(&mut response, title, ExportFormat::Csv)?;
    Ok(response)
}

async fn stream_xlsx(
    title: &str,
    columns: &[(&str, &str)],
    lang: Lang,
    mut rows: tokio::sync::mpsc::Receiver<RowBatch>,
) -> ApiResult<Response> {
    let header: Vec<String> = headers(columns, lang)
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
    let name = sheet_name(title);
    let written = tokio::task::spawn_blocking(move || -> ApiResult<Vec<u8>> {
        let xlsx = |e: rust_xlsxwriter::XlsxError| ApiError::internal(&format!("xlsx export: {e}"));
        let too_many = || {
            ApiError::bad_request(
                "导出行数超过 Excel 工作表上限，请缩小范围或改用 CSV",
                "too many rows for one Excel sheet; narrow the export or use CSV",
            )
            .with_reason("too_many_rows")
        };
        let first = rows.blocking_recv().transpose()?.unwrap_or_default();
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name(&name).map_err(xlsx)?;
        // Constant memory writes each row as it comes: widths and panes go first.
        let mut widths: Vec<usize> = header.iter().map(|h| display_width(h).max(4)).collect();
        for row in &first {
            for (col, text) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(col) {
                    *w = (*w).max(display_width(text));
                }
            }
        }
        for (col, w) in widths.iter().enumerate() {
            let c = u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
            let chars = u32::try_from(*w).unwrap_or(u32::MAX);
            sheet
                .set_column_width(c, (f64::from(chars) + 2.0).min(MAX_COLUMN_WIDTH))
                .map_err(xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (col, text) in header.iter().enumerate() {
            let c = u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
            sheet
                .write_string_with_format(0, c, xlsx_cell(text), &bold)
                .map_err(xlsx)?;
        }
        let mut next_row: u32 = 1;
        let mut batch = Some(first);
        while let Some(rows_now) = batch.take() {
            for row in rows_now {
                if usize::try_from(next_row).unwrap_or(usize::MAX) >= XLSX_MAX_ROWS {
                    return Err(too_many());
                }
                for (col, text) in row.iter().enumerate() {
                    if text.is_empty() {
                        continue;
                    }
                    let c =
                        u16::try_from(col).map_err(|_| ApiError::internal(&"too many columns"))?;
                    sheet
                        .write_string(next_row, c, xlsx_cell(text))
                        .map_err(xlsx)?;
                }
                next_row = next_row.saturating_add(1);
            }
            batch = rows.blocking_recv().transpose()?;
        }
        workbook.save_to_buffer().map_err(xlsx)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let mut response = (StatusCode::OK, written).into_response();
    download_headers(&mut response, title, ExportFormat::Xlsx)?;
    Ok(response)
}

/// A table as a download: `columns` are (Chinese, English) headers, shown in `lang`; `rows`
/// are the cells as text. Failures answer the API's error shape.
pub fn table_response(
    title: &str,
    columns: &[(&str, &str)],
    rows: Vec<Vec<String>>,
    format: ExportFormat,
    lang: Lang,
) -> Response {
    match build(title, columns, &rows, format, lang) {
        Ok(response) => response,
        Err(e) => e.in_lang(lang).into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const COLUMNS: [(&str, &str); 3] = [("编号", "Number"), ("标题", "Title"), ("备注", "Note")];

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "1".into(),
                "规划方案（秘密）".into(),
                "=HYPERLINK(\"x\")".into(),
            ],
            vec!["2".into(), "含,逗号\"引号\"\n换行".into(), "+1".into()],
            vec!["3".into(), "-2".into(), "@SUM(A1)".into()],
            vec!["4".into(), "\tTab".into(), "\rCR".into()],
        ]
    }

    #[test]
    fn r13_3_format_parse_defaults_to_csv_and_refuses_others() {
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Csv);
        assert_eq!(ExportFormat::parse(Some("")).unwrap(), ExportFormat::Csv);
        assert_eq!(ExportFormat::parse(Some("CSV")).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::parse(Some("xlsx")).unwrap(),
            ExportFormat::Xlsx
        );
        let err = ExportFormat::parse(Some("pdf")).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.reason.as_deref(), Some("invalid_format"));
    }

    #[test]
    fn r13_3_csv_has_bom_headers_in_language_and_round_trips() {
        let bytes = to_csv(&COLUMNS, &rows(), Lang::Zh).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(&bytes[BOM.len()..]);
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, ["编号", "标题", "备注"]);
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0][1], "规划方案（秘密）");
        assert_eq!(records[1][1], "含,逗号\"引号\"\n换行");
        let en = to_csv(&COLUMNS, &[], Lang::En).unwrap();
        assert_eq!(&en[BOM.len()..], b"Number,Title,Note\n");
    }

    #[test]
    fn r13_3_csv_neutralises_formula_cells() {
        let bytes = to_csv(&COLUMNS, &rows(), Lang::En).unwrap();
        let mut reader = csv::Reader::from_reader(&bytes[BOM.len()..]);
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(records[0][2], "'=HYPERLINK(\"x\")");
        assert_eq!(records[1][2], "'+1");
        assert_eq!(records[2][1], "'-2");
        assert_eq!(records[2][2], "'@SUM(A1)");
        assert_eq!(records[3][1], "'\tTab");
        assert_eq!(records[3][2], "'\rCR");
        assert_eq!(records[0][0], "1");
    }

    #[test]
    fn r13_3_xlsx_is_a_zip_workbook() {
        let bytes = to_xlsx("审计记录", &COLUMNS, &rows(), Lang::Zh).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        // Sheet names are limited; odd titles still make a workbook.
        let bytes = to_xlsx("a/b[c]:*?\\'", &COLUMNS, &[], Lang::En).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let long = "很长的标题".repeat(20);
        assert!(to_xlsx(&long, &COLUMNS, &rows(), Lang::Zh).is_ok());
    }

    #[test]
    fn r13_3_sheet_names_are_valid() {
        assert_eq!(sheet_name("审计记录"), "审计记录");
        assert_eq!(sheet_name("a/b"), "a_b");
        assert_eq!(sheet_name("''"), "Sheet1");
        assert_eq!(sheet_name(&"x".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn r13_3_content_disposition_is_attachment_with_utf8_name() {
        let value = content_disposition("审计记录", ExportFormat::Csv);
        assert!(value.starts_with("attachment; filename=\"export.csv\""));
        assert!(value.contains("filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E8%AE%B0%E5%BD%95.csv"));
        let value = content_disposition("audit log\"x", ExportFormat::Xlsx);
        assert!(value.contains("filename=\"auditlogx.xlsx\""));
        assert!(value.contains("filename*=UTF-8''audit%20log%22x.xlsx"));
        assert!(HeaderValue::from_str(&value).is_ok());
    }

    #[test]
    fn r13_3_table_response_sets_headers() {
        let response = table_response("台账", &COLUMNS, rows(), ExportFormat::Xlsx, Lang::Zh);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(response.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
    }

    #[test]
    fn display_width_counts_wide_characters_twice() {
        assert_eq!(display_width("ab"), 2);
        assert_eq!(display_width("保密"), 4);
    }
}
