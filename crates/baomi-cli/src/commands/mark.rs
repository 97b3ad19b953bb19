//! `baomi mark parse` and `baomi mark status` (DOMAIN R1.1–R1.3, R1.9).

use super::{out_line, parse_date, print_json, CliError};
use baomi_core::marks::{LegalBasis, Mark, Term};
use baomi_core::{Describe, Lang};
use clap::Subcommand;
use jiff::civil::Date;
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum MarkCommand {
    /// Parse a mark (`机密★10年`, `SECRET//2031-06-30`, …) and print it canonically.
    Parse {
        /// The mark text, Chinese or English.
        text: String,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
        /// Accept a period longer than R1.2 allows, on this legal basis.
        #[arg(long, value_name = "BASIS")]
        legal_basis: Option<String>,
    },
    /// Whether a matter with this mark is still classified on a date (R1.9).
    Status {
        /// The mark text, Chinese or English.
        text: String,
        /// The day the matter was classified.
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
        classified_on: Date,
        /// The day to evaluate.
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
        on: Date,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
        /// Accept a period longer than R1.2 allows, on this legal basis.
        #[arg(long, value_name = "BASIS")]
        legal_basis: Option<String>,
    },
}

pub fn run(cmd: MarkCommand, lang: Lang) -> Result<ExitCode, CliError> {
    match cmd {
        MarkCommand::Parse {
            text,
            json,
            legal_basis,
        } => {
            let basis = basis(legal_basis.as_deref(), lang)?;
            let mark = parse(&text, basis.as_ref(), lang)?;
            if json {
                print_json(&json!({
                    "level": mark.level().code(),
                    "term": term_json(mark.term()),
                    "zh": mark.to_zh(),
                    "en": mark.to_en(),
                }))?;
            } else {
                print_human(&mark, lang)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        MarkCommand::Status {
            text,
            classified_on,
            on,
            json,
            legal_basis,
        } => {
            let basis = basis(legal_basis.as_deref(), lang)?;
            let mark = parse(&text, basis.as_ref(), lang)?;
            if on < classified_on {
                return Err(CliError::new(lang.pick(
                    "--on 早于 --classified-on：该日尚未定密",
                    "--on is before --classified-on: the matter was not yet classified",
                )));
            }
            mark.check_against_classification_date(classified_on, basis.as_ref())
                .map_err(|e| CliError::new(e.describe(lang)))?;
            let declassifies_on = mark.declassifies_on(classified_on);
            // R1.9: the matter declassifies by itself on the day its period ends.
            let in_force = declassifies_on.is_none_or(|d| on < d);
            if json {
                print_json(&json!({
                    "in_force": in_force,
                    "declassifies_on": declassifies_on.map(|d| d.to_string()),
                }))?;
            } else {
                let state = match (in_force, lang) {
                    (true, Lang::Zh) => "保密期内",
                    (false, Lang::Zh) => "已解密",
                    (true, Lang::En) => "in force",
                    (false, Lang::En) => "declassified",
                };
                let when = match (declassifies_on, lang) {
                    (Some(d), Lang::Zh) => {
                        format!("{}年{}月{}日解密", d.year(), d.month(), d.day())
                    }
                    (Some(d), Lang::En) => format!("declassifies on {d}"),
                    (None, Lang::Zh) => "无固定解密日期（解密条件或工作秘密）".to_owned(),
                    (None, Lang::En) => {
                        "no fixed declassification date (condition or work secret)".to_owned()
                    }
                };
                out_line(format!("{}: {state}; {when}", mark_text(&mark, lang)))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn basis(text: Option<&str>, lang: Lang) -> Result<Option<LegalBasis>, CliError> {
    match text {
        None => Ok(None),
        Some(t) => LegalBasis::new(t).map(Some).ok_or_else(|| {
            CliError::new(lang.pick("--legal-basis 不能为空", "--legal-basis must not be empty"))
        }),
    }
}

fn parse(text: &str, basis: Option<&LegalBasis>, lang: Lang) -> Result<Mark, CliError> {
    match basis {
        Some(b) => Mark::parse_with_override(text, b),
        None => Mark::parse(text),
    }
    .map_err(|e| CliError::new(e.describe(lang)))
}

fn term_json(term: &Term) -> serde_json::Value {
    match term {
        Term::Years { years } => json!({"kind": "years", "years": years}),
        Term::Until { date } => json!({"kind": "until", "date": date.to_string()}),
        Term::Condition { text } => json!({"kind": "condition", "text": text}),
        Term::Default => json!({"kind": "default"}),
    }
}

fn mark_text(mark: &Mark, lang: Lang) -> String {
    match lang {
        Lang::Zh => mark.to_zh(),
        Lang::En => mark.to_en(),
    }
}

fn print_human(mark: &Mark, lang: Lang) -> Result<(), CliError> {
    let term = match (mark.term(), lang) {
        (Term::Years { years }, Lang::Zh) => format!("{years} 年"),
        (Term::Years { years }, Lang::En) => format!("{years} years"),
        (Term::Until { date }, Lang::Zh) => {
            format!("至 {}年{}月{}日", date.year(), date.month(), date.day())
        }
        (Term::Until { date }, Lang::En) => format!("until {date}"),
        (Term::Condition { text }, Lang::Zh) => format!("解密条件：{text}"),
        (Term::Condition { text }, Lang::En) => format!("until {text}"),
        (Term::Default, Lang::Zh) => match mark.level().longest_period_years() {
            Some(y) => format!("法定最长期限（{y} 年）"),
            None => "无".to_owned(),
        },
        (Term::Default, Lang::En) => match mark.level().longest_period_years() {
            Some(y) => format!("the level's longest period ({y} years)"),
            None => "none".to_owned(),
        },
    };
    let level = mark.level();
    match lang {
        Lang::Zh => {
            out_line(format!("密级：{}（{}）", level.zh(), level.en()))?;
            out_line(format!("保密期限：{term}"))?;
        }
        Lang::En => {
            out_line(format!("level: {} ({})", level.en(), level.zh()))?;
            out_line(format!("period: {term}"))?;
        }
    }
    out_line(format!("中文：{}", mark.to_zh()))?;
    out_line(format!("English: {}", mark.to_en()))
}
