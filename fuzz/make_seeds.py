#!/usr/bin/env python3
"""Writes seed corpora for the extractor fuzz targets into fuzz/corpus/<target>/.

Small, valid examples of every format the sieve reads, so that libFuzzer starts from inputs
that reach deep into each extractor instead of rediscovering zip and MIME structure from
nothing. Standard library only; the corpus folders are not committed (.gitignore).

    python3 fuzz/make_seeds.py
"""
import base64
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["f.txt", "f.html", "f.xml", "f.docx", "f.xlsx", "f.pptx", "f.odt", "f.pdf",
         "f.ofd", "f.eml", "f.zip", "f.xls"]


def zip_of(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


TEXT = "本文件含机密★10年内容。TOP SECRET//30Y 内部\n"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

DOCX = zip_of([
    ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    ("word/document.xml", f'<w:document {W}><w:body><w:p><w:r><w:t>机密★10年 正文</w:t></w:r></w:p></w:body></w:document>'),
    ("word/header1.xml", f'<w:hdr {W}><w:p><w:r><w:t>秘密</w:t></w:r></w:p></w:hdr>'),
    ("word/comments.xml", f'<w:comments {W}><w:comment w:id="0"><w:p><w:r><w:t>内部</w:t></w:r></w:p></w:comment></w:comments>'),
    ("docProps/core.xml", '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>绝密★</dc:title></cp:coreProperties>'),
])
XLSX = zip_of([
    ("[Content_Types].xml", '<Types/>'),
    ("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    ("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
    ("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>机密</t></si></sst>'),
    ("xl/worksheets/sheet1.xml", '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>秘密</t></is></c></row></sheetData></worksheet>'),
])
PPTX = zip_of([
    ("[Content_Types].xml", '<Types/>'),
    ("ppt/presentation.xml", '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'),
    ("ppt/slides/slide1.xml", '<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>机密★</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>'),
    ("ppt/notesSlides/notesSlide1.xml", '<p:notes xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:t>内部</a:t></p:notes>'),
])
ODT = zip_of([
    ("mimetype", "application/vnd.oasis.opendocument.text"),
    ("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>机密★5年</text:p></office:text></office:body></office:document-content>'),
    ("meta.xml", '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>秘密</dc:title></office:meta></office:document-meta>'),
], zipfile.ZIP_STORED)
OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
OFD = zip_of([
    ("OFD.xml", f'<ofd:OFD {OFD_NS} Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>'),
    ("Doc_0/Document.xml", f'<ofd:Document {OFD_NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages><ofd:Annotations>Annots/Annotations.xml</ofd:Annotations></ofd:Document>'),
    ("Doc_0/Pages/Page_0/Content.xml", f'<ofd:Page {OFD_NS}><ofd:Content><ofd:Layer><ofd:TextObject ID="2"><ofd:TextCode X="0" Y="0">机密★10年</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>'),
])
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R"
       b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
       b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 10 100 Td (TOP SECRET//30Y) Tj ET\nendstream endobj\n"
       b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
NESTED_ZIP = zip_of([("a.zip", zip_of([("b.txt", TEXT.encode())])), ("c.txt", b"INTERNAL")])


def mime(subject, parts):
    out = [f"Subject: {subject}", "MIME-Version: 1.0",
           'Content-Type: multipart/mixed; boundary="b"', ""]
    for headers, body in parts:
        out += ["--b"] + headers + ["", body]
    out.append("--b--")
    return ("\r\n".join(out) + "\r\n").encode()


def b64(data):
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


EML_PLAIN = ("From: 张三 <z@example.cn>\r\nTo: li@example.cn\r\nSubject: 周报\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n" + TEXT).encode()
EML_GBK = (b"Subject: =?GB2312?B?" + base64.b64encode("机密通知".encode("gb2312")) +
           b"?=\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
           "绝密文件".encode("gbk") + b"\r\n")
EML_HTML = ("Subject: html\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
            "--a\r\nContent-Type: text/plain\r\n\r\n内部\r\n"
            "--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>内部 <b>机密</b></p>\r\n--a--\r\n").encode()
EML_ATTACH = mime("附件", [
    (["Content-Type: text/plain; charset=utf-8"], "见附件"),
    (["Content-Type: application/zip", 'Content-Disposition: attachment; filename="x.zip"',
      "Content-Transfer-Encoding: base64"], b64(NESTED_ZIP)),
    (["Content-Type: application/octet-stream", 'Content-Disposition: attachment; filename="r.docx"',
      "Content-Transfer-Encoding: base64"], b64(DOCX)),
    (["Content-Type: message/rfc822"], EML_PLAIN.decode()),
    (["Content-Type: text/plain; name=\"=?UTF-8?B?" + base64.b64encode("名单.txt".encode()).decode() + "?=\"",
      "Content-Transfer-Encoding: quoted-printable"], "=E6=9C=BA=E5=AF=86"),
])

SEEDS = {
    "f.txt": [TEXT.encode(), TEXT.encode("gbk"), TEXT.encode("utf-16")],
    "f.html": [f"<html><head><title>机密</title></head><body><p>{TEXT}</p></body></html>".encode()],
    "f.xml": [f"<?xml version=\"1.0\"?><doc a=\"秘密\"><p>{TEXT}</p><![CDATA[内部]]></doc>".encode()],
    "f.docx": [DOCX],
    "f.xlsx": [XLSX],
    "f.pptx": [PPTX],
    "f.odt": [ODT],
    "f.pdf": [PDF],
    "f.ofd": [OFD],
    "f.eml": [EML_PLAIN, EML_GBK, EML_HTML, EML_ATTACH],
    "f.zip": [NESTED_ZIP, zip_of([("d/", b""), ("d/x.txt", b"SECRET")], zipfile.ZIP_STORED)],
    "f.xls": [bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(504)],
}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    for ext_name, seeds in SEEDS.items():
        pick = NAMES.index(ext_name)
        for i, data in enumerate(seeds):
            ext = ext_name.split(".")[1]
            write("extract_any", f"seed-{ext}-{i}", bytes([pick]) + data)
            if ext in ("zip", "docx", "xlsx", "pptx", "odt", "ofd"):
                write("extract_zip", f"seed-{ext}-{i}", data)
            if ext == "eml":
                write("extract_eml", f"seed-{ext}-{i}", data)
    for target in ("extract_any", "extract_zip", "extract_eml"):
        n = len(os.listdir(os.path.join(HERE, "corpus", target)))
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
