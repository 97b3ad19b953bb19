//! The API contract (issue 18, finding 12): a walk over every route of the OpenAPI table, as
//! the confidentiality officer, a plain staff member, the auditor and no one, with good and
//! malformed requests. The harness checks every answer against the served document (see
//! `common::Contract`); this test adds that every refusal of a malformed request is the JSON
//! error shape with 400/413/415 (never 422, never text), naming the field in plain words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_server::openapi::{self, Body, ROUTES};
use common::{Client, Contract, TestServer};
use serde_json::{json, Value};

/// A concrete path for a route template.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{kind}" if path.starts_with("/api/v1/imports") => "people",
            "{kind}" => "matter",
            "{action}" if path.starts_with("/api/v1/devices") => "assign",
            "{action}" => "lend",
            "{step}" => "submit",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The error shape of `crate::error`, with a Chinese message free of serde/axum wording.
fn assert_error_shape(what: &str, status: u16, body: &Value) {
    for key in [
        "error",
        "reason",
        "rule",
        "message",
        "message_zh",
        "message_en",
    ] {
        assert!(
            body.get(key).is_some(),
            "{what} → {status}: no `{key}` in {body}"
        );
    }
    let zh = body["message_zh"].as_str().unwrap_or("");
    assert!(!zh.is_empty(), "{what}: {body}");
    for word in [
        "Failed",
        "deserialize",
        "invalid type",
        "expected",
        "serde",
        "line 1",
        "column",
    ] {
        assert!(
            !zh.contains(word),
            "{what}: message_zh leaks `{word}`: {zh}"
        );
    }
}

async fn raw_post(
    client: &Client,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, String, Value) {
    let mut request = client
        .http
        .post(format!("{}{path}", client.base))
        .body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(cookie) = &client.cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(csrf) = &client.csrf {
        request = request.header("x-csrf-token", csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    client.record("POST", path, status);
    let ct = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        status.as_u16(),
        ct,
        response.json().await.unwrap_or(Value::Null),
    )
}

both_backends!(
    r13_3_every_route_answers_what_the_document_says,
    |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let staff = server.login("liu.yang").await;
        let auditor = server.login("auditor").await;
        let nobody = server.anonymous();
        for route in ROUTES {
            let path = concrete(route.path);
            for client in [&officer, &staff, &auditor, &nobody] {
                let (status, body) = if route.method == "GET" {
                    client.get(&path).await
                } else if route.path.ends_with("/logout") || route.path.ends_with("/password") {
                    continue; // would end the session or change the demo password
                } else {
                    client.post(&path, json!({})).await
                };
                if status.as_u16() >= 400 {
                    assert_error_shape(&format!("{} {path}", route.method), status.as_u16(), &body);
                    assert!(
                        status.as_u16() != 422
                            || body["rule"].is_string()
                            || body["error"] == "refused",
                        "{} {path}: a 422 that names no rule: {body}",
                        route.method
                    );
                }
            }
        }
        assert!(
            server.contract.misses().is_empty(),
            "{:#?}",
            server.contract.misses()
        );
    }
);

