//! One tracing span per request, carrying a request id that is echoed in the answer's
//! `x-request-id` header: what a person reports from their browser (or a load balancer logs)
//! finds the server's log lines of that request — on whichever server answered it.
//!
//! The id is the caller's `x-request-id` when it is sane (1–64 characters of letters, digits
//! and `-_.:`; a load balancer or proxy usually sets one), otherwise a new random one. The span
//! records the method and the path only: never the query string (search words), a header, a
//! cookie, a token or a body, so no secret reaches the log (R13.1).
//!
//! With `BAOMI_LOG=info` every request also logs one line when it is answered (status and
//! milliseconds); warnings and errors raised while handling it carry the span at any level.

use axum::extract::Request;
use axum::http::header::HeaderName;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

/// The header carrying the request id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming request id kept.
const MAX_ID: usize = 64;

/// A request's id, also put in the request's extensions for handlers that want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether an incoming id may be used as is: short, printable and without anything a log
/// reader could mistake for structure (spaces, quotes, `=`, control characters).
pub fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A new id: 16 random bytes in hex. Should the system's random source fail, a process-wide
/// counter with the time still tells requests apart (an id is no secret).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let now = jiff::Timestamp::now().as_nanosecond();
            format!("{now:x}-{n:x}")
        }
    }
}

/// The middleware: the id, the span around the rest of the stack, the header on the answer.
pub async fn request_span(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(new_id, str::to_owned);
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    request.extensions_mut().insert(RequestId(id.clone()));
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{is_sane, new_id};

    #[test]
    fn incoming_ids_are_kept_only_when_sane() {
        assert!(is_sane("lb-7f3a.42:1"));
        assert!(is_sane(&"a".repeat(64)));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(65)));
        assert!(!is_sane("with space"));
        assert!(!is_sane("a=b"));
        assert!(!is_sane("line\nbreak"));
        assert!(!is_sane("引号"));
    }

    #[test]
    fn new_ids_are_sane_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert!(is_sane(&a), "{a}");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
