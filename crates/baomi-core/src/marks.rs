//! Levels, periods and the classification mark (DOMAIN R1.1–R1.3).
//!
//! * [`Level`] — R1.1: the three state-secret levels (绝密 Top Secret, 机密 Confidential,
//!   秘密 Secret), the work secret (内部 Internal) and unclassified, ordered lowest first so that
//!   `a >= b` reads "a is at least as high as b".
//! * [`Term`] — R1.2/R1.3: a number of years, a date, a declassification condition, or the
//!   level's longest period (a bare `绝密★`).
//! * [`Mark`] — R1.3: `LEVEL★PERIOD`, parsed from Chinese (`机密★10年`,
//!   `秘密★2031年6月30日`, `机密★工程竣工后`, `绝密★`) or English (`TOP SECRET//30Y`,
//!   `SECRET//2031-06-30`, `CONFIDENTIAL//UNTIL <condition>`, `TOP SECRET`), printed canonically
//!   in both, and round-tripping exactly: `Mark::parse(&m.to_zh()) == Ok(m)` and likewise for
//!   English.
//! * [`TradeSecretLevel`], [`TradeSecretPeriod`] — R1.1: a company's own three levels and
//!   periods, a separate type so they can never be confused with state secrets.
//!
//! Parsing tolerates what people type: full-width digits and letters, `☆` for `★`, ideographic
//! and ordinary spaces around the parts. Everything else is refused with a [`MarkError`] that
//! says what is wrong and at which character. A period in Chinese numerals (`机密★十年`) is
//! refused ([`MarkErrorKind::ChineseNumeralPeriod`]) rather than read as a condition: R1.3
//! periods are written in digits.