both_backends!(
    r13_3_malformed_requests_answer_the_json_error_shape,
    |server: TestServer| async move {
        let officer = server.login("li.na").await;
        // A bad query string: 400, naming the parameter.
        let (status, body) = officer.get("/api/v1/carriers?unit=abc").await;
        assert_eq!(status, 400, "{body}");
        assert_error_shape("bad query", 400, &body);
        assert!(
            body["message_zh"].as_str().unwrap().contains("unit"),
            "{body}"
        );
        assert_eq!(body["reason"], "invalid_query");
        // A bad path parameter: 400 (or the audited 404 of an id that names nothing).
        let (status, body) = officer.get("/api/v1/matters/abc").await;
        assert_eq!(status, 400, "{body}");
        assert_error_shape("bad path", 400, &body);
        assert!(
            body["message_zh"].as_str().unwrap().contains("路径参数"),
            "{body}"
        );
        // Every JSON-bodied route: a body that is not JSON, a wrong field type, no content type.
        for route in ROUTES.iter().filter(|r| r.method == "POST") {
            if matches!(route.body, Body::None | Body::Import) || route.path.ends_with("/logout") {
                continue;
            }
            let path = concrete(route.path);
            let (status, ct, body) = raw_post(
                &officer,
                &path,
                Some("application/json"),
                b"{\"x\":".to_vec(),
            )
            .await;
            assert!(ct.contains("json"), "{path}: {ct}");
            assert_ne!(status, 422, "{path}: malformed JSON answered 422: {body}");
            if status == 400 {
                assert_error_shape(&path, status, &body);
            }
            let (status, ct, body) =
                raw_post(&officer, &path, Some("text/plain"), b"hello".to_vec()).await;
            assert!(ct.contains("json"), "{path}: {ct}");
            assert!(
                matches!(status, 415 | 403 | 401),
                "{path}: text body answered {status}: {body}"
            );
            assert_error_shape(&path, status, &body);
        }
        // A field of the wrong type names the field; 400, not 422.
        let (status, _, body) = raw_post(
            &officer,
            "/api/v1/carriers",
            Some("application/json"),
            br#"{"number":"C-1","copy":"two","kind":"paper","title":"t","location":"l"}"#.to_vec(),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["message_zh"], "请求体字段“copy”的值无效", "{body}");
        // A missing required field (axum's Json extractor).
        let (status, _, body) = raw_post(
            &officer,
            "/api/v1/units/1/departments",
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
        assert!(matches!(status, 400 | 403), "{body}");
        if status == 400 {
            assert_eq!(body["reason"], "missing_field", "{body}");
            assert!(
                body["message_zh"].as_str().unwrap().contains("name"),
                "{body}"
            );
        }
        // Missing content type on an extractor that wants JSON.
        let (status, _, body) =
            raw_post(&officer, "/api/v1/people/1/training", None, b"{}".to_vec()).await;
        assert!(matches!(status, 400 | 415), "{status} {body}");
        assert_error_shape("no content type", status, &body);
        // A wrong method: 405 in the same shape.
        let response = officer.get_raw("/api/v1/auth/logout").await;
        assert_eq!(response.status(), 405);
        let body: Value = response.json().await.unwrap();
        assert_error_shape("wrong method", 405, &body);
        // A path the API does not have: the JSON 404, whatever the method.
        for (status, body) in [
            officer.get("/api/v1/no-such-ledger").await,
            officer.post("/api/v2/anything", json!({})).await,
            server.anonymous().get("/api/nothing").await,
        ] {
            assert_eq!(status, 404, "{body}");
            assert_error_shape("unknown path", 404, &body);
        }
        // A body over the JSON limit: 413.
        let big = format!(
            "{{\"reason\":\"{}\"}}",
            "x".repeat(baomi_server::api::MAX_JSON_BODY + 10)
        );
        let (status, _, body) = raw_post(
            &officer,
            "/api/v1/approvals/1/approve",
            Some("application/json"),
            big.into_bytes(),
        )
        .await;
        assert_eq!(status, 413, "{body}");
        assert_error_shape("too large", 413, &body);
        assert!(
            server.contract.misses().is_empty(),
            "{:#?}",
            server.contract.misses()
        );
    }
);

#[test]
fn r13_3_the_contract_check_catches_an_undocumented_answer() {
    let contract = Contract::default();
    contract.check("GET", "/api/v1/matters?page=1", 200);
    contract.check("GET", "/api/v1/matters/export", 200);
    contract.check("GET", "/api/v1/nothing-here", 404);
    assert!(contract.misses().is_empty(), "{:?}", contract.misses());
    contract.check("GET", "/api/v1/matters", 418);
    contract.check("DELETE", "/api/v1/matters/1", 200);
    contract.check("POST", "/api/v1/auth/me", 200);
    assert_eq!(contract.misses().len(), 3, "{:?}", contract.misses());
    // The document is the one served.
    assert!(openapi::document()["paths"]["/api/v1/matters"]["get"].is_object());
}
