//! Limits that keep hostile inputs bounded: zip bombs, deep nesting, huge or slow files.
//!
//! Every file is extracted under a [`Budget`] made from the [`Limits`]; extractors charge the
//! bytes they inflate and the text they produce against it, and check its deadline in loops.
//! Exceeding any limit ends that file's extraction with [`BudgetExceeded`], which the scanner
//! reports as a failure of that file; the scan goes on.

use std::time::{Duration, Instant};

/// Limits for one scan. The defaults suit a desktop scan of office documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this are skipped (and counted) without being read.
    pub max_file_size: u64,
    /// How deep archives may nest (a .zip in a .docx in a .eml is depth 3).
    pub max_depth: u32,
    /// The most entries one archive may list.
    pub max_entries: u64,
    /// The most bytes all archives of one file may inflate to, together.
    pub max_inflated_bytes: u64,
    /// The largest compression ratio (inflated / compressed) an archive entry may have.
    pub max_ratio: u64,
    /// The most text one file may yield.
    pub max_text_bytes: u64,
    /// How long one file may take to extract.
    pub per_file_time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 2 * 1024 * 1024 * 1024,
            max_depth: 5,
            max_entries: 20_000,
            max_inflated_bytes: 1024 * 1024 * 1024,
            max_ratio: 200,
            max_text_bytes: 2 * 1024 * 1024 * 1024,
            per_file_time: Duration::from_secs(60),
        }
    }
}

/// Which limit a file ran into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetExceeded {
    /// Archives nested deeper than [`Limits::max_depth`].
    #[error("archives nested deeper than {limit} levels")]
    Depth {
        /// The limit.
        limit: u32,
    },
    /// A container (archive, mail, PDF object table) lists more than
    /// [`Limits::max_entries`] members.
    #[error("the file holds {found} entries or objects, more than the limit of {limit}")]
    Entries {
        /// Entries listed.
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// Inflating would exceed [`Limits::max_inflated_bytes`].
    #[error("archives inflate to more than {limit} bytes")]
    InflatedBytes {
        /// The limit.
        limit: u64,
    },
    /// An entry's compression ratio exceeds [`Limits::max_ratio`].
    #[error("an archive entry compresses {ratio}:1, more than the limit of {limit}:1 (zip bomb?)")]
    Ratio {
        /// The ratio found.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// More text than [`Limits::max_text_bytes`].
    #[error("the file yields more than {limit} bytes of text")]
    TextBytes {
        /// The limit.
        limit: u64,
    },
    /// Extraction took longer than [`Limits::per_file_time`].
    #[error("extraction took longer than {millis} ms")]
    Time {
        /// The limit in milliseconds.
        millis: u64,
    },
}

/// The running account of one file against the [`Limits`].
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    deadline: Instant,
    inflated: u64,
    text: u64,
}

impl Budget {
    /// Starts the budget for one file now.
    pub fn start(limits: &Limits) -> Budget {
        Budget {
            limits: limits.clone(),
            deadline: Instant::now() + limits.per_file_time,
            inflated: 0,
            text: 0,
        }
    }

    /// The limits this budget enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Fails once the file's time is up. Call it in every loop that may run long.
    pub fn check_time(&self) -> Result<(), BudgetExceeded> {
        if Instant::now() > self.deadline {
            return Err(BudgetExceeded::Time {
                millis: u64::try_from(self.limits.per_file_time.as_millis()).unwrap_or(u64::MAX),
            });
        }
        Ok(())
    }

    /// Accounts for `bytes` inflated from an archive.
    pub fn charge_inflated(&mut self, bytes: u64) -> Result<(), BudgetExceeded> {
        self.inflated = self.inflated.saturating_add(bytes);
        if self.inflated > self.limits.max_inflated_bytes {
            return Err(BudgetExceeded::InflatedBytes {
                limit: self.limits.max_inflated_bytes,
            });
        }
        self.check_time()
    }

    /// Bytes that may still be inflated.
    pub fn inflated_remaining(&self) -> u64 {
        self.limits.max_inflated_bytes.saturating_sub(self.inflated)
    }

    /// Accounts for `bytes` of extracted text.
    pub fn charge_text(&mut self, bytes: u64) -> Result<(), BudgetExceeded> {
        self.text = self.text.saturating_add(bytes);
        if self.text > self.limits.max_text_bytes {
            return Err(BudgetExceeded::TextBytes {
                limit: self.limits.max_text_bytes,
            });
        }
        self.check_time()
    }

    /// Checks an archive's entry count.
    pub fn check_entries(&self, found: u64) -> Result<(), BudgetExceeded> {
        if found > self.limits.max_entries {
            return Err(BudgetExceeded::Entries {
                found,
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Checks an entry's declared or actual compression ratio.
    pub fn check_ratio(&self, compressed: u64, inflated: u64) -> Result<(), BudgetExceeded> {
        // Tiny entries compress absurdly well (a 1 KiB run of spaces); judge ratios only past
        // 64 KiB so that ordinary small XML parts never trip it.
        if inflated <= 64 * 1024 {
            return Ok(());
        }
        let ratio = inflated / compressed.max(1);
        if ratio > self.limits.max_ratio {
            return Err(BudgetExceeded::Ratio {
                ratio,
                limit: self.limits.max_ratio,
            });
        }
        Ok(())
    }
}
