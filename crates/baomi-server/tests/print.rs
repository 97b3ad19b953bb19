//! Printable forms end to end (R13.3): the carrier registration card with the QR code of its
//! number (R3.2), the loan/return slip (R3.4) and the destruction list (R3.9), read by a
//! browser-less client with the session cookie of a real login, over SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, Client, TestServer};
use jiff::ToSpan;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A day `n` days from the server's today, as `YYYY-MM-DD`.
fn day(server: &TestServer, n: i64) -> String {
    server.today().checked_add(n.days()).unwrap().to_string()
}

/// `YYYY-MM-DD` as the Chinese pages write it (`2026年3月9日`).
fn zh_day(iso: &str) -> String {
    let d: jiff::civil::Date = iso.parse().unwrap();
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// GET a page: (status, body); every page is HTML under the page policy.
async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get_raw(path).await;
    let status = response.status();
    if status.is_success() || status.is_client_error() {
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(
            response.headers().get("content-security-policy").is_some(),
            "{path}: no CSP"
        );
    }
    // The templates escape apostrophes and slashes in text; the assertions read plain text.
    let html = response.text().await.unwrap();
    (status, html.replace("&#x27;", "'").replace("&#x2f;", "/"))
}

/// The text of the element with `id` up to its first child tag or end tag.
fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find('<').unwrap();
    html[start..end].trim().to_owned()
}

/// The value of attribute `name` in the tag text `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = start + tag[start..].find('"')?;
    Some(&tag[start..end])
}

