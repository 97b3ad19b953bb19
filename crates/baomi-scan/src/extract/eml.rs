//! E-mail messages (RFC 5322 / MIME), parsed with `mail-parser`.
//!
//! A message carries classified text in three places, and all three are scanned (R13.5, R4.3):
//!
//! - headers people write: `Subject`, `Comments`, `Keywords`, the display names of `From`,
//!   `Sender`, `Reply-To`, `To`, `Cc`, `Bcc`, and the file names of attachments — each as
//!   [`Part::MailHeader`] named after the header (`filename` for attachment names). Machine
//!   headers (`Received`, `DKIM-Signature`, `Message-ID`, …) are not scanned: they carry no
//!   prose and would only produce noise;
//! - the bodies: every text body as [`Part::Body`]; an HTML-only body is converted to text. When
//!   a `multipart/alternative` has both, the plain text is scanned and the HTML alternative is
//!   scanned too only if its text differs (what most mail clients show is the HTML, so text
//!   hidden only there must not escape, while identical alternatives must not double every hit);
//! - attachments, including attached messages (`message/rfc822`), each handed to
//!   [`ExtractCtx::nested`] under its file name (or `attachment-N`), so an attached docx, zip,
//!   PDF or e-mail is scanned in turn under the depth limit.
//!
//! Charsets (GBK, GB2312, GB18030, Big5, …) and RFC 2047/2231 encoded words are decoded by
//! `mail-parser` (with its `full_encoding` feature, which uses `encoding_rs`).

use super::{ExtractCtx, ExtractError, Format, Part};
use mail_parser::decoders::html::html_to_text;
use mail_parser::{
    Address, Encoding, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};
use std::borrow::Cow;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Extracts headers, bodies and attachments of an e-mail message (see the module docs).
///
/// Fails with [`ExtractError::Malformed`] when the bytes have no header at all, with
/// [`ExtractError::Internal`] if the parser panics on hostile input, and with
/// [`crate::limits::BudgetExceeded::Entries`] when the message lists more attachments than
/// [`crate::limits::Limits::max_entries`].
pub fn extract(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    // `mail-parser` promises never to panic, but it indexes slices with offsets computed from
    // hostile input and has debug assertions; a panic in it must become a reported failure of
    // this file, not the end of the scan. Everything that runs its code (parsing, HTML to text,
    // header access) happens inside this closure; afterwards only plain data is used.
    let planned = catch_unwind(AssertUnwindSafe(|| {
        let message = MessageParser::default().parse(bytes)?;
        let plan = plan(&message);
        Some((message, plan))
    }));
    let (message, plan) = match planned {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(ExtractError::malformed(
                Format::Eml,
                "no message header found",
            ))
        }
        Err(payload) => {
            return Err(ExtractError::Internal {
                format: Format::Eml,
                reason: format!("the mail parser panicked: {}", panic_message(&*payload)),
            })
        }
    };
    ctx.budget().check_entries(plan.attachments.len() as u64)?;
    for (part, text) in &plan.texts {
        ctx.emit(part.clone(), text)?;
    }
    for attachment in &plan.attachments {
        ctx.budget().check_time()?;
        let data: &[u8] = match &attachment.source {
            Source::Part(id) => message
                .parts
                .get(*id)
                .map_or(&[][..], |part| part.contents()),
            Source::Raw(range) => bytes.get(range.clone()).unwrap_or_default(),
        };
        ctx.nested(&attachment.name, data)?;
    }
    Ok(())
}

/// What to report from one parsed message: text segments in order, then attachments.
struct Plan {
    texts: Vec<(Part, String)>,
    attachments: Vec<Attachment>,
}

/// An attachment to hand to [`ExtractCtx::nested`].
struct Attachment {
    name: String,
    source: Source,
}

/// Where an attachment's bytes are.
enum Source {
    /// The decoded contents of the message part with this index.
    Part(usize),
    /// A range of the raw message: an attached message that was not transfer-encoded.
    Raw(Range<usize>),
}

