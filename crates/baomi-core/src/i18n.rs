//! Bilingual text and rule references shared by every module.
//!
//! User-facing text is Simplified Chinese by default and English on request (DEVELOPERS.md).
//! The core returns typed values; whoever shows them to a person asks for the text in a
//! [`Lang`]. Refusals also name the DOMAIN rule they enforce ([`RuleId`]) so that the UI can
//! show "refused by R3.6" with its explanation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The language a person reads. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Simplified Chinese (zh-CN), the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the Chinese or the English text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Something that can explain itself to a person in either language.
pub trait Describe {
    /// The text in the given language.
    fn describe(&self, lang: Lang) -> String;
}

/// The id of a DOMAIN.md rule, e.g. `R3.6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RuleId(pub &'static str);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A date as a person reads it: `2031年6月30日` in Chinese, `2031-06-30` in English.
pub fn date_text(date: jiff::civil::Date, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.to_string(),
    }
}
