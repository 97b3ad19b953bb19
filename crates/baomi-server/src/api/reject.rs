//! Every refusal of a malformed request answers the one JSON error shape of [`crate::error`],
//! never axum's or serde's plain text:
//!
//! * [`json_rejections`], the API router's outermost layer, rewrites whatever an extractor
//!   (`Json`, `Query`, `Path`, `Form`, `Multipart`, the body limit) or the router itself (404,
//!   405) answered as text: 400 for a malformed part, 413 for a body too large, 415 for a body
//!   that is not JSON, 404/405 as they are. 422 stays reserved for the rules' refusals.
//! * [`malformed`] (and [`body_error`] for the handlers that read their body themselves) words
//!   the answer: `message_zh` names the part and the field in plain Chinese and carries no
//!   serde or axum wording; `message_en` says the same and may add what was expected.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baomi_core::Lang;
use serde::de::DeserializeOwned;

/// The part of a request that was malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JSON (or form) body.
    Body,
    /// The query string.
    Query,
    /// A path parameter.
    Path,
}

impl Part {
    fn zh(self) -> &'static str {
        match self {
            Part::Body => "请求体",
            Part::Query => "查询参数",
            Part::Path => "路径参数",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Part::Body => "request body",
            Part::Query => "query string",
            Part::Path => "path parameter",
        }
    }
    fn code(self) -> &'static str {
        match self {
            Part::Body => "invalid_body",
            Part::Query => "invalid_query",
            Part::Path => "invalid_path",
        }
    }
}

/// The text between the first pair of backquotes after `marker` in `text`.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let rest = rest.strip_prefix('`')?;
    Some(&rest[..rest.find('`')?])
}

/// A field path as serde_path_to_error prints it (`scope.groups[0].name`), at most 100 chars.
fn is_field_path(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '?'))
}

/// What was expected, from a serde message (`… expected u32 at line 1 column 9` → `u32`).
fn expected(detail: &str) -> Option<String> {
    let rest = &detail[detail.find("expected ")? + "expected ".len()..];
    let rest = rest.split(" at line ").next().unwrap_or(rest);
    let shown: String = rest.chars().take(120).collect();
    Some(shown).filter(|s| !s.is_empty())
}

/// The 400 answer for a malformed `part`, from the deserialiser's `detail` (serde's message,
/// with serde_path_to_error's `path: ` before it when there is one).
pub fn malformed(part: Part, detail: &str) -> ApiError {
    let (path, inner) = match detail.split_once(": ") {
        Some((p, rest)) if is_field_path(p) && !p.chars().all(|c| matches!(c, '.' | '?')) => {
            (Some(p.to_owned()), rest)
        }
        _ => (None, detail),
    };
    let join = |field: &str| match &path {
        Some(p) => format!("{p}.{field}"),
        None => field.to_owned(),
    };
    let (zh, en, reason) = if let Some(field) = quoted_after(inner, "missing field ") {
        let field = join(field);
        (
            format!("{}缺少必填字段“{field}”", part.zh()),
            format!("{}: the required field `{field}` is missing", part.en()),
            "missing_field",
        )
    } else if let Some(field) = quoted_after(inner, "unknown field ") {
        let field = join(field);
        (
            format!("{}含有不认识的字段“{field}”", part.zh()),
            format!("{}: unknown field `{field}`", part.en()),
            "unknown_field",
        )
    } else if let Some(key) =
        quoted_after(inner, "Cannot parse ").filter(|_| inner.contains("with value"))
    {
        (
            format!("{}“{key}”的值无效", part.zh()),
            format!(
                "{}: `{key}` has an invalid value{}",
                part.en(),
                expected_suffix(inner)
            ),
            part.code(),
        )
    } else if let Some(field) = &path {
        (
            format!("{}字段“{field}”的值无效", part.zh()),
            format!(
                "{}: the field `{field}` has an invalid value{}",
                part.en(),
                expected_suffix(inner)
            ),
            part.code(),
        )
    } else if part == Part::Body
        && (inner.contains("line") || inner.contains("EOF"))
        && !inner.contains("invalid type")
    {
        (
            "请求体不是有效的 JSON".to_owned(),
            "the request body is not valid JSON".to_owned(),
            "not_json",
        )
    } else {
        (
            format!("{}格式有误", part.zh()),
            format!("{}: malformed{}", part.en(), expected_suffix(inner)),
            part.code(),
        )
    };
    ApiError::bad_request(zh, en).with_reason(reason)
}

fn expected_suffix(detail: &str) -> String {
    expected(detail).map_or_else(String::new, |e| format!(" (expected {e})"))
}

/// The 400 answer for a JSON body that does not decode as the handler's type.
pub fn body_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    if path.chars().all(|c| matches!(c, '.' | '?')) {
        malformed(Part::Body, &inner)
    } else {
        malformed(Part::Body, &format!("{path}: {inner}"))
    }
}

/// Reads a JSON body as `T`; an empty body reads as `{}`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| body_error(&e))?;
    de.end()
        .map_err(|e| malformed(Part::Body, &e.to_string()))?;
    Ok(value)
}

/// Reads a JSON value as `T`.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| body_error(&e))
}

/// The language a request asks for (`Accept-Language: en…` → English).
pub fn request_lang(request: &Request) -> Lang {
    request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().starts_with("en"))
        .map_or(Lang::Zh, |_| Lang::En)
}

