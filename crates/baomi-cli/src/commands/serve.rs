//! `baomi serve --db URL [--listen ADDR] [--config FILE]`: the persistent, multi-user, audited
//! service (`baomi-server`) over SQLite or PostgreSQL, until SIGINT or SIGTERM.
//!
//! The configuration (TOML, `baomi_server::config`) fixes the system's level (R13.1: its
//! password policy, R4.2), the audit chain's hash (R13.2), the checkpoint key and the timeouts.
//! A Top Secret system level is refused by the configuration itself (R4.2: Baomi has no
//! biometric or IC card / USB key login).
//!
//! Several `baomi serve` processes may share one PostgreSQL database (docs/DEPLOYMENT.md). A
//! SQLite file is served by one process only: a second one is refused by an OS lock on a file
//! beside the database ([`lock_database`]), while the console tools (`baomi admin`, `baomi
//! audit verify`) keep opening the file as before — SQLite serialises their few writes itself.
//!
//! SIGTERM or SIGINT stops accepting connections, lets the requests in flight finish (for at
//! most [`SHUTDOWN_GRACE`]), stops the time-driven rules, closes the store and exits 0.

use super::CliError;
use baomi_core::{Describe, Lang};
use baomi_server::config::ConfigError;
use baomi_server::{AppState, Clock, Config};
use baomi_store::{Store, StoreOptions};
use clap::Args;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

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
        // Held until the process ends (the OS drops it even on SIGKILL).
        let _lock = lock_database(&args.db, lang)?;
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

/// The OS advisory lock that keeps a second service process off a SQLite file; nothing for
/// PostgreSQL. Dropping it (or the process ending, however it ends) releases it.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: Option<File>,
}

/// Takes the service lock of a SQLite database: `<file>.serve.lock` beside it, locked with
/// `flock` and holding this process's id. Two service processes writing one SQLite file would
/// each cache and serialise their own writers, so the second is refused here, with the first
/// one's process id, instead of contending for the file. `baomi admin` and `baomi audit verify`
/// do not take it. The lock file stays after the service ends (removing it would race with a
/// starting service); an unlocked one is just reused.
pub fn lock_database(url: &str, lang: Lang) -> Result<DatabaseLock, CliError> {
    let Some((db, path)) = baomi_store::Backend::sqlite_file(url).and_then(|db| lock_path(&db))
    else {
        // PostgreSQL, or a folder that does not exist (opening the store says so).
        return Ok(DatabaseLock { _file: None });
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            CliError::new(format!(
                "{} {}: {e}",
                lang.pick("无法创建锁文件", "cannot create the lock file"),
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message a second process prints. Best effort: the lock,
            // not the text, is what refuses the second process.
            let _ = file
                .set_len(0)
                .and_then(|()| write!(file, "{}", std::process::id()));
            Ok(DatabaseLock { _file: Some(file) })
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file
                .rewind()
                .and_then(|()| file.read_to_string(&mut holder));
            let holder = holder.trim();
            let pid = if !holder.is_empty() && holder.bytes().all(|b| b.is_ascii_digit()) {
                lang.pick(
                    &format!("（进程号 {holder}）"),
                    &format!(" (process {holder})"),
                )
                .to_owned()
            } else {
                String::new()
            };
            Err(CliError::new(lang.pick(
                &format!(
                    "SQLite 数据库 {} 已由另一个 baomi serve 进程使用{pid}：一个 SQLite 数据库只能\
                     由一个服务进程打开，多台服务器请使用 PostgreSQL。baomi admin 和 baomi \
                     audit verify 在服务运行时仍可使用",
                    db.display()
                ),
                &format!(
                    "the SQLite database {} is already served by another baomi serve \
                     process{pid}: one SQLite database is served by one process only; run \
                     several servers over PostgreSQL. baomi admin and baomi audit verify may \
                     still be used while it runs",
                    db.display()
                ),
            )))
        }
        Err(TryLockError::Error(e)) => Err(CliError::new(format!(
            "{} {}: {e}",
            lang.pick("无法锁定", "cannot lock"),
            path.display()
        ))),
    }
}

/// The database's canonical path and its `<database>.serve.lock`: every spelling of the
/// database (relative, absolute, through a symbolic link) meets the same lock. `None` when the
/// folder does not exist.
fn lock_path(db: &Path) -> Option<(PathBuf, PathBuf)> {
    let db = match std::fs::canonicalize(db) {
        Ok(db) => db,
        // Not created yet: its folder's canonical path.
        Err(_) => {
            let parent = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::canonicalize(parent).ok()?.join(db.file_name()?)
        }
    };
    let mut name = db.file_name()?.to_os_string();
    name.push(".serve.lock");
    let lock = db.with_file_name(name);
    Some((db, lock))
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

/// How long requests in flight may still run after SIGTERM/SIGINT before the process exits
/// anyway (a load balancer's drain period is usually about as long; an export of a large
/// ledger fits well inside it).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Logs "listening on http://ADDR" to stderr, starts the background tasks and serves until
/// SIGINT or SIGTERM. Then: no new connection is accepted (the listening socket is closed at
/// once, so a load balancer's next attempt goes elsewhere), idle keep-alive connections are
/// closed, every request in flight is answered (for at most [`SHUTDOWN_GRACE`]), the
/// time-driven rules stop and the store is closed.
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
    let signals = shutdown_signal();
    eprintln!("listening on http://{address}");
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        signals.await;
        eprintln!("shutting down: finishing the requests in flight");
        let _ = signalled.send(());
    };
    let serving = baomi_server::serve(listener, state, signal);
    let grace_over = async move {
        match on_signal.await {
            Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
            // Serving ended without a signal: `serving` has resolved, this never wins.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let served = tokio::select! {
        served = serving => served,
        () = grace_over => {
            eprintln!(
                "shutting down: requests still in flight after {} s were cut off",
                SHUTDOWN_GRACE.as_secs()
            );
            Ok(())
        }
    };
    // Each time-driven change is one transaction with its audit entry: stopping the task
    // between its awaits rolls back at most the change it was making, never half of one.
    background.abort();
    let _ = background.await;
    store.close().await;
    served.map_err(|e| {
        CliError::new(format!(
            "{}: {e}",
            lang.pick("服务异常停止", "the service stopped with an error")
        ))
    })?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Registers the SIGINT and SIGTERM handlers now and answers a future that resolves on the
/// first of them. Registering before "listening on" is printed matters: a signal that arrives
/// before registration kills the process with the default action instead of shutting it down
/// gracefully (a supervisor stopping a server right after start-up, a test).
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