use crate::{date_text, Describe, Lang, RuleId};
use jiff::civil::Date;
use jiff::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A classification level (R1.1), lowest first: `Level::TopSecret > Level::Secret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Not classified at all; anyone may read it.
    Unclassified,
    /// 工作秘密 — a work secret, marked 内部 (Internal); never carries a state-secret mark.
    Internal,
    /// 秘密 — Secret, the lowest state-secret level; longest period 10 years.
    Secret,
    /// 机密 — Confidential; longest period 20 years.
    Confidential,
    /// 绝密 — Top Secret; longest period 30 years.
    TopSecret,
}

impl Level {
    /// The three state-secret levels, highest first.
    pub const STATE_SECRETS: [Level; 3] = [Level::TopSecret, Level::Confidential, Level::Secret];

    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [
        Level::Unclassified,
        Level::Internal,
        Level::Secret,
        Level::Confidential,
        Level::TopSecret,
    ];

    /// True for 绝密, 机密 and 秘密.
    pub fn is_state_secret(self) -> bool {
        matches!(self, Level::TopSecret | Level::Confidential | Level::Secret)
    }

    /// R1.2: the longest period in years, `None` for levels that have no declassification period.
    pub fn longest_period_years(self) -> Option<u16> {
        match self {
            Level::TopSecret => Some(30),
            Level::Confidential => Some(20),
            Level::Secret => Some(10),
            Level::Internal | Level::Unclassified => None,
        }
    }

    /// The Chinese name as used in marks: 绝密, 机密, 秘密, 内部, 非密.
    pub fn zh(self) -> &'static str {
        match self {
            Level::TopSecret => "绝密",
            Level::Confidential => "机密",
            Level::Secret => "秘密",
            Level::Internal => "内部",
            Level::Unclassified => "非密",
        }
    }

    /// The English banner name: TOP SECRET, CONFIDENTIAL, SECRET, INTERNAL, UNCLASSIFIED.
    pub fn en(self) -> &'static str {
        match self {
            Level::TopSecret => "TOP SECRET",
            Level::Confidential => "CONFIDENTIAL",
            Level::Secret => "SECRET",
            Level::Internal => "INTERNAL",
            Level::Unclassified => "UNCLASSIFIED",
        }
    }

    /// The machine name used in JSON and the CLI: `top_secret`, `confidential`, `secret`,
    /// `internal`, `unclassified`.
    pub fn code(self) -> &'static str {
        match self {
            Level::TopSecret => "top_secret",
            Level::Confidential => "confidential",
            Level::Secret => "secret",
            Level::Internal => "internal",
            Level::Unclassified => "unclassified",
        }
    }

    /// Parses a machine name (see [`Level::code`]).
    pub fn from_code(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }
}

impl Describe for Level {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.zh().to_owned(),
            Lang::En => self.en().to_owned(),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zh())
    }
}

/// The period of a mark (R1.2, R1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Term {
    /// A number of years counted from the date of classification: `机密★10年`.
    Years {
        /// How many years; at least 1.
        years: u16,
    },
    /// Declassified on a fixed date: `秘密★2031年6月30日`.
    Until {
        /// The day on which the matter is declassified.
        #[cfg_attr(feature = "schemars", schemars(schema_with = "crate::schema::date"))]
        date: Date,
    },
    /// Declassified when a condition is recorded as met: `机密★工程竣工后`.
    Condition {
        /// The condition as written, trimmed and with full-width ASCII folded to half-width.
        text: String,
    },
    /// A bare `绝密★`: the level's longest period (practice).
    Default,
}

/// The legal basis for a period longer than R1.2 allows; required by
/// [`Mark::new_with_override`] and [`Mark::parse_with_override`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegalBasis(String);

impl LegalBasis {
    /// A legal basis must name something: an empty or blank text is refused.
    pub fn new(text: &str) -> Option<LegalBasis> {
        let t = text.trim();
        if t.is_empty() {
            None
        } else {
            Some(LegalBasis(t.to_owned()))
        }
    }

    /// The basis as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Words that are trade-secret periods (R1.1) or otherwise not a state-secret period (R1.3:
/// "`绝密★长期`? no").
const NOT_STATE_SECRET_PERIODS: [&str; 4] = ["长期", "永久", "短期", "长久"];

/// The largest number of years a mark may spell, even with a legal-basis override: beyond it a
/// number is a typo (a year without month and day), not a period.
pub const MAX_YEARS_WITH_OVERRIDE: u16 = 100;

/// A classification mark `LEVEL★PERIOD` (R1.3). Construct with [`Mark::new`] or
/// [`Mark::parse`]; every `Mark` is well-formed and prints to text that parses back to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Mark {
    level: Level,
    term: Term,
}

impl<'de> Deserialize<'de> for Mark {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            level: Level,
            term: Term,
        }
        let raw = Raw::deserialize(deserializer)?;
        // Stored marks were checked against R1.2 when they were determined (possibly with an
        // override whose basis lives with the determination), so only the form is checked here.
        Mark::well_formed(raw.level, raw.term).map_err(serde::de::Error::custom)
    }
}

impl Mark {
    /// Builds a mark, refusing a period longer than the level allows (R1.2).
    pub fn new(level: Level, term: Term) -> Result<Mark, MarkError> {
        let mark = Mark::well_formed(level, term)?;
        mark.check_years_within_statutory_limit()?;
        Ok(mark)
    }

    /// Builds a mark whose period may exceed R1.2 because a law says so; the caller records
    /// the basis with the determination.
    pub fn new_with_override(
        level: Level,
        term: Term,
        _basis: &LegalBasis,
    ) -> Result<Mark, MarkError> {
        Mark::well_formed(level, term)
    }

    /// The mark for a work secret: `内部`.
    pub fn internal() -> Mark {
        Mark {
            level: Level::Internal,
            term: Term::Default,
        }
    }

    /// Checks the form of a mark without R1.2's limit.
    fn well_formed(level: Level, term: Term) -> Result<Mark, MarkError> {
        let err = |kind| Err(MarkError { kind, column: 1 });
        match level {
            Level::Unclassified => return err(MarkErrorKind::UnclassifiedHasNoMark),
            Level::Internal if term != Term::Default => {
                return err(MarkErrorKind::InternalTakesNoPeriod)
            }
            _ => {}
        }
        let term = match term {
            Term::Years { years: 0 } => return err(MarkErrorKind::ZeroYears),
            Term::Years { years } if years > MAX_YEARS_WITH_OVERRIDE => {
                return err(MarkErrorKind::YearsOutOfRange {
                    years: years.into(),
                })
            }
            Term::Condition { text } => Term::Condition {
                text: canonical_condition(&text).map_err(|kind| MarkError { kind, column: 1 })?,
            },
            other => other,
        };
        Ok(Mark { level, term })
    }

    fn check_years_within_statutory_limit(&self) -> Result<(), MarkError> {
        if let (Term::Years { years }, Some(max)) = (&self.term, self.level.longest_period_years())
        {
            if *years > max {
                return Err(MarkError {
                    kind: MarkErrorKind::TermExceedsLongest {
                        level: self.level,
                        years: *years,
                        longest: max,
                    },
                    column: 1,
                });
            }
        }
        Ok(())
    }

    /// The level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The period.
    pub fn term(&self) -> &Term {
        &self.term
    }

    /// Parses a mark in Chinese or English (R1.3), refusing periods beyond R1.2.
    pub fn parse(text: &str) -> Result<Mark, MarkError> {
        let (level, term, column) = parse_parts(text)?;
        let mark = Mark::well_formed(level, term).map_err(|e| e.at(column))?;
        mark.check_years_within_statutory_limit()
            .map_err(|e| e.at(column))?;
        Ok(mark)
    }

    /// Parses a mark whose period may exceed R1.2 on the given legal basis.
    pub fn parse_with_override(text: &str, basis: &LegalBasis) -> Result<Mark, MarkError> {
        let (level, term, column) = parse_parts(text)?;
        Mark::new_with_override(level, term, basis).map_err(|e| e.at(column))
    }

    /// The canonical Chinese form: `机密★10年`, `秘密★2031年6月30日`, `机密★工程竣工后`,
    /// `绝密★`, `内部`.
    pub fn to_zh(&self) -> String {
        let level = self.level.zh();
        match &self.term {
            _ if self.level == Level::Internal => level.to_owned(),
            Term::Years { years } => format!("{level}★{years}年"),
            Term::Until { date } => format!(
                "{level}★{}年{}月{}日",
                date.year(),
                date.month(),
                date.day()
            ),
            Term::Condition { text } => format!("{level}★{text}"),
            Term::Default => format!("{level}★"),
        }
    }

    /// The canonical English form: `CONFIDENTIAL//10Y`, `SECRET//2031-06-30`,
    /// `CONFIDENTIAL//UNTIL <condition>`, `TOP SECRET`, `INTERNAL`.
    pub fn to_en(&self) -> String {
        let level = self.level.en();
        match &self.term {
            _ if self.level == Level::Internal => level.to_owned(),
            Term::Years { years } => format!("{level}//{years}Y"),
            Term::Until { date } => format!(
                "{level}//{:04}-{:02}-{:02}",
                date.year(),
                date.month(),
                date.day()
            ),
            Term::Condition { text } => format!("{level}//UNTIL {text}"),
            Term::Default => level.to_owned(),
        }
    }

    /// The day the mark's period ends for a matter classified on `classified_on` (R1.2, R1.9):
    /// `None` for condition periods and for work secrets, which have no fixed end.
    pub fn declassifies_on(&self, classified_on: Date) -> Option<Date> {
        let years = match (&self.term, self.level.longest_period_years()) {
            (_, None) => return None,
            (Term::Condition { .. }, _) => return None,
            (Term::Until { date }, _) => return Some(*date),
            (Term::Years { years }, _) => *years,
            (Term::Default, Some(longest)) => longest,
        };
        Some(add_years(classified_on, years))
    }

    /// Checks a date period against the date of classification: it must end after that day
    /// and, unless overridden, no later than the level's longest period allows (R1.2).
    pub fn check_against_classification_date(
        &self,
        classified_on: Date,
        override_basis: Option<&LegalBasis>,
    ) -> Result<(), MarkError> {
        let at = |kind| MarkError { kind, column: 1 };
        if let Term::Until { date } = self.term {
            if date <= classified_on {
                return Err(at(MarkErrorKind::EndsBeforeClassification {
                    ends: date,
                    classified_on,
                }));
            }
            if let (Some(longest), None) = (self.level.longest_period_years(), override_basis) {
                let latest = add_years(classified_on, longest);
                if date > latest {
                    return Err(at(MarkErrorKind::DateBeyondLongest {
                        level: self.level,
                        date,
                        latest,
                        longest,
                    }));
                }
            }
        }
        if override_basis.is_none() {
            self.check_years_within_statutory_limit()?;
        }
        Ok(())
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_zh())
    }
}

