//! `baomi serve --db URL [--listen ADDR] [--config FILE]`: the persistent, multi-user, audited
//! service (`baomi-server`) over SQLite or PostgreSQL, until SIGINT or SIGTERM.
//!
//! The configuration (TOML, `baomi_server::config`) fixes the system's level (R13.1: its
//! password policy, R4.2), the audit chain's hash (R13.2), the checkpoint key and the timeouts.
//! A Top Secret system level is refused by the configuration itself (R4.2: Baomi has no
//! biometric or IC card / USB key login).

use super::CliError;
use baomi_core::{Describe, Lang};
use baomi_server::config::ConfigError;
use baomi_server::{AppState, Clock, Config};
use baomi_store::{Store, StoreOptions};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the service listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Arguments of `baomi serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Database URL: a SQLite file path, sqlite:PATH, or postgres://… (created and migrated if
    /// needed).
    #[arg(long, env = "BAOMI_DB")]
    db: String,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// The configuration file (TOML): system_level, hash, signing_key, timeouts…
    #[arg(long, value_name = "FILE", env = "BAOMI_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs `baomi serve`.
pub fn run(args: ServeArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let config = load_config(args.config.as_deref(), lang)?;
    runtime(lang)?.block_on(async move {
        let listener = bind(&args.listen, lang).await?;
        let store = open_store(&args.db, &config, false, lang).await?;
        if config.signing_key.is_none() {
            eprintln!(
                "{}",
                lang.pick(
                    "警告：配置中没有 signing_key，审计检查点不签名，无法发现日志末尾被截断（R13.2）",
                    "warning: no signing_key configured: audit checkpoints are unsigned, so \
                     truncation of the log's tail cannot be detected (R13.2)",
                )
            );
        }
        let state = AppState::new(store, config, Clock::System);
        serve_until_signal(listener, state, lang).await
    })
}

/// Reads and checks the configuration file; no file means the defaults (a Secret system).
pub fn load_config(path: Option<&Path>, lang: Lang) -> Result<Config, CliError> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!(
            "{} {}: {e}",
            lang.pick("无法读取配置文件", "cannot read the configuration file"),
            path.display()
        ))
    })?;
    Config::from_toml(&text).map_err(|e| {
        let why = match (&e, lang) {
            (ConfigError::TopSecretUnsupported, Lang::Zh) => {
                "system_level 不能为 top_secret：绝密级系统须采用生理特征或 IC 卡、USB Key \
                 等强身份鉴别（R4.2），Baomi 不支持这些方式，口令加动态口令（TOTP）不够"
                    .to_owned()
            }
            _ => e.to_string(),
        };
        CliError::new(format!(
            "{} {}: {why}",
            lang.pick("配置文件无效", "invalid configuration file"),
            path.display()
        ))
    })
}

/// The multi-threaded runtime the service runs on.
pub fn runtime(lang: Lang) -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::new(format!(
                "{}: {e}",
                lang.pick("无法启动异步运行时", "cannot start the async runtime")
            ))
        })
}

/// Opens (and migrates) the store with the configuration's audit hash; `existing` refuses a
/// database that is not already a Baomi database.
pub async fn open_store(
    url: &str,
    config: &Config,
    existing: bool,
    lang: Lang,
) -> Result<Store, CliError> {
    let options = StoreOptions {
        algorithm: Some(config.hash),
        existing,
        ..StoreOptions::default()
    };
    Store::open_with(url, options)
        .await
        .map_err(|e| CliError::new(e.describe(lang)))
}

/// Binds the listening socket (before anything else is done, so that a busy port fails fast).
pub async fn bind(listen: &str, lang: Lang) -> Result<tokio::net::TcpListener, CliError> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        CliError::new(format!(
            "{} {listen}: {e}",
            lang.pick("无法监听", "cannot listen on")
        ))
    })
}

/// Logs "listening on http://ADDR" to stderr, starts the background tasks and serves until
/// SIGINT or SIGTERM; then closes the store.
pub async fn serve_until_signal(
    listener: tokio::net::TcpListener,
    state: AppState,
    lang: Lang,
) -> Result<ExitCode, CliError> {
    let address = listener.local_addr().map_err(|e| {
        CliError::new(format!(
            "{}: {e}",
            lang.pick("无法取得监听地址", "cannot read the listening address")
        ))
    })?;
    // The time-driven rules (R1.9 declassification) and the periodic signed checkpoints (R13.2).
    let background = baomi_server::timed::spawn(state.clone());
    let store = state.store.clone();
    eprintln!("listening on http://{address}");
    let served = baomi_server::serve(listener, state, shutdown_signal()).await;
    background.abort();
    let _ = background.await;
    store.close().await;
    served.map_err(|e| {
        CliError::new(format!(
            "{}: {e}",
            lang.pick("服务异常停止", "the service stopped with an error")
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
