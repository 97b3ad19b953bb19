//! Errors as HTTP answers: one JSON shape for every refusal, with the DOMAIN rule it enforces.
//!
//! ```json
//! {"error":"forbidden","reason":"not_in_scope","rule":"R1.7",
//!  "message":"您不在知悉范围内（R1.7）","message_en":"you are not in the knowledge scope (R1.7)"}
//! ```
//! `message` is in the caller's language, `message_zh`/`message_en` are both always present so
//! that scripts need not care. Internal failures say only that something failed and where to
//! look (the server log); they never carry SQL, paths or secrets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use baomi_core::access::DenyReason;
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{Fault, StoreError};
use serde_json::json;

/// A refusal or failure, ready to be sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine code (`forbidden`, `refused`, `not_found`, …).
    pub code: &'static str,
    /// A finer reason code (the access decision's or the core refusal's).
    pub reason: Option<String>,
    /// The DOMAIN rule enforced.
    pub rule: Option<RuleId>,
    /// The message in Chinese.
    pub zh: String,
    /// The message in English.
    pub en: String,
    /// Which language `message` is in.
    pub lang: Lang,
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A refusal or failure with both messages.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            reason: None,
            rule: None,
            zh: zh.into(),
            en: en.into(),
            lang: Lang::Zh,
        }
    }

    /// The same error with `message` in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> ApiError {
        self.lang = lang;
        self
    }

    /// The same error naming the rule it enforces.
    pub fn with_rule(mut self, rule: RuleId) -> ApiError {
        self.rule = Some(rule);
        self
    }

    /// The same error with a finer reason code.
    pub fn with_reason(mut self, reason: impl Into<String>) -> ApiError {
        self.reason = Some(reason.into());
        self
    }

    /// 403: the access decision denied it (R13.1). The caller audits the denial.
    pub fn denied(reason: &DenyReason) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            reason.describe(Lang::Zh),
            reason.describe(Lang::En),
        )
        .with_rule(reason.rule())
        .with_reason(reason.code())
    }

    /// 403 for something only a role may do, outside the core's access targets.
    pub fn role_required(zh: impl Into<String>, en: impl Into<String>, rule: RuleId) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", zh, en)
            .with_rule(rule)
            .with_reason("role_required")
    }

    /// 422: a rule of DOMAIN refused the action (the core's typed refusal).
    pub fn refused(refusal: &impl Describe, rule: RuleId, reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            refusal.describe(Lang::Zh),
            refusal.describe(Lang::En),
        )
        .with_rule(rule)
        .with_reason(reason)
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }

    /// 404. Also what a subject gets for a record they may not know exists.
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "记录不存在",
            "no such record",
        )
    }

    /// 401: not logged in, or the session ended.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "未登录或会话已过期，请重新登录",
            "not logged in, or the session has ended; please log in again",
        )
    }

    /// 409: changed by someone else, or a duplicate number.
    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", zh, en)
    }

    /// 500: logged with its cause; the answer names no internals.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，已记录；请联系系统管理员",
            "internal error, logged; please contact the system administrator",
        )
    }
}

impl ApiError {
    /// A write (or a read's audit entry) refused by a fault of the storage: 507 when the disk
    /// is full, 503 otherwise. Nothing was saved; the message says so in plain words, and the
    /// fault is logged for the system administrator (it is also on the status page).
    pub fn storage_fault(fault: Fault) -> ApiError {
        tracing::error!(
            fault = fault.code(),
            "storage fault: a write was refused, nothing saved"
        );
        let status = match fault {
            Fault::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let e = StoreError::Unavailable(fault);
        ApiError::new(
            status,
            "unavailable",
            e.describe(Lang::Zh),
            e.describe(Lang::En),
        )
        .with_reason(fault.code())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if let Some(fault) = e.fault() {
            return ApiError::storage_fault(fault);
        }
        match &e {
            StoreError::Duplicate { .. } | StoreError::Conflict { .. } => {
                ApiError::conflict(e.describe(Lang::Zh), e.describe(Lang::En))
            }
            StoreError::NotFound { .. } => ApiError::not_found(),
            _ => ApiError::internal(&e),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::internal(&format!("stored record does not decode: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match self.lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        };
        let body = json!({
            "error": self.code,
            "reason": self.reason,
            "rule": self.rule.map(|r| r.0),
            "message": message,
            "message_zh": self.zh,
            "message_en": self.en,
        });
        let mut response = (self.status, Json(body)).into_response();
        if matches!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::INSUFFICIENT_STORAGE
        ) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("30"),
            );
        }
        response
    }
}