/// `date` plus `years` calendar years; 29 February falls back to 28 February. Saturates at the
/// end of the calendar rather than failing (the year 9999 is far beyond any period).
pub fn add_years(date: Date, years: u16) -> Date {
    date.checked_add(Span::new().years(i64::from(years)))
        .unwrap_or(Date::MAX)
}

/// Normalises a condition text, or says why it is not one.
fn canonical_condition(text: &str) -> Result<String, MarkErrorKind> {
    let folded: String = text.chars().map(fold_char).collect();
    let trimmed = folded.trim();
    if trimmed.is_empty() {
        return Err(MarkErrorKind::EmptyCondition);
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err(MarkErrorKind::InvalidCharacter { found: c });
    }
    if trimmed.contains('★') {
        return Err(MarkErrorKind::InvalidCharacter { found: '★' });
    }
    if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(MarkErrorKind::ConditionStartsWithDigit);
    }
    let bare = trimmed.trim_end_matches("解密");
    if NOT_STATE_SECRET_PERIODS.contains(&bare) {
        return Err(MarkErrorKind::NotAStateSecretPeriod {
            found: trimmed.to_owned(),
        });
    }
    if is_chinese_numeral_period(bare) {
        return Err(MarkErrorKind::ChineseNumeralPeriod {
            found: trimmed.to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

/// R1.3: a period written in Chinese numerals (`十年`, `二〇三一年六月三十日`): only numeral
/// characters and the units 年/月/日 (spaces ignored), with at least one of each. Such a text is
/// a mistyped period, not a declassification condition.
fn is_chinese_numeral_period(text: &str) -> bool {
    const NUMERALS: &str = "〇零一二两三四五六七八九十百千";
    const UNITS: &str = "年月日";
    let mut numeral = false;
    let mut unit = false;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if NUMERALS.contains(c) {
            numeral = true;
        } else if UNITS.contains(c) {
            unit = true;
        } else {
            return false;
        }
    }
    numeral && unit
}

/// Folds what people type into what the parser reads: full-width ASCII (U+FF01–U+FF5E) to
/// half-width, the ideographic space to a space, `☆` to `★`. One char in, one char out, so
/// positions stay those of the original text.
fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '☆' => '★',
        _ => c,
    }
}

