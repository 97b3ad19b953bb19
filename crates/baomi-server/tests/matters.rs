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
        // A proposal that became a matter is read as the matter stands now (R1.7): only those
        // of the declassified matters are open to the outsider.
        let open = ids(&list);
        let (_, proposals) = outsider.get("/api/v1/proposals").await;
        for p in proposals["items"].as_array().unwrap() {
            let matter = p["state"]["matter"].as_i64();
            assert!(
                matter.is_some_and(|m| open.contains(&m)),
                "{p} leaked to the outsider"
            );
        }
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
        // Units and people by name, never by internal id.
        let row: Vec<&str> = text
            .lines()
            .find(|l| l.contains("城市轨道交通线网规划"))
            .unwrap()
            .split(',')
            .collect();
        for named in &row[7..10] {
            assert!(
                !named.is_empty() && !named.chars().all(|c| c.is_ascii_digit()),
                "{row:?}"
            );
        }
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

/// The denied audit entries of `action`, by reason code.
async fn denied_reasons(server: &common::TestServer, action: &str) -> Vec<String> {
    server
        .audit(action)
        .await
        .into_iter()
        .filter(|e| e.action == action)
        .filter_map(|e| match e.outcome {
            Outcome::Denied { reason } => Some(reason),
            _ => None,
        })
        .collect()
}