/// Registers a Secret carrier known to the bureau's officer, planners and head, and signs it
/// into custody with li.na; answers its id.
async fn custody_carrier(server: &TestServer, officer: &Client, number: &str) -> i64 {
    let persons: Vec<i64> = ["zhang.wei", "li.na", "wang.fang", "liu.yang", "chen.jing"]
        .iter()
        .map(|l| server.person(l))
        .collect();
    let (status, body) = officer
        .post(
            "/api/v1/carriers",
            json!({
                "number": number,
                "copy": 2,
                "kind": "paper_document",
                "marking": "秘密★10年",
                "title": format!("打印测试载体 {number}"),
                "scope": { "persons": persons, "groups": [] },
                "location": "保密室 3号保密柜",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/take-into-custody"),
            json!({ "location": "保密室 3号保密柜" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// Asks for the destruction of carrier `id` by a designated body; answers the request id.
async fn ask_destruction(server: &TestServer, officer: &Client, id: i64) -> i64 {
    let (status, body) = officer
        .post(
            &format!("/api/v1/carriers/{id}/destroy"),
            json!({
                "method": {
                    "kind": "designated_body",
                    "body": "市国家保密局涉密载体销毁中心",
                    "packed": true,
                    "transported_safely": true,
                    "supervisor": server.person("li.na"),
                },
                "reason": "已过保存期限",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["approval_request"].as_i64().unwrap()
}

/// The QR code drawn in the page, as the module matrix it draws (row by row), with the side
/// and dark count the SVG announces.
fn drawn_qr(html: &str) -> (usize, usize, Vec<bool>) {
    let start = html
        .find("<svg id=\"qr\"")
        .expect("the card draws a QR code");
    let end = start + html[start..].find("</svg>").unwrap();
    let svg = &html[start..end];
    assert!(!svg.contains("style="), "no inline style (CSP): {svg}");
    let open = &svg[..svg.find('>').unwrap()];
    assert_eq!(attr(open, "role"), Some("img"));
    assert!(attr(open, "aria-labelledby").is_some());
    let modules: usize = attr(open, "data-modules").unwrap().parse().unwrap();
    let dark: usize = attr(open, "data-dark").unwrap().parse().unwrap();
    let quiet = 4;
    assert_eq!(
        attr(open, "viewBox"),
        Some(format!("0 0 {0} {0}", modules + 2 * quiet).as_str())
    );
    let mut matrix = vec![false; modules * modules];
    for rect in svg.split("<rect").skip(1) {
        let rect = &rect[..rect.find("/>").unwrap()];
        if attr(rect, "fill") != Some("#000000") {
            continue;
        }
        assert_eq!(attr(rect, "height"), Some("1"), "{rect}");
        let n = |key: &str| -> usize { attr(rect, key).unwrap().parse().unwrap() };
        let (x, y, w) = (n("x") - quiet, n("y") - quiet, n("width"));
        for column in x..x + w {
            assert!(column < modules && y < modules, "{rect} outside the symbol");
            let cell = &mut matrix[y * modules + column];
            assert!(!*cell, "module ({column}, {y}) drawn twice");
            *cell = true;
        }
    }
    (modules, dark, matrix)
}

/// Reads a QR code back from its module matrix (row by row, dark = `true`), independently of
/// the encoder: format information, unmasking, the zigzag placement and the numeric,
/// alphanumeric and byte segments of ISO/IEC 18004, for versions 1–6 at level M without
/// errors (enough for a carrier number), with the ECI designator of UTF-8. Answers the text.
fn decode_qr(matrix: &[bool], width: usize) -> String {
    let version = (width - 17) / 4;
    assert!(
        (1..=6).contains(&version) && width == 17 + 4 * version,
        "width {width}"
    );
    let at = |row: usize, col: usize| matrix[row * width + col];
    // Format information around the top-left finder (read as ZXing does), masked by 0x5412.
    let mut format = 0u32;
    let mut push = |bit: bool| format = (format << 1) | u32::from(bit);
    for col in 0..6 {
        push(at(8, col));
    }
    push(at(8, 7));
    push(at(8, 8));
    push(at(7, 8));
    for row in (0..6).rev() {
        push(at(row, 8));
    }
    let format = format ^ 0x5412;
    assert_eq!(format >> 13, 0b00, "error correction level M");
    let mask = (format >> 10) & 0b111;
    let masked = |i: usize, j: usize| match mask {
        0 => (i + j).is_multiple_of(2),
        1 => i.is_multiple_of(2),
        2 => j.is_multiple_of(3),
        3 => (i + j).is_multiple_of(3),
        4 => (i / 2 + j / 3).is_multiple_of(2),
        5 => (i * j) % 2 + (i * j) % 3 == 0,
        6 => ((i * j) % 2 + (i * j) % 3).is_multiple_of(2),
        _ => ((i + j) % 2 + (i * j) % 3).is_multiple_of(2),
    };
    // Function patterns: finders with separators and format areas, timing, the alignment
    // pattern of versions 2–6 (no version information below version 7).
    let function = |i: usize, j: usize| {
        (i <= 8 && (j <= 8 || j >= width - 8))
            || (i >= width - 8 && j <= 8)
            || i == 6
            || j == 6
            || (version >= 2
                && (width - 9..=width - 5).contains(&i)
                && (width - 9..=width - 5).contains(&j))
    };
    let mut bits = Vec::new();
    let mut upward = true;
    let mut right = width - 1;
    loop {
        if right == 6 {
            right = 5;
        }
        for step in 0..width {
            let i = if upward { width - 1 - step } else { step };
            for j in [right, right - 1] {
                if !function(i, j) {
                    bits.push(at(i, j) ^ masked(i, j));
                }
            }
        }
        upward = !upward;
        if right < 2 {
            break;
        }
        right -= 2;
    }
    let codewords: Vec<u8> = bits
        .chunks(8)
        .filter(|c| c.len() == 8)
        .map(|c| c.iter().fold(0u8, |b, bit| (b << 1) | u8::from(*bit)))
        .collect();
    // Level M: (blocks, data codewords per block) for versions 1–6.
    let (blocks, per_block) = [(1, 16), (1, 28), (1, 44), (2, 32), (2, 43), (4, 27)][version - 1];
    let mut data = vec![0u8; blocks * per_block];
    for (n, byte) in codewords.iter().take(blocks * per_block).enumerate() {
        data[(n % blocks) * per_block + n / blocks] = *byte;
    }
    struct Reader {
        data: Vec<u8>,
        pos: usize,
    }
    impl Reader {
        fn take(&mut self, count: usize) -> usize {
            let mut v = 0usize;
            for _ in 0..count {
                let bit = (self.data[self.pos / 8] >> (7 - self.pos % 8)) & 1;
                v = (v << 1) | usize::from(bit);
                self.pos += 1;
            }
            v
        }
        fn left(&self) -> usize {
            self.data.len() * 8 - self.pos
        }
    }
    let mut reader = Reader { data, pos: 0 };
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut out = Vec::new();
    loop {
        if reader.left() < 4 {
            break;
        }
        match reader.take(4) {
            0b0000 => break,
            0b0001 => {
                let mut n = reader.take(10);
                while n >= 3 {
                    out.extend(format!("{:03}", reader.take(10)).bytes());
                    n -= 3;
                }
                match n {
                    2 => out.extend(format!("{:02}", reader.take(7)).bytes()),
                    1 => out.extend(format!("{}", reader.take(4)).bytes()),
                    _ => {}
                }
            }
            0b0010 => {
                let mut n = reader.take(9);
                while n >= 2 {
                    let v = reader.take(11);
                    out.push(ALNUM[v / 45]);
                    out.push(ALNUM[v % 45]);
                    n -= 2;
                }
                if n == 1 {
                    out.push(ALNUM[reader.take(6)]);
                }
            }
            0b0111 => assert_eq!(reader.take(8), 26, "ECI: UTF-8"),
            0b0100 => {
                let n = reader.take(8);
                for _ in 0..n {
                    out.push(u8::try_from(reader.take(8)).unwrap());
                }
            }
            mode => panic!("unexpected mode {mode:04b}"),
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_2_r13_3_the_card_shows_number_marking_and_the_qr_code_of_the_number() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let number = "测〔2026〕P01号";
        let id = custody_carrier(&server, &officer, number).await;
        let (status, html) = page(&officer, &format!("/carriers/{id}/card")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("涉密载体登记卡"), "{html}");
        assert_eq!(text_of(&html, "card-number"), number);
        assert_eq!(text_of(&html, "card-copy"), "2");
        assert_eq!(text_of(&html, "card-marking"), "秘密★10年");
        assert!(html.contains("class=\"lvl lvl-secret\" id=\"card-marking\""));
        assert_eq!(text_of(&html, "card-unit"), "某市某局");
        assert_eq!(text_of(&html, "card-custodian"), "李娜");
        assert_eq!(text_of(&html, "card-registrant"), "李娜");
        assert_eq!(
            text_of(&html, "card-registered-on"),
            zh_day(&day(&server, 0))
        );
        assert_eq!(text_of(&html, "card-location"), "保密室 3号保密柜");
        let scope = text_of(&html, "card-scope");
        for name in ["张伟", "李娜", "王芳", "刘洋", "陈静"] {
            assert!(scope.contains(name), "{scope}");
        }
        // Print date in Chinese; banners top and bottom at the carrier's level, also in the
        // frame that repeats them on every printed sheet.
        assert_eq!(text_of(&html, "printed-on"), zh_day(&day(&server, 0)));
        assert!(html.contains("id=\"banner-top\">秘密<"), "{html}");
        assert!(html.contains("id=\"banner-bottom\">秘密<"), "{html}");
        assert_eq!(
            html.matches("frame-banner\" aria-hidden=\"true\">秘密<")
                .count(),
            2
        );
        assert!(html.contains("data-print"), "the print button");
        assert!(html.contains("/assets/print.css\" media=\"print\""));
        // The QR code is the `qrcode` crate's own code of the number, module for module: one
        // byte-mode segment of its UTF-8 bytes after the UTF-8 ECI, level M, smallest version.
        // (`QrCode::new` would put the UTF-8 bytes of 测 and 号 in Kanji mode.)
        let code = (1..=40)
            .find_map(|v| {
                let mut bits = Bits::new(Version::Normal(v));
                bits.push_eci_designator(26).ok()?;
                bits.push_byte_data(number.as_bytes()).ok()?;
                bits.push_terminator(EcLevel::M).ok()?;
                QrCode::with_bits(bits, EcLevel::M).ok()
            })
            .unwrap();
        let expected: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        let (modules, dark, drawn) = drawn_qr(&html);
        assert_eq!(modules, code.width());
        assert_eq!(drawn, expected);
        assert_eq!(dark, expected.iter().filter(|d| **d).count());
        assert_eq!(drawn.iter().filter(|d| **d).count(), dark);
        // And read back, it is the number.
        assert_eq!(decode_qr(&drawn, modules), number);
        // An ASCII number has no ECI and reads back too.
        let ascii = "BM-2026-0042";
        let other = custody_carrier(&server, &officer, ascii).await;
        let (status, html) = page(&officer, &format!("/carriers/{other}/card")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let (modules, _, drawn) = drawn_qr(&html);
        assert_eq!(decode_qr(&drawn, modules), ascii);
        // The print stylesheet: A4, no navigation, rows kept whole.
        let css = officer.get_raw("/assets/print.css").await;
        assert_eq!(css.status(), StatusCode::OK);
        assert!(css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
        let css = css.text().await.unwrap();
        assert!(css.contains("size: A4"), "{css}");
        assert!(css.contains("break-inside: avoid"), "{css}");
        assert!(css.contains("display: none"), "{css}");
        // The read is the API's, audited (R13.1).
        assert!(server
            .audit("carrier.read")
            .await
            .iter()
            .any(|e| e.object.as_ref().is_some_and(|o| o.id == id.to_string())));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_4_the_slip_shows_borrower_due_date_approval_and_the_return() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕P02号").await;
        let due = day(&server, 7);
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/lend"),
                json!({ "to": server.person("chen.jing"), "due": due, "reason": "编制规划查阅" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        let leader = server.login("wang.fang").await;
        let (status, body) = leader
            .post(
                &format!("/api/v1/approvals/{request}/approve"),
                json!({ "reason": "同意借阅" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Lent, not yet back: the slip has room for the return.
        let (status, html) = page(&officer, &format!("/carriers/{id}/slip")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(text_of(&html, "slip-borrower"), "陈静");
        assert!(html.contains("id=\"slip-not-returned\""), "{html}");
        server.advance_days(3);
        let officer = server.login("li.na").await;
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/return"),
                json!({ "face_to_face": true, "inventory_matches": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The card links the slip of the loan (history line 2).
        let (_, card) = page(&officer, &format!("/carriers/{id}/card")).await;
        assert!(
            card.contains(&format!("href=\"/carriers/{id}/slip?line=2\"")),
            "{card}"
        );
        let (status, html) = page(&officer, &format!("/carriers/{id}/slip?line=2")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("涉密载体借阅（归还）单"));
        assert_eq!(text_of(&html, "slip-number"), "测〔2026〕P02号");
        assert_eq!(text_of(&html, "slip-borrower"), "陈静");
        assert_eq!(text_of(&html, "slip-due"), zh_day(&due));
        assert_eq!(text_of(&html, "slip-lent-on"), zh_day(&day(&server, -3)));
        assert_eq!(text_of(&html, "slip-approver"), "王芳（主管领导）");
        assert!(text_of(&html, "slip-approved-at").starts_with(&zh_day(&day(&server, -3))));
        assert_eq!(text_of(&html, "slip-reason"), "编制规划查阅");
        assert!(html.contains("同意借阅"), "the approver's remarks");
        assert_eq!(text_of(&html, "slip-returned-on"), zh_day(&day(&server, 0)));
        assert_eq!(text_of(&html, "slip-received-by"), "李娜");
        assert_eq!(text_of(&html, "slip-face-to-face"), "是");
        assert_eq!(text_of(&html, "slip-inventory"), "是");
        for line in ["借阅人签字", "批准人签字", "经办人签字", "接收人签字"] {
            assert!(html.contains(line), "signature line {line}");
        }
        assert!(html.contains("R3.4"));
        // The default slip is the latest loan; a line that is no loan is not a slip.
        let (_, latest) = page(&officer, &format!("/carriers/{id}/slip")).await;
        assert_eq!(text_of(&latest, "slip-received-by"), "李娜");
        for bad in ["1", "9", "x"] {
            let (status, html) = page(&officer, &format!("/carriers/{id}/slip?line={bad}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "line {bad}: {html}");
            assert!(html.contains("该载体没有这条借阅记录"), "{html}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_9_the_destruction_list_has_destroyed_and_pending_carriers_in_the_range() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let destroyed = custody_carrier(&server, &officer, "测〔2026〕P03号").await;
        let pending = custody_carrier(&server, &officer, "测〔2026〕P04号").await;
        let request = ask_destruction(&server, &officer, destroyed).await;
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ask_destruction(&server, &officer, pending).await;
        let today = day(&server, 0);

        let row = |html: &str, id: i64| -> Option<String> {
            let start = html.find(&format!("<tr data-carrier=\"{id}\""))?;
            let end = start + html[start..].find("</tr>")?;
            Some(html[start..end].to_owned())
        };
        let (status, html) = page(
            &officer,
            &format!("/carriers/destruction-list?from={today}&to={today}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("涉密载体销毁清单"));
        let done = row(&html, destroyed).expect("the destroyed carrier is listed");
        assert!(done.contains("data-status=\"destroyed\""), "{done}");
        assert!(done.contains("测〔2026〕P03号"), "{done}");
        assert!(done.contains("打印测试载体 测〔2026〕P03号"), "{done}");
        assert!(done.contains("lvl lvl-secret"), "{done}");
        assert!(done.contains("秘密★10年"), "{done}");
        assert!(done.contains("市国家保密局涉密载体销毁中心"), "{done}");
        assert!(done.contains("张伟（单位负责人）"), "{done}");
        assert!(done.contains(&zh_day(&today)), "{done}");
        let waiting = row(&html, pending).expect("the pending destruction is listed");
        assert!(waiting.contains("data-status=\"pending\""), "{waiting}");
        assert!(waiting.contains("已过保存期限"), "{waiting}");
        for line in ["销毁经办人签字", "监销人签字"] {
            assert!(html.contains(line), "signature line {line}");
        }
        assert!(html.contains("id=\"banner-top\">秘密<"));
        // The status filter.
        let (_, only_done) = page(&officer, "/carriers/destruction-list?status=destroyed").await;
        assert!(row(&only_done, destroyed).is_some());
        assert!(row(&only_done, pending).is_none());
        let (_, only_pending) = page(&officer, "/carriers/destruction-list?status=pending").await;
        assert!(row(&only_pending, destroyed).is_none());
        assert!(row(&only_pending, pending).is_some());
        // The date range: nothing of today from tomorrow on.
        let tomorrow = day(&server, 1);
        let (status, later) = page(
            &officer,
            &format!("/carriers/destruction-list?from={tomorrow}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(row(&later, destroyed).is_none() && row(&later, pending).is_none());
        assert!(later.contains("id=\"list-empty\""), "{later}");
        // An unchanged filter form sends empty values: no filter.
        let (status, all) = page(&officer, "/carriers/destruction-list?from=&to=&status=").await;
        assert_eq!(status, StatusCode::OK);
        assert!(row(&all, destroyed).is_some() && row(&all, pending).is_some());
        let (status, _) = page(&officer, "/carriers/destruction-list?from=2026-13-01").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_1_r1_7_a_reader_outside_the_scope_gets_the_apis_refusal_with_its_rule() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕P05号").await;
        let destroyed = custody_carrier(&server, &officer, "测〔2026〕P06号").await;
        let request = ask_destruction(&server, &officer, destroyed).await;
        let head = server.login("zhang.wei").await;
        let (status, body) = head
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The IT technician is neither cleared nor in the scope: the API refuses him.
        let outsider = server.login("zhao.lei").await;
        let (status, refusal) = outsider.get(&format!("/api/v1/carriers/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refusal}");
        let rule = refusal["rule"].as_str().unwrap().to_owned();
        let message = refusal["message"].as_str().unwrap().to_owned();
        for path in [
            format!("/carriers/{id}/card"),
            format!("/carriers/{id}/slip"),
        ] {
            let (status, html) = page(&outsider, &path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {html}");
            let shown = text_of(&html, "error-message");
            assert!(html.contains(&format!("依据规则 {rule}")), "{path}: {html}");
            assert!(html.contains(&message), "{path}: {shown}");
            assert!(!html.contains("测〔2026〕P05号"), "{path} leaks the number");
            assert!(!html.contains("<svg id=\"qr\""), "{path} leaks the QR code");
        }
        // His destruction list does not show what he may not read.
        let (status, html) = page(&outsider, "/carriers/destruction-list").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(!html.contains("测〔2026〕P06号"), "{html}");
        assert!(!html.contains(&format!("data-carrier=\"{destroyed}\"")));
        // No session: the login page.
        let anonymous = server.anonymous();
        let response = anonymous.get_raw(&format!("/carriers/{id}/card")).await;
        assert!(response.url().path() == "/login" || response.status() == StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_3_forms_are_in_english_for_an_account_whose_language_is_english() {
    common::run(Backend::Sqlite, |server: TestServer| async move {
        let officer = server.login("li.na").await;
        let id = custody_carrier(&server, &officer, "测〔2026〕P07号").await;
        let due = day(&server, 5);
        let (status, body) = officer
            .post(
                &format!("/api/v1/carriers/{id}/lend"),
                json!({ "to": server.person("chen.jing"), "due": due, "reason": "review" }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let request = body["approval_request"].as_i64().unwrap();
        let leader = server.login("wang.fang").await;
        let (status, body) = leader
            .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body): (StatusCode, Value) = officer
            .post("/api/v1/auth/lang", json!({ "lang": "en" }))
            .await;
        assert!(status.is_success(), "{body}");

        let (status, card) = page(&officer, &format!("/carriers/{id}/card")).await;
        assert_eq!(status, StatusCode::OK, "{card}");
        assert!(card.contains("<html lang=\"en\">"));
        assert!(
            card.contains("Classified carrier registration card"),
            "{card}"
        );
        assert!(card.contains("Knowledge scope"));
        assert!(!card.contains("涉密载体登记卡"));
        assert_eq!(text_of(&card, "card-marking"), "SECRET//10Y");
        assert_eq!(text_of(&card, "printed-on"), day(&server, 0));
        assert!(card.contains("QR code of the carrier number"));

        let (status, slip) = page(&officer, &format!("/carriers/{id}/slip")).await;
        assert_eq!(status, StatusCode::OK, "{slip}");
        assert!(
            slip.contains("Classified carrier loan and return slip"),
            "{slip}"
        );
        assert!(slip.contains("Borrower's signature"));
        assert_eq!(text_of(&slip, "slip-due"), due);
        assert_eq!(text_of(&slip, "slip-not-returned"), "Not yet returned.");

        let (status, list) = page(&officer, "/carriers/destruction-list").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(
            list.contains("Classified carrier destruction list"),
            "{list}"
        );
        assert!(list.contains("Supervisor's signature"), "{list}");

        // A refusal is in English too.
        let (status, missing) = page(&officer, &format!("/carriers/{id}/slip?line=0")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            missing.contains("This carrier has no such loan."),
            "{missing}"
        );
    })
    .await;
}