/// Collects the header texts, bodies and attachments of `message`. Runs inside
/// `catch_unwind` (it calls into `mail-parser`).
fn plan(message: &Message<'_>) -> Plan {
    let mut texts = Vec::new();
    for header in message.headers() {
        let name = match &header.name {
            HeaderName::Subject => "Subject",
            HeaderName::Comments => "Comments",
            HeaderName::Keywords => "Keywords",
            HeaderName::From => "From",
            HeaderName::Sender => "Sender",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::To => "To",
            HeaderName::Cc => "Cc",
            HeaderName::Bcc => "Bcc",
            _ => continue,
        };
        for text in header_texts(&header.value) {
            texts.push((
                Part::MailHeader {
                    name: name.to_owned(),
                },
                text,
            ));
        }
    }

    let mut plain = String::new();
    for pos in 0..message.text_body_count() {
        if let Some(text) = message.body_text(pos) {
            plain.push_str(&text);
            plain.push('\n');
            texts.push((Part::Body, text.into_owned()));
        }
    }
    let plain_squashed = squash(&plain);
    for &id in &message.html_body {
        if message.text_body.contains(&id) {
            continue;
        }
        let Some(PartType::Html(html)) = message.parts.get(id as usize).map(|p| &p.body) else {
            continue;
        };
        let text = html_to_text(html);
        let squashed = squash(&text);
        if squashed.is_empty()
            || memchr::memmem::find(plain_squashed.as_bytes(), squashed.as_bytes()).is_some()
        {
            continue;
        }
        texts.push((Part::Body, text));
    }

    let mut attachments = Vec::new();
    for (n, &id) in message.attachments.iter().enumerate() {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let given = part
            .attachment_name()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(given) = given {
            texts.push((
                Part::MailHeader {
                    name: "filename".to_owned(),
                },
                given.to_owned(),
            ));
        }
        let number = n + 1;
        let (name, source) = match &part.body {
            PartType::Multipart(_) => continue,
            PartType::Message(_) => {
                // An attached message is scanned as an .eml whatever it is called.
                let name = match given {
                    Some(g) if g.to_ascii_lowercase().ends_with(".eml") => g.to_owned(),
                    Some(g) => format!("{g}.eml"),
                    None => format!("attachment-{number}.eml"),
                };
                (
                    name,
                    message_source(part, id as usize, message.raw_message.len()),
                )
            }
            PartType::Html(_) => (
                given.map_or_else(|| format!("attachment-{number}.html"), str::to_owned),
                Source::Part(id as usize),
            ),
            PartType::Text(_) => (
                given.map_or_else(|| format!("attachment-{number}.txt"), str::to_owned),
                Source::Part(id as usize),
            ),
            PartType::Binary(_) | PartType::InlineBinary(_) => (
                given.map_or_else(|| format!("attachment-{number}"), str::to_owned),
                Source::Part(id as usize),
            ),
        };
        attachments.push(Attachment { name, source });
    }
    Plan { texts, attachments }
}

/// The bytes of an attached message. `mail-parser` keeps a transfer-encoded (base64,
/// quoted-printable) attached message decoded, but for one sent as is it records the whole
/// outer message as the attached message's raw bytes; its body range in the outer message is
/// the attached message itself.
fn message_source(part: &mail_parser::MessagePart<'_>, id: usize, raw_len: usize) -> Source {
    if part.encoding != Encoding::None {
        return Source::Part(id);
    }
    let start = part.offset_body as usize;
    let end = (part.offset_end as usize).min(raw_len);
    if end > start {
        Source::Raw(start..end)
    } else {
        // The attached message runs to the end of the outer one (no closing boundary).
        Source::Raw(start..raw_len)
    }
}

/// The human-written texts of a header value: unstructured text, a comma list, or the display
/// names of addresses and groups.
fn header_texts(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![text.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        HeaderValue::Address(Address::List(addrs)) => addrs
            .iter()
            .filter_map(|a| a.name.as_ref().map(|n| n.to_string()))
            .collect(),
        HeaderValue::Address(Address::Group(groups)) => groups
            .iter()
            .flat_map(|g| {
                g.name.iter().map(|n| n.to_string()).chain(
                    g.addresses
                        .iter()
                        .filter_map(|a| a.name.as_ref().map(|n| n.to_string())),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|t| t.trim().to_owned())
    .filter(|t| !t.is_empty())
    .collect()
}

/// Text without whitespace, to compare a plain body with its HTML alternative.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The message of a caught panic, if it has one.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> Cow<'_, str> {
    if let Some(s) = payload.downcast_ref::<&str>() {
        Cow::Borrowed(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Cow::Borrowed(s.as_str())
    } else {
        Cow::Borrowed("no message")
    }
}
