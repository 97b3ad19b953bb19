//! QR codes for printed forms, drawn server-side as SVG rectangles.
//!
//! The page policy forbids inline script and inline style, so the code is not drawn by a script
//! and carries no `style=`: the template writes one `<rect>` (with `x`, `y`, `width`,
//! `height`, `fill` attributes) per horizontal run of dark modules, inside a quiet zone of
//! [`QUIET`] light modules.
//!
//! Encoding is the `qrcode` crate's, at error correction level M, in the smallest version that
//! holds the text, as **one byte-mode segment of its UTF-8 bytes**, preceded by the ECI
//! designator 26 (UTF-8) when the text is not ASCII. Not `QrCode::new`: its segmentation reads
//! the UTF-8 bytes of Chinese characters (`测` is `E6 B5 8B`) as Shift JIS Kanji pairs and
//! would encode them in Kanji mode, which a scanner decodes as Japanese characters, not the
//! number.

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use serde::Serialize;

/// Light modules around the code (the quiet zone the standard asks for).
pub const QUIET: usize = 4;

/// A horizontal run of dark modules, in SVG user units (one unit per module, quiet zone
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Run {
    /// Left edge.
    pub x: usize,
    /// Top edge.
    pub y: usize,
    /// Length in modules.
    pub w: usize,
}

/// A QR code ready for the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Svg {
    /// Modules per side of the symbol itself.
    pub modules: usize,
    /// Side of the drawing, quiet zone included (`modules + 2 * QUIET`).
    pub size: usize,
    /// Number of dark modules.
    pub dark: usize,
    /// The dark runs.
    pub runs: Vec<Run>,
}

/// ECI designator of UTF-8.
const ECI_UTF8: u32 = 26;

/// The QR code of `text` (see the module): byte mode, UTF-8, level M, smallest version.
pub fn code(text: &str) -> Option<QrCode> {
    (1..=40).find_map(|version| {
        let mut bits = Bits::new(Version::Normal(version));
        if !text.is_ascii() {
            bits.push_eci_designator(ECI_UTF8).ok()?;
        }
        bits.push_byte_data(text.as_bytes()).ok()?;
        bits.push_terminator(EcLevel::M).ok()?;
        QrCode::with_bits(bits, EcLevel::M).ok()
    })
}

/// The QR code of `text` for the template, or `None` when it does not fit in a QR code.
pub fn encode(text: &str) -> Option<Svg> {
    let code = code(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    let mut dark = 0;
    for (y, row) in colors.chunks(modules.max(1)).enumerate() {
        let mut start: Option<usize> = None;
        for (x, color) in row.iter().enumerate() {
            match (color, start) {
                (Color::Dark, None) => start = Some(x),
                (Color::Light, Some(s)) => {
                    runs.push(run(s, x, y));
                    start = None;
                }
                _ => {}
            }
            if *color == Color::Dark {
                dark += 1;
            }
        }
        if let Some(s) = start {
            runs.push(run(s, row.len(), y));
        }
    }
    Some(Svg {
        modules,
        size: modules + 2 * QUIET,
        dark,
        runs,
    })
}

fn run(start: usize, end: usize, y: usize) -> Run {
    Run {
        x: start + QUIET,
        y: y + QUIET,
        w: end - start,
    }
}