/// What is wrong with a mark.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mark at character {column}: {kind}")]
pub struct MarkError {
    /// The kind of problem.
    pub kind: MarkErrorKind,
    /// The 1-based character position in the text given, where the problem starts.
    pub column: usize,
}

impl MarkError {
    fn at(self, column: usize) -> MarkError {
        if self.column == 1 {
            MarkError { column, ..self }
        } else {
            self
        }
    }

    /// The DOMAIN rule this error enforces.
    pub fn rule(&self) -> RuleId {
        match self.kind {
            MarkErrorKind::TermExceedsLongest { .. } | MarkErrorKind::DateBeyondLongest { .. } => {
                RuleId("R1.2")
            }
            MarkErrorKind::InternalTakesNoPeriod
            | MarkErrorKind::UnclassifiedHasNoMark
            | MarkErrorKind::NotAStateSecretPeriod { .. } => RuleId("R1.1"),
            _ => RuleId("R1.3"),
        }
    }
}

impl Describe for MarkError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "密级标志无效（第 {} 个字符）：{}",
                self.column,
                self.kind.describe(Lang::Zh)
            ),
        }
    }
}

/// The kinds of [`MarkError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkErrorKind {
    /// Nothing but spaces.
    #[error("the mark is empty")]
    Empty,
    /// The text does not begin with a level.
    #[error("expected a level (绝密, 机密, 秘密, 内部, TOP SECRET, CONFIDENTIAL, SECRET, INTERNAL), found {found:?}")]
    UnknownLevel {
        /// The start of what was found.
        found: String,
    },
    /// A Chinese state-secret level not followed by `★`.
    #[error("expected ★ after the level (write {level}★ for the level's longest period), found {found:?}")]
    MissingStar {
        /// The level read.
        level: Level,
        /// What followed it.
        found: String,
    },
    /// An English level followed by something other than `//`.
    #[error("expected // after the level, found {found:?}")]
    MissingSlashes {
        /// What followed the level.
        found: String,
    },
    /// `内部` with a period or a star: work secrets never carry a state-secret mark (R1.1).
    #[error("a work secret is marked 内部 / INTERNAL alone and takes no ★ or period (R1.1)")]
    InternalTakesNoPeriod,
    /// Unclassified matters are not marked.
    #[error("unclassified matters carry no mark")]
    UnclassifiedHasNoMark,
    /// `★0年`.
    #[error("a period of zero years is not a period")]
    ZeroYears,
    /// More years than any law allows; most likely a year without month and day.
    #[error("{years} years is not a period (write a date as 2031年6月30日 or 2031-06-30)")]
    YearsOutOfRange {
        /// The number read.
        years: u64,
    },
    /// R1.2: more years than the level allows.
    #[error("{years} years exceeds the longest period of {longest} years for {level} (R1.2); a longer period needs a legal-basis override")]
    TermExceedsLongest {
        /// The level.
        level: Level,
        /// The period asked for.
        years: u16,
        /// The longest period of the level.
        longest: u16,
    },
    /// R1.2: a date period ending later than the longest period allows.
    #[error("{date} is later than {latest}, the end of the longest period of {longest} years for {level} (R1.2)")]
    DateBeyondLongest {
        /// The level.
        level: Level,
        /// The date asked for.
        date: Date,
        /// The latest date the level allows.
        latest: Date,
        /// The longest period of the level in years.
        longest: u16,
    },
    /// A date period that ends on or before the day of classification.
    #[error("the period ends on {ends}, not after the date of classification {classified_on}")]
    EndsBeforeClassification {
        /// The end date.
        ends: Date,
        /// The day of classification.
        classified_on: Date,
    },
    /// A number not followed by `年` (Chinese) or `Y` (English).
    #[error("expected a unit after the number (年 or Y), found {found:?}")]
    MissingYearUnit {
        /// What followed the number.
        found: String,
    },
    /// A date that does not exist or is written wrongly.
    #[error("invalid date: {reason}")]
    InvalidDate {
        /// Why.
        reason: String,
    },
    /// `UNTIL` without a condition, or a condition of only spaces.
    #[error("the declassification condition is empty")]
    EmptyCondition,
    /// A condition must begin with a word, or it could be mistaken for a period.
    #[error(
        "a declassification condition must not begin with a digit (periods are N年 or a date)"
    )]
    ConditionStartsWithDigit,
    /// R1.3: a period written in Chinese numerals (`机密★十年`, `秘密★二〇三一年六月三十日`);
    /// the period is written in digits, so it is refused rather than read as a condition.
    #[error("{found:?} is a period written in Chinese numerals: write the period in digits, e.g. 10年 or 2031年6月30日 (R1.3)")]
    ChineseNumeralPeriod {
        /// The text found.
        found: String,
    },
    /// `长期`, `永久`, `短期`: trade-secret periods, not state-secret ones (R1.1, R1.3).
    #[error("{found:?} is not a state-secret period: use years, a date or a condition (R1.3)")]
    NotAStateSecretPeriod {
        /// The word found.
        found: String,
    },
    /// A control character or a second `★`.
    #[error("unexpected character {found:?}")]
    InvalidCharacter {
        /// The character.
        found: char,
    },
    /// Text left over after a complete mark.
    #[error("unexpected text after the mark: {found:?}")]
    TrailingText {
        /// The text left over.
        found: String,
    },
}

