//! Findings of the black-box security test of `baomi demo` (issue 18), each end to end on
//! SQLite and PostgreSQL: proposals and approvals are read as their matter stands (R1.7,
//! R1.8, R2.1), the administrators change no business data (R5.3), searches match only what
//! is shown, scopes name only what exists (R1.7), every probe of an id is audited (R13.1),
//! and the smaller hardening points.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::{Actor, Outcome};
use baomi_core::ids::PersonId;
use baomi_server::demo::matters::MATTER_SITE_OPTIONS;
use common::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A raw request with the client's credentials (for bodies the helpers do not send).
fn raw(client: &Client, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    let mut request = client
        .http
        .request(method, format!("{}{path}", client.base));
    if let Some(cookie) = &client.cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(csrf) = &client.csrf {
        request = request.header("x-csrf-token", csrf);
    }
    if let Some(token) = &client.bearer {
        request = request.bearer_auth(token);
    }
    request
}

both_backends!(
    r5_3_the_administrators_change_no_business_data,
    |server| async move {
        let proposal = json!({
            "title": "管理员试提的定密申请",
            "mark": "秘密★5年",
            "scope": { "persons": [server.person("liu.yang")] },
            "basis": "城乡建设保密事项范围 第3条",
            "subject_area": "城乡规划",
        });
        let writes: Vec<(String, Value)> = vec![
            ("/api/v1/proposals".into(), proposal),
            (
                format!("/api/v1/matters/{MATTER_SITE_OPTIONS}/change"),
                json!({ "mark": "秘密★3年", "reason": "试" }),
            ),
            ("/api/v1/carriers".into(), json!({})),
            ("/api/v1/carriers/1/lend".into(), json!({})),
            ("/api/v1/devices".into(), json!({})),
            ("/api/v1/inventories".into(), json!({})),
            ("/api/v1/escalations".into(), json!({})),
            ("/api/v1/approvals/1/approve".into(), json!({})),
            (
                format!("/api/v1/people/{}/training", server.person("chen.jing")),
                json!({}),
            ),
            ("/api/v1/people".into(), json!({})),
        ];
        let mut secadmin = None;
        for admin in ["sysadmin", "secadmin", "auditor"] {
            let client = server.login(admin).await;
            if admin == "secadmin" {
                secadmin = Some(client.clone());
            }
            for (path, body) in &writes {
                let (status, answer) = client.post(path, body.clone()).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{admin} {path}: {answer}");
                assert_eq!(answer["rule"], "R5.3", "{admin} {path}: {answer}");
                assert_eq!(answer["reason"], "administrator_changes_no_data");
            }
            let response = raw(&client, reqwest::Method::POST, "/api/v1/imports/people")
                .header("content-type", "text/csv")
                .body("姓名\n张三\n")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{admin} import");
        }
        let denied = server.audit("proposal.create").await;
        assert!(denied.iter().any(|e| e.actor
            == Actor::Person(PersonId(server.person("auditor")))
            && matches!(&e.outcome, Outcome::Denied { reason } if reason == "administrator_changes_no_data")));
        // Their own work is still theirs: the security administrator sets roles.
        let (status, body) = secadmin
            .unwrap()
            .post(
                &format!("/api/v1/people/{}/roles", server.person("li.na")),
                json!({ "roles": ["confidentiality_officer"] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
);

both_backends!(
    r13_1_probes_of_any_record_id_are_audited_as_denials,
    |server| async move {
        let clerk = server.login("chen.jing").await;
        let me = Actor::Person(PersonId(server.person("chen.jing")));
        for (path, kind, action) in [
            ("/api/v1/devices/999999", "device", "device.read"),
            ("/api/v1/people/999999", "person", "person.read"),
            ("/api/v1/approvals/999999", "approval", "approval.read"),
            ("/api/v1/matters/999999", "matter", "matter.read"),
            ("/api/v1/carriers/999999", "carrier", "carrier.read"),
        ] {
            let (status, _) = clerk.get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            let entries = server.audit(action).await;
            assert!(
                entries.iter().any(|e| e.actor == me
                    && e.object
                        .as_ref()
                        .is_some_and(|o| o.kind == kind && o.id == "999999")
                    && matches!(&e.outcome, Outcome::Denied { reason } if reason == "not_found")),
                "{path} left no denial"
            );
        }
        // A request of others that exists but is none of hers: 404, audited the same way.
        let (status, _) = clerk.get("/api/v1/approvals/1").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(server
            .audit("approval.read")
            .await
            .iter()
            .any(|e| e.actor == me
                && e.object.as_ref().is_some_and(|o| o.id == "1")
                && matches!(e.outcome, Outcome::Denied { .. })));
    }
);

both_backends!(r13_1_change_bodies_must_be_json, |server| async move {
    let officer = server.login("li.na").await;
    let response = raw(&officer, reqwest::Method::POST, "/api/v1/inventories")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = raw(&officer, reqwest::Method::POST, "/api/v1/inventories")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("unit=3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = officer.post("/api/v1/inventories", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
});