both_backends!(
    r1_4_r1_5_r5_3_classifier_grants_stay_in_own_units_and_within_the_units_authority,
    |server| async move {
        let secadmin = server.login("secadmin").await;
        let grant = |person: i64, level: &str| {
            json!({ "person": person, "highest_level": level, "trained": true,
                "certificate_expires": "2030-12-31" })
        };
        // R5.3: the bureau's security administrator grants nothing to the ministry's people.
        let (status, body) = secadmin
            .post(
                "/api/v1/classifiers",
                grant(server.person("xu.min"), "secret"),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["reason"], "outside_own_unit");
        assert_eq!(body["rule"], "R5.3");
        // R1.4: the prefecture-level bureau sets Confidential at most (its Top Secret
        // authorisation was withdrawn), so no classifier of it may be granted Top Secret.
        let liu = server.person("liu.yang");
        let (status, body) = secadmin
            .post("/api/v1/classifiers", grant(liu, "top_secret"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "above_unit_authority");
        assert_eq!(body["rule"], "R1.4");
        assert!(
            body["message_zh"].as_str().unwrap().contains("机密"),
            "{body}"
        );
        // R1.5: a classifier classifies for their own unit, not for the province above it.
        let mut other_unit = grant(liu, "secret");
        other_unit["unit"] = json!(2);
        let (status, body) = secadmin.post("/api/v1/classifiers", other_unit).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "not_persons_unit");
        assert_eq!(body["rule"], "R1.5");
        // A work secret is no level to classify (R1.1).
        let (status, body) = secadmin
            .post("/api/v1/classifiers", grant(liu, "internal"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "not_a_state_secret");

        // Nothing was granted; every refusal is audited as a denial.
        let (_, list) = secadmin.get("/api/v1/classifiers").await;
        assert_eq!(list["total"], 3, "{list}");
        let mut denied = denied_reasons(&server, "classifier.grant").await;
        denied.sort();
        assert_eq!(
            denied,
            [
                "above_unit_authority",
                "not_a_state_secret",
                "not_persons_unit",
                "outside_own_unit"
            ]
        );

        // Within the bureau's authority it is granted.
        let (status, body) = secadmin
            .post("/api/v1/classifiers", grant(liu, "confidential"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["unit"], 3);
        assert_eq!(body["highest_level"], "confidential");
    }
);

both_backends!(
    r1_4_r5_3_an_authorisation_comes_from_a_superior_organ_within_its_own_authority,
    |server| async move {
        // A centre under the prefecture-level bureau (3), and an office under the centre.
        let sysadmin = server.login("sysadmin").await;
        let (status, centre) = sysadmin
            .post(
                "/api/v1/units",
                json!({ "name": "某区规划服务中心", "tier": "other", "superior": 3 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{centre}");
        let centre = centre["id"].as_i64().unwrap();
        let (status, office) = sysadmin
            .post(
                "/api/v1/units",
                json!({ "name": "某区规划服务中心测绘室", "tier": "other", "superior": centre }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{office}");
        let office = office["id"].as_i64().unwrap();

        let secadmin = server.login("secadmin").await;
        let authorise = |unit: i64, granted_by: i64, level: &str, areas: Value| {
            json!({ "unit": unit, "granted_by": granted_by, "highest_level": level,
                "subject_areas": areas })
        };
        let areas = json!(["城乡规划"]);
        let refused = [
            // R1.4: a prefecture-level organ may not pass on Top Secret.
            (
                authorise(centre, 3, "top_secret", areas.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "above_granter_authority",
                "R1.4",
            ),
            // R1.4: never by the unit itself…
            (
                authorise(centre, centre, "secret", areas.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "self_authorisation",
                "R1.4",
            ),
            // …nor by a unit below it…
            (
                authorise(3, centre, "secret", areas.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "granter_not_superior",
                "R1.4",
            ),
            // …nor by a unit without statutory authority, even an authorised one.
            (
                authorise(office, centre, "secret", areas.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "granter_without_authority",
                "R1.4",
            ),
            // R1.4: limited to named subject areas.
            (
                authorise(centre, 3, "secret", json!([])),
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_subject_area",
                "R1.4",
            ),
            // R5.3: the province's authorisations are recorded by the province's side.
            (
                authorise(centre, 2, "secret", areas.clone()),
                StatusCode::FORBIDDEN,
                "not_granting_side",
                "R5.3",
            ),
        ];
        for (body, status, reason, rule) in &refused {
            let (got, answer) = secadmin.post("/api/v1/authorisations", body.clone()).await;
            assert_eq!(got, *status, "{body} → {answer}");
            assert_eq!(answer["reason"], *reason, "{answer}");
            assert_eq!(answer["rule"], *rule, "{answer}");
            assert!(answer["message_en"].as_str().is_some(), "{answer}");
        }
        // The existing role check stays: only the security administrator records one.
        let keeper = server.login("li.na").await;
        let (status, body) = keeper
            .post(
                "/api/v1/authorisations",
                authorise(centre, 3, "secret", areas.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R5.3");

        // Nothing was recorded (the demo holds one withdrawn authorisation); every refusal is
        // in the audit trail as a denial with its reason.
        let (_, list) = secadmin.get("/api/v1/authorisations").await;
        assert_eq!(list["total"], 1, "{list}");
        let denied = denied_reasons(&server, "authorisation.grant").await;
        for (_, _, reason, _) in &refused {
            assert!(denied.iter().any(|d| d == reason), "{reason}: {denied:?}");
        }

        // The bureau authorises the centre below it, up to Confidential.
        let (status, body) = secadmin
            .post(
                "/api/v1/authorisations",
                authorise(centre, 3, "confidential", areas.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["granted_by"], 3);
        assert_eq!(body["unit"], centre);
        assert_eq!(body["in_force"], true);
    }
);

both_backends!(
    r1_2_a_period_beyond_the_longest_needs_a_basis_naming_the_law,
    |server| async move {
        let officer = server.login("liu.yang").await;
        let law = "《中华人民共和国保守国家秘密法实施条例》第十六条";
        let with_override = |mark: &str, basis: &str| {
            let mut body = proposal("地下综合管廊长期布局", mark, &[3, 4]);
            body["period_override"] = json!(basis);
            body
        };
        let too_long = format!("《{}》", "某".repeat(250));
        for (body, reason) in [
            (with_override("秘密★15年", "   "), "override_basis_empty"),
            (
                with_override("秘密★15年", "工作需要，延长保管"),
                "override_basis_names_no_law",
            ),
            (
                with_override("秘密★15年", &too_long),
                "override_basis_too_long",
            ),
            // Five years fit R1.2: a basis would record an exception that is none.
            (with_override("秘密★5年", law), "override_not_needed"),
            (with_override("秘密★工程竣工后", law), "override_not_needed"),
            // Even with a basis, not beyond a hundred years.
            (
                with_override("秘密★2199年1月1日", law),
                "override_period_too_long",
            ),
        ] {
            let (status, answer) = officer.post("/api/v1/proposals", body.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body} → {answer}"
            );
            assert_eq!(answer["rule"], "R1.2", "{answer}");
            assert_eq!(answer["reason"], reason, "{answer}");
        }
        let denied = denied_reasons(&server, "proposal.file").await;
        assert_eq!(denied.len(), 6, "{denied:?}");
        assert!(denied.iter().any(|d| d == "override_basis_names_no_law"));

        // With a basis naming the regulation, fifteen years are proposed and the basis kept.
        let (status, filed) = officer
            .post("/api/v1/proposals", with_override("秘密★15年", law))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        assert_eq!(filed["proposal"]["mark"], "秘密★15年");
        assert_eq!(filed["proposal"]["period_override"], law);

        // The same holds for a change (R1.8) and an extension (R1.9) of a matter.
        let classifier = server.login("wang.fang").await;
        let change = format!("/api/v1/matters/{MATTER_SITE_OPTIONS}/change");
        let (status, body) = classifier
            .post(
                &change,
                json!({ "mark": "秘密★15年", "period_override": "上级同意",
                    "reason": "选址涉及长期规划" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "override_basis_names_no_law");
        let (status, body) = classifier
            .post(
                &change,
                json!({ "mark": "秘密★8年", "period_override": law,
                    "reason": "选址涉及长期规划" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "override_not_needed");
        let (status, body) = classifier
            .post(
                &format!("/api/v1/matters/{MATTER_ENDING_SOON}/extend"),
                json!({ "mark": "秘密★3年", "period_override": law, "reason": "继续保密" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "override_not_needed");
        let (status, body) = classifier
            .post(
                &change,
                json!({ "mark": "秘密★15年", "period_override": law,
                    "reason": "选址涉及长期规划" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["matter"]["mark"], "秘密★15年");
        assert_eq!(body["matter"]["period_override"], law);
        let changes = server.audit("matter.").await;
        assert!(changes.iter().any(|e| e.action == "matter.extend"
            && e.outcome
                == Outcome::Denied {
                    reason: "override_not_needed".to_owned()
                }));
    }
);
