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
use common::{Client, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn ids_of(client: &Client, path: &str) -> Vec<i64> {
    let (status, body) = client.get(path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

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

/// liu.yang proposes a Secret matter known to himself and wang.fang only; zhang.wei (a
/// classifier of the bureau, not in the scope) approves it. Answers (proposal, approval,
/// matter).
async fn approved_outside_the_approvers_scope(server: &TestServer) -> (i64, i64, i64) {
    let proposer = server.login("liu.yang").await;
    let (status, filed) = proposer
        .post(
            "/api/v1/proposals",
            json!({
                "title": "东区003号地块征收补偿测算方案",
                "mark": "秘密★5年",
                "scope": { "persons": [server.person("liu.yang"), server.person("wang.fang")] },
                "basis": "城乡建设保密事项范围 第3条 重大基础设施规划方案",
                "subject_area": "城乡规划",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let proposal = filed["proposal"]["id"].as_i64().unwrap();
    let approval = filed["approval"].as_i64().unwrap();
    let approver = server.login("zhang.wei").await;
    let (status, decided) = approver
        .post(
            &format!("/api/v1/approvals/{approval}/approve"),
            json!({ "reason": "符合保密事项范围" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    let (_, proposal_body) = proposer.get(&format!("/api/v1/proposals/{proposal}")).await;
    let matter = proposal_body["state"]["matter"]
        .as_i64()
        .or_else(|| decided["result"]["matter"]["id"].as_i64())
        .or_else(|| decided["matter"]["id"].as_i64())
        .unwrap_or_else(|| panic!("no matter id in {proposal_body} / {decided}"));
    (proposal, approval, matter)
}

both_backends!(
    r1_7_r1_8_a_proposal_is_read_under_its_matters_narrowed_scope,
    |server| async move {
        let id = MATTER_SITE_OPTIONS;
        let clerk = server.login("chen.jing").await;
        let (status, body) = clerk.get(&format!("/api/v1/proposals/{id}")).await;
        assert_eq!(status, StatusCode::OK, "before the change: {body}");
        let classifier = server.login("wang.fang").await;
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{id}/change"),
                json!({
                    "scope": { "persons": [server.person("wang.fang"), server.person("liu.yang")] },
                    "reason": "按最小化原则缩小知悉范围",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = clerk.get(&format!("/api/v1/matters/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // The proposal is the matter now: the narrowed scope holds for it too.
        let (status, body) = clerk.get(&format!("/api/v1/proposals/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R1.7");
        assert!(body.get("title").is_none() && body.get("basis").is_none());
        assert!(!ids_of(&clerk, "/api/v1/proposals?per_page=500")
            .await
            .contains(&id));
        let page = raw(&clerk, reqwest::Method::GET, &format!("/proposals/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let text = page.text().await.unwrap();
        assert!(!text.contains("新建物流园区选址比选方案"));
        // Those still in the scope read it as before.
        let (status, _) = classifier.get(&format!("/api/v1/proposals/{id}")).await;
        assert_eq!(status, StatusCode::OK);
    }
);

both_backends!(
    r1_7_r2_1_a_decided_proposal_or_approval_is_no_grant_to_its_classifiers,
    |server| async move {
        // The superior unit's classifier may decide the bureau's proposals, but matter 2 is
        // not in his scope: once decided, its proposal is not his to read.
        let ministry = server.login("huang.tao").await;
        let id = MATTER_SITE_OPTIONS;
        let (status, _) = ministry.get(&format!("/api/v1/matters/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = ministry.get(&format!("/api/v1/proposals/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(!ids_of(&ministry, "/api/v1/proposals?per_page=500")
            .await
            .contains(&id));

        let (proposal, approval, matter) = approved_outside_the_approvers_scope(&server).await;
        let approver = server.login("zhang.wei").await;
        let (status, _) = approver.get(&format!("/api/v1/matters/{matter}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = approver.get(&format!("/api/v1/proposals/{proposal}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // The approval stays in his chain, without its content (as in the inbox).
        let (status, body) = approver.get(&format!("/api/v1/approvals/{approval}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["redacted"], true, "{body}");
        assert!(!body.to_string().contains("003号"), "{body}");
        assert!(!body.to_string().contains("城乡建设保密事项范围"), "{body}");
        // The requester and those in the scope still read it whole.
        let proposer = server.login("liu.yang").await;
        let (status, body) = proposer.get(&format!("/api/v1/approvals/{approval}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["redacted"], false);
        let (status, _) = server
            .login("wang.fang")
            .await
            .get(&format!("/api/v1/proposals/{proposal}"))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
);

both_backends!(
    r1_7_search_matches_only_what_the_user_is_shown,
    |server| async move {
        let (_, approval, _) = approved_outside_the_approvers_scope(&server).await;
        let approver = server.login("zhang.wei").await;
        assert!(
            ids_of(&approver, "/api/v1/approvals?box=decided&per_page=500")
                .await
                .contains(&approval)
        );
        // The hidden title is not searched: no piece of it finds the request.
        for q in ["003号", "%E4%B8%9C%E5%8C%BA", "征收"] {
            let found = ids_of(
                &approver,
                &format!("/api/v1/approvals?box=decided&q={q}&per_page=500"),
            )
            .await;
            assert!(!found.contains(&approval), "q={q}");
        }
        // What he is shown is searched.
        let shown = ids_of(
            &approver,
            "/api/v1/approvals?box=decided&q=%E5%AE%9A%E5%AF%86%E7%94%B3%E8%AF%B7&per_page=500",
        )
        .await;
        assert!(shown.contains(&approval));
        // The requester, who reads it whole, finds it by its title.
        let proposer = server.login("liu.yang").await;
        let found = ids_of(&proposer, "/api/v1/approvals?box=mine&q=003号&per_page=500").await;
        assert!(found.contains(&approval));
    }
);

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
    r1_7_a_scope_names_only_existing_people_units_and_departments,
    |server| async move {
        let proposer = server.login("liu.yang").await;
        let me = server.person("liu.yang");
        let with_scope = |scope: Value| {
            json!({
                "title": "预置知悉范围的试探",
                "mark": "秘密★5年",
                "scope": scope,
                "basis": "城乡建设保密事项范围 第3条",
                "subject_area": "城乡规划",
            })
        };
        let bad = [
            (json!({ "persons": [me, 999_999] }), "scope.persons"),
            (json!({ "persons": [-1] }), "scope.persons"),
            (
                json!({ "groups": [{ "holder": { "kind": "department", "id": 999_999 }, "persons": [me] }] }),
                "scope.groups",
            ),
            (
                json!({ "groups": [{ "holder": { "kind": "unit", "id": 999_999 }, "persons": [me] }] }),
                "scope.groups",
            ),
            // A person named within a unit they do not belong to.
            (
                json!({ "groups": [{ "holder": { "kind": "unit", "id": 1 }, "persons": [me] }] }),
                "scope.groups",
            ),
        ];
        for (scope, field) in &bad {
            let (status, body) = proposer
                .post("/api/v1/proposals", with_scope(scope.clone()))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{scope}: {body}");
            assert_eq!(body["rule"], "R1.7", "{body}");
            assert!(
                body["message_zh"].as_str().unwrap().contains(field),
                "{body}"
            );
            assert!(
                body["message_en"].as_str().unwrap().contains(field),
                "{body}"
            );
        }
        let classifier = server.login("wang.fang").await;
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_SITE_OPTIONS}/change"),
                json!({ "scope": { "persons": [999_999] }, "reason": "预置" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // A carrier's own scope, too.
        let officer = server.login("li.na").await;
        let (status, body) = officer
            .post(
                "/api/v1/carriers",
                json!({
                    "number": "BM-SCOPE-1",
                    "kind": "paper_document",
                    "marking": "秘密★5年",
                    "title": "预置知悉范围的载体",
                    "scope": { "persons": [server.person("li.na"), 999_999], "groups": [] },
                    "location": "保密室 3号保密柜",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.7", "{body}");
        // Real people of another unit may be named (R1.7 allows other units).
        let (status, body) = proposer
            .post(
                "/api/v1/proposals",
                with_scope(json!({ "persons": [me, server.person("huang.tao")] })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
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

both_backends!(
    r5_3_the_security_console_is_refused_to_ordinary_users,
    |server| async move {
        let clerk = server.login("chen.jing").await;
        let page = raw(&clerk, reqwest::Method::GET, "/admin/security")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let text = page.text().await.unwrap();
        assert!(text.contains("R5.3"), "{text}");
        let secadmin = server.login("secadmin").await;
        let page = raw(&secadmin, reqwest::Method::GET, "/admin/security")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
    }
);

both_backends!(
    r13_1_a_search_with_control_characters_is_refused,
    |server| async move {
        let officer = server.login("li.na").await;
        for path in [
            "/api/v1/matters?q=%00",
            "/api/v1/carriers?q=%00",
            "/api/v1/approvals?box=decided&q=%00",
            "/api/v1/proposals?q=a%1Fb",
        ] {
            let (status, body) = officer.get(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(body["reason"], "invalid_q", "{body}");
        }
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

both_backends!(
    r5_3_r13_1_an_administrator_role_needs_a_classified_category,
    |server| async move {
        let secadmin = server.login("secadmin").await;
        // zhao.lei holds no classified post.
        let (status, body) = secadmin
            .post(
                &format!("/api/v1/people/{}/roles", server.person("zhao.lei")),
                json!({ "roles": ["security_auditor"] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R5.3");
        assert_eq!(body["reason"], "administrator_not_cleared");
        // An ordinary role needs no category.
        let (status, body) = secadmin
            .post(
                &format!("/api/v1/people/{}/roles", server.person("zhao.lei")),
                json!({ "roles": ["confidentiality_officer"] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
);

both_backends!(
    r13_1_the_classifier_and_authorisation_lists_are_audited_reads,
    |server| async move {
        // Found by the review after issue 18: these two lists were answered unaudited.
        let chen = server.login("chen.jing").await;
        let before = server.audit("classifier.list").await.len();
        let (status, body) = chen.get("/api/v1/classifiers").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(server.audit("classifier.list").await.len(), before + 1);
        let before = server.audit("authorisation.list").await.len();
        let (status, body) = chen.get("/api/v1/authorisations").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(server.audit("authorisation.list").await.len(), before + 1);
    }
);
