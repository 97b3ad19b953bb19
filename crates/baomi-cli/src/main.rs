//! `baomi` — the command line of the Baomi confidentiality-work platform.
//!
//! Thin glue: parse arguments, call `baomi-core` (or run `baomi-server`), print. Exit codes: 0 success, 1 a check
//! found problems (e.g. a password that misses R4.2), 2 invalid input or usage.

mod commands;

use baomi_core::Lang;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Baomi (保密): confidentiality-work ledgers, approvals and checks.
#[derive(Debug, Parser)]
#[command(name = "baomi", version, about)]
struct Cli {
    /// Language of messages: zh (Simplified Chinese, default) or en.
    #[arg(long, global = true, env = "BAOMI_LANG", default_value = "zh", value_parser = parse_lang)]
    lang: Lang,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Classification marks (DOMAIN R1.1–R1.3): parse and compute status.
    #[command(subcommand)]
    Mark(commands::mark::MarkCommand),
    /// Password policy (DOMAIN R4.2).
    #[command(subcommand)]
    Password(commands::password::PasswordCommand),
    /// Find classification marks and sensitive keywords in files, folders, archives and stdin
    /// (DOMAIN R13.5). Exit 0 nothing found, 1 findings, 2 error.
    Scan(commands::scan::ScanArgs),
    /// The audit log (DOMAIN R13.2): verify the hash chain and signed checkpoints, generate the
    /// checkpoint key, write a signed checkpoint. Exit 0 intact, 1 broken, 2 error.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Run the service (JSON API under /api/v1) on a database until SIGINT/SIGTERM.
    Serve(commands::serve::ServeArgs),
    /// Serve a demo unit in a fresh database and print its accounts and password.
    Demo(commands::demo::DemoArgs),
    /// Set up an installation from the console: units, departments, the three administrators
    /// (DOMAIN R5.3).
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    match s.to_ascii_lowercase().as_str() {
        "zh" | "zh-cn" | "zh_cn" | "cn" => Ok(Lang::Zh),
        "en" | "en-us" | "en_us" | "en-gb" => Ok(Lang::En),
        other => Err(format!("unknown language {other:?} (use zh or en)")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Command::Mark(cmd) => commands::mark::run(cmd, cli.lang),
        Command::Password(cmd) => commands::password::run(cmd, cli.lang),
        Command::Scan(args) => commands::scan::run(args, cli.lang),
        Command::Audit(cmd) => commands::audit::run(cmd, cli.lang),
        Command::Serve(args) => {
            log_to_stderr();
            commands::serve::run(args, cli.lang)
        }
        Command::Demo(args) => {
            log_to_stderr();
            commands::demo::run(args, cli.lang)
        }
        Command::Admin(cmd) => commands::admin::run(cmd, cli.lang),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`baomi … | head`): a clean exit, as ripgrep does.
        Err(e) if e.broken_pipe => ExitCode::SUCCESS,
        Err(e) => {
            // One line on stderr, nothing on stdout (scripts rely on it).
            eprintln!("baomi: {}", e.message.replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

/// The service logs to stderr at the level `BAOMI_LOG` names: `error`, `warn` (the default:
/// internal errors' causes, storage faults, the time-driven rules' problems), `info` (also one
/// line per answered request, with its request id, method, path, status and milliseconds) or
/// `debug`. Every line logged while a request is handled carries the request's span.
fn log_to_stderr() {
    use tracing_subscriber::filter::LevelFilter;
    let level = match std::env::var("BAOMI_LOG")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "error" => LevelFilter::ERROR,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .try_init();
}

/// Help and version go to stdout with exit 0; a usage error is one line on stderr, exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // Printing help can only fail on a closed stdout; nothing useful is left to do then.
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("baomi: {first}");
    ExitCode::from(2)
}
