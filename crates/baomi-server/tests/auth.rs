//! Authentication end to end (R13.1, R4.2, R5.3), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reqwest::StatusCode;
use serde_json::json;

both_backends!(
    r13_1_login_sets_a_strict_http_only_cookie_and_me_answers,
    |server| async move {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({ "login": "li.na", "password": baomi_server::demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("baomi_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let client = server.login("li.na").await;
        let (status, me) = client.get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["login"], "li.na");
        assert_eq!(me["person"]["name"], "李娜");
        assert!(me["restriction"].is_null());
        let logins = server.audit("auth.login").await;
        assert!(logins
            .iter()
            .any(|e| e.outcome == baomi_core::audit::Outcome::Success));
    }
);

both_backends!(
    r13_1_wrong_password_is_refused_alike_for_unknown_logins_and_audited,
    |server| async move {
        let (status, body) = server.try_login("li.na", "Wrong2026x").await.err().unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status2, body2) = server
            .try_login("nobody", "Wrong2026x")
            .await
            .err()
            .unwrap();
        assert_eq!(status2, StatusCode::UNAUTHORIZED);
        assert_eq!(body["message"], body2["message"], "no login enumeration");
        let denied: Vec<_> = server
            .audit("auth.login")
            .await
            .into_iter()
            .filter(|e| matches!(e.outcome, baomi_core::audit::Outcome::Denied { .. }))
            .collect();
        assert_eq!(denied.len(), 2);
    }
);

both_backends!(
    r13_1_cookie_changes_need_the_csrf_token,
    |server| async move {
        let client = server.login("li.na").await;
        let (status, body) = client
            .without_csrf()
            .post("/api/v1/auth/lang", json!({ "lang": "en" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "csrf");
        let (status, body) = client
            .post("/api/v1/auth/lang", json!({ "lang": "en" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The language persists per user: the next error is in English.
        let (_, me) = client.get("/api/v1/auth/me").await;
        assert_eq!(me["lang"], "en");
    }
);

both_backends!(
    r13_1_bearer_tokens_need_no_csrf_and_logout_ends_a_session,
    |server| async move {
        let script = server.login_bearer("li.na").await;
        let (status, body) = script
            .post("/api/v1/auth/lang", json!({ "lang": "zh" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let client = server.login("li.na").await;
        let (status, _) = client.post("/api/v1/auth/logout", json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = client.get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, _) = server.anonymous().get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(
    r5_3_administrators_need_their_second_factor,
    |server| async move {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({ "login": "auditor", "password": baomi_server::demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({ "login": "auditor", "password": baomi_server::demo::DEMO_PASSWORD, "totp": "000000" }))
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        // With the right code it works.
        let auditor = server.login("auditor").await;
        let (status, _) = auditor.get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK);
    }
);

both_backends!(r13_1_idle_sessions_end, |server| async move {
    let client = server.login("li.na").await;
    let (status, _) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    let now = server.clock.now();
    server.clock.set(
        now.checked_add(jiff::SignedDuration::from_mins(31))
            .unwrap(),
    );
    let (status, body) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["reason"], "session_idle");
    // Still ended after the cache is dropped (restart): it was revoked in the database.
    server.state.people_changed();
    let (status, _) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(
    r4_2_new_password_must_meet_the_system_level_policy,
    |server| async move {
        let client = server.login("liu.yang").await;
        let (status, body) = client
            .post(
                "/api/v1/auth/password",
                json!({ "current": baomi_server::demo::DEMO_PASSWORD, "new": "abcdefgh" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["rule"], "R4.2");
        let (status, body) = client
            .post(
                "/api/v1/auth/password",
                json!({ "current": baomi_server::demo::DEMO_PASSWORD, "new": "Short1" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = client
            .post(
                "/api/v1/auth/password",
                json!({ "current": baomi_server::demo::DEMO_PASSWORD, "new": "Planning2027" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(server.try_login("liu.yang", "Planning2027").await.is_ok());
    }
);

both_backends!(
    r4_2_expired_password_forces_a_change_first,
    |server| async move {
        // Secret system: a password lasts a month (R4.2).
        server.advance_days(40);
        let client = server.login("liu.yang").await;
        let (status, body) = client.get("/api/v1/reminders").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "password_change_required");
        assert_eq!(body["rule"], "R4.2");
        let (status, _) = client
            .post(
                "/api/v1/auth/password",
                json!({ "current": baomi_server::demo::DEMO_PASSWORD, "new": "Planning2027" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        server.state.people_changed();
        let (_, me) = client.get("/api/v1/auth/me").await;
        assert!(me["restriction"].is_null(), "{me}");
    }
);
