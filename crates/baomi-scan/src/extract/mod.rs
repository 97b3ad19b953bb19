//! Turning bytes into text segments, one module per format.
//!
//! [`extract`] detects the format of a file ([`detect`]) and calls its extractor. Every
//! extractor has the same shape:
//!
//! ```text
//! pub fn extract(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError>
//! ```
//!
//! and reports the text it finds with [`ExtractCtx::emit`], naming the [`Part`] of the document
//! it came from (page, sheet and cell, header, comment, …). Containers hand their members back
//! with [`ExtractCtx::nested`], which recurses under the file's [`Budget`] and records a member
//! that fails as a nested failure without losing the rest of the container.

pub mod archive;
pub mod eml;
pub mod legacy;
pub mod markup;
pub mod odf;
pub mod ofd;
pub mod ooxml;
pub mod pdf;
pub mod text;
pub mod xmltext;
pub mod zipfile;

use crate::limits::{Budget, BudgetExceeded};
use serde::Serialize;
use std::fmt;

/// The formats the sieve understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Plain text: UTF-8, UTF-16 with BOM, GBK/GB18030.
    Text,
    /// HTML.
    Html,
    /// XML (other than the office formats).
    Xml,
    /// Word 2007+.
    Docx,
    /// Excel 2007+.
    Xlsx,
    /// PowerPoint 2007+.
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// PDF.
    Pdf,
    /// OFD (GB/T 33190), the Chinese fixed-layout format.
    Ofd,
    /// An e-mail message (RFC 5322 / MIME).
    Eml,
    /// A zip archive.
    Zip,
    /// Legacy Word (.doc, OLE2).
    Doc,
    /// Legacy Excel (.xls, OLE2).
    Xls,
    /// Anything else: skipped and counted, never guessed at.
    Unknown,
}

impl Format {
    /// A short stable name (`docx`, `pdf`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Xml => "xml",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Ods => "ods",
            Format::Odp => "odp",
            Format::Pdf => "pdf",
            Format::Ofd => "ofd",
            Format::Eml => "eml",
            Format::Zip => "zip",
            Format::Doc => "doc",
            Format::Xls => "xls",
            Format::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where in a document a piece of text came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// The whole text of a plain file, or the body of a document.
    Body,
    /// A page header (docx `header1.xml`, odt styles); `name` identifies which.
    Header {
        /// The part's name in the package.
        name: String,
    },
    /// A page footer.
    Footer {
        /// The part's name in the package.
        name: String,
    },
    /// Footnotes.
    Footnotes,
    /// Endnotes.
    Endnotes,
    /// Comments (Word, Excel, PowerPoint, ODF annotations).
    Comments,
    /// Document properties (title, subject, author, keywords, custom properties).
    Properties,
    /// A page of a fixed-layout document (PDF, OFD), 1-based.
    Page {
        /// Page number.
        page: u32,
    },
    /// An annotation on a page (PDF, OFD).
    Annotation {
        /// Page number, if known.
        page: Option<u32>,
    },
    /// A spreadsheet sheet, optionally a cell (`B3`).
    Sheet {
        /// The sheet's name.
        name: String,
        /// The cell, if the text is one cell.
        cell: Option<String>,
    },
    /// A presentation slide, 1-based.
    Slide {
        /// Slide number.
        slide: u32,
    },
    /// The speaker notes of a slide.
    Notes {
        /// Slide number.
        slide: u32,
    },
    /// A mail header (`Subject`, …).
    MailHeader {
        /// The header's name.
        name: String,
    },
    /// Anything else, named as the format names it.
    Other {
        /// The name.
        name: String,
    },
}

