//! Import of people, carriers and devices from CSV/XLSX (R13.3 and the rules of each
//! registration: R2.2, R3.2, R1.7, R2.1, R4.1, R4.2), on SQLite and PostgreSQL, through the API
//! and through the web page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::Outcome;
use common::{Client, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// POSTs `bytes` of `content_type` as `client`, answering (status, JSON body or Null).
async fn upload(
    client: &Client,
    path: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = client
        .http
        .post(format!("{}{path}", client.base))
        .header("content-type", content_type)
        .body(bytes);
    if let Some(cookie) = &client.cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(csrf) = &client.csrf {
        request = request.header("x-csrf-token", csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    client.record("POST", path, status);
    (status, response.json().await.unwrap_or(Value::Null))
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text.into_bytes()
}

fn with_bom(bytes: Vec<u8>) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(bytes);
    out
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// How many audit entries of `action` there are.
async fn count(server: &TestServer, action: &str) -> usize {
    server
        .audit(action)
        .await
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// The errors of row `row` of an import answer.
fn errors_of(body: &Value, row: u64) -> Vec<Value> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("no row {row} in {body}"))["errors"]
        .as_array()
        .unwrap()
        .clone()
}

const CARRIERS: &[&str] = &[
    "编号,份号,类型,密级标志,名称,所属事项,知悉范围,存放地点,保管人",
    "测〔2026〕I1号,1,文件,机密★10年,导入测试一,,李娜、zhang.wei；保密办：李娜,保密室 1号柜,li.na",
    "测〔2026〕I1号,2,文件,机密★10年,导入测试一（副本）,,li.na、张伟,保密室 1号柜,张伟",
    "测〔2026〕I2号,,U盘,秘密,导入测试二,,li.na、chen.jing,保密室 2号柜,陈静",
];

both_backends!(
    r3_2_r13_3_carriers_csv_preview_writes_nothing_then_commit_writes_all,
    |server| async move {
        let officer = server.login("li.na").await;
        let file = with_bom(csv(CARRIERS));
        let before = count(&server, "carrier.register").await;
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/carriers",
            "text/csv",
            file.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["committed"], false);
        assert_eq!(body["format"], "csv");
        assert_eq!(body["encoding"], "utf-8");
        assert_eq!(
            (body["total"].as_u64(), body["valid"].as_u64()),
            (Some(3), Some(3)),
            "{body}"
        );
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows[0]["row"], 2);
        assert_eq!(rows[0]["values"]["number"], "测〔2026〕I1号");
        assert_eq!(rows[0]["level"], "confidential");
        // Names resolved: login, unique name, a department group.
        let zhang = server.person("zhang.wei");
        let li = server.person("li.na");
        let chen = server.person("chen.jing");
        assert_eq!(rows[0]["resolved"]["custodian"], li);
        assert_eq!(rows[1]["resolved"]["custodian"], zhang);
        assert_eq!(rows[2]["resolved"]["custodian"], chen);
        assert_eq!(rows[0]["resolved"]["scope"][0], li.min(zhang));
        assert_eq!(
            rows[0]["resolved"]["scope"][2]["holder"]["kind"],
            "department"
        );
        // A preview writes nothing and gives no ids.
        assert!(rows.iter().all(|r| r["id"].is_null()));
        assert_eq!(count(&server, "carrier.register").await, before);
        let (_, list) = officer.get("/api/v1/carriers?q=导入测试").await;
        assert_eq!(list["total"], 0, "{list}");
        let previewed = server.audit("import.carriers").await;
        assert_eq!(previewed.len(), 1);
        let detail: Value = serde_json::from_str(&previewed[0].detail).unwrap();
        assert_eq!(detail["outcome"], "previewed");
        assert_eq!(detail["sha256"], body["sha256"]);

        // The commit, bound to the file previewed.
        let sha = body["sha256"].as_str().unwrap().to_owned();
        let (status, body) = upload(
            &officer,
            &format!("/api/v1/imports/carriers?commit=true&sha256={sha}"),
            "text/csv",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["committed"], true);
        let ids: Vec<i64> = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        let (status, c) = officer.get(&format!("/api/v1/carriers/{}", ids[1])).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["copy"], 2);
        assert_eq!(c["holder"], zhang);
        assert_eq!(c["marking"]["zh"], "机密★10年");
        let (_, c) = officer.get(&format!("/api/v1/carriers/{}", ids[2])).await;
        assert_eq!(c["kind"], "usb_disk");
        assert_eq!(c["level"], "secret");
        // Each record's own entry and one import entry with the digest and the ids.
        assert_eq!(count(&server, "carrier.register").await, before + 3);
        let entries = server.audit("import.carriers").await;
        let committed = entries
            .iter()
            .find(|e| e.detail.contains("\"committed\""))
            .expect("the commit's entry");
        assert!(matches!(committed.outcome, Outcome::Success));
        let detail: Value = serde_json::from_str(&committed.detail).unwrap();
        assert_eq!(detail["sha256"], sha.as_str());
        assert_eq!(detail["rows"], 3);
        assert_eq!(detail["ids"].as_array().unwrap().len(), 3);
        // The same file again: every number is now taken (R3.2), nothing more is written.
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/carriers?commit=true",
            "text/csv",
            with_bom(csv(CARRIERS)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(errors_of(&body, 2)[0]["rule"], "R3.2");
        assert_eq!(count(&server, "carrier.register").await, before + 3);
    }
);

