//! The web UI in a real headless browser: Debian's `chromium` driven through `chromedriver`
//! (package `chromium-driver`, at `/usr/bin/chromedriver`) with fantoccini, against the demo
//! unit served on 127.0.0.1 (SQLite). Screenshots go to `target/ui-screenshots/`.
//!
//! A missing chromedriver fails the test (never skips it): install it with
//! `apt-get install -y chromium chromium-driver` (`.ci/run` does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(20);

/// chromedriver, killed when dropped (also when the test panics).
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the web UI tests need Debian's headless Chromium and its WebDriver: {CHROMEDRIVER} or \
         {CHROMIUM} is missing. Install them with `apt-get install -y chromium chromium-driver` \
         (.ci/run does this)."
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; install chromium-driver"));
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1366,768",
                "--lang=zh-CN",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // No request may leave 127.0.0.1.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = None;
    // chromedriver takes a moment to listen.
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("cannot start a chromium session through chromedriver: {last:?}");
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn text_of(client: &Client, locator: Locator<'_>) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("{locator:?} not found: {e}"))
        .text()
        .await
        .unwrap()
}

async fn path_of(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

async fn login(client: &Client, base: &str, who: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    let field = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("login"))
        .await
        .unwrap();
    field.send_keys(who).await.unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(baomi_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("pending-count"))
        .await
        .unwrap_or_else(|e| panic!("{who} did not reach the dashboard: {e}"));
    assert_eq!(path_of(client).await, "/dashboard");
}

async fn logout(client: &Client) {
    client
        .find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("login-form"))
        .await
        .unwrap();
}

