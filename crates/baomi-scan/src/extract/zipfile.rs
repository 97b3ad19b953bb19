//! Reading zip containers under the budget: every office, OFD and archive extractor opens its
//! zip through here, so that entry counts, ratios and inflated bytes are checked in one place.

use super::{ExtractCtx, ExtractError, Format};
use crate::limits::BudgetExceeded;
use std::io::{Cursor, Read};
use zip::ZipArchive;

/// An open zip container.
pub struct Zip<'b> {
    archive: ZipArchive<Cursor<&'b [u8]>>,
    format: Format,
}

impl std::fmt::Debug for Zip<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zip")
            .field("entries", &self.archive.len())
            .field("format", &self.format)
            .finish()
    }
}

impl<'b> Zip<'b> {
    /// Opens `bytes` as the zip container of `format`, checking the entry count.
    pub fn open(
        bytes: &'b [u8],
        format: Format,
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Self, ExtractError> {
        let archive =
            ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::malformed(format, e))?;
        ctx.budget().check_entries(archive.len() as u64)?;
        Ok(Zip { archive, format })
    }

    /// The names of all entries, in archive order. A name that cannot be decoded is left
    /// out here; [`Zip::read_index`] still reaches that entry by position.
    pub fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect()
    }

    /// Whether an entry exists.
    pub fn contains(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// Reads entry `name` whole, or `Ok(None)` if there is none. The declared size and ratio
    /// are checked before inflating, and the actual bytes are counted while inflating (a lying
    /// header cannot get past the budget).
    pub fn read(
        &mut self,
        name: &str,
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        self.read_index(index, ctx).map(Some)
    }

    /// Reads the entry at `index` whole (see [`Zip::read`]).
    pub fn read_index(
        &mut self,
        index: usize,
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Vec<u8>, ExtractError> {
        let format = self.format;
        let mut entry = self.archive.by_index(index).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(msg) if msg.contains("assword") => {
                ExtractError::Encrypted { format }
            }
            other => ExtractError::malformed(format, other),
        })?;
        if entry.encrypted() {
            return Err(ExtractError::Encrypted { format });
        }
        let declared = entry.size();
        let compressed = entry.compressed_size();
        ctx.budget().check_ratio(compressed, declared)?;
        let remaining = ctx.budget().inflated_remaining();
        if declared > remaining {
            return Err(BudgetExceeded::InflatedBytes {
                limit: ctx.budget().limits().max_inflated_bytes,
            }
            .into());
        }
        // Read at most one byte more than the budget allows, so overrun is detectable.
        let mut out = Vec::with_capacity(declared.min(64 * 1024 * 1024) as usize);
        let mut limited = (&mut entry).take(remaining.saturating_add(1));
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = limited
                .read(&mut buf)
                .map_err(|e| ExtractError::malformed(format, e))?;
            if n == 0 {
                break;
            }
            ctx.budget().charge_inflated(n as u64)?;
            out.extend_from_slice(&buf[..n]);
            ctx.budget().check_ratio(compressed, out.len() as u64)?;
        }
        Ok(out)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.archive.len()
    }

    /// True if the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.archive.len() == 0
    }

    /// The name of the entry at `index`, if it exists.
    pub fn name_at(&self, index: usize) -> Option<String> {
        self.archive
            .name_for_index(index)
            .and_then(|r| r.ok())
            .map(|n| n.into_owned())
    }
}

/// Tells the zip-based formats apart by their members, falling back to the extension.
pub fn detect_container(bytes: &[u8], ext: &str) -> Format {
    let Ok(archive) = ZipArchive::new(Cursor::new(bytes)) else {
        // A truncated or damaged container is still a container: its extractor reports it as
        // malformed, rather than it being skipped as an unknown binary.
        return match ext {
            "docx" | "docm" => Format::Docx,
            "xlsx" | "xlsm" => Format::Xlsx,
            "pptx" | "pptm" => Format::Pptx,
            "odt" => Format::Odt,
            "ods" => Format::Ods,
            "odp" => Format::Odp,
            "ofd" => Format::Ofd,
            _ => Format::Zip,
        };
    };
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Format::Docx;
        }
        if has("xl/workbook.xml") {
            return Format::Xlsx;
        }
        if has("ppt/presentation.xml") {
            return Format::Pptx;
        }
    }
    if has("OFD.xml") {
        return Format::Ofd;
    }
    if has("mimetype") || has("content.xml") {
        match ext {
            "odt" | "ott" => return Format::Odt,
            "ods" | "ots" => return Format::Ods,
            "odp" | "otp" => return Format::Odp,
            _ => {}
        }
        // The mimetype member names the kind when the extension does not.
        let kind = archive
            .index_for_name("mimetype")
            .and_then(|_| {
                let mut a = ZipArchive::new(Cursor::new(bytes)).ok()?;
                let mut f = a.by_name("mimetype").ok()?;
                let mut s = String::new();
                (&mut f).take(200).read_to_string(&mut s).ok()?;
                Some(s)
            })
            .unwrap_or_default();
        if kind.ends_with("opendocument.text") {
            return Format::Odt;
        }
        if kind.ends_with("opendocument.spreadsheet") {
            return Format::Ods;
        }
        if kind.ends_with("opendocument.presentation") {
            return Format::Odp;
        }
    }
    Format::Zip
}
