//! The text layer: interprets content streams (page contents, form XObjects, annotation
//! appearances) and lays the shown glyphs out as lines.
//!
//! Text-showing operators (`Tj`, `TJ`, `'`, `"`) are decoded through the current font
//! ([`super::font`]); positioning operators (`Td`, `TD`, `Tm`, `T*`, `cm`, `q`/`Q`) are tracked
//! so each glyph's start and end are known in device space. A glyph starts a new line when it
//! sits off the previous glyph's baseline by more than half the font size (measured across the
//! writing direction, so rotated watermarks stay one line), and a space is put between glyphs
//! on one line whose gap is wider than a fifth of the font size (so text drawn one glyph or one
//! word at a time reads as words).
//!
//! Bounds: the time budget is checked every [`CHECK_EVERY`] tokens; form XObjects nest at most
//! [`MAX_FORM_DEPTH`] deep and never recurse into themselves; the graphics-state stack is
//! capped; text is handed to the context in chunks of at most about [`FLUSH_AT`] bytes, so a
//! page that draws a form a billion times runs out of time or text budget, not memory.

use super::font::Font;
use super::lexer::{Lexer, Operand, Token};
use super::{get, stream_bytes};
use crate::extract::{ExtractCtx, ExtractError, Part};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;
use std::rc::Rc;

const CHECK_EVERY: u64 = 1024;
const MAX_FORM_DEPTH: usize = 12;
const MAX_SAVED_STATES: usize = 256;
const MAX_OPERANDS: usize = 64;
const FLUSH_AT: usize = 4 * 1024 * 1024;

/// An affine matrix `[a b c d e f]` (row-vector convention, as in PDF).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Matrix([f64; 6]);