impl Describe for MarkErrorKind {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            MarkErrorKind::Empty => "标志为空".to_owned(),
            MarkErrorKind::UnknownLevel { found } => format!(
                "应以密级开头（绝密、机密、秘密、内部，或 TOP SECRET、CONFIDENTIAL、SECRET、INTERNAL），实为“{found}”"
            ),
            MarkErrorKind::MissingStar { level, found } => {
                format!("密级后应为 ★（法定最长保密期限写作 {level}★），实为“{found}”")
            }
            MarkErrorKind::MissingSlashes { found } => format!("密级后应为 //，实为“{found}”"),
            MarkErrorKind::InternalTakesNoPeriod => {
                "工作秘密只标“内部”，不得加 ★ 或保密期限（R1.1）".to_owned()
            }
            MarkErrorKind::UnclassifiedHasNoMark => "非密事项不加密级标志".to_owned(),
            MarkErrorKind::ZeroYears => "保密期限不能为 0 年".to_owned(),
            MarkErrorKind::YearsOutOfRange { years } => format!(
                "{years} 年不是保密期限（日期应写作 2031年6月30日 或 2031-06-30）"
            ),
            MarkErrorKind::TermExceedsLongest {
                level,
                years,
                longest,
            } => format!(
                "{years} 年超过{level}级事项最长保密期限 {longest} 年（R1.2）；更长期限须有法律依据"
            ),
            MarkErrorKind::DateBeyondLongest {
                level,
                date,
                latest,
                longest,
            } => format!(
                "{} 晚于{level}级事项最长保密期限 {longest} 年的截止日 {}（R1.2）",
                date_text(*date, Lang::Zh),
                date_text(*latest, Lang::Zh)
            ),
            MarkErrorKind::EndsBeforeClassification {
                ends,
                classified_on,
            } => format!(
                "保密期限截止日 {} 不晚于定密日期 {}",
                date_text(*ends, Lang::Zh),
                date_text(*classified_on, Lang::Zh)
            ),
            MarkErrorKind::MissingYearUnit { found } => {
                format!("数字后应为“年”或“Y”，实为“{found}”")
            }
            MarkErrorKind::InvalidDate { reason } => format!("日期无效：{reason}"),
            MarkErrorKind::EmptyCondition => "解密条件为空".to_owned(),
            MarkErrorKind::ConditionStartsWithDigit => {
                "解密条件不能以数字开头（期限写作“N年”或日期）".to_owned()
            }
            MarkErrorKind::ChineseNumeralPeriod { found } => format!(
                "“{found}”是用汉字数字书写的保密期限：期限应使用阿拉伯数字，如 10年 或 2031年6月30日（R1.3）"
            ),
            MarkErrorKind::NotAStateSecretPeriod { found } => format!(
                "“{found}”不是国家秘密的保密期限：应为年数、日期或解密条件（R1.3）"
            ),
            MarkErrorKind::InvalidCharacter { found } => format!("不应出现的字符“{found}”"),
            MarkErrorKind::TrailingText { found } => format!("标志后有多余文字“{found}”"),
        }
    }
}

