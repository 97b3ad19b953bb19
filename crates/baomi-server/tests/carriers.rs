//! Carriers end to end (R3, R1.11, R3.7), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::Outcome;
use common::{Client, TestServer};
use jiff::ToSpan;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A day `n` days from the server's today, as `YYYY-MM-DD`.
fn day(server: &TestServer, n: i64) -> String {
    server.today().checked_add(n.days()).unwrap().to_string()
}

/// Registers a carrier of `level` known to the bureau's officer, planners and head, and signs
/// it into custody with li.na; answers its id.
async fn custody_carrier(server: &TestServer, officer: &Client, number: &str, level: &str) -> i64 {
    let persons: Vec<i64> = ["zhang.wei", "li.na", "wang.fang", "liu.yang", "chen.jing"]
        .iter()
        .map(|l| server.person(l))
        .collect();
    let scope = json!({ "persons": persons, "groups": [] });
    let (status, body) = officer
        .post(
            "/api/v1/carriers",
            json!({
                "number": number,
                "kind": "paper_document",
                "marking": level,
                "title": format!("测试载体 {number}"),
                "scope": scope,
                "location": "保密室 3号保密柜",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "registered");
    let id = body["id"].as_i64().unwrap();
    let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/take-into-custody"),
            json!({ "location": "保密室 3号保密柜" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_custody");
    id
}

async fn carrier(client: &Client, id: i64) -> Value {
    let (status, body) = client.get(&format!("/api/v1/carriers/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn approval(client: &Client, id: i64) -> Value {
    let (status, body) = client.get(&format!("/api/v1/approvals/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The ids of the requests in `client`'s inbox.
async fn inbox(client: &Client) -> Vec<i64> {
    let (status, body) = client.get("/api/v1/approvals?box=inbox").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

both_backends!(
    r3_5_ordinary_post_is_refused_audited_and_flagged_r10_1,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R35号", "secret").await;
        for channel in [
            json!({ "kind": "ordinary_post" }),
            json!({ "kind": "express" }),
        ] {
            let (status, body) = officer
                .post(
                    &format!("/api/v1/carriers/{id}/transmit"),
                    json!({ "channel": channel, "to": 2 }),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["rule"], "R3.5");
            assert_eq!(body["reason"], "unprotected_channel");
            assert!(
                body["message_en"].as_str().unwrap().contains("R10.1"),
                "{body}"
            );
        }
        // Nothing changed, and each refused attempt is in the audit trail, flagged R10.1.
        assert_eq!(carrier(&officer, id).await["status"], "in_custody");
        let refused: Vec<_> = server
            .audit("carrier.transmit")
            .await
            .into_iter()
            .filter(|e| e.object.as_ref().is_some_and(|o| o.id == id.to_string()))
            .collect();
        assert_eq!(refused.len(), 2);
        for e in &refused {
            assert!(
                matches!(&e.outcome, Outcome::Denied { reason } if reason == "unprotected_channel")
            );
            let detail: Value = serde_json::from_str(&e.detail).unwrap();
            assert_eq!(detail["rule"], "R3.5");
            assert_eq!(detail["violation"], "R10.1");
        }
        // Confidential transport is lawful.
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/transmit"),
                json!({ "channel": { "kind": "confidential_transport" }, "to": 2 }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in_transit");
    }
);

both_backends!(
    r3_6_secret_carry_out_waits_for_the_unit_head_not_a_leader,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R36号", "secret").await;
        let bearer = server.login("liu.yang").await;
        let (status, body) = bearer
            .post(
                &format!("/api/v1/carriers/{id}/carry-out"),
                json!({ "due": day(&server, 2), "reason": "赴省厅汇报" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["rule"], "R3.6");
        assert_eq!(body["needed"], json!(["unit_head"]));
        let request = body["approval_request"].as_i64().unwrap();
        assert_eq!(
            carrier(&officer, id).await["status"],
            "in_custody",
            "nothing happens before approval"
        );

        // Routed to the unit head only: not to the requester, not to a leader.
        let head = server.login("zhang.wei").await;
        let leader = server.login("wang.fang").await;
        assert!(inbox(&head).await.contains(&request));
        assert!(!inbox(&bearer).await.contains(&request));
        assert!(!inbox(&leader).await.contains(&request));

        // A leader's approval is refused by R3.6; the request stays pending with the attempt.
        let (status, body) = leader
            .post(
                &format!("/api/v1/approvals/{request}/approve"),
                json!({ "role": "leader" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.6");
        // The core looks for the unit head's approval among those given: a leader's does not count.
        assert_eq!(body["reason"], "approval_missing");
        assert!(
            body["message_en"].as_str().unwrap().contains("unit head"),
            "{body}"
        );
        let chain = approval(&bearer, request).await;
        assert_eq!(chain["status"], "pending");
        assert_eq!(chain["steps"][0]["outcome"], "attempt_refused");
        assert_eq!(chain["steps"][0]["by"], server.person("wang.fang"));
        assert_eq!(carrier(&officer, id).await["status"], "in_custody");

        // The unit head's approval carries it out.
        let (status, body) = head
            .post(
                &format!("/api/v1/approvals/{request}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "approved");
        let after = carrier(&officer, id).await;
        assert_eq!(after["status"], "carried_out");
        assert_eq!(after["holder"], server.person("liu.yang"));
        let last = after["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "carry_out");
        assert_eq!(last["approval_request"], request);
        assert_eq!(last["approved_by"], server.person("zhang.wei"));
        let done: Vec<_> = server
            .audit("carrier.carry_out")
            .await
            .into_iter()
            .filter(|e| e.outcome == Outcome::Success)
            .filter(|e| e.object.as_ref().is_some_and(|o| o.id == id.to_string()))
            .collect();
        assert_eq!(done.len(), 1);
        assert!(server.audit("approval.request").await.iter().any(|e| e
            .object
            .as_ref()
            .is_some_and(|o| o.id == request.to_string())));

        // Back face to face with an inventory (R3.6 return).
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/return"),
                json!({ "face_to_face": true, "inventory_matches": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in_custody");
    }
);

both_backends!(
    r3_6_a_bearer_outside_the_scope_is_refused_and_clearance_is_never_taken_from_the_body,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R36b号", "secret").await;
        // The IT technician is not classified personnel: the officer may not send him out with it,
        // whatever the body claims.
        let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/carry-out"),
            json!({ "by": server.person("zhao.lei"), "due": day(&server, 1), "bearer_cleared": true }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.6");
        assert_eq!(body["reason"], "bearer_not_cleared");
        // He may not even read it (R1.7), and the denial is audited.
        let outsider = server.login("zhao.lei").await;
        let (status, body) = outsider.get(&format!("/api/v1/carriers/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R1.7");
        assert!(server
            .audit("carrier.read")
            .await
            .iter()
            .any(|e| matches!(&e.outcome, Outcome::Denied { reason } if reason == "not_in_scope")));
    }
);

both_backends!(
    r3_9_destruction_waits_for_approval_and_the_requester_cannot_approve_it,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R39号", "secret").await;
        let method = json!({
            "kind": "designated_body",
            "body": "市国家保密局涉密载体销毁中心",
            "packed": true,
            "transported_safely": true,
            "supervisor": server.person("li.na"),
        });
        // No method at all: refused by R3.9 at once.
        let (status, body) = officer
            .post(&format!("/api/v1/carriers/{id}/destroy"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.9");
        // Without approval nothing is destroyed: a pending request.
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/destroy"),
                json!({ "method": method }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["rule"], "R3.9");
        let request = body["approval_request"].as_i64().unwrap();
        assert_eq!(carrier(&officer, id).await["status"], "in_custody");
        // The officer holds an approving role, but not for her own request.
        assert!(!inbox(&officer).await.contains(&request));
        let (status, body) = officer
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.9");
        assert_eq!(body["reason"], "self_approval");
        assert_eq!(approval(&officer, request).await["status"], "pending");
        assert_eq!(carrier(&officer, id).await["status"], "in_custody");
        // The unit head approves: destroyed, and the record stays (R3.9).
        let head = server.login("zhang.wei").await;
        assert!(inbox(&head).await.contains(&request));
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let after = carrier(&officer, id).await;
        assert_eq!(after["status"], "destroyed");
        assert_eq!(after["state"]["approval"], request);
        // Nothing leads out of destroyed.
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/take-into-custody"),
                json!({ "location": "保密室" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.10");
    }
);

both_backends!(
    r3_4_lend_with_approval_then_return_with_sign_off,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R34号", "secret").await;
        // A borrower outside the scope is refused (R3.4), whatever is claimed.
        let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/lend"),
            json!({ "to": server.person("zhao.lei"), "due": day(&server, 7), "borrower_cleared": true }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.4");
        assert_eq!(body["reason"], "borrower_not_cleared");
        // Lending to the clerk waits for a leader or the unit head.
        let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/lend"),
            json!({ "to": server.person("chen.jing"), "due": day(&server, 7), "reason": "查阅" }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["needed"], json!(["unit_head", "leader"]));
        let request = body["approval_request"].as_i64().unwrap();
        let leader = server.login("wang.fang").await;
        assert!(inbox(&leader).await.contains(&request));
        let (status, body) = leader
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let lent = carrier(&officer, id).await;
        assert_eq!(lent["status"], "lent");
        assert_eq!(lent["holder"], server.person("chen.jing"));
        assert_eq!(lent["due"], day(&server, 7));
        // The borrower sees it in her list.
        let borrower = server.login("chen.jing").await;
        let (status, list) = borrower
            .get(&format!(
                "/api/v1/carriers?holder={}",
                server.person("chen.jing")
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id));
        // Return needs the sign-off: face to face, inventory matching.
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/return"),
                json!({ "face_to_face": false, "inventory_matches": true }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R3.4");
        assert_eq!(body["reason"], "not_face_to_face");
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/return"),
                json!({ "face_to_face": true, "inventory_matches": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in_custody");
        assert_eq!(body["holder"], server.person("li.na"));
        let history: Vec<String> = body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(history, ["register", "take_into_custody", "lend", "return"]);
    }
);

both_backends!(
    r3_2_a_duplicate_number_in_the_unit_is_refused,
    |server| async move {
        let officer = server.login("li.na").await;
        custody_carrier(&server, &officer, "测〔2026〕R32号", "secret").await;
        let register = |copy: u32| {
            json!({
                "number": " 测〔2026〕R32号 ",
                "copy": copy,
                "kind": "paper_document",
                "marking": "秘密",
                "title": "重复编号",
                "scope": { "persons": [server.person("li.na")], "groups": [] },
                "location": "保密室",
            })
        };
        let (status, body) = officer.post("/api/v1/carriers", register(1)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["rule"], "R3.2");
        assert_eq!(body["reason"], "duplicate_number");
        // Another copy number of the same document is a carrier of its own.
        let (status, body) = officer.post("/api/v1/carriers", register(2)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // Another unit numbers its own carriers.
        let ministry = server.login("xu.min").await;
        let (status, body) = ministry
            .post(
                "/api/v1/carriers",
                json!({
                    "number": "测〔2026〕R32号",
                    "kind": "paper_document",
                    "marking": "机密★10年",
                    "title": "部里的同号载体",
                    "scope": { "persons": [server.person("xu.min")], "groups": [] },
                    "location": "部保密室",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["marking"]["zh"], "机密★10年");
        // A scope that names nobody is refused (R1.7).
        let mut empty = register(3);
        empty["scope"] = json!({ "persons": [], "groups": [] });
        let (status, body) = officer.post("/api/v1/carriers", empty).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.7");
    }
);

both_backends!(
    r3_7_an_inventory_round_reports_its_discrepancies,
    |server| async move {
        let officer = server.login("li.na").await;
        let found = custody_carrier(&server, &officer, "测〔2026〕R37-1号", "secret").await;
        let elsewhere = custody_carrier(&server, &officer, "测〔2026〕R37-2号", "secret").await;
        // Only the officer or the head runs inventories.
        let clerk = server.login("chen.jing").await;
        let (status, body) = clerk.post("/api/v1/inventories", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, round) = officer.post("/api/v1/inventories", json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{round}");
        let round_id = round["id"].as_i64().unwrap();
        let expected = round["expected"].as_array().unwrap();
        assert!(expected.iter().any(|e| e["carrier"] == found));
        // Everything the ledger keeps here is found, except: one carrier in another cabinet, one
        // not found at all, and one not on the ledger.
        let mut lines: Vec<Value> = expected
        .iter()
        .filter(|e| matches!(e["status"].as_str(), Some("registered" | "in_custody" | "declassified")))
        .filter(|e| e["carrier"] != elsewhere)
        .map(|e| json!({ "number": e["key"]["number"], "copy": e["key"]["copy"], "holder": e["holder"], "location": e["location"] }))
        .collect();
        let missing = lines
            .iter()
            .position(|l| l["number"] == "测〔2026〕R37-1号")
            .unwrap();
        lines.remove(missing);
        lines.push(json!({ "number": "测〔2026〕R37-2号", "location": "保密室 9号保密柜" }));
        lines.push(json!({ "number": "来历不明〔2020〕1号", "location": "规划科" }));
        let (status, body) = officer
            .post(
                &format!("/api/v1/inventories/{round_id}/observations"),
                json!({ "found": lines }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, closed) = officer
            .post(&format!("/api/v1/inventories/{round_id}/close"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(closed["status"], "closed");
        let kinds: Vec<(String, Value)> = closed["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["kind"]["kind"].as_str().unwrap().to_owned(),
                    d["carrier"].clone(),
                )
            })
            .collect();
        assert!(
            kinds.contains(&("missing".to_owned(), json!(found))),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("wrong_location".to_owned(), json!(elsewhere))),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("unexpected".to_owned(), Value::Null)),
            "{kinds:?}"
        );
        // The demo's overdue loan shows up too.
        assert!(kinds.iter().any(|(k, _)| k == "overdue"), "{kinds:?}");
        assert!(closed["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["rule"] == "R3.7"));
        // Closed is closed; the round is listed and audited.
        let (status, _) = officer
            .post(&format!("/api/v1/inventories/{round_id}/close"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, list) = officer.get("/api/v1/inventories").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == round_id));
        assert!(!server.audit("inventory.close").await.is_empty());
    }
);

both_backends!(
    r1_7_lists_and_exports_show_only_what_the_subject_may_read,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕R17号", "secret").await;
        let outsider = server.login("zhao.lei").await;
        let (status, list) = outsider.get("/api/v1/carriers?per_page=500").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id));
        // Only declassified or released carriers (open to read, R1.9) are visible to him.
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| matches!(i["status"].as_str(), Some("declassified" | "released"))),
            "{list}"
        );
        assert_eq!(
            list["total"].as_u64().unwrap() as usize,
            list["items"].as_array().unwrap().len()
        );
        let response = outsider.get_raw("/api/v1/carriers/export?format=csv").await;
        assert_eq!(response.status(), StatusCode::OK);
        let csv = response.text().await.unwrap();
        assert!(!csv.contains("测〔2026〕R17号"));
        // The officer's export has it, in both formats; every list and export is audited.
        let response = officer
            .get_raw("/api/v1/carriers/export?format=csv&q=R17")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        assert!(csv.contains("测〔2026〕R17号"), "{csv}");
        // The holder by name, never by internal id.
        let row: Vec<&str> = csv
            .lines()
            .find(|l| l.contains("测〔2026〕R17号"))
            .unwrap()
            .split(',')
            .collect();
        assert!(
            !row[7].is_empty() && !row[7].chars().all(|c| c.is_ascii_digit()),
            "{row:?}"
        );
        let response = officer.get_raw("/api/v1/carriers/export?format=xlsx").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.bytes().await.unwrap().starts_with(b"PK"));
        let (status, _) = officer.get("/api/v1/carriers/export?format=pdf").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(!server.audit("carrier.list").await.is_empty());
        assert_eq!(server.audit("carrier.export").await.len(), 3);
        // Filters and sorting.
        let (status, list) = officer
            .get("/api/v1/carriers?status=lent&sort=due&order=desc")
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "lent"));
        let (status, _) = officer.get("/api/v1/carriers?sort=nonsense").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
);

both_backends!(
    r3_10_the_demo_has_carriers_in_every_state_and_pending_approvals,
    |server| async move {
        let officer = server.login("li.na").await;
        let (status, list) = officer.get("/api/v1/carriers?per_page=500").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().unwrap();
        for state in [
            "registered",
            "in_custody",
            "lent",
            "in_transit",
            "carried_out",
            "in_repair",
            "destroyed",
            "declassified",
            "released",
        ] {
            assert!(
                items.iter().any(|i| i["status"] == state),
                "no demo carrier {state}"
            );
        }
        assert!(
            items.iter().any(|i| i["overdue"] == true),
            "an overdue loan"
        );
        // The ministry's Top Secret carrier is not the bureau officer's business.
        assert!(items.iter().all(|i| i["level"] != "top_secret"));
        // Pending requests reach the right people: the carry-out only the unit head, the lend and
        // the destruction also the leader; never the requester.
        let head = server.login("zhang.wei").await;
        let (_, all) = head.get("/api/v1/approvals?box=inbox").await;
        let by_command = |command: &str| -> Vec<i64> {
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["subject"]["command"]["command"] == command)
                .map(|i| i["id"].as_i64().unwrap())
                .collect()
        };
        let (carry, lend, destroy) = (
            by_command("carry_out"),
            by_command("lend"),
            by_command("destroy"),
        );
        assert!(
            !carry.is_empty() && !lend.is_empty() && !destroy.is_empty(),
            "{all}"
        );
        let leader = server.login("wang.fang").await;
        let leader_inbox = inbox(&leader).await;
        assert!(
            carry.iter().all(|id| !leader_inbox.contains(id)),
            "the deputy asked for it herself"
        );
        assert!(lend.iter().all(|id| leader_inbox.contains(id)));
        let officer_inbox = inbox(&officer).await;
        assert!(
            destroy.iter().all(|id| !officer_inbox.contains(id)),
            "the officer asked for it herself"
        );
        // A closed inventory round with discrepancies.
        let (status, rounds) = officer.get("/api/v1/inventories").await;
        assert_eq!(status, StatusCode::OK, "{rounds}");
        assert!(rounds["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "closed" && r["discrepancies"].as_u64().unwrap() > 0));
    }
);

both_backends!(
    r1_11_a_copy_needs_approval_and_is_managed_as_an_original,
    |server| async move {
        let officer = server.login("li.na").await;
        // A carrier without a recorded matter cannot be checked against its originator.
        let plain = custody_carrier(&server, &officer, "测〔2026〕R111号", "secret").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{plain}/copy"),
                json!({ "number": "测〔2026〕R111-复号", "location": "保密室" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R1.11");
        // The demo drawings belong to a matter: copying them waits for the head or a leader.
        let (_, list) = officer
            .get("/api/v1/carriers?per_page=500&status=in_custody")
            .await;
        let source = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| !i["matter"].is_null() && i["copied_from"].is_null())
            .cloned()
            .expect("a demo carrier of a matter in custody");
        let source_id = source["id"].as_i64().unwrap();
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{source_id}/copy"),
                json!({ "number": "测〔2026〕复印1号", "location": "保密室 1号保密柜" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["rule"], "R1.11");
        let request = body["approval_request"].as_i64().unwrap();
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let copy_id = body["result"]["id"].as_i64().unwrap();
        let copy = carrier(&officer, copy_id).await;
        assert_eq!(copy["status"], "in_custody");
        assert_eq!(copy["marking"], source["marking"]);
        assert_eq!(copy["matter"], source["matter"]);
        assert_eq!(copy["copied_from"]["source"], source_id);
        assert_eq!(copy["copied_from"]["approval"], request);
        let src = carrier(&officer, source_id).await;
        assert!(src["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["action"] == "copied" && h["related"] == copy_id));
    }
);

/// Registers a carrier known only to `persons` with `registrar` as its custodian, and takes it
/// into custody; answers its id.
async fn scoped_carrier(
    registrar: &Client,
    number: &str,
    level: &str,
    persons: &[i64],
    matter: Option<i64>,
) -> i64 {
    let mut body = json!({
        "number": number,
        "kind": "paper_document",
        "title": format!("测试载体 {number}"),
        "location": "保密室 3号保密柜",
    });
    match matter {
        Some(m) => body["matter"] = json!(m),
        None => {
            body["marking"] = json!(level);
            body["scope"] = json!({ "persons": persons, "groups": [] });
        }
    }
    let (status, body) = registrar.post("/api/v1/carriers", body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (status, body) = registrar
        .post(
            &format!("/api/v1/carriers/{id}/take-into-custody"),
            json!({ "location": "保密室 3号保密柜" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// The denied `approval.approve` audit entries about request `request`, by reason.
async fn denied_approvals(server: &TestServer, request: i64) -> Vec<String> {
    server
        .audit("approval.approve")
        .await
        .into_iter()
        .filter(|e| {
            e.object
                .as_ref()
                .is_some_and(|o| o.id == request.to_string())
        })
        .filter_map(|e| match e.outcome {
            Outcome::Denied { reason } => Some(reason),
            _ => None,
        })
        .collect()
}

both_backends!(
    r2_1_an_approver_whose_category_does_not_cover_the_carrier_is_refused_and_audited,
    |server| async move {
        // The unit head (core) holds a Top Secret carrier and asks for its destruction.
        let head = server.login("zhang.wei").await;
        let id = custody_carrier(&server, &head, "测〔2026〕R21号", "top_secret").await;
        let (status, body) = head
            .post(
                &format!("/api/v1/carriers/{id}/destroy"),
                json!({ "method": {
                    "kind": "designated_body",
                    "body": "市国家保密局涉密载体销毁中心",
                    "packed": true,
                    "transported_safely": true,
                    "supervisor": server.person("zhang.wei"),
                }, "reason": "已过保存期" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        // A leader and the confidentiality officer hold an accepted role, but are important
        // personnel: they may not handle Top Secret, so they may not approve it (R2.1).
        for login in ["wang.fang", "li.na"] {
            let approver = server.login(login).await;
            let (status, body) = approver
                .post(
                    &format!("/api/v1/approvals/{request}/approve"),
                    json!({ "reason": "同意" }),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {body}");
            assert_eq!(body["reason"], "category_too_low", "{body}");
            assert_eq!(body["rule"], "R2.1", "{body}");
            assert!(body.get("title").is_none(), "{body}");
        }
        // Nothing happened: still pending, still in custody; both attempts audited as denials.
        assert_eq!(approval(&head, request).await["status"], "pending");
        assert_eq!(carrier(&head, id).await["status"], "in_custody");
        assert_eq!(
            denied_approvals(&server, request).await,
            ["category_too_low", "category_too_low"]
        );
    }
);

both_backends!(
    r13_1_r1_7_an_approver_outside_the_scope_is_answered_without_the_carriers_content,
    |server| async move {
        // A Secret carrier known to the officer and the planner only, not to the unit head.
        let officer = server.login("li.na").await;
        let persons = [server.person("li.na"), server.person("liu.yang")];
        let id = scoped_carrier(&officer, "测〔2026〕R131号", "secret", &persons, None).await;
        let bearer = server.login("liu.yang").await;
        let (status, body) = bearer
            .post(
                &format!("/api/v1/carriers/{id}/carry-out"),
                json!({ "due": day(&server, 2), "reason": "赴省厅汇报" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        // R3.6: the unit head approves the carry-out — but learns only id and status (R1.7).
        let head = server.login("zhang.wei").await;
        // In his inbox the request says what it is, not what it is about.
        let (status, shown) = head.get(&format!("/api/v1/approvals/{request}")).await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        assert_eq!(shown["redacted"], true, "{shown}");
        assert!(!shown.to_string().contains("R131"), "{shown}");
        assert!(!shown.to_string().contains("赴省厅汇报"), "{shown}");
        assert_eq!(shown["level"], "secret");
        let (status, body) = head
            .post(
                &format!("/api/v1/approvals/{request}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let result = &body["result"];
        assert_eq!(result["id"], id, "{body}");
        assert_eq!(result["status"], "carried_out", "{body}");
        assert_eq!(result["withheld"]["reason"], "not_in_scope", "{body}");
        for field in ["title", "number", "scope", "history", "holder", "location"] {
            assert!(result.get(field).is_none(), "{field} leaked: {body}");
        }
        // He may not read it directly either; those in the scope see it carried out.
        let (status, _) = head.get(&format!("/api/v1/carriers/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let after = carrier(&officer, id).await;
        assert_eq!(after["status"], "carried_out");
        assert_eq!(
            after["history"].as_array().unwrap().last().unwrap()["approved_by"],
            server.person("zhang.wei")
        );

        // R1.11: a copy of a carrier of the site-options matter, whose scope leaves out the
        // unit head: he approves the copy and is answered its id and status only.
        let matter = baomi_server::demo::matters::MATTER_SITE_OPTIONS;
        let source = scoped_carrier(
            &bearer,
            "测〔2026〕R131-选址号",
            "secret",
            &[],
            Some(matter),
        )
        .await;
        let (status, body) = bearer
            .post(
                &format!("/api/v1/carriers/{source}/copy"),
                json!({ "number": "测〔2026〕R131-选址复号", "location": "保密室 1号保密柜" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let result = &body["result"];
        let copy_id = result["id"].as_i64().unwrap();
        assert_eq!(result["status"], "in_custody", "{body}");
        assert_eq!(result["withheld"]["rule"], "R1.7", "{body}");
        assert!(result.get("title").is_none(), "{body}");
        assert!(result.get("copied_from").is_none(), "{body}");
        // The planner, in the matter's scope, reads the copy in full.
        let copy = carrier(&bearer, copy_id).await;
        assert_eq!(copy["copied_from"]["source"], source);
        assert_eq!(copy["title"], "测试载体 测〔2026〕R131-选址号");

        // An approver in the scope still gets the full view (R3.4: a leader approves a loan).
        let id = custody_carrier(&server, &officer, "测〔2026〕R131b号", "secret").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/lend"),
                json!({ "to": server.person("chen.jing"), "due": day(&server, 7), "reason": "查阅" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        let leader = server.login("wang.fang").await;
        let (status, body) = leader
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"]["title"], "测试载体 测〔2026〕R131b号");
        assert!(body["result"].get("withheld").is_none(), "{body}");
    }
);

both_backends!(
    r13_1_r4_4_a_device_approver_who_neither_manages_nor_holds_it_gets_only_its_status,
    |server| async move {
        let liu = server.login("liu.yang").await;
        let (status, page) = liu.get("/api/v1/devices?q=SB-2026-019").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let laptop = page["items"][0]["id"].as_i64().unwrap();
        let (status, body) = liu
            .post(
                &format!("/api/v1/devices/{laptop}/carry_out"),
                json!({ "due": day(&server, 3), "destination": "省厅规划处", "encrypted": true,
                    "authenticated": true, "reason": "汇报" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval"].as_i64().unwrap();
        // The unit head approves (R4.4); the device is not his to see (he neither manages nor
        // holds it), so the answer is its id and status only.
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let result = &body["result"];
        assert_eq!(result["id"], laptop, "{body}");
        assert_eq!(result["status"], "carried_out", "{body}");
        for field in ["serial", "history", "password", "holder", "destination"] {
            assert!(result.get(field).is_none(), "{field} leaked: {body}");
        }
        // The holder sees the full record.
        let (status, device) = liu.get(&format!("/api/v1/devices/{laptop}")).await;
        assert_eq!(status, StatusCode::OK, "{device}");
        assert_eq!(device["destination"], "省厅规划处");
    }
);

both_backends!(
    r3_6_only_an_approver_the_request_is_routed_to_may_refuse_it,
    |server| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕拒36号", "secret").await;
        let bearer = server.login("liu.yang").await;
        let (status, body) = bearer
            .post(
                &format!("/api/v1/carriers/{id}/carry-out"),
                json!({ "due": day(&server, 2), "reason": "赴省厅汇报" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        let refuse = format!("/api/v1/approvals/{request}/refuse");
        // A refusal carries nothing out, so the core never sees it: the inbox itself checks
        // that the refuser holds a role the request needs (the unit head's, R3.6). A leader,
        // the confidentiality office and the requester may not refuse it.
        for login in ["wang.fang", "li.na", "liu.yang"] {
            let (status, body) = server
                .login(login)
                .await
                .post(&refuse, json!({ "reason": "不同意" }))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {body}");
        }
        assert_eq!(approval(&bearer, request).await["status"], "pending");
        let denied: Vec<_> = server
            .audit("approval.refuse")
            .await
            .into_iter()
            .filter(|e| matches!(e.outcome, Outcome::Denied { .. }))
            .collect();
        assert_eq!(denied.len(), 3, "each refused refusal is audited");
        let (status, body) = server
            .login("zhang.wei")
            .await
            .post(&refuse, json!({ "reason": "汇报可改为视频会议" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "refused");
        assert_eq!(carrier(&officer, id).await["status"], "in_custody");
    }
);

both_backends!(
    r1_7_a_registrant_outside_a_matters_scope_learns_nothing_of_it,
    |server| async move {
        let body = |matter: i64| {
            json!({
                "number": "测〔2026〕R17号",
                "kind": "paper_document",
                "marking": "秘密",
                "title": "试探",
                "matter": matter,
                "location": "办公室",
            })
        };
        // zhao.lei is outside matter 1's scope: a wrong level for it is answered exactly
        // like a matter that does not exist (its existence and level are not told).
        let outsider = server.login("zhao.lei").await;
        let (real_status, real) = outsider.post("/api/v1/carriers", body(1)).await;
        let (none_status, none) = outsider.post("/api/v1/carriers", body(9_999)).await;
        assert_eq!(real_status, none_status, "{real} vs {none}");
        assert_eq!(real["message"], none["message"], "{real} vs {none}");
        assert!(!real.to_string().contains("R3.2"), "{real}");
        // li.na, in its scope, is told why: the marking must carry the matter's level.
        let officer = server.login("li.na").await;
        let (status, told) = officer.post("/api/v1/carriers", body(1)).await;
        assert_ne!(status, StatusCode::CREATED, "{told}");
        assert!(told.to_string().contains("R3.2"), "{told}");
    }
);