impl Part {
    /// The part as a person reads it, in Chinese or English.
    pub fn describe(&self, lang: baomi_core::Lang) -> String {
        use baomi_core::Lang::{En, Zh};
        match (self, lang) {
            (Part::Body, Zh) => "正文".into(),
            (Part::Body, En) => "body".into(),
            (Part::Header { name }, Zh) => format!("页眉 {name}"),
            (Part::Header { name }, En) => format!("header {name}"),
            (Part::Footer { name }, Zh) => format!("页脚 {name}"),
            (Part::Footer { name }, En) => format!("footer {name}"),
            (Part::Footnotes, Zh) => "脚注".into(),
            (Part::Footnotes, En) => "footnotes".into(),
            (Part::Endnotes, Zh) => "尾注".into(),
            (Part::Endnotes, En) => "endnotes".into(),
            (Part::Comments, Zh) => "批注".into(),
            (Part::Comments, En) => "comments".into(),
            (Part::Properties, Zh) => "文档属性".into(),
            (Part::Properties, En) => "properties".into(),
            (Part::Page { page }, Zh) => format!("第 {page} 页"),
            (Part::Page { page }, En) => format!("page {page}"),
            (Part::Annotation { page: Some(p) }, Zh) => format!("第 {p} 页注释"),
            (Part::Annotation { page: Some(p) }, En) => format!("annotation on page {p}"),
            (Part::Annotation { page: None }, Zh) => "注释".into(),
            (Part::Annotation { page: None }, En) => "annotation".into(),
            (
                Part::Sheet {
                    name,
                    cell: Some(c),
                },
                Zh,
            ) => format!("工作表 {name} 单元格 {c}"),
            (
                Part::Sheet {
                    name,
                    cell: Some(c),
                },
                En,
            ) => format!("sheet {name} cell {c}"),
            (Part::Sheet { name, cell: None }, Zh) => format!("工作表 {name}"),
            (Part::Sheet { name, cell: None }, En) => format!("sheet {name}"),
            (Part::Slide { slide }, Zh) => format!("第 {slide} 张幻灯片"),
            (Part::Slide { slide }, En) => format!("slide {slide}"),
            (Part::Notes { slide }, Zh) => format!("第 {slide} 张幻灯片备注"),
            (Part::Notes { slide }, En) => format!("notes of slide {slide}"),
            (Part::MailHeader { name }, Zh) => format!("邮件头 {name}"),
            (Part::MailHeader { name }, En) => format!("mail header {name}"),
            (Part::Other { name }, _) => name.clone(),
        }
    }
}

/// Where a segment of text is: the chain of containers inside the scanned file (outermost
/// first, e.g. `["attachments.zip", "report.docx"]`, empty for the file itself) and the part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// Members of containers leading to the document, outermost first.
    pub inner: Vec<String>,
    /// The part of that document.
    pub part: Part,
}

/// Why a file (or a member of a container) could not be extracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A limit of [`crate::limits::Limits`] was reached.
    #[error("limit reached: {0}")]
    Budget(#[from] BudgetExceeded),
    /// The file is not what its format requires.
    #[error("malformed {format}: {reason}")]
    Malformed {
        /// The format it claimed to be.
        format: Format,
        /// What is wrong.
        reason: String,
    },
    /// The file is encrypted or password-protected.
    #[error("{format} is encrypted")]
    Encrypted {
        /// The format.
        format: Format,
    },
    /// A format recognised but not readable here (e.g. legacy .doc without a maintained
    /// pure-Rust reader).
    #[error("{format} is not supported")]
    Unsupported {
        /// The format.
        format: Format,
    },
    /// An extractor failed in a way it could not describe (a caught panic in a dependency).
    #[error("internal error while extracting {format}: {reason}")]
    Internal {
        /// The format.
        format: Format,
        /// What is known.
        reason: String,
    },
}

impl ExtractError {
    /// A [`ExtractError::Malformed`] for `format`.
    pub fn malformed(format: Format, reason: impl fmt::Display) -> ExtractError {
        ExtractError::Malformed {
            format,
            reason: reason.to_string(),
        }
    }
}

/// A member of a container that could not be extracted; the rest of the container was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NestedFailure {
    /// The container chain to the member, the member last.
    pub inner: Vec<String>,
    /// Why.
    pub reason: String,
}

/// What an extractor reports to: text segments, nested members, and the budget.
pub struct ExtractCtx<'a> {
    budget: &'a mut Budget,
    inner: Vec<String>,
    emit: &'a mut dyn FnMut(&Location, &str),
    nested_failures: Vec<NestedFailure>,
    skipped_members: u64,
}

impl fmt::Debug for ExtractCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractCtx")
            .field("inner", &self.inner)
            .field("nested_failures", &self.nested_failures)
            .finish_non_exhaustive()
    }
}

impl<'a> ExtractCtx<'a> {
    /// A context for one file: segments go to `emit`, the file is charged to `budget`.
    pub fn new(budget: &'a mut Budget, emit: &'a mut dyn FnMut(&Location, &str)) -> Self {
        ExtractCtx {
            budget,
            inner: Vec::new(),
            emit,
            nested_failures: Vec::new(),
            skipped_members: 0,
        }
    }

    /// Reports a segment of text found in `part` of the current document. Empty text is
    /// ignored. Fails when the file has produced more text than its budget allows.
    pub fn emit(&mut self, part: Part, text: &str) -> Result<(), ExtractError> {
        if text.is_empty() {
            return Ok(());
        }
        self.budget.charge_text(text.len() as u64)?;
        let location = Location {
            inner: self.inner.clone(),
            part,
        };
        (self.emit)(&location, text);
        Ok(())
    }