/// A cursor over the folded characters of the input; `column` is 1-based in the original.
struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn new(text: &str) -> Cursor {
        Cursor {
            chars: text.chars().map(fold_char).collect(),
            pos: 0,
        }
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The rest of the input, as folded.
    fn rest(&self) -> String {
        self.chars[self.pos.min(self.chars.len())..]
            .iter()
            .collect()
    }

    /// A short excerpt of what comes next, for error messages.
    fn excerpt(&self) -> String {
        let rest: String = self.chars[self.pos.min(self.chars.len())..]
            .iter()
            .take(12)
            .collect();
        if rest.is_empty() {
            "end of text".to_owned()
        } else {
            rest
        }
    }

    /// Consumes `word` if it comes next, comparing ASCII letters without case and treating any
    /// run of spaces in `word` as one or more spaces in the input.
    fn eat_word(&mut self, word: &str) -> bool {
        let start = self.pos;
        for w in word.chars() {
            if w == ' ' {
                if !self.peek().is_some_and(char::is_whitespace) {
                    self.pos = start;
                    return false;
                }
                self.skip_spaces();
                continue;
            }
            match self.peek() {
                Some(c) if c.eq_ignore_ascii_case(&w) => self.pos += 1,
                _ => {
                    self.pos = start;
                    return false;
                }
            }
        }
        true
    }

    /// Reads ASCII digits; `None` if there are none. Values too large saturate (and are then
    /// refused as out of range by the caller).
    fn number(&mut self) -> Option<(u64, usize)> {
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value.saturating_mul(10).saturating_add(u64::from(d));
            self.pos += 1;
        }
        (self.pos > start).then_some((value, self.pos - start))
    }

    fn error<T>(&self, kind: MarkErrorKind) -> Result<T, MarkError> {
        Err(MarkError {
            kind,
            column: self.column(),
        })
    }
}

