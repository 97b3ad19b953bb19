//! One module per top-level subcommand.

pub mod mark;
pub mod password;

use jiff::civil::Date;

/// An invalid input or usage: exit code 2 with a one-line message.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
        }
    }
}

/// Parses `YYYY-MM-DD` for clap.
pub fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|e| format!("expected a date as YYYY-MM-DD: {e}"))
}

/// Prints one JSON value on one line.
pub fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
