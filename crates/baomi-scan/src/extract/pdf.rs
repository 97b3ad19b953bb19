//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// PDF text of every page, and annotations.
pub fn extract(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Pdf,
    })
}
