//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// OpenDocument text, spreadsheet or presentation.
pub fn extract(
    format: Format,
    _bytes: &[u8],
    _ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported { format })
}
