//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// Legacy Excel (.xls).
pub fn extract_xls(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Xls,
    })
}

/// Legacy Word (.doc).
pub fn extract_doc(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Doc,
    })
}
