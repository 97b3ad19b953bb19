//! The audit trail over HTTP (R13.2, R5.3), record histories, the OpenAPI document and the
//! exports (R13.3), end to end on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::{Actor, Outcome};
use baomi_server::openapi::ROUTES;
use common::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Executor;

/// Plays the database owner: drops the append-only protection of `audit_log`.
async fn drop_audit_triggers(server: &common::TestServer) -> sqlx::AnyConnection {
    let mut raw = server.db.raw().await;
    match server.db.backend {
        Backend::Sqlite => {
            raw.execute("DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
            raw.execute("DROP TRIGGER audit_log_no_delete")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            raw.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
                .await
                .unwrap();
        }
    }
    raw
}

both_backends!(
    r13_2_auditor_searches_the_trail_over_http,
    |server| async move {
        let auditor = server.login("auditor").await;
        let (status, body) = auditor.get("/api/v1/audit").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        let seqs: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] > w[1]),
            "newest first: {seqs:?}"
        );
        // Narrowed: the auditor's own successful login.
        let me = server.person("auditor");
        let (status, body) = auditor
            .get(&format!(
                "/api/v1/audit?action=auth.&outcome=success&actor={me}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for e in items {
            assert!(e["action"].as_str().unwrap().starts_with("auth."), "{e}");
            assert_eq!(e["outcome"], "success");
            assert_eq!(e["actor"]["id"], me);
            assert_eq!(e["actor"]["name"], "郑洁");
        }
        // Paging by `before`.
        let (_, first) = auditor.get("/api/v1/audit?limit=2").await;
        let next = first["next_before"].as_u64().unwrap();
        let (_, second) = auditor
            .get(&format!("/api/v1/audit?limit=2&before={next}"))
            .await;
        let second_seqs: Vec<u64> = second["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert!(
            second_seqs.iter().all(|s| *s < next),
            "{second_seqs:?} < {next}"
        );
        // Dates and bad values.
        let today = server.today();
        let (status, body) = auditor
            .get(&format!("/api/v1/audit?from={today}&until={today}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body["items"].as_array().unwrap().is_empty());
        let (status, body) = auditor.get("/api/v1/audit?outcome=maybe").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = auditor.get("/api/v1/audit?from=yesterday").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Every search is itself audited.
        let searches = server.audit("audit.search").await;
        assert!(searches.len() >= 5, "{}", searches.len());
        assert!(searches
            .iter()
            .all(|e| e.actor == Actor::Person(baomi_core::ids::PersonId(me))));
    }
);

both_backends!(
    r13_2_auditor_verifies_the_chain_over_http,
    |server| async move {
        let auditor = server.login("auditor").await;
        let (status, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ok"], true, "{body}");
        assert!(body["entries"].as_u64().unwrap() > 10);
        assert_eq!(body["first_broken_seq"], Value::Null);
        assert_eq!(body["problem"], Value::Null);
        assert_eq!(body["head"]["seq"], body["entries"]);
        let verifies = server.audit("audit.verify").await;
        assert_eq!(verifies.len(), 1);
        assert_eq!(verifies[0].outcome, Outcome::Success);
    }
);

both_backends!(
    r5_3_r13_2_only_the_auditor_reads_the_trail_and_denials_are_audited,
    |server| async move {
        for login in ["sysadmin", "secadmin", "li.na", "zhang.wei"] {
            let client = server.login(login).await;
            for path in [
                "/api/v1/audit",
                "/api/v1/audit/verify",
                "/api/v1/audit/export?format=csv",
            ] {
                let (status, body) = client.get(path).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{login} {path}: {body}");
                assert_eq!(body["rule"], "R5.3", "{body}");
                assert_eq!(body["reason"], "role_required", "{body}");
            }
        }
        let sysadmin = Actor::Person(baomi_core::ids::PersonId(server.person("sysadmin")));
        let li_na = Actor::Person(baomi_core::ids::PersonId(server.person("li.na")));
        let denied: Vec<_> = server
            .audit("audit.")
            .await
            .into_iter()
            .filter(
                |e| matches!(&e.outcome, Outcome::Denied { reason } if reason == "role_required"),
            )
            .collect();
        assert_eq!(denied.len(), 12, "{denied:#?}");
        for (who, action) in [
            (sysadmin, "audit.search"),
            (li_na, "audit.verify"),
            (sysadmin, "audit.export"),
        ] {
            assert!(
                denied.iter().any(|e| e.actor == who && e.action == action),
                "{who:?} {action}"
            );
        }
        // The auditor, asked afterwards, sees the denials in the trail.
        let auditor = server.login("auditor").await;
        let (status, body) = auditor
            .get("/api/v1/audit?action=audit.search&outcome=denied")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 4);
    }
);

both_backends!(
    r13_2_an_edited_audit_row_is_named_by_verify_over_http,
    |server| async move {
        let auditor = server.login("auditor").await;
        let mut raw = drop_audit_triggers(&server).await;
        raw.execute("UPDATE audit_log SET action = 'matter.tampered' WHERE seq = 7")
            .await
            .unwrap();
        let (status, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["first_broken_seq"], 7, "{body}");
        assert_eq!(body["problem"]["kind"], "hash_mismatch", "{body}");
        assert_eq!(body["problem"]["rule"], "R13.2");
        assert!(
            body["problem"]["message_zh"]
                .as_str()
                .unwrap()
                .contains("第 7 条"),
            "{body}"
        );
        assert!(
            body["problem"]["message_en"]
                .as_str()
                .unwrap()
                .contains("entry 7"),
            "{body}"
        );
    }
);

both_backends!(
    r13_2_a_deleted_middle_entry_is_named_by_verify_over_http,
    |server| async move {
        let auditor = server.login("auditor").await;
        let mut raw = drop_audit_triggers(&server).await;
        raw.execute("DELETE FROM audit_log WHERE seq = 9")
            .await
            .unwrap();
        let (_, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["first_broken_seq"], 9, "{body}");
        assert_eq!(body["problem"]["kind"], "sequence_gap", "{body}");
    }
);

both_backends!(
    r13_2_r13_3_audit_export_is_valid_csv_and_xlsx,
    |server| async move {
        let auditor = server.login("auditor").await;
        let response = auditor.get_raw("/api/v1/audit/export?action=auth.").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
            "{disposition}"
        );
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers[0], "序号");
        assert_eq!(headers[4], "操作");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(!rows.is_empty());
        assert!(
            rows.iter().all(|r| r[4].starts_with("auth.")),
            "filtered by action"
        );
        assert!(rows.iter().any(|r| r[3].contains("郑洁")), "actor names");
        let response = auditor.get_raw("/api/v1/audit/export?format=xlsx").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX is a zip");
        let (status, body) = auditor.get("/api/v1/audit/export?format=pdf").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let exports = server.audit("audit.export").await;
        assert_eq!(exports.len(), 2);
        assert!(exports.iter().all(|e| e.outcome == Outcome::Success));
    }
);

