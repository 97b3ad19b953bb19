//! (Being written by a helper; see extract/mod.rs for the extractor contract.)
use super::{ExtractCtx, ExtractError, Format};

/// OFD (GB/T 33190).
pub fn extract(_bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    Err(ExtractError::Unsupported {
        format: Format::Ofd,
    })
}
