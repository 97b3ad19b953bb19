//! The classified-matters ledger and the determination workflow end to end (R1.4–R1.10, R2.1,
//! R13.1), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::{Actor, Outcome};
use baomi_core::ids::PersonId;
use baomi_server::demo::matters::{
    ESCALATION_SUBMITTED, MATTER_CONDITION, MATTER_ENDING_SOON, MATTER_RAIL_PLAN,
    MATTER_SITE_OPTIONS, MATTER_TERM_ENDED, MATTER_TOP_SECRET, PROPOSAL_PENDING_MINISTRY,
    PROPOSAL_PENDING_SECRET,
};
use common::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The inbox request of a proposal, as `client` sees it in their inbox.
async fn approval_of(client: &Client, proposal: i64) -> i64 {
    let (status, body) = client.get("/api/v1/approvals?box=inbox&per_page=500").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"]["kind"] == "proposal" && r["subject"]["proposal"] == proposal)
        .unwrap_or_else(|| panic!("proposal {proposal} not in the inbox: {body}"))["id"]
        .as_i64()
        .unwrap()
}

fn proposal(title: &str, mark: &str, persons: &[i64]) -> Value {
    json!({
        "title": title,
        "mark": mark,
        "scope": { "persons": persons },
        "basis": "城乡建设保密事项范围 第3条 重大基础设施规划方案",
        "subject_area": "城乡规划",
    })
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

both_backends!(
    r1_4_prefecture_classifier_cannot_approve_top_secret,
    |server| async move {
        let officer = server.login("liu.yang").await;
        let (status, filed) = officer
            .post(
                "/api/v1/proposals",
                proposal("城市地下人防指挥系统布局", "绝密★20年", &[1, 3, 4]),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let proposal_id = filed["proposal"]["id"].as_i64().unwrap();
        let approval = filed["approval"].as_i64().unwrap();
        assert_eq!(filed["proposal"]["status"], "pending");

        // The head of a prefecture-level bureau holds a Top Secret grant, but the bureau may set
        // Confidential and Secret only (R1.4).
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(
                &format!("/api/v1/approvals/{approval}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.4");
        assert_eq!(body["reason"], "tier_may_not_set");
        assert!(
            body["message_zh"].as_str().unwrap().contains("R1.4"),
            "{body}"
        );

        // Nothing was classified; the proposal still waits. (Its proposer, an important
        // person, may not read a Top Secret proposal even his own, R2.1; the head may.)
        let (status, p) = head.get(&format!("/api/v1/proposals/{proposal_id}")).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(p["status"], "pending");
        let (status, p) = officer
            .get(&format!("/api/v1/proposals/{proposal_id}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        assert_eq!(p["reason"], "category_too_low");
        let (_, matters) = head.get("/api/v1/matters?level=top_secret").await;
        assert_eq!(matters["total"], 0, "{matters}");

        // The ministry (central) may: its head approves its own Top Secret proposal.
        let minister = server.login("huang.tao").await;
        let approval = approval_of(&minister, PROPOSAL_PENDING_MINISTRY).await;
        let (status, body) = minister
            .post(
                &format!("/api/v1/approvals/{approval}/approve"),
                json!({ "reason": "同意定为绝密" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let matter = &body["result"]["matter"];
        assert_eq!(matter["level"], "top_secret");
        assert_eq!(matter["classifier"], server.person("huang.tao"));
        let classified = server.audit("matter.classify").await;
        assert!(classified
            .iter()
            .any(|e| e.actor == Actor::Person(PersonId(server.person("huang.tao")))));
    }
);

both_backends!(
    r1_6_self_approval_is_refused_and_another_classifier_approves,
    |server| async move {
        // wang.fang is a classifier; as the handling officer of her own proposal she may not
        // approve it (R1.6).
        let classifier = server.login("wang.fang").await;
        let (status, filed) = classifier
            .post(
                "/api/v1/proposals",
                proposal("规划局内部评审纪要", "秘密★5年", &[3, 4]),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let approval = filed["approval"].as_i64().unwrap();
        let (status, body) = classifier
            .post(&format!("/api/v1/approvals/{approval}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.6");
        assert_eq!(body["reason"], "self_approval");

        // The head of the unit approves it; the matter records who proposed and who approved.
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(
                &format!("/api/v1/approvals/{approval}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let matter = &body["result"]["matter"];
        assert_eq!(matter["mark"], "秘密★5年");
        assert_eq!(matter["proposer"], server.person("wang.fang"));
        assert_eq!(matter["classifier"], server.person("zhang.wei"));
        let history: Vec<&str> = matter["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["proposed", "approved"]);

        // A seeded proposal: wang.fang approves liu.yang's Secret proposal.
        let approval = approval_of(&classifier, PROPOSAL_PENDING_SECRET).await;
        let (status, body) = classifier
            .post(
                &format!("/api/v1/approvals/{approval}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["result"]["matter"]["id"].as_i64().unwrap();
        let officer = server.login("liu.yang").await;
        let (status, matter) = officer.get(&format!("/api/v1/matters/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{matter}");
        assert_eq!(matter["status"], "in_force");
    }
);

both_backends!(
    r1_6_a_proposal_without_basis_or_scope_is_refused,
    |server| async move {
        let officer = server.login("liu.yang").await;
        let mut body = proposal("无依据的事项", "秘密★5年", &[4]);
        body["basis"] = json!("  ");
        let (status, answer) = officer.post("/api/v1/proposals", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["rule"], "R1.6");
        let (status, answer) = officer
            .post(
                "/api/v1/proposals",
                proposal("无人知悉的事项", "秘密★5年", &[]),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["rule"], "R1.7");
        let (status, answer) = officer
            .post("/api/v1/proposals", proposal("期限过长", "秘密★15年", &[4]))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["rule"], "R1.2");
        let refused = server.audit("proposal.file").await;
        assert_eq!(
            refused
                .iter()
                .filter(|e| matches!(e.outcome, Outcome::Denied { .. }))
                .count(),
            3
        );
    }
);

both_backends!(
    r1_7_outside_the_scope_is_403_and_the_denial_is_audited,
    |server| async move {
        let outsider = server.login("zhao.lei").await;
        let (status, body) = outsider
            .get(&format!("/api/v1/matters/{MATTER_RAIL_PLAN}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "not_in_scope");
        assert_eq!(body["rule"], "R1.7");
        assert!(body.get("title").is_none());

        // The denial is in the audit trail, read straight from the store.
        let mut tx = server.store.read().await.unwrap();
        let entries = tx
            .search_audit(
                &baomi_store::AuditSearch {
                    actor: Some(PersonId(server.person("zhao.lei"))),
                    object_kind: Some("matter".to_owned()),
                    object_id: Some(MATTER_RAIL_PLAN.to_string()),
                    outcome: Some("denied"),
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
        tx.finish().await.unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].action, "matter.read");
        assert_eq!(
            entries[0].outcome,
            Outcome::Denied {
                reason: "not_in_scope".to_owned()
            }
        );

        // Named within the confidentiality office's group, li.na may read it; the read is audited.
        let officer = server.login("li.na").await;
        let (status, body) = officer
            .get(&format!("/api/v1/matters/{MATTER_RAIL_PLAN}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["mark"], "机密★10年");
        let reads = server.audit("matter.read").await;
        assert!(reads.iter().any(
            |e| e.actor == Actor::Person(PersonId(server.person("li.na")))
                && e.outcome == Outcome::Success
        ));
    }
);

both_backends!(
    r2_1_a_general_person_in_scope_cannot_read_confidential,
    |server| async move {
        let clerk = server.login("chen.jing").await;
        let (status, body) = clerk
            .get(&format!("/api/v1/matters/{MATTER_RAIL_PLAN}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "category_too_low");
        assert_eq!(body["rule"], "R2.1");
        let (status, body) = clerk
            .get(&format!("/api/v1/matters/{MATTER_SITE_OPTIONS}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["level"], "secret");
        // R5.3: the system administrator reads no classified content by role.
        let sysadmin = server.login("sysadmin").await;
        let (status, body) = sysadmin
            .get(&format!("/api/v1/matters/{MATTER_SITE_OPTIONS}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
);

both_backends!(
    r13_1_lists_never_leak_what_the_subject_may_not_read,
    |server| async move {
        let today = server.today();
        let clerk = server.login("chen.jing").await;
        let (status, list) = clerk.get("/api/v1/matters").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let seen = ids(&list);
        assert_eq!(list["total"].as_u64().unwrap() as usize, seen.len());
        assert!(seen.contains(&MATTER_SITE_OPTIONS));
        assert!(
            !seen.contains(&MATTER_RAIL_PLAN),
            "Confidential leaked: {list}"
        );
        assert!(!seen.contains(&MATTER_TOP_SECRET));
        for item in list["items"].as_array().unwrap() {
            assert!(
                item["status"] == "declassified" || item["level"] == "secret",
                "{item} on {today}"
            );
        }
        // A filter counts only what is visible: the hidden Confidential matter is not counted.
        let (_, confidential) = clerk.get("/api/v1/matters?level=confidential").await;
        assert_eq!(confidential["total"], 0, "{confidential}");

        // Someone in no scope sees only declassified matters (open to read, R1.9).
        let outsider = server.login("zhao.lei").await;
        let (_, list) = outsider.get("/api/v1/matters?sort=title&order=desc").await;
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "declassified"));
        assert!(ids(&list).contains(&MATTER_TERM_ENDED), "{list}");
        let (_, proposals) = outsider.get("/api/v1/proposals").await;
        assert_eq!(proposals["total"], 0, "{proposals}");
        let (_, escalations) = outsider.get("/api/v1/escalations").await;
        assert_eq!(escalations["total"], 0, "{escalations}");

        // Pages: the total stays, the page is cut.
        let minister = server.login("huang.tao").await;
        let (_, page) = minister
            .get("/api/v1/matters?per_page=1&page=2&sort=id")
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
        assert!(page["total"].as_u64().unwrap() >= 2);
        let lists = server.audit("matter.list").await;
        assert!(lists.len() >= 4);
        assert!(lists.iter().all(|e| e.outcome == Outcome::Success));
    }
);

both_backends!(
    r1_8_the_classifier_changes_period_and_scope,
    |server| async move {
        let classifier = server.login("wang.fang").await;
        let path = format!("/api/v1/matters/{MATTER_SITE_OPTIONS}/change");
        let (status, body) = classifier.post(&path, json!({ "mark": "秘密★3年" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "empty_reason");

        let (status, body) = classifier
            .post(
                &path,
                json!({
                    "mark": "秘密★3年",
                    "scope": { "persons": [3, 4] },
                    "reason": "选址方案将于三年内公开，缩短保密期限并按最小化原则调整知悉范围",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["matter"]["mark"], "秘密★3年");
        assert_eq!(body["outcome"]["carriers"]["action"], "remark");
        let notified: Vec<i64> = body["outcome"]["notify_persons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_i64().unwrap())
            .collect();
        assert!(
            notified.contains(&server.person("chen.jing")),
            "the removed holder is told"
        );
        let history = body["matter"]["history"].as_array().unwrap();
        assert_eq!(history.last().unwrap()["action"]["kind"], "changed");

        // chen.jing is no longer in the scope.
        let clerk = server.login("chen.jing").await;
        let (status, body) = clerk
            .get(&format!("/api/v1/matters/{MATTER_SITE_OPTIONS}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "not_in_scope");

        // A handling officer in the scope is no classifier (R1.5).
        let officer = server.login("liu.yang").await;
        let (status, body) = officer
            .post(&path, json!({ "mark": "秘密★2年", "reason": "调整" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "not_classifier");
        assert_eq!(body["rule"], "R1.5");
        let changes = server.audit("matter.change").await;
        assert!(changes.iter().any(|e| e.outcome == Outcome::Success
            && e.actor == Actor::Person(PersonId(server.person("wang.fang")))));
        assert!(changes.iter().any(|e| e.outcome
            == Outcome::Denied {
                reason: "not_classifier".to_owned()
            }));
    }
);

both_backends!(
    r1_9_extension_before_the_end_and_early_declassification,
    |server| async move {
        let classifier = server.login("wang.fang").await;
        // The period ends in 20 days: extended before the end.
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_ENDING_SOON}/extend"),
                json!({ "mark": "秘密★3年", "reason": "储备布点调整尚未完成，需继续保密" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["matter"]["mark"], "秘密★3年");
        server.advance_days(30);
        let classifier = server.login("wang.fang").await;
        let (_, matter) = classifier
            .get(&format!("/api/v1/matters/{MATTER_ENDING_SOON}"))
            .await;
        assert_eq!(matter["status"], "in_force", "{matter}");

        // A period that has already ended cannot be extended: it declassified itself (R1.9).
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_TERM_ENDED}/extend"),
                json!({ "mark": "秘密★5年", "reason": "补办延长" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.9");
        assert_eq!(body["reason"], "extension_too_late");

        // Early declassification after review; the matter is then open to read.
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_SITE_OPTIONS}/declassify"),
                json!({ "ground": "no_longer_harmful", "reason": "选址结果已公示" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["matter"]["status"], "declassified");
        assert_eq!(body["outcome"]["carriers"]["action"], "mark_declassified");
        let outsider = server.login("zhao.lei").await;
        let (status, body) = outsider
            .get(&format!("/api/v1/matters/{MATTER_SITE_OPTIONS}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // The yearly review keeps a matter and sets the next due day; a condition is met.
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_RAIL_PLAN}/review"),
                json!({ "reason": "年度审核：仍需保密" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["outcome"]["next_review_due"].is_string());
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_RAIL_PLAN}/condition-met"),
                json!({ "reason": "x" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "not_a_condition_term");
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(
                &format!("/api/v1/matters/{MATTER_CONDITION}/condition-met"),
                json!({ "reason": "三号线工程已竣工验收" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["matter"]["status"], "declassified");
    }
);

both_backends!(
    r1_10_unclear_matter_and_dispute_workflows,
    |server| async move {
        let officer = server.login("liu.yang").await;
        let mut body = proposal("新型管材耐久性试验数据", "机密★10年", &[2, 3, 4]);
        body["kind"] = json!("unclear");
        body["basis"] = json!("保密事项范围未明确列举");
        body["reason"] = json!("不明确是否属于国家秘密，先行保护");
        let (status, case) = officer.post("/api/v1/escalations", body).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        assert_eq!(case["stage"], "protected");
        assert_eq!(case["protected_level"], "confidential");
        assert_eq!(case["detail"]["department"], "provincial");
        let id = case["id"].as_i64().unwrap();

        let keeper = server.login("li.na").await;
        let step = |name: &str| format!("/api/v1/escalations/{id}/{name}");
        let (status, body) = keeper
            .post(
                &step("submit"),
                json!({ "reason": "报省级保密行政管理部门" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "with_department");
        // Only the confidentiality officer records a department's decision.
        let (status, body) = officer
            .post(&step("decide"), json!({ "level": "secret", "reason": "x" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // The provincial department may not confirm Top Secret (R1.10)…
        let (status, body) = keeper
            .post(
                &step("decide"),
                json!({ "level": "top_secret", "reason": "拟定绝密" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.10");
        // …it forwards the case to the national department; until decided it is protected as
        // Top Secret (practice), which the officer's category no longer covers (R2.1).
        let (status, body) = keeper
            .post(&step("forward"), json!({ "reason": "可能属绝密，转报" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["detail"]["department"], "national");
        assert_eq!(body["protected_level"], "top_secret");
        let (status, body) = keeper.get(&format!("/api/v1/escalations/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "category_too_low");

        // A Secret case with the provincial department is decided there.
        let submitted = format!("/api/v1/escalations/{ESCALATION_SUBMITTED}");
        let (status, body) = keeper.get(&submitted).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "with_department");
        assert!(body["deadline"].is_string());
        let (status, body) = keeper
            .post(
                &format!("{submitted}/decide"),
                json!({ "level": "secret", "reason": "省保密局确定为秘密级" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "decided");
        assert_eq!(body["detail"]["final_level"], "secret");

        // A dispute goes to the original classifier first.
        let clerk = server.login("chen.jing").await;
        let (status, dispute) = clerk
            .post(
                "/api/v1/escalations",
                json!({ "kind": "dispute", "matter": MATTER_SITE_OPTIONS, "claimed": "internal",
                    "reason": "选址方案已在听证会上公开" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{dispute}");
        assert_eq!(dispute["stage"], "with_classifier");
        let did = dispute["id"].as_i64().unwrap();
        let (status, body) = clerk
            .post(
                &format!("/api/v1/escalations/{did}/escalate"),
                json!({ "reason": "直接上报" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "classifier_deadline_not_passed");
        let classifier = server.login("wang.fang").await;
        let (status, body) = classifier
            .post(
                &format!("/api/v1/escalations/{did}/answer"),
                json!({ "level": "secret", "reason": "听证会仅公开了部分内容" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "answered");
        let (status, body) = clerk
            .post(
                &format!("/api/v1/escalations/{did}/accept"),
                json!({ "reason": "接受" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "decided");

        let opened = server.audit("escalation.").await;
        assert!(opened.iter().any(|e| e.action == "escalation.forward"));
    }
);

both_backends!(
    r1_5_the_security_administrator_grants_classifiers,
    |server| async move {
        let secadmin = server.login("secadmin").await;
        let liu = server.person("liu.yang");
        let (status, body) = secadmin
            .post(
                "/api/v1/classifiers",
                json!({ "person": liu, "highest_level": "secret", "trained": true,
                    "certificate_expires": "2030-12-31" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["unit"], 3);
        // Never to herself (R5.3), and nobody else grants.
        let me = server.person("secadmin");
        let (status, body) = secadmin
            .post(
                "/api/v1/classifiers",
                json!({ "person": me, "highest_level": "secret" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "self_grant");
        let keeper = server.login("li.na").await;
        let (status, body) = keeper
            .post(
                "/api/v1/classifiers",
                json!({ "person": liu, "highest_level": "secret" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R5.3");
        let (status, list) = keeper.get("/api/v1/classifiers").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["total"], 4);
    }
);

both_backends!(
    r13_3_the_ledger_exports_only_what_the_subject_may_read,
    |server| async move {
        let classifier = server.login("wang.fang").await;
        let response = classifier
            .get_raw("/api/v1/matters/export?format=csv")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let text = response.text().await.unwrap();
        assert!(text.contains("城市轨道交通线网规划"), "{text}");
        assert!(!text.contains("某国家专项工程"), "{text}");
        let response = classifier
            .get_raw("/api/v1/matters/export?format=xlsx")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"));
        let exports = server.audit("matter.export").await;
        assert_eq!(exports.len(), 2);
    }
);