both_backends!(
    r1_7_a_matter_history_is_for_its_readers_and_denials_are_audited,
    |server| async move {
        // wang.fang classified the demo matter 1 and is in its scope.
        let reader = server.login("wang.fang").await;
        let (_, matter) = reader.get("/api/v1/matters/1").await;
        let (status, body) = reader.get("/api/v1/records/matter/1/history").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        assert!(
            items.iter().any(|e| e["action"] == "matter.read"),
            "her read of it: {body} {matter}"
        );
        assert!(items
            .iter()
            .all(|e| e["object"]["kind"] == "matter" && e["object"]["id"] == "1"));
        assert!(
            items[0].get("hash").is_none(),
            "hashes are the auditor's business"
        );
        // zhao.lei is outside its scope (R1.7); chen.jing in scope but general (R2.1).
        for (login, rule) in [("zhao.lei", "R1.7"), ("chen.jing", "R2.1")] {
            let client = server.login(login).await;
            let (status, body) = client.get("/api/v1/records/matter/1/history").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {body}");
            assert_eq!(body["rule"], rule, "{body}");
        }
        let denied: Vec<_> = server
            .audit("matter.history")
            .await
            .into_iter()
            .filter(|e| matches!(e.outcome, Outcome::Denied { .. }))
            .collect();
        assert_eq!(denied.len(), 2);
        // R13.2: who else read it or was refused is the auditor's alone — the reader sees
        // what was done to the matter and her own entries, never the two denials above.
        let (status, body) = reader.get("/api/v1/records/matter/1/history").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let reader_id = server.person("wang.fang");
        for e in body["items"].as_array().unwrap() {
            let own = e["actor"]["id"] == reader_id;
            assert!(
                own || (e["outcome"] == "success" && e["action"] != "matter.read"),
                "another's read or a denial shown to a reader: {e}"
            );
        }
        // The auditor reads every history, denials included; unknown records and kinds.
        let auditor = server.login("auditor").await;
        let (status, body) = auditor.get("/api/v1/records/matter/1/history").await;
        assert_eq!(status, StatusCode::OK);
        let denials = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["outcome"] == "denied")
            .count();
        assert_eq!(denials, 2, "{body}");
        let (status, _) = reader.get("/api/v1/records/matter/999/history").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = reader.get("/api/v1/records/session/1/history").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
);