/// Reads level and term; returns the column where the term starts for later errors.
fn parse_parts(text: &str) -> Result<(Level, Term, usize), MarkError> {
    let mut cur = Cursor::new(text);
    cur.skip_spaces();
    if cur.at_end() {
        return cur.error(MarkErrorKind::Empty);
    }
    for level in [
        Level::TopSecret,
        Level::Confidential,
        Level::Secret,
        Level::Internal,
    ] {
        if cur.eat_word(level.zh()) {
            return parse_zh_after_level(&mut cur, level);
        }
    }
    for level in [
        Level::TopSecret,
        Level::Confidential,
        Level::Secret,
        Level::Internal,
    ] {
        if cur.eat_word(level.en()) {
            return parse_en_after_level(&mut cur, level);
        }
    }
    let found = cur.excerpt();
    cur.error(MarkErrorKind::UnknownLevel { found })
}

fn parse_zh_after_level(cur: &mut Cursor, level: Level) -> Result<(Level, Term, usize), MarkError> {
    cur.skip_spaces();
    if level == Level::Internal {
        return if cur.at_end() {
            Ok((level, Term::Default, cur.column()))
        } else {
            cur.error(MarkErrorKind::InternalTakesNoPeriod)
        };
    }
    if cur.peek() != Some('★') {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::MissingStar { level, found });
    }
    cur.pos += 1;
    cur.skip_spaces();
    let term_column = cur.column();
    if cur.at_end() {
        return Ok((level, Term::Default, term_column));
    }
    if !cur.peek().is_some_and(|c| c.is_ascii_digit()) {
        let text = cur.rest();
        let term = Term::Condition {
            text: canonical_condition(&text).map_err(|kind| MarkError {
                kind,
                column: term_column,
            })?,
        };
        return Ok((level, term, term_column));
    }
    let Some((first, _)) = cur.number() else {
        return cur.error(MarkErrorKind::EmptyCondition);
    };
    cur.skip_spaces();
    if cur.peek() != Some('年') {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::MissingYearUnit { found });
    }
    cur.pos += 1;
    cur.skip_spaces();
    if cur.at_end() {
        return Ok((level, years_term(first, term_column)?, term_column));
    }
    // A date: YYYY年M月D日.
    let month = zh_date_part(cur, '月')?;
    let day = zh_date_part(cur, '日')?;
    cur.skip_spaces();
    if !cur.at_end() {
        let found = cur.rest();
        return cur.error(MarkErrorKind::TrailingText { found });
    }
    let date = make_date(first, month, day, term_column)?;
    Ok((level, Term::Until { date }, term_column))
}

fn zh_date_part(cur: &mut Cursor, unit: char) -> Result<u64, MarkError> {
    cur.skip_spaces();
    let Some((value, _)) = cur.number() else {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::InvalidDate {
            reason: format!(
                "expected the {} as digits, found {found:?}",
                unit_name(unit)
            ),
        });
    };
    cur.skip_spaces();
    if cur.peek() != Some(unit) {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::InvalidDate {
            reason: format!(
                "expected {unit} after the {}, found {found:?}",
                unit_name(unit)
            ),
        });
    }
    cur.pos += 1;
    Ok(value)
}

fn unit_name(unit: char) -> &'static str {
    if unit == '月' {
        "month"
    } else {
        "day"
    }
}

fn years_term(years: u64, column: usize) -> Result<Term, MarkError> {
    match u16::try_from(years) {
        Ok(y) if y <= MAX_YEARS_WITH_OVERRIDE => Ok(Term::Years { years: y }),
        _ => Err(MarkError {
            kind: MarkErrorKind::YearsOutOfRange { years },
            column,
        }),
    }
}

fn make_date(year: u64, month: u64, day: u64, column: usize) -> Result<Date, MarkError> {
    let invalid = |reason: String| MarkError {
        kind: MarkErrorKind::InvalidDate { reason },
        column,
    };
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(year), i8::try_from(month), i8::try_from(day))
    else {
        return Err(invalid(format!("{year}-{month}-{day} is out of range")));
    };
    if !(1000..=9999).contains(&y) {
        return Err(invalid(format!("the year {year} must have four digits")));
    }
    Date::new(y, m, d).map_err(|_| invalid(format!("{year}-{month:02}-{day:02} does not exist")))
}

