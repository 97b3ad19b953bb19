//! # baomi-scan — the content sieve (DOMAIN R13.5, R4.3, R8)
//!
//! Finds classification marks (R1.3) and a unit's sensitive keywords in files, folders, archives
//! and text, so that no classified content sits on non-classified computers (R4.3) and nothing
//! classified is published (R8). The same engine serves `baomi scan` and, later, the service's
//! pre-publication review.
//!
//! The pipeline, one stage per module:
//!
//! ```text
//!  scanner (walk folders / read stdin, parallel)
//!     │ bytes + name
//!     ▼
//!  extract (detect the format; one module per format; nested archives recurse through
//!     │      ExtractCtx::nested under the Limits of limits.rs)
//!     │ Location + text segments (UTF-8)
//!     ▼
//!  matcher (normalise: NFKC, spaces inside CJK words removed, optional 繁→简;
//!     │      keywords via Aho-Corasick, marks via baomi-core's parser, regex rules;
//!     │      positions mapped back into the original segment)
//!     ▼
//!  report (Finding with path, part, line, column, context, parsed mark;
//!          sinks: text, JSON lines, CSV, SARIF 2.1.0; Summary)
//! ```
//!
//! The crate knows nothing about the server. Hostile inputs never crash or hang it: every
//! extractor works under a [`limits::Budget`] and every failure is a counted, reported value.

pub mod extract;
pub mod limits;
pub mod matcher;
pub mod normalize;
pub mod report;
pub mod scanner;
