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
    caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
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

/// chromedriver's browser console log (`POST /session/{id}/se/log {"type":"browser"}`); each
/// call answers the entries since the last.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// The page now shown logged no console error (nor did the ones since the last check) and
/// loaded nothing from anywhere but 127.0.0.1.
async fn assert_clean(client: &Client) {
    let log = client.issue_cmd(BrowserLog).await.unwrap();
    let errors: Vec<&Value> = log
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
                .collect()
        })
        .unwrap_or_default();
    let url = client.current_url().await.unwrap();
    assert!(errors.is_empty(), "console errors on {url}: {errors:?}");
    let loaded = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);",
            vec![],
        )
        .await
        .unwrap();
    for name in loaded.as_array().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            name.starts_with("http://127.0.0.1:") || name.starts_with("data:"),
            "{url} loaded {name}"
        );
    }
}

/// Goes to `path` and checks the page is clean.
async fn visit(client: &Client, base: &str, path: &str) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("banner-bottom"))
        .await
        .unwrap_or_else(|e| panic!("{path} did not render: {e}"));
    assert_clean(client).await;
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Sets a field's value directly (date inputs type differently in every locale).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn choose(client: &Client, id: &str, value: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .select_by_value(value)
        .await
        .unwrap();
}

/// Ticks options of a multiple select.
async fn choose_many(client: &Client, id: &str, values: &[i64]) {
    for value in values {
        client
            .find(Locator::Css(&format!("#{id} option[value='{value}']")))
            .await
            .unwrap_or_else(|e| panic!("#{id} has no option {value}: {e}"))
            .click()
            .await
            .unwrap();
    }
}