both_backends!(
    r3_2_r2_1_one_bad_row_writes_nothing_and_is_reported_with_its_rule,
    |server| async move {
        let officer = server.login("li.na").await;
        let file = csv(&[
            "number,copy,kind,marking,title,scope,location,custodian",
            "B-1,1,document,confidential,good row,li.na、chen.jing,Safe 1,",
            "B-2,1,document,confidential,custodian not cleared,li.na、chen.jing,Safe 1,chen.jing",
            "B-1,1,document,confidential,same number and copy,li.na,Safe 1,",
            "B-3,1,parchment,secret,unknown kind,li.na,Safe 1,",
            "B-4,x,document,,no marking,li.na,Safe 1,",
            "B-5,1,document,secret,unknown person,li.na、nobody.here,Safe 1,",
        ]);
        let before = count(&server, "carrier.register").await;
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/carriers?commit=true",
            "text/csv",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "import_invalid");
        assert_eq!(body["committed"], false);
        assert_eq!(
            (body["valid"].as_u64(), body["invalid"].as_u64()),
            (Some(1), Some(5))
        );
        assert!(errors_of(&body, 2).is_empty());
        // R2.1: chen.jing (general) may not hold a Confidential carrier.
        let e = &errors_of(&body, 3)[0];
        assert_eq!(
            (e["column"].as_str(), e["rule"].as_str()),
            (Some("custodian"), Some("R2.1")),
            "{e}"
        );
        assert!(e["message_zh"].as_str().unwrap().contains("保管人"), "{e}");
        assert!(
            e["message_en"].as_str().unwrap().contains("custodian"),
            "{e}"
        );
        // R3.2: a number and copy used by an earlier row of the same file.
        let e = &errors_of(&body, 4)[0];
        assert_eq!(
            (
                e["column"].as_str(),
                e["rule"].as_str(),
                e["reason"].as_str()
            ),
            (Some("number"), Some("R3.2"), Some("duplicate_number")),
            "{e}"
        );
        let e = &errors_of(&body, 5)[0];
        assert_eq!(
            (e["column"].as_str(), e["rule"].as_str()),
            (Some("kind"), Some("R3.1")),
            "{e}"
        );
        let columns: Vec<String> = errors_of(&body, 6)
            .iter()
            .map(|e| e["column"].as_str().unwrap().to_owned())
            .collect();
        assert!(columns.iter().any(|c| c == "copy"), "{columns:?}");
        let e = &errors_of(&body, 7)[0];
        assert_eq!(
            (e["column"].as_str(), e["reason"].as_str()),
            (Some("scope"), Some("unknown_person")),
            "{e}"
        );
        // Nothing written, not even the good row; the refused commit is audited.
        assert_eq!(count(&server, "carrier.register").await, before);
        let (_, list) = officer.get("/api/v1/carriers?q=good row").await;
        assert_eq!(list["total"], 0, "{list}");
        let entry = &server.audit("import.carriers").await[0];
        assert!(matches!(&entry.outcome, Outcome::Denied { reason } if reason == "import_invalid"));
        let detail: Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(detail["invalid"], 5);
        assert!(detail["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == "R2.1"));
    }
);

both_backends!(
    r2_2_people_gbk_csv_preview_then_commit,
    |server| async move {
        let officer = server.login("li.na").await;
        let before = count(&server, "person.register").await;
        let text = [
            "姓名,部门,岗位,涉密类别,上岗条件,承诺书签订日期",
            "导入甲,规划科,科员,一般,全部,2026年3月1日",
            "导入乙,信息中心、办公室,司机,,,",
            "导入丙,保密办,保密干事,重要,国籍、政治立场、品行、能力、人事审查、保密审查、承诺书,2026/2/27",
        ]
        .join("\r\n");
        let file = gbk(&text);
        assert!(std::str::from_utf8(&file).is_err());
        let (status, body) =
            upload(&officer, "/api/v1/imports/people", "text/csv", file.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["encoding"], "gb18030");
        assert_eq!(body["valid"], 3, "{body}");
        assert_eq!(
            body["rows"][1]["resolved"]["departments"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/people?commit=true",
            "text/csv",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["rows"][0]["id"].as_i64().unwrap();
        let (status, p) = officer.get(&format!("/api/v1/people/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(p["name"], "导入甲");
        assert_eq!(p["category"], "general");
        assert_eq!(p["commitment_signed_on"], "2026-03-01");
        let id = body["rows"][1]["id"].as_i64().unwrap();
        let (_, p) = officer.get(&format!("/api/v1/people/{id}")).await;
        assert!(p["category"].is_null(), "{p}");
        assert_eq!(count(&server, "person.register").await, before + 3);

        // R2.2: a classified post without every condition is refused on its row.
        let file = csv(&[
            "name,category,checklist",
            "导入丁,core,nationality、loyalty",
        ]);
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/people?commit=true",
            "text/csv",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = &errors_of(&body, 2)[0];
        assert_eq!(
            (e["column"].as_str(), e["rule"].as_str()),
            (Some("checklist"), Some("R2.2")),
            "{e}"
        );
        assert_eq!(count(&server, "person.register").await, 3);
    }
);

/// An XLSX devices file in English, with a date cell, a number cell and a formula cell.
fn devices_xlsx(holder_of_second: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = [
        "Number",
        "Kind",
        "Level",
        "Serial",
        "Name",
        "Department",
        "Holder",
        "Location",
        "Password changed (date)",
        "Second factor",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 2, 20).unwrap();
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let first = [
        "IMP-D-1",
        "laptop",
        "secret",
        "SN-001",
        "ThinkPad X1",
        "规划科",
        "刘洋",
        "保密室",
    ];
    for (c, v) in first.iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    sheet
        .write_datetime_with_format(1, 8, &date, &format)
        .unwrap();
    sheet.write_string(1, 9, "USB Key").unwrap();
    let second = ["IMP-D-2", "台式计算机", "机密"];
    for (c, v) in second.iter().enumerate() {
        sheet.write_string(2, c as u16, *v).unwrap();
    }
    sheet.write_number(2, 3, 12345.0).unwrap();
    // A formula is never evaluated: the value stored with it is read.
    sheet
        .write_formula(
            2,
            4,
            rust_xlsxwriter::Formula::new("=\"X\"&\"Y\"").set_result("Stored value"),
        )
        .unwrap();
    sheet.write_string(2, 5, "信息中心").unwrap();
    sheet.write_string(2, 6, holder_of_second).unwrap();
    workbook.save_to_buffer().unwrap()
}

both_backends!(
    r4_1_r2_1_devices_xlsx_preview_then_commit,
    |server| async move {
        let officer = server.login("li.na").await;
        let before = count(&server, "device.register").await;
        // R2.1: chen.jing (general) may not hold a Confidential device.
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/devices?commit=true",
            XLSX,
            devices_xlsx("chen.jing"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = &errors_of(&body, 3)[0];
        assert_eq!(
            (e["column"].as_str(), e["rule"].as_str()),
            (Some("holder"), Some("R2.1")),
            "{e}"
        );
        assert_eq!(count(&server, "device.register").await, 0);

        let file = devices_xlsx("zhang.wei");
        let (status, body) = upload(&officer, "/api/v1/imports/devices", XLSX, file.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["format"], "xlsx");
        assert_eq!(body["valid"], 2, "{body}");
        assert_eq!(body["rows"][0]["values"]["password_changed"], "2026-02-20");
        assert_eq!(body["rows"][1]["values"]["serial"], "12345");
        assert_eq!(body["rows"][1]["values"]["name"], "Stored value");
        assert_eq!(body["rows"][1]["level"], "confidential");
        let (status, body) = upload(
            &officer,
            "/api/v1/imports/devices?commit=true",
            "application/octet-stream",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["rows"][0]["id"].as_i64().unwrap();
        let (status, d) = officer.get(&format!("/api/v1/devices/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["kind"], "laptop");
        assert_eq!(d["holder"], server.person("liu.yang"));
        assert_eq!(d["password"]["last_changed"], "2026-02-20");
        assert_eq!(d["password"]["second_factor"], "usb_key");
        assert_eq!(count(&server, "device.register").await, before + 2);
        // The refused commit, the preview and the commit.
        assert_eq!(count(&server, "import.devices").await, 3);
    }
);

both_backends!(
    r2_2_r13_3_an_importer_who_may_not_register_is_refused_and_audited,
    |server| async move {
        let liu = server.login("liu.yang").await;
        let people_before = count(&server, "person.register").await;
        let devices_before = count(&server, "device.register").await;
        let carriers_before = count(&server, "carrier.register").await;
        let people = csv(&["姓名", "导入戊"]);
        let (status, body) = upload(
            &liu,
            "/api/v1/imports/people?commit=true",
            "text/csv",
            people,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R2.2");
        let devices = devices_xlsx("zhang.wei");
        let (status, body) =
            upload(&liu, "/api/v1/imports/devices?commit=true", XLSX, devices).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["rule"], "R13.3");
        for action in ["import.people", "import.devices"] {
            let entries = server.audit(action).await;
            assert_eq!(entries.len(), 1, "{action}");
            assert!(
                matches!(&entries[0].outcome, Outcome::Denied { reason } if reason == "role_required")
            );
        }
        assert_eq!(count(&server, "person.register").await, people_before);
        assert_eq!(count(&server, "device.register").await, devices_before);
        // Carriers are decided per row by the access decision (R1.7): a carrier whose scope
        // leaves the importer out is refused on its row.
        let file = csv(&[
            "编号,类型,密级标志,名称,知悉范围,存放地点",
            "L-1,文件,秘密,范围外,li.na,规划科",
        ]);
        let (status, body) = upload(
            &liu,
            "/api/v1/imports/carriers?commit=true",
            "text/csv",
            file,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = &errors_of(&body, 2)[0];
        assert_eq!(
            (e["rule"].as_str(), e["status"].as_u64()),
            (Some("R1.7"), Some(403)),
            "{e}"
        );
        // Not logged in at all.
        let (status, _) = upload(
            &server.anonymous(),
            "/api/v1/imports/carriers",
            "text/csv",
            csv(CARRIERS),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(count(&server, "carrier.register").await, carriers_before);
    }
);

/// POSTs a body declaring 5 MiB + 1 bytes over a raw connection, sending only its first bytes,
/// and answers the status and the raw answer (an HTTP client would see its write fail once the
/// service answers without reading the rest).
async fn oversized(server: &TestServer, client: &Client, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        client.cookie.as_deref().unwrap(),
        client.csrf.as_deref().unwrap(),
        5 * 1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"number,kind\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A minimal workbook whose only worksheet is `sheet` (its `<sheetData>` content).
fn raw_xlsx(sheet: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData></worksheet>"#)),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A zip whose worksheet inflates to `size` bytes of spaces.
fn zip_bomb(size: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        zip.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    zip.finish().unwrap().into_inner()
}

/// The same archive with every declared uncompressed size above `declared` lowered to it.
fn lying_sizes(mut bytes: Vec<u8>, declared: u32) -> Vec<u8> {
    let le = declared.to_le_bytes();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        let at = match &bytes[i..i + 4] {
            b"PK\x03\x04" => Some(i + 22),
            b"PK\x01\x02" => Some(i + 24),
            _ => None,
        };
        if let Some(at) = at {
            let size = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            if size > declared {
                bytes[at..at + 4].copy_from_slice(&le);
            }
        }
        i += 1;
    }
    bytes
}

both_backends!(
    r13_1_hostile_files_are_refused_with_clear_errors_and_nothing_written,
    |server| async move {
        let officer = server.login("li.na").await;
        let refused = |status: StatusCode, reason: &'static str| {
            move |(s, body): (StatusCode, Value)| {
                assert_eq!(s, status, "{body}");
                assert_eq!(body["reason"], reason, "{body}");
                assert!(!body["message_zh"].as_str().unwrap().is_empty());
                assert!(!body["message_en"].as_str().unwrap().is_empty());
            }
        };
        let path = "/api/v1/imports/carriers?commit=true";
        let before = count(&server, "carrier.register").await;
        // A zip bomb: 64 MiB declared (and real) — refused before inflating.
        let bomb = zip_bomb(64 * 1024 * 1024);
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        refused(StatusCode::PAYLOAD_TOO_LARGE, "archive_too_large")(
            upload(&officer, path, XLSX, bomb.clone()).await,
        );
        // The same bomb declaring 1 KiB: caught by the counter while inflating.
        refused(StatusCode::PAYLOAD_TOO_LARGE, "archive_too_large")(
            upload(&officer, path, XLSX, lying_sizes(bomb, 1024)).await,
        );
        // Smaller than the bound but not what it declares: damaged.
        refused(StatusCode::BAD_REQUEST, "damaged_archive")(
            upload(
                &officer,
                path,
                XLSX,
                lying_sizes(zip_bomb(2 * 1024 * 1024), 1024),
            )
            .await,
        );
        // Over 5 MiB: refused on its declared length, before the body is read.
        let (status, body) = oversized(&server, &officer, path).await;
        assert_eq!(status, 413, "{body}");
        assert!(body.contains("file_too_large"), "{body}");
        // 10,001 data rows.
        let mut lines = vec!["编号,类型,密级标志,名称,知悉范围,存放地点".to_owned()];
        lines.extend((0..10_001).map(|i| format!("N-{i},文件,秘密,t,li.na,s")));
        let many: Vec<&str> = lines.iter().map(String::as_str).collect();
        refused(StatusCode::PAYLOAD_TOO_LARGE, "too_many_rows")(
            upload(&officer, path, "text/csv", csv(&many)).await,
        );
        // Neither UTF-8 nor GB18030.
        let mut bad = "编号,类型\r\n".as_bytes().to_vec();
        bad.extend_from_slice(b"\xff\xff\xff,\x80\r\n");
        refused(StatusCode::BAD_REQUEST, "bad_encoding")(
            upload(&officer, path, "text/csv", bad).await,
        );
        // Binary that decodes: control characters.
        refused(StatusCode::BAD_REQUEST, "bad_encoding")(
            upload(&officer, path, "text/csv", b"a,b\n\x00\x01,c\n".to_vec()).await,
        );
        // A workbook whose reader breaks on it (a row number beyond any sheet): a 400, and the
        // service goes on.
        let broken = raw_xlsx(
            r#"<row r="123456789012"><c r="A123456789012" t="inlineStr"><is><t>x</t></is></c></row>"#,
        );
        let (status, body) = upload(&officer, path, XLSX, broken).await;
        assert!(matches!(status.as_u16(), 400 | 413), "{status} {body}");
        // The same minimal workbook, well formed, reads (formula cells as their stored value).
        let fine = raw_xlsx(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c><c r="B1" t="inlineStr"><is><t>类型</t></is></c><c r="C1" t="inlineStr"><is><t>密级标志</t></is></c><c r="D1" t="inlineStr"><is><t>名称</t></is></c><c r="E1" t="inlineStr"><is><t>知悉范围</t></is></c><c r="F1" t="inlineStr"><is><t>存放地点</t></is></c></row><row r="2"><c r="A2" t="str"><f>1/0</f><v>R-1</v></c><c r="B2" t="inlineStr"><is><t>文件</t></is></c><c r="C2" t="inlineStr"><is><t>秘密</t></is></c><c r="D2" t="e"><v>#DIV/0!</v></c><c r="E2" t="inlineStr"><is><t>li.na</t></is></c><c r="F2" t="inlineStr"><is><t>保密室</t></is></c></row>"#,
        );
        let (status, body) = upload(&officer, "/api/v1/imports/carriers", XLSX, fine).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["rows"][0]["values"]["number"], "R-1", "{body}");
        let e = &errors_of(&body, 2)[0];
        assert_eq!(
            (e["column"].as_str(), e["reason"].as_str()),
            (Some("title"), Some("spreadsheet_error")),
            "{e}"
        );
        // Legacy .xls.
        let xls = [
            &[0xd0u8, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1][..],
            &[0; 504],
        ]
        .concat();
        refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format")(
            upload(&officer, path, "application/vnd.ms-excel", xls).await,
        );
        // Claims XLSX, is not a zip.
        refused(StatusCode::BAD_REQUEST, "unreadable_workbook")(
            upload(&officer, path, XLSX, b"hello".to_vec()).await,
        );
        // A header without data, an unknown column, a missing required column.
        refused(StatusCode::BAD_REQUEST, "no_rows")(
            upload(&officer, path, "text/csv", csv(&[CARRIERS[0]])).await,
        );
        refused(StatusCode::BAD_REQUEST, "unknown_column")(
            upload(
                &officer,
                path,
                "text/csv",
                csv(&["编号,类型,备注", "1,文件,x"]),
            )
            .await,
        );
        refused(StatusCode::BAD_REQUEST, "missing_column")(
            upload(&officer, path, "text/csv", csv(&["编号,类型", "1,文件"])).await,
        );
        // Not the file previewed.
        refused(StatusCode::CONFLICT, "file_changed")(
            upload(
                &officer,
                &format!("{path}&sha256={}", "0".repeat(64)),
                "text/csv",
                csv(CARRIERS),
            )
            .await,
        );
        // Nothing written; each refusal audited with its reason.
        assert_eq!(count(&server, "carrier.register").await, before);
        let entries = server.audit("import.carriers").await;
        // 13 refused files, the broken workbook, and the preview of the minimal one.
        assert_eq!(entries.len(), 15);
        let denied = entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Denied { .. }))
            .count();
        assert_eq!(denied, 14);
        assert!(entries
            .iter()
            .any(|e| e.detail.contains("archive_too_large") && e.detail.contains("sha256")));
        // The service still answers.
        let (status, _) = officer.get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK);
    }
);

both_backends!(
    r1_7_names_are_resolved_and_an_ambiguous_name_is_reported,
    |server| async move {
        let officer = server.login("li.na").await;
        // A second 陈静 in the unit makes the name ambiguous; the login still resolves.
        let (status, body) = officer
            .post("/api/v1/people", json!({ "name": "陈静" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // A matter li.na may read, named by its exact title: the carrier takes its mark.
        let (_, matters) = officer
            .get("/api/v1/matters?status=in_force&per_page=500")
            .await;
        let matter = matters["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["level"] == "secret" || m["level"] == "confidential")
            .expect("a classified matter li.na reads")
            .clone();
        let title = matter["title"].as_str().unwrap();
        let file = csv(&[
            "编号*（单位内唯一）,类型,密级标志,名称,所属事项,知悉范围,存放地点,保管人",
            &format!("N-1,文件,,按标题找到事项,\"{title}\",,保密室,"),
            "N-2,文件,秘密,重名,,li.na,保密室,陈静",
            "N-3,文件,秘密,登录名,,li.na、chen.jing,保密室,chen.jing",
            "N-4,文件,秘密,未知部门,,无此科：李娜,保密室,",
            "N-5,文件,秘密,未知事项,不存在的事项标题,,保密室,",
        ]);
        let (status, body) = upload(&officer, "/api/v1/imports/carriers", "text/csv", file).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows[0]["resolved"]["matter"], matter["id"], "{body}");
        assert!(rows[0]["errors"].as_array().unwrap().is_empty(), "{body}");
        assert_eq!(rows[0]["level"], matter["level"]);
        let e = &errors_of(&body, 3)[0];
        assert_eq!(
            (e["column"].as_str(), e["reason"].as_str()),
            (Some("custodian"), Some("ambiguous_person")),
            "{e}"
        );
        assert!(e["message_en"].as_str().unwrap().contains("login"), "{e}");
        assert_eq!(rows[2]["resolved"]["custodian"], server.person("chen.jing"));
        assert!(rows[2]["errors"].as_array().unwrap().is_empty(), "{body}");
        assert_eq!(errors_of(&body, 5)[0]["reason"], "unknown_group");
        assert_eq!(errors_of(&body, 6)[0]["reason"], "unknown_matter");
        assert_eq!(errors_of(&body, 6)[0]["column"], "matter");
    }
);

both_backends!(
    r13_3_templates_download_and_read_back,
    |server| async move {
        let officer = server.login("li.na").await;
        let csv_template = officer
            .get_raw("/api/v1/imports/carriers/template?format=csv")
            .await;
        assert_eq!(csv_template.status(), StatusCode::OK);
        assert!(csv_template.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let bytes = csv_template.bytes().await.unwrap().to_vec();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("\u{feff}编号*"), "{text}");
        assert!(text.contains("保管人"), "{text}");
        let xlsx = officer
            .get_raw("/api/v1/imports/devices/template?format=xlsx")
            .await;
        assert_eq!(xlsx.status(), StatusCode::OK);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
        let (status, columns) = officer
            .get("/api/v1/imports/people/template?format=json")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(columns["columns"][0]["key"], "name");
        assert_eq!(columns["columns"][0]["required"], true);
        let (status, _) = officer.get("/api/v1/imports/meetings/template").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The template's own header (hints and all) reads back.
        let mut file = bytes;
        file.extend_from_slice("T-1,1,文件,秘密,模板读回,,li.na,保密室,\r\n".as_bytes());
        let (status, body) = upload(&officer, "/api/v1/imports/carriers", "text/csv", file).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["valid"], 1, "{body}");
    }
);

// ---------------------------------------------------------------------------------------------
// The web page, without a browser
// ---------------------------------------------------------------------------------------------

/// A browser-like session on the web UI: its cookie, never following redirects.
struct Page {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Page {
    async fn login(server: &TestServer, login: &str) -> Page {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = http
            .post(format!("{}/login", server.base))
            // The site's own form (R13.1: a login form must say it comes from this site).
            .header("origin", server.base.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("login={login}&password=Baomi2026"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Page {
            http,
            base: server.base.clone(),
            cookie,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// POSTs a multipart form: (name, file name, bytes) for each field.
    async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, Option<&str>, &[u8])],
    ) -> reqwest::Response {
        let boundary = "----baomi-import-test-7e3f";
        let mut body = Vec::new();
        for (name, file, bytes) in fields {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// The value of the input named `name` in `html`, unescaped.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name}"))
        + marker.len();
    let end = html[at..].find('"').unwrap() + at;
    html[at..end]
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x2b;", "+")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

both_backends!(
    r13_3_web_import_page_previews_then_commits_with_links_to_the_records,
    |server| async move {
        let page = Page::login(&server, "li.na").await;
        let before = count(&server, "device.register").await;
        let (status, html) = page.get("/import").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"import-form\""), "{html}");
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(html.contains("<label for=\"import-file\">"));
        assert!(html.contains("/api/v1/imports/carriers/template?format=xlsx"));
        assert!(!html.contains("style="), "no inline style under the CSP");
        let csrf = input_value(&html, "csrf");

        // A file with a refused row: the row, its rule, and no commit form.
        let bad = csv(&[
            "number,kind,marking,title,scope,location,custodian",
            "W-9,document,confidential,not cleared,li.na、chen.jing,Safe,chen.jing",
        ]);
        let response = page
            .post_multipart(
                "/import",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"carriers"),
                    ("step", None, b"preview"),
                    ("file", Some("bad.csv"), &bad),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"import-row-2\""), "{html}");
        assert!(html.contains("R2.1"), "{html}");
        assert!(!html.contains("id=\"import-commit\""), "{html}");

        // A good XLSX file: preview, then commit the very bytes previewed.
        let file = devices_xlsx("zhang.wei");
        let response = page
            .post_multipart(
                "/import",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"devices"),
                    ("step", None, b"preview"),
                    ("file", Some("devices.xlsx"), &file),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"import-commit\""), "{html}");
        assert!(
            html.contains("IMP-D-1") && html.contains("devices.xlsx"),
            "{html}"
        );
        assert_eq!(count(&server, "device.register").await, before);
        let data = input_value(&html, "data");
        let sha = input_value(&html, "sha256");
        let response = page
            .post_multipart(
                "/import",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("step", None, b"commit"),
                    ("kind", None, b"devices"),
                    ("sha256", None, sha.as_bytes()),
                    ("name", None, b"devices.xlsx"),
                    ("data", None, data.as_bytes()),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/import?kind=devices&created="),
            "{location}"
        );
        assert_eq!(count(&server, "device.register").await, before + 2);
        let (status, html) = page.get(&location).await;
        assert_eq!(status, StatusCode::OK);
        let (_, list) = server
            .login("li.na")
            .await
            .get("/api/v1/devices?q=IMP-D")
            .await;
        for item in list["items"].as_array().unwrap() {
            assert!(
                html.contains(&format!("href=\"/devices/{}\"", item["id"])),
                "{html}"
            );
        }

        // Without the CSRF token the API refuses; nothing more is written.
        let response = page
            .post_multipart(
                "/import",
                &[
                    ("csrf", None, b"forged"),
                    ("kind", None, b"devices"),
                    ("step", None, b"commit"),
                    ("sha256", None, sha.as_bytes()),
                    ("data", None, data.as_bytes()),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&server, "device.register").await, before + 2);

        // Someone who may not register devices sees the refusal with its rule.
        let liu = Page::login(&server, "liu.yang").await;
        let (_, html) = liu.get("/import").await;
        let csrf = input_value(&html, "csrf");
        let response = liu
            .post_multipart(
                "/import",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("kind", None, b"devices"),
                    ("step", None, b"preview"),
                    ("file", Some("d.xlsx"), &file),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("R13.3") && html.contains("id=\"import-error\""),
            "{html}"
        );
    }
);
