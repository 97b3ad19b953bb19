//! The devices ledger end to end (R4.1, R4.2, R4.4, R4.7), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::Outcome;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The id of the device numbered `number`, as `client` finds it in the ledger.
async fn device_id(client: &common::Client, number: &str) -> i64 {
    let (status, page) = client.get(&format!("/api/v1/devices?q={number}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{number}: {page}");
    items[0]["id"].as_i64().unwrap()
}

/// The pending inbox request about device `device`, as `approver` sees it.
async fn inbox_request(approver: &common::Client, device: i64) -> Value {
    let (status, page) = approver.get("/api/v1/approvals?box=inbox").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"]["kind"] == "device" && r["subject"]["device"] == device)
        .unwrap_or_else(|| panic!("no request for device {device} in {page}"))
        .clone()
}

both_backends!(
    r4_4_a_classified_laptop_leaves_only_with_the_unit_heads_approval,
    |server| async move {
        let liu = server.login("liu.yang").await;
        let laptop = device_id(&liu, "SB-2026-019").await;
        let due = server
            .today()
            .checked_add(jiff::Span::new().days(3))
            .unwrap()
            .to_string();
        // Unencrypted: refused at once, whatever any approver would say.
        let (status, body) = liu
        .post(
            &format!("/api/v1/devices/{laptop}/carry_out"),
            json!({ "due": due, "destination": "省厅", "encrypted": false, "authenticated": true }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.4");
        assert_eq!(body["reason"], "not_encrypted");
        // A desktop is not carried out at all.
        let desktop = device_id(&liu, "SB-2026-001").await;
        let (status, body) = liu
            .post(
                &format!("/api/v1/devices/{desktop}/carry_out"),
                json!({ "due": due, "encrypted": true, "authenticated": true }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "not_portable");
        // In order: it waits for the unit head.
        let (status, body) = liu
        .post(
            &format!("/api/v1/devices/{laptop}/carry_out"),
            json!({ "due": due, "destination": "省厅规划处", "encrypted": true, "authenticated": true, "reason": "汇报" }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["needed"], json!(["unit_head"]));
        assert_eq!(body["rule"], "R4.4");
        let (_, device) = liu.get(&format!("/api/v1/devices/{laptop}")).await;
        assert_eq!(
            device["status"], "in_use",
            "nothing happens before approval: {device}"
        );
        let (status, _) = liu
            .post(
                &format!("/api/v1/devices/{laptop}/carry_out"),
                json!({ "due": due, "encrypted": true, "authenticated": true }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "one pending request per device"
        );
        // A leader is not the unit head: refused by the core, the request stays pending.
        let head = server.login("zhang.wei").await;
        let request = inbox_request(&head, laptop).await;
        let id = request["id"].as_i64().unwrap();
        let leader = server.login("wang.fang").await;
        let (status, body) = leader
            .post(&format!("/api/v1/approvals/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.4");
        assert_eq!(body["reason"], "wrong_approver");
        let (_, device) = liu.get(&format!("/api/v1/devices/{laptop}")).await;
        assert_eq!(device["status"], "in_use", "{device}");
        // The unit head approves: it is carried out.
        let (status, body) = head
            .post(
                &format!("/api/v1/approvals/{id}/approve"),
                json!({ "reason": "同意" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, device) = liu.get(&format!("/api/v1/devices/{laptop}")).await;
        assert_eq!(device["status"], "carried_out", "{device}");
        assert_eq!(device["state"]["due"], due);
        assert_eq!(device["destination"], "省厅规划处");
        let carried = server.audit("device.carry_out").await;
        assert!(
            carried.iter().any(|e| e.outcome == Outcome::Success),
            "{carried:?}"
        );
        // Back in the office, checked in by the office.
        let (status, body) = liu
            .post(
                &format!("/api/v1/devices/{laptop}/return_from_carry_out"),
                json!({}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the office checks it in: {body}"
        );
        let officer = server.login("li.na").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/devices/{laptop}/return_from_carry_out"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in_use");
    }
);

both_backends!(
    r4_7_scrapping_waits_for_approval_never_by_the_requester_and_nothing_is_discarded,
    |server| async move {
        let officer = server.login("li.na").await;
        let desktop = device_id(&officer, "SB-2026-001").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/devices/{desktop}/dispose"),
                json!({ "disposal": "discard" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.7");
        assert_eq!(body["reason"], "discard_forbidden");
        let (status, body) = officer
            .post(&format!("/api/v1/devices/{desktop}/scrap"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "no_destruction_body");
        let refusals = server.audit("device.").await;
        assert!(
            refusals
                .iter()
                .filter(|e| matches!(e.outcome, Outcome::Denied { .. }))
                .count()
                >= 2
        );
        // The demo's old desktop awaits scrapping; its requester may not approve it.
        let old = device_id(&officer, "SB-2026-005").await;
        let head = server.login("zhang.wei").await;
        let request = inbox_request(&head, old).await;
        assert_eq!(
            request["needed"],
            json!(["unit_head", "leader", "confidentiality_office"])
        );
        let id = request["id"].as_i64().unwrap();
        let (status, body) = officer
            .post(&format!("/api/v1/approvals/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.7");
        assert_eq!(body["reason"], "self_approval");
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{id}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, device) = officer.get(&format!("/api/v1/devices/{old}")).await;
        assert_eq!(device["status"], "scrapped", "{device}");
        assert_eq!(
            device["history"].as_array().unwrap().last().unwrap()["approval"],
            id
        );
        // A new scrapping request goes to the inbox.
        let usb = device_id(&officer, "SB-2026-003").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/devices/{usb}/scrap"),
                json!({ "destruction_body": "某市涉密载体销毁中心" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let leader = server.login("wang.fang").await;
        let request = inbox_request(&leader, usb).await;
        assert_eq!(request["status"], "pending");
        // Scrapped devices take no further step.
        let (status, body) = officer
            .post(
                &format!("/api/v1/devices/{old}/send_for_security_processing"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "wrong_state");
    }
);

both_backends!(
    r4_2_device_password_status_follows_its_level,
    |server| async move {
        let officer = server.login("li.na").await;
        let stale = device_id(&officer, "SB-2026-006").await;
        let (status, body) = officer
            .get(&format!("/api/v1/devices/{stale}/password-status"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "expired", "{body}");
        assert_eq!(body["min_length"], 8);
        assert_eq!(body["max_age_days"], 30);
        assert_eq!(body["rule"], "R4.2");
        let laptop = device_id(&officer, "SB-2026-002").await;
        let (_, body) = officer
            .get(&format!("/api/v1/devices/{laptop}/password-status"))
            .await;
        assert_eq!(body["status"], "ok", "{body}");
        assert_eq!(body["min_length"], 10, "Confidential: 10 characters");
        assert_eq!(body["max_age_days"], 7, "Confidential: a week");
        let printer = device_id(&officer, "SB-2026-004").await;
        let (_, body) = officer
            .get(&format!("/api/v1/devices/{printer}/password-status"))
            .await;
        assert_eq!(body["status"], "not_applicable", "{body}");
        // Top Secret with a USB key: 6 characters.
        let ministry = server.login("huang.tao").await;
        let top = device_id(&ministry, "BU-2026-001").await;
        let (_, body) = ministry
            .get(&format!("/api/v1/devices/{top}/password-status"))
            .await;
        assert_eq!(body["min_length"], 6, "{body}");
        assert_eq!(body["status"], "ok", "{body}");
        // The password is changed: compliant again.
        let (status, body) = officer
            .post(&format!("/api/v1/devices/{stale}/password"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["password_status"], "ok");
        // A week later the Confidential laptop is due, the Secret desktop not yet.
        server.advance_days(8);
        let officer = server.login("li.na").await;
        let (_, body) = officer
            .get(&format!("/api/v1/devices/{laptop}/password-status"))
            .await;
        assert_eq!(body["status"], "expired", "{body}");
        let (_, body) = officer
            .get(&format!("/api/v1/devices/{stale}/password-status"))
            .await;
        assert_eq!(body["status"], "ok", "{body}");
    }
);

both_backends!(
    r4_1_r13_3_devices_ledger_visibility_registration_and_security_test,
    |server| async move {
        let officer = server.login("li.na").await;
        let (status, page) = officer.get("/api/v1/devices?per_page=100").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 19, "every device of the bureau: {page}");
        let kinds: std::collections::BTreeSet<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kinds.len(), 15, "every kind: {kinds:?}");
        // Others see what they hold.
        let liu = server.login("liu.yang").await;
        let (_, page) = liu.get("/api/v1/devices").await;
        let numbers: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["number"].as_str().unwrap())
            .collect();
        assert_eq!(
            numbers,
            ["SB-2026-001", "SB-2026-009", "SB-2026-019"],
            "{page}"
        );
        let usb = device_id(&officer, "SB-2026-003").await;
        let (status, _) = liu.get(&format!("/api/v1/devices/{usb}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let lists = server.audit("device.list").await;
        assert_eq!(lists.len(), 3, "one entry per list");
        // Only the office registers.
        let new = json!({ "kind": "desktop_computer", "level": "secret", "serial": "X-1", "number": "SB-TEST-001", "name": "新涉密台式机" });
        let (status, body) = liu.post("/api/v1/devices", new.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = officer.post("/api/v1/devices", new.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["status"], "registered");
        let id = body["id"].as_i64().unwrap();
        let (status, _) = officer.post("/api/v1/devices", new).await;
        assert_eq!(status, StatusCode::CONFLICT, "numbers are unique");
        // R4.1: no first use without a passed security test.
        let (status, body) = officer
            .post(&format!("/api/v1/devices/{id}/commission"), json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.1");
        let today = server.today().to_string();
        let (status, body) = officer
        .post(
            &format!("/api/v1/devices/{id}/commission"),
            json!({ "security_test": { "on": today, "by": "某市保密技术服务中心", "reference": "保测〔2026〕1号" } }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in_use");
        // R2.1: a Secret device is not given to someone without a classified post.
        let (status, body) = officer
            .post(
                &format!("/api/v1/devices/{id}/assign"),
                json!({ "holder": server.person("zhao.lei") }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R2.1");
        // Exports.
        let xlsx = officer.get_raw("/api/v1/devices/export?format=xlsx").await;
        assert_eq!(xlsx.status(), StatusCode::OK);
        let csv = liu.get_raw("/api/v1/devices/export?format=csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        let text = csv.text().await.unwrap();
        assert!(
            text.contains("SB-2026-019") && !text.contains("SB-2026-003"),
            "{text}"
        );
        assert_eq!(server.audit("device.export").await.len(), 2);
    }
);
