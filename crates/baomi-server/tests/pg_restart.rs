//! Issue 16.4: the PostgreSQL server restarted while a client registers carriers. Alone in its
//! test binary, and exclusive under nextest (`.config/nextest.toml`): a restart ends every
//! other test's connections too. Needs `pg_ctlcluster` (Debian's PostgreSQL, as `.ci/run`
//! starts it); in CI a missing one fails the test, elsewhere it says it did not run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Client;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

async fn register(server: &common::TestServer, officer: &Client, number: &str) -> StatusCode {
    let (status, body) = officer
        .post(
            "/api/v1/carriers",
            json!({
                "number": number,
                "kind": "paper_document",
                "marking": "秘密",
                "title": format!("重启测试载体 {number}"),
                "scope": { "persons": [server.person("li.na")], "groups": [] },
                "location": "保密室",
            }),
        )
        .await;
    if status != StatusCode::CREATED {
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE,
            "{number}: unexpected {status}: {body}"
        );
        assert!(
            body["message_zh"].as_str().unwrap().contains("未保存"),
            "{body}"
        );
    }
    status
}

/// The cluster's version directory under /etc/postgresql (one cluster, as on Debian).
fn cluster() -> Option<String> {
    std::fs::read_dir("/etc/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_1_a_postgresql_restart_loses_no_acknowledged_write() {
    let Some(version) = cluster() else {
        if std::env::var_os("CI").is_some() {
            panic!("pg_ctlcluster's cluster is required in CI");
        }
        eprintln!("NOT RUN: no Debian PostgreSQL cluster to restart; CI runs it");
        return;
    };
    common::run(common::Backend::Postgres, move |server| async move {
        let officer = server.login("li.na").await;
        let seeded = server.audit("carrier.register").await.len();
        let mut acknowledged = Vec::new();
        let mut refused = Vec::new();
        for i in 0..5 {
            let number = format!("重启前-{i}");
            assert_eq!(
                register(&server, &officer, &number).await,
                StatusCode::CREATED
            );
            acknowledged.push(number);
        }
        // Restart the server while registrations go on.
        let restart = tokio::task::spawn_blocking(move || {
            Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &version, "main", "restart"])
                .output()
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut after = 0;
        let mut i = 0;
        let mut restarted = false;
        while after < 5 {
            assert!(
                Instant::now() < deadline,
                "writes did not resume after the restart"
            );
            let number = format!("重启-{i}");
            i += 1;
            if register(&server, &officer, &number).await == StatusCode::CREATED {
                acknowledged.push(number);
                if restarted {
                    after += 1;
                }
            } else {
                refused.push(number);
            }
            if !restarted && restart.is_finished() {
                restarted = true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let out = restart.await.unwrap().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every acknowledged registration is there, readable; the chain verifies and holds one
        // registration entry per acknowledged carrier.
        let (status, list) = officer.get("/api/v1/carriers?per_page=500").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let numbers: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["number"].as_str())
            .collect();
        for number in &acknowledged {
            assert!(numbers.contains(&number.as_str()), "{number} was lost");
        }
        for number in &refused {
            assert!(
                !numbers.contains(&number.as_str()),
                "refused {number} was kept"
            );
        }
        let registered = server
            .audit("carrier.register")
            .await
            .into_iter()
            .filter(|e| e.outcome == baomi_core::audit::Outcome::Success)
            .count();
        assert_eq!(registered, seeded + acknowledged.len());
        assert!(server.store.verify_audit().await.unwrap().is_ok());
    })
    .await;
}
