//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// Extracts headers, bodies and attachments of an e-mail message.
pub fn extract(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Eml,
    })
}
