//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// The text encodings the sieve reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (with or without BOM).
    Utf8,
    /// UTF-16 little-endian with BOM.
    Utf16Le,
    /// UTF-16 big-endian with BOM.
    Utf16Be,
    /// GBK / GB18030.
    Gb18030,
}

/// Whether `bytes` are text, and in which encoding; `None` for binary.
pub fn detect(_bytes: &[u8]) -> Option<Encoding> {
    None
}

/// Plain text in any of the [`Encoding`]s.
pub fn extract(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Text,
    })
}
