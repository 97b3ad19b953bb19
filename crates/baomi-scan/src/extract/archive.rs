//! Zip archives: every member is scanned in turn, nested archives recurse.
//!
//! Members are read only through [`Zip`] (extract/zipfile.rs), so the entry count, each
//! entry's declared and actual compression ratio, and the file's total inflated bytes are all
//! checked against the [`crate::limits::Limits`] before and while inflating, and recursion goes
//! through [`ExtractCtx::nested`], which enforces the depth limit. Together they bound the
//! classic hostile archives: the honest zip bomb (refused by its declared ratio before
//! inflating), the lying header (stopped by the counted read), 42.zip and overlapping-entry
//! bombs (total inflated bytes), self-similar recursion (depth), and huge entry lists (entries).
//!
//! A member that cannot be read — encrypted, corrupt, or compressed beyond the ratio limit — is
//! recorded as a nested failure of that member and the rest of the archive is still scanned.
//! Exhausting the whole file's budget (inflated bytes, time, text, depth) ends the file.

use super::zipfile::Zip;
use super::{ExtractCtx, ExtractError, Format};
use crate::limits::BudgetExceeded;

/// Extracts every member of a zip archive (directories are skipped; nested archives recurse).
///
/// Returns `Ok` when the archive could be listed, even if some members failed (they are in
/// [`ExtractCtx::nested_failures`]); fails with [`ExtractError::Malformed`] when the archive
/// cannot be listed at all (truncated, not a zip), and with [`ExtractError::Budget`] when the
/// entry count or the file's budget is exceeded.
pub fn extract_zip(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let mut zip = Zip::open(bytes, Format::Zip, ctx)?;
    for index in 0..zip.len() {
        ctx.budget().check_time()?;
        let name = zip
            .name_at(index)
            .unwrap_or_else(|| format!("entry-{}", index + 1));
        if name.ends_with('/') || name.ends_with('\\') {
            continue;
        }
        match zip.read_index(index, ctx) {
            Ok(data) => ctx.nested(&name, &data)?,
            Err(ExtractError::Budget(b)) if !matches!(b, BudgetExceeded::Ratio { .. }) => {
                return Err(ExtractError::Budget(b))
            }
            Err(error) => ctx.member_failed(&name, error)?,
        }
    }
    Ok(())
}