/// The JSON answer for a plain-text (or empty) refusal of axum's with `status` and `text`.
pub fn rewrite(status: StatusCode, text: &str) -> ApiError {
    let detail = |prefix: &str| {
        text.split_once(prefix)
            .map_or(text, |(_, rest)| rest.trim_start_matches(':').trim())
    };
    if status == StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit exceeded") {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求体过大（至多 {} 字节）", super::MAX_BODY),
            format!(
                "the request body is too large (at most {} bytes)",
                super::MAX_BODY
            ),
        );
    }
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE
        || text.starts_with("Expected request with `Content-Type")
    {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求体的媒体类型不受支持（JSON 请求须带 Content-Type: application/json）",
            "unsupported media type (JSON bodies need Content-Type: application/json)",
        );
    }
    match status {
        StatusCode::NOT_FOUND => return ApiError::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => {
            return ApiError::new(
                status,
                "method_not_allowed",
                "该地址不支持此请求方法",
                "this path does not accept this method",
            )
        }
        StatusCode::UNAUTHORIZED => return ApiError::unauthenticated(),
        _ => {}
    }
    if text.starts_with("Failed to deserialize query string") {
        malformed(Part::Query, detail("query string"))
    } else if text.starts_with("Invalid URL")
        || text.contains("path argument")
        || text.contains("path parameter")
    {
        malformed(Part::Path, detail("Invalid URL"))
    } else if text.starts_with("Failed to parse the request body as JSON") {
        malformed(Part::Body, detail("as JSON"))
    } else if text.starts_with("Failed to deserialize the JSON body") {
        malformed(Part::Body, detail("target type"))
    } else if text.starts_with("Failed to deserialize form") {
        malformed(Part::Body, detail("form"))
    } else if text.to_ascii_lowercase().contains("multipart")
        || text.to_ascii_lowercase().contains("boundary")
    {
        ApiError::bad_request(
            "上传的 multipart/form-data 请求格式有误",
            "malformed multipart/form-data upload",
        )
        .with_reason("invalid_multipart")
    } else {
        ApiError::bad_request("请求格式有误", "malformed request").with_reason("bad_request")
    }
}

/// The layer (see the module documentation): a client error answered in anything but JSON is
/// answered again in the JSON error shape.
pub async fn json_rejections(request: Request, next: Next) -> Response {
    let lang = request_lang(&request);
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if is_json {
        return response;
    }
    let (_, body) = response.into_parts();
    let text = match axum::body::to_bytes(Body::new(body), 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut error = rewrite(status, &text);
    // An axum 422 is a body that parsed but did not fit the type: a malformed request (400).
    if error.status == StatusCode::UNPROCESSABLE_ENTITY {
        error.status = StatusCode::BAD_REQUEST;
    }
    error.in_lang(lang).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh_en(e: &ApiError) -> (&str, &str) {
        (e.zh.as_str(), e.en.as_str())
    }

    #[test]
    fn rejections_name_the_field_without_serde_wording() {
        let e = rewrite(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string: unit: invalid digit found in string",
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(zh_en(&e).0, "查询参数字段“unit”的值无效");
        let e = rewrite(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: missing field `title` at line 1 column 2",
        );
        assert_eq!(e.zh, "请求体缺少必填字段“title”");
        assert_eq!(e.reason.as_deref(), Some("missing_field"));
        let e = rewrite(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: copy: invalid type: string \"x\", expected u32 at line 1 column 10",
        );
        assert_eq!(e.zh, "请求体字段“copy”的值无效");
        assert_eq!(
            e.en,
            "request body: the field `copy` has an invalid value (expected u32)"
        );
        let e = rewrite(
            StatusCode::BAD_REQUEST,
            "Failed to parse the request body as JSON: expected value at line 1 column 1",
        );
        assert_eq!(e.zh, "请求体不是有效的 JSON");
        let e = rewrite(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `id` with value `abc` to a `i64`",
        );
        assert_eq!(e.zh, "路径参数“id”的值无效");
        let e = rewrite(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        );
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let e = rewrite(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Failed to buffer the request body: length limit exceeded",
        );
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        for e in [
            rewrite(
                StatusCode::BAD_REQUEST,
                "Failed to deserialize query string: invalid type: map",
            ),
            malformed(
                Part::Body,
                "scope.groups[0]: unknown field `x`, expected one of `a`",
            ),
        ] {
            for word in ["serde", "invalid type", "expected", "Failed", "deserialize"] {
                assert!(!e.zh.contains(word), "{}", e.zh);
            }
        }
        assert_eq!(
            malformed(
                Part::Body,
                "scope.groups[0]: unknown field `x`, expected one of `a`"
            )
            .zh,
            "请求体含有不认识的字段“scope.groups[0].x”"
        );
    }

    #[test]
    fn parse_json_names_the_nested_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        let e = parse_json::<Outer>(br#"{"inner":{"n":"x"}}"#).err();
        assert_eq!(
            e.map(|e| e.zh),
            Some("请求体字段“inner.n”的值无效".to_owned())
        );
        let e = parse_json::<Outer>(b"{").err();
        assert_eq!(e.map(|e| e.zh), Some("请求体不是有效的 JSON".to_owned()));
    }
}
