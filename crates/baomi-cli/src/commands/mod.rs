//! One module per top-level subcommand.

pub mod admin;
pub mod audit;
pub mod demo;
pub mod mark;
pub mod password;
pub mod scan;
pub mod serve;

use jiff::civil::Date;

/// An invalid input or usage: exit code 2 with a one-line message; or stdout closed by its
/// reader, which ends the command quietly.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub broken_pipe: bool,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            broken_pipe: false,
        }
    }

    /// An error writing to stdout.
    pub fn output(e: std::io::Error) -> CliError {
        CliError {
            broken_pipe: e.kind() == std::io::ErrorKind::BrokenPipe,
            message: format!("cannot write output: {e}"),
        }
    }
}

/// Writes one line to stdout. Unlike `println!`, a closed pipe is an error value, not a panic.
pub fn out_line(text: impl std::fmt::Display) -> Result<(), CliError> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{text}").map_err(CliError::output)
}

/// Parses `YYYY-MM-DD` for clap.
pub fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|e| format!("expected a date as YYYY-MM-DD: {e}"))
}

/// Prints one JSON value on one line.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    out_line(value)
}