async fn banner(client: &Client) -> (String, String, String) {
    let top = client.find(Locator::Id("banner-top")).await.unwrap();
    let bottom = client.find(Locator::Id("banner-bottom")).await.unwrap();
    let level = top.attr("data-level").await.unwrap().unwrap_or_default();
    assert_eq!(
        bottom.attr("data-level").await.unwrap().unwrap_or_default(),
        level,
        "top and bottom banners differ"
    );
    (
        level,
        top.text().await.unwrap(),
        bottom.text().await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_in_headless_chromium() {
    let driver = start_driver();
    common::run(Backend::Sqlite, move |server: TestServer| async move {
        let base = server.base.clone();
        let client = browser(&driver).await;

        // Pages carry the strict policy; the assets come from the binary.
        let http = reqwest::Client::new();
        let page = http.get(format!("{base}/login")).send().await.unwrap();
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        for asset in ["/assets/baomi.css", "/assets/baomi.js"] {
            let answer = http.get(format!("{base}{asset}")).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK, "{asset}");
        }

        // `/` sends a stranger to the login page.
        client.goto(&format!("{base}/")).await.unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("login-form"))
            .await
            .unwrap();
        assert_eq!(path_of(&client).await, "/login");
        assert!(client.source().await.unwrap().contains("登录保密管理系统"));
        shot(&client, "01-login").await;

        // A wrong password is refused with the API's message and rule.
        client
            .find(Locator::Id("login"))
            .await
            .unwrap()
            .send_keys("li.na")
            .await
            .unwrap();
        client
            .find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys("wrong-password1")
            .await
            .unwrap();
        client
            .find(Locator::Id("login-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let error = text_of(&client, Locator::Id("login-error")).await;
        assert!(error.contains("R13.1"), "{error}");

        // li.na: the dashboard, with the banner at top and bottom and the chart.
        login(&client, &base, "li.na").await;
        let (level, top, bottom) = banner(&client).await;
        assert!(!level.is_empty());
        assert_eq!(top, bottom);
        assert!(
            ["非密", "内部", "秘密", "机密", "绝密"].contains(&top.as_str()),
            "{top}"
        );
        client.find(Locator::Id("chart-levels")).await.unwrap();
        let heading = text_of(&client, Locator::Id("h-reminders")).await;
        assert_eq!(heading, "我的提醒");
        shot(&client, "02-dashboard-zh").await;

        // The matters ledger, then one matter.
        client.goto(&format!("{base}/matters")).await.unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("matters-table"))
            .await
            .unwrap();
        let source = client.source().await.unwrap();
        assert!(source.contains("年"), "dates in Chinese");
        shot(&client, "03-matters").await;
        let link = client.find(Locator::Css("a.matter-link")).await.unwrap();
        let title = link.text().await.unwrap();
        link.click().await.unwrap();
        let shown = text_of(&client, Locator::Id("matter-title")).await;
        assert_eq!(shown, title);
        assert!(path_of(&client).await.starts_with("/matters/"));
        client.find(Locator::Id("history")).await.unwrap();
        let (level, _, _) = banner(&client).await;
        let mark = client
            .find(Locator::Css(".fields .lvl"))
            .await
            .unwrap()
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(mark.contains(&format!("lvl-{level}")), "{mark} vs {level}");
        shot(&client, "04-matter").await;

        // A matter outside li.na's knowledge scope: the API's 403, with its rule, on the page.
        let api = server.login("li.na").await;
        let mut hidden = None;
        for id in 1..=50 {
            let (status, body) = api.get(&format!("/api/v1/matters/{id}")).await;
            if status == StatusCode::FORBIDDEN {
                hidden = Some((id, body));
                break;
            }
        }
        let (hidden, denial) = hidden.expect("the demo has a matter li.na may not read");
        client
            .goto(&format!("{base}/matters/{hidden}"))
            .await
            .unwrap();
        let message = text_of(&client, Locator::Id("error-message")).await;
        let rule = denial["rule"].as_str().unwrap();
        assert!(message.contains(rule), "{message} vs {denial}");
        assert!(
            message.contains(denial["message_zh"].as_str().unwrap()),
            "{message} vs {denial}"
        );
        shot(&client, "05-denied").await;

        // Filters go through the API's list parameters.
        client
            .goto(&format!(
                "{base}/matters?level=secret&sort=title&order=desc"
            ))
            .await
            .unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("matters-filter"))
            .await
            .unwrap();
        for mark in client
            .find_all(Locator::Css("#matters-table .lvl"))
            .await
            .unwrap()
        {
            let class = mark.attr("class").await.unwrap().unwrap_or_default();
            assert!(class.contains("lvl-secret"), "{class}");
        }

        // English, kept on the account.
        client.goto(&format!("{base}/dashboard")).await.unwrap();
        let select = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("lang-select"))
            .await
            .unwrap();
        select.select_by_value("en").await.unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::LinkText("Classified matters"))
            .await
            .unwrap();
        assert_eq!(
            text_of(&client, Locator::Id("h-reminders")).await,
            "My reminders"
        );
        let (_, top, _) = banner(&client).await;
        assert!(
            [
                "UNCLASSIFIED",
                "INTERNAL",
                "SECRET",
                "CONFIDENTIAL",
                "TOP SECRET"
            ]
            .contains(&top.as_str()),
            "{top}"
        );
        shot(&client, "06-dashboard-en").await;
        client.goto(&format!("{base}/matters")).await.unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("matters-table"))
            .await
            .unwrap();
        assert!(client.source().await.unwrap().contains("Declassifies on"));
        shot(&client, "07-matters-en").await;
        logout(&client).await;

        // A proposal for wang.fang's inbox, filed through the API by liu.yang.
        let (status, filed) = server
            .login("liu.yang")
            .await
            .post(
                "/api/v1/proposals",
                json!({
                    "title": "浏览器测试用规划方案",
                    "mark": "秘密★5年",
                    "scope": { "persons": [1, 3, 4] },
                    "basis": "城乡建设保密事项范围 第3条 重大基础设施规划方案",
                    "subject_area": "城乡规划",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let approval = filed["approval"].as_i64().unwrap();

        // wang.fang refuses it with a reason; a blank reason is refused by the API first.
        login(&client, &base, "wang.fang").await;
        client.goto(&format!("{base}/approvals")).await.unwrap();
        let card = format!("approval-{approval}");
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id(&card))
            .await
            .unwrap();
        shot(&client, "08-inbox").await;
        let reason = format!("refuse-reason-{approval}");
        let button = format!("refuse-{approval}");
        client
            .find(Locator::Id(&reason))
            .await
            .unwrap()
            .send_keys("   ")
            .await
            .unwrap();
        client
            .find(Locator::Id(&button))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let message = text_of(&client, Locator::Id("refusal-message")).await;
        assert!(message.contains("理由"), "{message}");
        shot(&client, "09-refusal").await;
        client
            .find(Locator::Id(&reason))
            .await
            .unwrap()
            .send_keys("依据不充分，请补充定密依据后重新提交")
            .await
            .unwrap();
        client
            .find(Locator::Id(&button))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let done = text_of(&client, Locator::Id("done")).await;
        assert_eq!(done, "已不予批准。");
        assert!(
            client.find(Locator::Id(&card)).await.is_err(),
            "still pending"
        );
        shot(&client, "10-refused").await;

        // The API agrees: refused, with the reason, by wang.fang.
        let (status, request) = server
            .login("wang.fang")
            .await
            .get(&format!("/api/v1/approvals/{approval}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{request}");
        assert_eq!(request["status"], "refused", "{request}");
        let steps: &Vec<Value> = request["steps"].as_array().unwrap();
        assert!(
            steps.iter().any(|s| s.to_string().contains("依据不充分")),
            "{request}"
        );

        client.close().await.unwrap();
    })
    .await;
}