fn parse_en_after_level(cur: &mut Cursor, level: Level) -> Result<(Level, Term, usize), MarkError> {
    cur.skip_spaces();
    if cur.at_end() {
        return Ok((level, Term::Default, cur.column()));
    }
    if level == Level::Internal {
        return cur.error(MarkErrorKind::InternalTakesNoPeriod);
    }
    if !cur.eat_word("//") {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::MissingSlashes { found });
    }
    cur.skip_spaces();
    let term_column = cur.column();
    if cur.at_end() {
        return cur.error(MarkErrorKind::EmptyCondition);
    }
    if cur.eat_word("UNTIL") {
        if !cur.at_end() && !cur.peek().is_some_and(char::is_whitespace) {
            // "UNTILx": not the keyword.
            cur.pos = term_column - 1;
        } else {
            let column = cur.column();
            let text = cur.rest();
            let term = Term::Condition {
                text: canonical_condition(&text).map_err(|kind| MarkError { kind, column })?,
            };
            return Ok((level, term, term_column));
        }
    }
    let Some((first, digits)) = cur.number() else {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::MissingYearUnit { found });
    };
    if cur.peek() == Some('-') && digits == 4 {
        cur.pos += 1;
        let month = en_date_part(cur)?;
        if !cur.eat_word("-") {
            let found = cur.excerpt();
            return cur.error(MarkErrorKind::InvalidDate {
                reason: format!("expected - after the month, found {found:?}"),
            });
        }
        let day = en_date_part(cur)?;
        cur.skip_spaces();
        if !cur.at_end() {
            let found = cur.rest();
            return cur.error(MarkErrorKind::TrailingText { found });
        }
        let date = make_date(first, month, day, term_column)?;
        return Ok((level, Term::Until { date }, term_column));
    }
    cur.skip_spaces();
    if !(cur.eat_word("YEARS") || cur.eat_word("YEAR") || cur.eat_word("Y")) {
        let found = cur.excerpt();
        return cur.error(MarkErrorKind::MissingYearUnit { found });
    }
    cur.skip_spaces();
    if !cur.at_end() {
        let found = cur.rest();
        return cur.error(MarkErrorKind::TrailingText { found });
    }
    Ok((level, years_term(first, term_column)?, term_column))
}

fn en_date_part(cur: &mut Cursor) -> Result<u64, MarkError> {
    match cur.number() {
        Some((value, 1..=2)) => Ok(value),
        _ => {
            let found = cur.excerpt();
            cur.error(MarkErrorKind::InvalidDate {
                reason: format!("expected YYYY-MM-DD, found {found:?}"),
            })
        }
    }
}

/// A company's trade-secret level (R1.1; seed 001 §2.2–2.4), kept apart from [`Level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeSecretLevel {
    /// 普通商密 — ordinary, the lowest.
    Ordinary,
    /// 重要商密 — important.
    Important,
    /// 核心商密 — core, the highest.
    Core,
}

impl TradeSecretLevel {
    /// 核心, 重要, 普通.
    pub fn zh(self) -> &'static str {
        match self {
            TradeSecretLevel::Core => "核心商密",
            TradeSecretLevel::Important => "重要商密",
            TradeSecretLevel::Ordinary => "普通商密",
        }
    }

    /// Core, Important, Ordinary.
    pub fn en(self) -> &'static str {
        match self {
            TradeSecretLevel::Core => "CORE TRADE SECRET",
            TradeSecretLevel::Important => "IMPORTANT TRADE SECRET",
            TradeSecretLevel::Ordinary => "ORDINARY TRADE SECRET",
        }
    }
}

/// A trade secret's period (R1.1): permanent, long-term or short-term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeSecretPeriod {
    /// 永久.
    Permanent,
    /// 长期.
    LongTerm,
    /// 短期.
    ShortTerm,
}

impl TradeSecretPeriod {
    /// 永久, 长期, 短期.
    pub fn zh(self) -> &'static str {
        match self {
            TradeSecretPeriod::Permanent => "永久",
            TradeSecretPeriod::LongTerm => "长期",
            TradeSecretPeriod::ShortTerm => "短期",
        }
    }

    /// permanent, long-term, short-term.
    pub fn en(self) -> &'static str {
        match self {
            TradeSecretPeriod::Permanent => "permanent",
            TradeSecretPeriod::LongTerm => "long-term",
            TradeSecretPeriod::ShortTerm => "short-term",
        }
    }
}
