//! `baomi password check` (DOMAIN R4.2). Written once the devices module lands.
use super::CliError;
use baomi_core::Lang;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {}

pub fn run(cmd: PasswordCommand, _lang: Lang) -> Result<ExitCode, CliError> {
    match cmd {}
}