impl Matrix {
    pub(super) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f64, ty: f64) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self × other`: first `self`, then `other`.
    fn then(&self, o: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }

    pub(super) fn from_operands(ops: &[Operand]) -> Option<Matrix> {
        let mut m = [0.0; 6];
        if ops.len() != 6 {
            return None;
        }
        for (slot, o) in m.iter_mut().zip(ops) {
            *slot = o.number().filter(|v| v.is_finite())?;
        }
        Some(Matrix(m))
    }

    pub(super) fn from_object(doc: &Document, o: &Object) -> Option<Matrix> {
        let Object::Array(items) = o else {
            return None;
        };
        let ops: Vec<Operand> = items
            .iter()
            .map(|i| match super::resolve(doc, i) {
                Object::Integer(v) => Operand::Number(*v as f64),
                Object::Real(v) => Operand::Number(f64::from(*v)),
                _ => Operand::Other,
            })
            .collect();
        Matrix::from_operands(&ops)
    }
}

/// Fonts and form contents shared by all pages of a document, so each is loaded (and its
/// bytes charged to the budget) once.
#[derive(Debug)]
pub(super) struct Cache {
    fonts: HashMap<ObjectId, Rc<Font>>,
    forms: HashMap<ObjectId, Rc<Vec<u8>>>,
    fallback: Rc<Font>,
}

impl Cache {
    pub(super) fn new() -> Cache {
        Cache {
            fonts: HashMap::new(),
            forms: HashMap::new(),
            fallback: Rc::new(Font::fallback()),
        }
    }
}

#[derive(Debug, Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_space: f64,
    word_space: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

impl GState {
    fn new(ctm: Matrix) -> GState {
        GState {
            ctm,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Last {
    end: (f64, f64),
    dir: (f64, f64),
    size: f64,
}

/// The text of one part (a page, an annotation appearance) as it is laid out.
#[derive(Debug)]
struct TextOut {
    text: String,
    last: Option<Last>,
}

impl TextOut {
    fn glyph(
        &mut self,
        text: Option<&str>,
        start: (f64, f64),
        end: (f64, f64),
        dir: (f64, f64),
        size: f64,
    ) {
        if let (Some(t), Some(l)) = (text, self.last) {
            let dx = start.0 - l.end.0;
            let dy = start.1 - l.end.1;
            let along = dx * l.dir.0 + dy * l.dir.1;
            let across = -dx * l.dir.1 + dy * l.dir.0;
            let s = l.size.max(size).max(0.01);
            let turned = dir.0 * l.dir.0 + dir.1 * l.dir.1 < 0.9;
            if across.abs() > 0.5 * s || turned {
                self.newline();
            } else if along > 0.2 * s || along < -1.5 * s {
                let starts_white = t.starts_with(char::is_whitespace);
                let ends_white = self.text.ends_with(char::is_whitespace);
                if !starts_white && !ends_white && !self.text.is_empty() {
                    self.text.push(' ');
                }
            }
        }
        if let Some(t) = text {
            if t == " " && self.text.ends_with(char::is_whitespace) {
                // A space glyph after an inferred space.
            } else {
                self.text.extend(
                    t.chars()
                        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t'),
                );
            }
        }
        self.last = Some(Last { end, dir, size });
    }

    fn newline(&mut self) {
        while self.text.ends_with(' ') {
            self.text.pop();
        }
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }
}

/// Runs content streams and emits their text as `part`.
pub(super) struct Interp<'d, 'x, 'c> {
    doc: &'d Document,
    ctx: &'x mut ExtractCtx<'c>,
    cache: &'x mut Cache,
    part: Part,
    out: TextOut,
    tokens: u64,
}

impl std::fmt::Debug for Interp<'_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interp")
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

impl<'d, 'x, 'c> Interp<'d, 'x, 'c> {
    pub(super) fn new(
        doc: &'d Document,
        ctx: &'x mut ExtractCtx<'c>,
        cache: &'x mut Cache,
        part: Part,
    ) -> Self {
        Interp {
            doc,
            ctx,
            cache,
            part,
            out: TextOut {
                text: String::new(),
                last: None,
            },
            tokens: 0,
        }
    }

    /// Runs one content stream (a page's streams joined, or an appearance) with `resources`.
    pub(super) fn run(
        &mut self,
        content: &[u8],
        resources: Option<&'d Dictionary>,
        ctm: Matrix,
    ) -> Result<(), ExtractError> {
        let mut stack = Vec::new();
        self.run_inner(content, resources, GState::new(ctm), &mut stack)
    }

    /// The text laid out so far that has not been emitted yet, taken out.
    pub(super) fn take_text(&mut self) -> String {
        self.out.last = None;
        std::mem::take(&mut self.out.text)
    }

    /// Emits what is left.
    pub(super) fn finish(mut self) -> Result<(), ExtractError> {
        let text = self.take_text();
        let trimmed = text.trim_end();
        if !trimmed.trim_start().is_empty() {
            self.ctx.emit(self.part.clone(), trimmed)?;
        }
        Ok(())
    }

    fn maybe_flush(&mut self) -> Result<(), ExtractError> {
        if self.out.text.len() >= FLUSH_AT && self.out.text.ends_with('\n') {
            let text = std::mem::take(&mut self.out.text);
            self.ctx.emit(self.part.clone(), text.trim_end())?;
        }
        Ok(())
    }

    fn run_inner(
        &mut self,
        content: &[u8],
        resources: Option<&'d Dictionary>,
        mut gs: GState,
        forms: &mut Vec<ObjectId>,
    ) -> Result<(), ExtractError> {
        let mut lexer = Lexer::new(content);
        let mut operands: Vec<Operand> = Vec::new();
        let mut saved: Vec<GState> = Vec::new();
        let mut unsaved = 0usize;
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        while let Some(tok) = lexer.next_token() {
            self.tokens += 1;
            if self.tokens.is_multiple_of(CHECK_EVERY) {
                self.ctx.budget().check_time()?;
                self.maybe_flush()?;
            }
            let op = match tok {
                Token::Operand(o) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.remove(0);
                    }
                    operands.push(o);
                    continue;
                }
                Token::Operator(op) => op,
            };
            let n = |i: usize| -> f64 {
                operands
                    .len()
                    .checked_sub(i)
                    .and_then(|k| operands.get(k))
                    .and_then(Operand::number)
                    .unwrap_or(0.0)
            };
            match op {
                b"q" => {
                    if saved.len() < MAX_SAVED_STATES {
                        saved.push(gs.clone());
                    } else {
                        unsaved += 1;
                    }
                }
                b"Q" => {
                    if unsaved > 0 {
                        unsaved -= 1;
                    } else if let Some(g) = saved.pop() {
                        gs = g;
                    }
                }
                b"cm" => {
                    let start = operands.len().saturating_sub(6);
                    if let Some(m) = operands.get(start..).and_then(Matrix::from_operands) {
                        gs.ctm = m.then(&gs.ctm);
                    }
                }
                b"BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                b"Tf" => {
                    gs.size = n(1);
                    let name = operands
                        .len()
                        .checked_sub(2)
                        .and_then(|k| operands.get(k))
                        .and_then(|o| match o {
                            Operand::Name(n) => Some(n.clone()),
                            _ => None,
                        });
                    gs.font = match name {
                        Some(name) => self.font(resources, &name)?,
                        None => None,
                    };
                }
                b"Tc" => gs.char_space = n(1),
                b"Tw" => gs.word_space = n(1),
                b"Tz" => gs.scale = n(1) / 100.0,
                b"TL" => gs.leading = n(1),
                b"Ts" => gs.rise = n(1),
                b"Td" | b"TD" => {
                    let (tx, ty) = (n(2), n(1));
                    if op == b"TD" {
                        gs.leading = -ty;
                    }
                    tlm = Matrix::translate(tx, ty).then(&tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    let start = operands.len().saturating_sub(6);
                    if let Some(m) = operands.get(start..).and_then(Matrix::from_operands) {
                        tlm = m;
                        tm = m;
                    }
                }
                b"T*" => {
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op == b"\"" {
                        gs.word_space = n(3);
                        gs.char_space = n(2);
                    }
                    if op != b"Tj" {
                        tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                        tm = tlm;
                    }
                    if let Some(Operand::String(s)) = operands.last() {
                        self.show(s, &gs, &mut tm);
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = operands.last() {
                        for item in items {
                            match item {
                                Operand::String(s) => self.show(s, &gs, &mut tm),
                                Operand::Number(adj) => {
                                    let d = -adj / 1000.0 * gs.size;
                                    let vertical = gs.font.as_ref().is_some_and(|f| f.vertical);
                                    tm = if vertical {
                                        Matrix::translate(0.0, d).then(&tm)
                                    } else {
                                        Matrix::translate(d * gs.scale, 0.0).then(&tm)
                                    };
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"Do" => {
                    if let Some(Operand::Name(name)) = operands.last() {
                        let name = name.clone();
                        self.form(resources, &name, &gs, forms)?;
                    }
                }
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    /// Lays out the glyphs of one string and advances the text matrix.
    fn show(&mut self, bytes: &[u8], gs: &GState, tm: &mut Matrix) {
        let font = gs
            .font
            .clone()
            .unwrap_or_else(|| self.cache.fallback.clone());
        let mut glyphs = Vec::new();
        font.decode(bytes, |g| glyphs.push(g));
        for g in glyphs {
            let trm = tm.then(&gs.ctm);
            let [a, b, c, d, _, _] = trm.0;
            let det = (a * d - b * c).abs().sqrt();
            let size = (gs.size.abs() * det).max(0.01);
            let extra = gs.char_space + if g.word_space { gs.word_space } else { 0.0 };
            let (tx, ty, dir) = if font.vertical {
                let ty = -(gs.size * 1.0) + extra;
                (0.0, ty, unit(-c, -d))
            } else {
                let tx = (g.advance * gs.size + extra) * gs.scale;
                (tx, 0.0, unit(a, b))
            };
            let start = trm.apply(0.0, gs.rise);
            let end = trm.apply(tx, ty + gs.rise);
            self.out.glyph(g.text.as_deref(), start, end, dir, size);
            *tm = Matrix::translate(tx, ty).then(tm);
        }
    }

    fn font(
        &mut self,
        resources: Option<&'d Dictionary>,
        name: &[u8],
    ) -> Result<Option<Rc<Font>>, ExtractError> {
        let doc = self.doc;
        let Some(res) = resources else {
            return Ok(None);
        };
        let Object::Dictionary(fonts) = get(doc, res, b"Font") else {
            return Ok(None);
        };
        let Ok(entry) = fonts.get(name) else {
            return Ok(None);
        };
        let id = match entry {
            Object::Reference(id) => Some(*id),
            _ => None,
        };
        if let Some(f) = id.and_then(|id| self.cache.fonts.get(&id)) {
            return Ok(Some(f.clone()));
        }
        let Object::Dictionary(dict) = super::resolve(doc, entry) else {
            return Ok(None);
        };
        let font = Rc::new(Font::load(doc, dict, self.ctx.budget())?);
        if let Some(id) = id {
            self.cache.fonts.insert(id, font.clone());
        }
        Ok(Some(font))
    }

    fn form(
        &mut self,
        resources: Option<&'d Dictionary>,
        name: &[u8],
        gs: &GState,
        forms: &mut Vec<ObjectId>,
    ) -> Result<(), ExtractError> {
        let doc = self.doc;
        if forms.len() >= MAX_FORM_DEPTH {
            return Ok(());
        }
        let Some(res) = resources else {
            return Ok(());
        };
        let Object::Dictionary(xobjects) = get(doc, res, b"XObject") else {
            return Ok(());
        };
        let Ok(Object::Reference(id)) = xobjects.get(name) else {
            return Ok(());
        };
        let id = *id;
        if forms.contains(&id) {
            return Ok(());
        }
        let Ok(Object::Stream(stream)) = doc.get_object(id) else {
            return Ok(());
        };
        if get(doc, &stream.dict, b"Subtype").as_name().ok() != Some(b"Form".as_slice()) {
            return Ok(());
        }
        let content = match self.cache.forms.get(&id) {
            Some(c) => c.clone(),
            None => {
                let Some(bytes) = stream_bytes(stream, self.ctx.budget())? else {
                    return Ok(());
                };
                let c = Rc::new(bytes);
                self.cache.forms.insert(id, c.clone());
                c
            }
        };
        let matrix =
            Matrix::from_object(doc, get(doc, &stream.dict, b"Matrix")).unwrap_or(Matrix::IDENTITY);
        let form_resources = match get(doc, &stream.dict, b"Resources") {
            Object::Dictionary(d) => Some(d),
            _ => Some(res),
        };
        let mut inner = gs.clone();
        inner.ctm = matrix.then(&gs.ctm);
        forms.push(id);
        let result = self.run_inner(&content, form_resources, inner, forms);
        forms.pop();
        result
    }
}

fn unit(x: f64, y: f64) -> (f64, f64) {
    let n = (x * x + y * y).sqrt();
    if n.is_finite() && n > 1e-9 {
        (x / n, y / n)
    } else {
        (1.0, 0.0)
    }
}
