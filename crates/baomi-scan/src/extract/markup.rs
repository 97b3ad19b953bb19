//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// HTML: text content (scripts and styles skipped), attribute text that people read.
pub fn extract_html(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Html,
    })
}

/// XML: character data.
pub fn extract_xml(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Xml,
    })
}

/// Whether text without an extension looks like HTML.
pub fn looks_like_html(_bytes: &[u8]) -> bool {
    false
}