both_backends!(
    r5_3_a_person_history_is_their_own_or_their_managers,
    |server| async move {
        let li_na = server.person("li.na");
        let path = format!("/api/v1/records/person/{li_na}/history");
        let own = server.login("li.na").await;
        let (status, body) = own.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "auth.login"),
            "{body}"
        );
        // Each administrator logs in once: a TOTP code is accepted only once (R13.1).
        let sysadmin = server.login("sysadmin").await;
        for (login, client) in [
            ("sysadmin", sysadmin.clone()),
            ("secadmin", server.login("secadmin").await),
        ] {
            let (status, body) = client.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{login}: {body}");
            assert!(
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["action"] == "auth.login"),
                "{login}: {body}"
            );
        }
        // R5.3: the system administrator manages the account, not the person: only the
        // account's entries (logins, account changes), never the person's own reads.
        let (_, body) = sysadmin.get(&path).await;
        for e in body["items"].as_array().unwrap() {
            let action = e["action"].as_str().unwrap();
            assert!(
                action.starts_with("auth.") || action.starts_with("account."),
                "{e}"
            );
        }
        let (status, body) = server.login("chen.jing").await.get(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R5.3");
    }
);

both_backends!(
    r13_3_every_route_of_the_openapi_table_is_routed,
    |server| async move {
        let (status, doc) = server.anonymous().get("/api/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(doc["openapi"], "3.1.0");
        let anonymous = server.anonymous();
        for route in ROUTES {
            let path = baomi_server::openapi::path_params(route.path).iter().fold(
                route.path.to_owned(),
                |p, name| {
                    let value = match *name {
                        "kind" => "matter",
                        "action" => "lend",
                        "step" => "submit",
                        _ => "1",
                    };
                    p.replace(&format!("{{{name}}}"), value)
                },
            );
            let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
            let mut request = anonymous
                .http
                .request(method, format!("{}{path}", server.base));
            if route.method == "POST" {
                request = request.json(&json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{} {}",
                route.method,
                route.path
            );
            // The router's fallback is a bare 404; every handler answers JSON.
            let fallback =
                status == StatusCode::NOT_FOUND && serde_json::from_str::<Value>(&body).is_err();
            assert!(!fallback, "{} {} is not routed", route.method, route.path);
            assert!(doc["paths"][route.path][route.method.to_lowercase()].is_object());
        }
    }
);

both_backends!(
    r1_7_carrier_and_device_histories_follow_their_own_pages,
    |server| async move {
        // A carrier of matter 1 (机密): li.na keeps it; zhao.lei is outside the matter's scope.
        let mut tx = server.store.read().await.unwrap();
        let carriers =
            baomi_server::ledger::load_all::<baomi_server::api::carriers::CarrierRecord>(
                &mut tx,
                &baomi_store::RecordFilter::default(),
                baomi_store::RecordOrder::Id,
                false,
            )
            .await
            .unwrap();
        let devices = tx
            .list_records(
                baomi_store::RecordKind::Device,
                &baomi_store::RecordFilter::default(),
                baomi_store::RecordOrder::Id,
                false,
            )
            .await
            .unwrap();
        tx.finish().await.unwrap();
        let carrier = carriers
            .iter()
            .find(|c| c.value.carrier.matter().map(|m| m.0) == Some(1))
            .expect("a demo carrier of matter 1");
        let path = format!(
            "/api/v1/records/carrier/{}/history",
            carrier.value.carrier.id().0
        );
        let (status, body) = server.login("li.na").await.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = server.login("zhao.lei").await.get(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R1.7");
        // Devices: the confidentiality office sees its unit's; a device one may not see is 404.
        let bureau_device = devices
            .iter()
            .find(|d| d.meta.unit == Some(3))
            .expect("a bureau device");
        let path = format!("/api/v1/records/device/{}/history", bureau_device.id);
        let (status, body) = server.login("li.na").await.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = server.login("huang.tao").await.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
);
