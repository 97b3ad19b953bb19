//! `baomi password check` (DOMAIN R4.2): the password comes from standard input, never from
//! the command line (argv is visible to every user of the machine and lands in shell history).

use super::{out_line, parse_date, CliError};
use baomi_core::devices::{check_password, PasswordAge, SecondFactor};
use baomi_core::marks::Level;
use baomi_core::{Describe, Lang};
use clap::{Subcommand, ValueEnum};
use jiff::civil::Date;
use std::io::Read;
use std::process::ExitCode;

/// The longest password read from stdin; anything longer is an input error, not a password.
const MAX_PASSWORD_BYTES: u64 = 4096;

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Check the password on stdin against R4.2 for a level: exit 0 if it complies, 1 and one
    /// unmet requirement per line if not.
    Check {
        /// The level of the computer or system.
        #[arg(long, value_enum)]
        level: PolicyLevel,
        /// The second factor used with the password, if any.
        #[arg(long, value_enum)]
        second_factor: Option<Factor>,
        /// The day the password was last changed (needs --on).
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD", requires = "on")]
        last_changed: Option<Date>,
        /// The day of the check (needs --last-changed).
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD", requires = "last_changed")]
        on: Option<Date>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum PolicyLevel {
    Secret,
    Confidential,
    TopSecret,
}

impl From<PolicyLevel> for Level {
    fn from(l: PolicyLevel) -> Level {
        match l {
            PolicyLevel::Secret => Level::Secret,
            PolicyLevel::Confidential => Level::Confidential,
            PolicyLevel::TopSecret => Level::TopSecret,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Factor {
    IcCard,
    UsbKey,
    Biometric,
    Otp,
}

impl From<Factor> for SecondFactor {
    fn from(f: Factor) -> SecondFactor {
        match f {
            Factor::IcCard => SecondFactor::IcCard,
            Factor::UsbKey => SecondFactor::UsbKey,
            Factor::Biometric => SecondFactor::Biometric,
            Factor::Otp => SecondFactor::OneTimePassword,
        }
    }
}

pub fn run(cmd: PasswordCommand, lang: Lang) -> Result<ExitCode, CliError> {
    let PasswordCommand::Check {
        level,
        second_factor,
        last_changed,
        on,
    } = cmd;
    let age = match (last_changed, on) {
        (Some(last_changed), Some(on)) if on < last_changed => {
            return Err(CliError::new(lang.pick(
                "--on 早于 --last-changed：检查日不能早于上次更换日",
                "--on is before --last-changed: the check cannot precede the change",
            )))
        }
        (Some(last_changed), Some(on)) => Some(PasswordAge { last_changed, on }),
        _ => None,
    };
    let password = read_password(lang)?;
    let problems = check_password(level.into(), &password, second_factor.map(Into::into), age);
    for p in &problems {
        out_line(p.describe(lang))?;
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads one password: the whole of stdin less one trailing line break.
pub(crate) fn read_password(lang: Lang) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_PASSWORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            CliError::new(format!(
                "{}: {e}",
                lang.pick("无法读取标准输入", "cannot read stdin")
            ))
        })?;
    if bytes.len() as u64 > MAX_PASSWORD_BYTES {
        return Err(CliError::new(lang.pick(
            "标准输入过长，不是一个口令",
            "standard input is too long to be a password",
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::new(lang.pick(
            "口令不是有效的 UTF-8 文本",
            "the password is not valid UTF-8",
        ))
    })?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if text.contains(['\n', '\r']) {
        return Err(CliError::new(lang.pick(
            "标准输入应只含一行口令",
            "standard input must hold one line: the password",
        )));
    }
    Ok(text.to_owned())
}