async fn click(client: &Client, locator: Locator<'_>) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks what submits a form or follows a link, and waits until the page it was on is gone
/// (so that what is looked for next is on the new page, not a leftover of the old one).
async fn navigate(client: &Client, locator: Locator<'_>) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, locator).await;
    let started = std::time::Instant::now();
    loop {
        match old.tag_name().await {
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                return
            }
            _ if started.elapsed() > WAIT => panic!("{locator:?} did not lead to a new page"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Opens a record page's action (its `<details>`).
async fn open_action(client: &Client, key: &str) {
    click(client, Locator::Css(&format!("#action-{key} > summary"))).await;
}

/// Waits for the page's "done" notice; a refusal instead fails with its text.
async fn expect_done(client: &Client) -> String {
    let found = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#done, #refusal, #error-message"))
        .await
        .unwrap_or_else(|e| panic!("neither done nor refused: {e}"));
    let text = found.text().await.unwrap();
    assert_eq!(
        found.attr("id").await.unwrap().as_deref(),
        Some("done"),
        "refused on {}: {text}",
        client.current_url().await.unwrap()
    );
    text
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
    login_with(client, base, who, None).await;
}

/// Fills and sends the login form, without waiting for where it leads.
async fn submit_login(client: &Client, base: &str, who: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    fill(client, "login", who).await;
    fill(client, "password", password).await;
    click(client, Locator::Id("login-submit")).await;
}

async fn login_with(client: &Client, base: &str, who: &str, totp: Option<&str>) {
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
    if let Some(code) = totp {
        fill(client, "totp", code).await;
    }
    client
        .find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if let Err(e) = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("pending-count"))
        .await
    {
        let url = client.current_url().await.unwrap();
        let text = client
            .find(Locator::Css("main"))
            .await
            .map(|m| async move { m.text().await.unwrap_or_default() });
        let text = match text {
            Ok(t) => t.await,
            Err(_) => client.source().await.unwrap_or_default(),
        };
        panic!("{who} did not reach the dashboard ({e}): at {url}: {text}");
    }
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
        let link = client.find(Locator::Css("a.record-link")).await.unwrap();
        let title = link.text().await.unwrap();
        link.click().await.unwrap();
        let shown = text_of(&client, Locator::Id("record-title")).await;
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
        let marks = client
            .find_all(Locator::Css("#matters-table .lvl"))
            .await
            .unwrap();
        assert!(
            !marks.is_empty(),
            "the demo has Secret matters li.na may read"
        );
        for mark in marks {
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

/// The acceptance walk of the web UI against the demo unit: a Secret matter proposed in a form
/// and approved by another user (R1.6); a carrier registered, taken into custody, refused to an
/// uncleared borrower with its rule (R3.4), lent with approval and returned with the sign-off;
/// its registration card printed; a ledger exported; the auditor verifying the chain (R13.2).
/// Every page is checked for console errors and for loading anything not from 127.0.0.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r1_6_r3_4_r13_2_workflows_in_headless_chromium() {
    let driver = start_driver();
    common::run(Backend::Sqlite, move |server: TestServer| async move {
        let base = server.base.clone();
        let client = browser(&driver).await;
        let person = |login: &str| server.person(login);

        // The console check sees errors: a missing page logs one.
        client.goto(&format!("{base}/no-such-page")).await.unwrap();
        let log = client.issue_cmd(BrowserLog).await.unwrap();
        assert!(
            log.as_array().unwrap().iter().any(|e| e["level"] == "SEVERE"),
            "{log}"
        );

        // liu.yang proposes a Secret matter through the form.
        login(&client, &base, "liu.yang").await;
        assert_clean(&client).await;
        visit(&client, &base, "/proposals").await;
        navigate(&client, Locator::Id("new-record")).await;
        let title = "浏览器提出的定密意见：2027年管网改造方案";
        fill(&client, "new-title", title).await;
        fill(&client, "new-mark", "秘密★5年").await;
        choose_many(
            &client,
            "new-scope",
            &[person("zhang.wei"), person("wang.fang"), person("liu.yang")],
        )
        .await;
        fill(
            &client,
            "new-basis",
            "城乡建设保密事项范围 第3条 重大基础设施规划方案",
        )
        .await;
        fill(&client, "new-subject_area", "城乡规划").await;
        shot(&client, "11-propose-form").await;
        navigate(&client, Locator::Id("new-submit")).await;
        expect_done(&client).await;
        assert!(path_of(&client).await.starts_with("/proposals/"));
        assert_eq!(text_of(&client, Locator::Id("record-title")).await, title);
        assert_clean(&client).await;
        shot(&client, "12-proposal").await;
        logout(&client).await;

        // wang.fang, a classifier, approves it in her inbox.
        login(&client, &base, "wang.fang").await;
        visit(&client, &base, "/approvals").await;
        let card = client
            .find(Locator::XPath(&format!(
                "//article[contains(., '{title}')]"
            )))
            .await
            .unwrap();
        let card_id = card.attr("id").await.unwrap().unwrap();
        let request = card_id.trim_start_matches("approval-").to_owned();
        navigate(&client, Locator::Id(&format!("approve-{request}"))).await;
        assert_eq!(text_of(&client, Locator::Id("done")).await, "已批准。");
        assert_clean(&client).await;
        visit(&client, &base, "/matters?q=%E7%AE%A1%E7%BD%91%E6%94%B9%E9%80%A0").await;
        let mark = client
            .find(Locator::Css("#matters-table .lvl"))
            .await
            .unwrap();
        assert_eq!(mark.text().await.unwrap(), "秘密★5年");
        let (level, _, _) = banner(&client).await;
        assert_eq!(level, "secret");
        shot(&client, "13-matter-approved").await;
        logout(&client).await;

        // li.na registers a carrier and takes it into custody.
        login(&client, &base, "li.na").await;
        visit(&client, &base, "/carriers/new").await;
        let number = "某局密〔2026〕901号";
        fill(&client, "new-number", number).await;
        choose(&client, "new-kind", "paper_document").await;
        fill(&client, "new-title", "浏览器登记的会议纪要").await;
        fill(&client, "new-marking", "秘密★5年").await;
        choose_many(
            &client,
            "new-scope",
            &[person("li.na"), person("chen.jing"), person("wang.fang")],
        )
        .await;
        fill(&client, "new-location", "保密室 2号保密柜").await;
        shot(&client, "14-register-carrier").await;
        navigate(&client, Locator::Id("new-submit")).await;
        expect_done(&client).await;
        let carrier_path = path_of(&client).await;
        assert!(carrier_path.starts_with("/carriers/"), "{carrier_path}");
        assert_clean(&client).await;
        open_action(&client, "take-into-custody").await;
        fill(&client, "take-into-custody-location", "保密室 2号保密柜").await;
        navigate(&client, Locator::Id("submit-take-into-custody")).await;
        expect_done(&client).await;
        assert!(client.source().await.unwrap().contains("在库保管"));

        // Lending it to someone outside its scope is refused, with the rule (R3.4).
        open_action(&client, "lend").await;
        choose(&client, "lend-to", &person("zhao.lei").to_string()).await;
        let due = server
            .today()
            .checked_add(jiff::ToSpan::days(7))
            .unwrap()
            .to_string();
        set_value(&client, "lend-due", &due).await;
        fill(&client, "lend-reason", "查阅").await;
        navigate(&client, Locator::Id("submit-lend")).await;
        let rule = text_of(&client, Locator::Id("refusal-rule")).await;
        assert!(rule.contains("R3.4"), "{rule}");
        assert!(!text_of(&client, Locator::Id("refusal-message"))
            .await
            .is_empty());
        // Refusals answer 422: the browser logs the status; clear the log for the next check.
        let _ = client.issue_cmd(BrowserLog).await.unwrap();
        shot(&client, "15-refused-with-rule").await;

        // Lent to the clerk: it waits for a leader's approval.
        choose(&client, "lend-to", &person("chen.jing").to_string()).await;
        set_value(&client, "lend-due", &due).await;
        navigate(&client, Locator::Id("submit-lend")).await;
        expect_done(&client).await;
        assert_clean(&client).await;
        logout(&client).await;

        login(&client, &base, "wang.fang").await;
        visit(&client, &base, "/approvals").await;
        let card = client
            .find(Locator::XPath(&format!("//article[contains(., '{number}')]")))
            .await
            .unwrap();
        let request = card
            .attr("id")
            .await
            .unwrap()
            .unwrap()
            .trim_start_matches("approval-")
            .to_owned();
        navigate(&client, Locator::Id(&format!("approve-{request}"))).await;
        assert_eq!(text_of(&client, Locator::Id("done")).await, "已批准。");
        logout(&client).await;

        // li.na takes it back, face to face, the inventory matching.
        login(&client, &base, "li.na").await;
        visit(&client, &base, &carrier_path).await;
        assert!(client.source().await.unwrap().contains("借出"));
        open_action(&client, "return").await;
        click(&client, Locator::Id("return-face_to_face")).await;
        click(&client, Locator::Id("return-inventory_matches")).await;
        navigate(&client, Locator::Id("submit-return")).await;
        expect_done(&client).await;
        assert_clean(&client).await;
        let fields = text_of(&client, Locator::Id("record-fields")).await;
        assert!(fields.contains("在库保管"), "{fields}");
        let history = text_of(&client, Locator::Id("own-history")).await;
        for step in ["登记", "签收保管", "借出", "归还"] {
            assert!(history.contains(step), "{step} missing: {history}");
        }
        shot(&client, "16-carrier-returned").await;

        // Its registration card, with the QR code of its number.
        navigate(&client, Locator::Id("print-card")).await;
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("svg"))
            .await
            .unwrap();
        assert!(client.source().await.unwrap().contains(number));
        assert_clean(&client).await;
        shot(&client, "17-carrier-card").await;

        // The ledger exports as CSV (what the link downloads), with the new carrier in it.
        visit(&client, &base, "/carriers").await;
        let href = client
            .find(Locator::Id("export-csv"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let exported = client
            .execute(
                "return fetch(arguments[0]).then(r => r.headers.get('content-disposition') + '\\n' + r.status + '\\n').then(h => fetch(arguments[0]).then(r => r.text()).then(t => h + t));",
                vec![json!(href)],
            )
            .await
            .unwrap();
        let exported = exported.as_str().unwrap();
        assert!(exported.starts_with("attachment"), "{exported}");
        assert!(exported.contains("\n200\n"), "{exported}");
        assert!(exported.contains(number), "{exported}");
        shot(&client, "18-carriers").await;

        // Every other kind of page renders cleanly too.
        let slip = format!("{carrier_path}/slip");
        for path in [
            "/people",
            "/people/2",
            "/devices",
            "/devices/1",
            "/matters/1",
            "/proposals",
            "/import",
            "/carriers/destruction-list",
            "/escalations",
            "/escalations/1",
            "/inventories",
            "/inventories/new",
            slip.as_str(),
            "/account",
        ] {
            visit(&client, &base, path).await;
        }
        shot(&client, "18b-loan-slip-or-last").await;
        logout(&client).await;

        // The auditor verifies the chain.
        let code = server.totp_code("auditor").unwrap();
        login_with(&client, &base, "auditor", Some(&code)).await;
        visit(&client, &base, "/admin/audit").await;
        navigate(&client, Locator::Id("verify")).await;
        let verdict = text_of(&client, Locator::Id("verify-result")).await;
        assert!(verdict.contains("哈希链完整"), "{verdict}");
        assert_clean(&client).await;
        let trail = text_of(&client, Locator::Id("audit-table")).await;
        assert!(trail.contains("carrier.lend"), "{trail}");
        shot(&client, "19-audit-verified").await;
        logout(&client).await;

        client.close().await.unwrap();
    })
    .await;
}

/// One's account and the three administrators' consoles in the browser: the system
/// administrator sees the service status and resets a user's password (R5.3); that user must
/// change it before anything else (R4.2), then enrols a TOTP second factor (R13.1); the system
/// administrator is refused the audit trail with its rule (R5.3); the security administrator's
/// console lists rights and grants; pages switch to English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r4_2_r5_3_r13_1_accounts_and_consoles_in_headless_chromium() {
    let driver = start_driver();
    common::run(Backend::Sqlite, move |server: TestServer| async move {
        let base = server.base.clone();
        let client = browser(&driver).await;
        let clerk = server.person("chen.jing");

        // The system administrator: service status, accounts, a password reset.
        let code = server.totp_code("sysadmin").unwrap();
        login_with(&client, &base, "sysadmin", Some(&code)).await;
        visit(&client, &base, "/admin/system").await;
        let status = text_of(&client, Locator::Id("service-status")).await;
        assert!(status.contains(env!("CARGO_PKG_VERSION")), "{status}");
        assert!(text_of(&client, Locator::Id("accounts-table"))
            .await
            .contains("chen.jing"));
        shot(&client, "20-system-console").await;
        click(
            &client,
            Locator::Css("#account-chen\\.jing details > summary"),
        )
        .await;
        // R5.3: she is classified personnel — he only asks; no password is his to choose.
        navigate(&client, Locator::Id(&format!("reset-{clerk}"))).await;
        let done = expect_done(&client).await;
        assert!(done.contains("安全保密管理员"), "{done}");
        assert_clean(&client).await;

        // The audit trail is the auditor's alone: the API's refusal, with its rule.
        client.goto(&format!("{base}/admin/audit")).await.unwrap();
        let message = text_of(&client, Locator::Id("error-message")).await;
        assert!(message.contains("R5.3"), "{message}");
        let _ = client.issue_cmd(BrowserLog).await.unwrap();
        shot(&client, "21-audit-refused-to-sysadmin").await;
        logout(&client).await;

        // The security administrator's console: rights and classifier grants.
        let code = server.totp_code("secadmin").unwrap();
        login_with(&client, &base, "secadmin", Some(&code)).await;
        visit(&client, &base, "/admin/security").await;
        // She confirms the reset (the second person, R5.3) and alone sees the one-time
        // password, to hand over through the confidentiality office.
        navigate(&client, Locator::Id(&format!("confirm-reset-{clerk}"))).await;
        let one_time = text_of(&client, Locator::Id("one-time-password")).await;
        assert!(one_time.len() >= 16, "{one_time}");
        assert!(text_of(&client, Locator::Id("grants-table"))
            .await
            .contains("张伟"));
        client.find(Locator::Id("rights-table")).await.unwrap();
        client
            .find(Locator::Id("authorisations-table"))
            .await
            .unwrap();
        shot(&client, "24-security-console").await;
        // She may not grant classification authority to herself (R5.3).
        choose(
            &client,
            "classifier-person",
            &server.person("secadmin").to_string(),
        )
        .await;
        choose(&client, "classifier-highest_level", "secret").await;
        navigate(&client, Locator::Id("grant-submit")).await;
        let rule = text_of(&client, Locator::Id("refusal-rule")).await;
        assert!(rule.contains("R5.3"), "{rule}");
        let _ = client.issue_cmd(BrowserLog).await.unwrap();
        shot(&client, "25-self-grant-refused").await;
        logout(&client).await;

        // The clerk must change the reset password before anything else (R4.2).
        submit_login(&client, &base, "chen.jing", &one_time).await;
        let forced = text_of(&client, Locator::Id("forced")).await;
        assert!(forced.contains("R4.2"), "{forced}");
        // She is told that administrators reset her password (R5.3).
        let notice = text_of(&client, Locator::Id("done")).await;
        assert!(notice.contains("管理员重置"), "{notice}");
        assert_eq!(path_of(&client).await, "/account");
        client.goto(&format!("{base}/carriers")).await.unwrap();
        text_of(&client, Locator::Id("forced")).await;
        assert_eq!(path_of(&client).await, "/account", "restricted session");
        let hint = text_of(&client, Locator::Id("pw-hint")).await;
        let min = baomi_core::devices::min_length(baomi_core::marks::Level::Secret, None).unwrap();
        assert!(
            hint.contains("R4.2") && hint.contains(&min.to_string()),
            "{hint}"
        );
        shot(&client, "22-forced-password-change").await;
        fill(&client, "pw-current", &one_time).await;
        fill(&client, "pw-new", "Neu2026pass").await;
        fill(&client, "pw-confirm", "Neu2026pasz").await;
        navigate(&client, Locator::Id("password-submit")).await;
        let mismatch = text_of(&client, Locator::Id("refusal-message")).await;
        assert!(mismatch.contains("不一致"), "{mismatch}");
        let _ = client.issue_cmd(BrowserLog).await.unwrap();
        fill(&client, "pw-current", &one_time).await;
        fill(&client, "pw-new", "Neu2026pass").await;
        fill(&client, "pw-confirm", "Neu2026pass").await;
        navigate(&client, Locator::Id("password-submit")).await;
        assert_eq!(expect_done(&client).await, "密码已修改。");
        assert!(client.find(Locator::Id("forced")).await.is_err());
        visit(&client, &base, "/carriers").await;
        client.find(Locator::Id("carriers-table")).await.unwrap();

        // She enrols a TOTP second factor with a code computed from the shown secret.
        visit(&client, &base, "/account").await;
        navigate(&client, Locator::Id("totp-begin")).await;
        let secret = text_of(&client, Locator::Id("totp-secret")).await;
        client
            .find(Locator::Css(".qr svg"))
            .await
            .expect("the otpauth address as a QR code");
        assert_clean(&client).await;
        shot(&client, "23-totp-enrolment").await;
        let bytes = baomi_server::totp::base32_decode(&secret).unwrap();
        let code = baomi_server::totp::code_at(&bytes, server.clock.now().as_second()).unwrap();
        fill(&client, "totp-code", &code).await;
        navigate(&client, Locator::Id("totp-confirm")).await;
        assert_eq!(expect_done(&client).await, "动态口令已绑定。");
        assert_eq!(text_of(&client, Locator::Id("totp-state")).await, "是");

        // English, on the account page.
        client
            .find(Locator::Id("lang-select"))
            .await
            .unwrap()
            .select_by_value("en")
            .await
            .unwrap();
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::LinkText("My account"))
            .await
            .unwrap();
        assert_eq!(text_of(&client, Locator::Css("h1")).await, "My account");
        assert_clean(&client).await;
        logout(&client).await;

        client.close().await.unwrap();
    })
    .await;
}

/// Login CSRF (R13.1): a login form posted from another site is refused and sets no session;
/// the same form from the site itself logs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_1_a_login_posted_from_another_site_is_refused() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = [
            ("login", "li.na"),
            ("password", baomi_server::demo::DEMO_PASSWORD),
        ];
        for headers in [
            [("origin", "http://evil.example"), ("x-none", "")],
            [("origin", "null"), ("sec-fetch-site", "cross-site")],
            [
                ("origin", "http://sub.127.0.0.1"),
                ("sec-fetch-site", "same-site"),
            ],
        ] {
            let mut request = http.post(format!("{}/login", server.base));
            for (header, value) in headers {
                request = request.header(header, value);
            }
            let answer = request.form(&form).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{headers:?}");
            // No session (only a fresh login-form token for the page shown again).
            assert!(answer
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("baomi_session=")));
        }
        // Issue 18, finding 10: an opaque origin (sandboxed frame, data: page) is no proof of
        // this site, with or without Sec-Fetch-Site, and neither is saying nothing at all.
        for headers in [
            vec![("origin", "null")],
            vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
            vec![],
        ] {
            let mut request = http.post(format!("{}/login", server.base));
            for (header, value) in &headers {
                request = request.header(*header, *value);
            }
            let answer = request.form(&form).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{headers:?}");
            assert!(answer
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("baomi_session=")));
        }
        // The site's own form: the real Origin (Referrer-Policy: same-origin lets browsers
        // send it) …
        let own = server.base.clone();
        let answer = http
            .post(format!("{own}/login"))
            .header("origin", own.clone())
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert!(answer.headers().get("set-cookie").is_some());
        // … or, when the browser does not say, the login page's double-submit token.
        let page = http.get(format!("{own}/login")).send().await.unwrap();
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("baomi_login_csrf="), "{cookie}");
        let html = page.text().await.unwrap();
        let token = html
            .split("name=\"login_csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let mut with_token = form.to_vec();
        with_token.push(("login_csrf", token.as_str()));
        let wrong = http
            .post(format!("{own}/login"))
            .header("origin", "null")
            .header("cookie", "baomi_login_csrf=0000")
            .form(&with_token)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let answer = http
            .post(format!("{own}/login"))
            .header("origin", "null")
            .header("cookie", cookie)
            .form(&with_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert!(answer.headers().get("set-cookie").is_some());
        // The server lives as long as the whole `TestServer` does (an async block would
        // otherwise capture only the field it names).
        drop(server);
    })
    .await;
}

/// R13.1: a session idle for longer than the configured time ends; the next page sends the
/// browser to the login page with the expiry notice, in the browser's session language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_1_an_idle_session_ends_with_a_notice() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let answer = http
            .post(format!("{}/login", server.base))
            .header("origin", server.base.clone())
            .form(&[
                ("login", "li.na"),
                ("password", baomi_server::demo::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let cookie = answer.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = |path: &str| {
            http.get(format!("{}{path}", server.base))
                .header("cookie", cookie.clone())
                .send()
        };
        assert_eq!(page("/dashboard").await.unwrap().status(), StatusCode::OK);
        let idle = baomi_server::Config::default().session_idle;
        let later = server
            .clock
            .now()
            .checked_add(
                jiff::SignedDuration::try_from(idle).unwrap() + jiff::SignedDuration::from_secs(60),
            )
            .unwrap();
        server.clock.set(later);
        let answer = page("/carriers").await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(answer.headers()["location"], "/login?expired=1");
        let notice = http
            .get(format!("{}/login?expired=1", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(notice.contains("会话已过期，请重新登录。"), "{notice}");
        drop(server);
    })
    .await;
}