    /// Extracts a member of the current container (an attachment, an archive entry, an
    /// embedded object) named `name`. Depth is checked here. A member that fails is recorded as
    /// a [`NestedFailure`] and `Ok` is returned, so the container's other members are still
    /// scanned — unless the whole file's budget (time, inflated bytes, text) is exhausted,
    /// which is returned as an error and ends the file.
    pub fn nested(&mut self, name: &str, bytes: &[u8]) -> Result<(), ExtractError> {
        let limit = self.budget.limits().max_depth;
        if self.inner.len() as u32 >= limit {
            return Err(BudgetExceeded::Depth { limit }.into());
        }
        self.inner.push(name.to_owned());
        let result = extract(name, bytes, self);
        self.inner.pop();
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.member_failed(name, e),
        }
    }

    /// Records that member `name` of the current container failed with `error`, so that the
    /// container's other members are still scanned (e.g. an encrypted or corrupt zip entry that
    /// could not even be read). Errors that exhaust the whole file's budget — everything but a
    /// single member's compression ratio — are returned instead: they end the file.
    pub fn member_failed(&mut self, name: &str, error: ExtractError) -> Result<(), ExtractError> {
        match error {
            ExtractError::Budget(b) if !matches!(b, BudgetExceeded::Ratio { .. }) => {
                Err(ExtractError::Budget(b))
            }
            e => {
                let mut inner = self.inner.clone();
                inner.push(name.to_owned());
                self.nested_failures.push(NestedFailure {
                    inner,
                    reason: e.to_string(),
                });
                Ok(())
            }
        }
    }

    /// Records a member that is not scanned because its format is unknown.
    pub fn skip_member(&mut self) {
        self.skipped_members += 1;
    }

    /// The file's budget: charge inflated bytes, check time and ratios.
    pub fn budget(&mut self) -> &mut Budget {
        self.budget
    }

    /// How deep in containers the current document is (0 for the file itself).
    pub fn depth(&self) -> usize {
        self.inner.len()
    }

    /// Members that failed while the rest of their container was scanned.
    pub fn nested_failures(&self) -> &[NestedFailure] {
        &self.nested_failures
    }

    /// Members skipped because their format is unknown.
    pub fn skipped_members(&self) -> u64 {
        self.skipped_members
    }
}

/// Detects the format of `bytes` named `name`, by content first and name second. Zip
/// containers are told apart by their members (`[Content_Types].xml`, `mimetype`, `OFD.xml`).
pub fn detect(name: &str, bytes: &[u8]) -> Format {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"%PDF-") {
        return Format::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zipfile::detect_container(bytes, &ext);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An encrypted OOXML package is an OLE2 file too. It cannot be read, but an officer
        // must hear of it (reported as encrypted), not have it skipped as unknown.
        return match ext.as_str() {
            "xls" | "xlt" => Format::Xls,
            "doc" | "dot" => Format::Doc,
            "docx" | "docm" => Format::Docx,
            "xlsx" | "xlsm" => Format::Xlsx,
            "pptx" | "pptm" => Format::Pptx,
            _ if legacy::is_encrypted_ooxml(bytes) => Format::Docx,
            _ => Format::Unknown,
        };
    }
    match ext.as_str() {
        "eml" | "msg_rfc822" => return Format::Eml,
        "html" | "htm" | "xhtml" => return Format::Html,
        "xml" | "svg" => return Format::Xml,
        _ => {}
    }
    text::detect(bytes).map_or(Format::Unknown, |_| {
        if ext.is_empty() && markup::looks_like_html(bytes) {
            Format::Html
        } else {
            Format::Text
        }
    })
}

/// Detects the format and extracts `bytes`, reporting segments to `ctx`.
pub fn extract(name: &str, bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    ctx.budget().check_time()?;
    match detect(name, bytes) {
        Format::Text => text::extract(bytes, ctx),
        Format::Html => markup::extract_html(bytes, ctx),
        Format::Xml => markup::extract_xml(bytes, ctx),
        Format::Docx => ooxml::extract_docx(bytes, ctx),
        Format::Xlsx => ooxml::extract_xlsx(bytes, ctx),
        Format::Pptx => ooxml::extract_pptx(bytes, ctx),
        f @ (Format::Odt | Format::Ods | Format::Odp) => odf::extract(f, bytes, ctx),
        Format::Pdf => pdf::extract(bytes, ctx),
        Format::Ofd => ofd::extract(bytes, ctx),
        Format::Eml => eml::extract(bytes, ctx),
        Format::Zip => archive::extract_zip(bytes, ctx),
        Format::Xls => legacy::extract_xls(bytes, ctx),
        Format::Doc => legacy::extract_doc(bytes, ctx),
        Format::Unknown => {
            ctx.skip_member();
            Ok(())
        }
    }
}
