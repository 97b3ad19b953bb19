//! `baomi demo [--listen ADDR] [--db PATH|URL]`: a realistic demo unit in a FRESH database,
//! served like `baomi serve` on the real clock, with its accounts printed.
//!
//! Without `--db` the database is a new SQLite file in a new directory under the system's
//! temporary directory. `--db PATH` must not exist yet; `--db postgres://…` must name an empty
//! database (the seeding refuses one that already holds units), which is how the benchmark seeds
//! PostgreSQL the same way.
//!
//! `--scale N` grows the demo unit through the product's own write path to N more carriers in
//! every state, N/10 more matters, N/50 more people and an audit log of at least 10 N entries
//! (`baomi_server::demo::scale`), printing progress and the build time; `--no-serve` stops
//! after seeding (how `bench/scale/run.sh` builds its databases once).

use super::serve::{bind, lock_database, open_store, runtime, serve_until_signal, DEFAULT_LISTEN};
use super::{out_line, CliError};
use baomi_core::Lang;
use baomi_server::{demo, AppState, Clock, Config};
use clap::Args;
use jiff::Timestamp;
use std::path::PathBuf;
use std::process::ExitCode;
use unicode_width::UnicodeWidthStr;

/// Arguments of `baomi demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// Where to create the demo database: a SQLite file that must not exist yet, or an empty
    /// PostgreSQL database (postgres://…). Default: a new directory under the temp directory.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Grow the demo unit to N more carriers, N/10 matters, N/50 people and at least 10 N audit
    /// entries (deterministic: the same N builds the same unit).
    #[arg(long, value_name = "N")]
    scale: Option<u64>,
    /// Seed (and scale) the database, print what was built, and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

/// Runs `baomi demo`.
pub fn run(args: DemoArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let config = Config::default();
    runtime(lang)?.block_on(async move {
        let listener = if args.no_serve {
            None
        } else {
            Some(bind(&args.listen, lang).await?)
        };
        let (url, shown) = database(args.db.as_deref(), lang)?;
        // Like `baomi serve`: one service process per SQLite file.
        let _lock = lock_database(&url, lang)?;
        let store = open_store(&url, &config, false, lang).await?;
        let now = Timestamp::now();
        let accounts = demo::seed(&store, now).await.map_err(|e| {
            CliError::new(format!(
                "{}: {}",
                lang.pick("无法写入演示数据", "cannot seed the demo"),
                lang.pick(&e.zh, &e.en)
            ))
        })?;
        if let Some(n) = args.scale {
            scale(&store, now, n, lang).await?;
        }
        let Some(listener) = listener else {
            store.close().await;
            out_line(format!(
                "{} {shown}",
                lang.pick("演示数据已写入", "demo seeded into")
            ))?;
            return Ok(ExitCode::SUCCESS);
        };
        let address = listener
            .local_addr()
            .map_err(|e| CliError::new(e.to_string()))?;
        print_welcome(&format!("http://{address}/"), &shown, &accounts)?;
        let state = AppState::new(store, config, Clock::System);
        serve_until_signal(listener, state, lang).await
    })
}

/// `--scale N`: grows the seeded demo, with a progress line on stderr every few seconds and the
/// counts and build time on stdout.
async fn scale(
    store: &baomi_store::Store,
    now: Timestamp,
    n: u64,
    lang: Lang,
) -> Result<(), CliError> {
    let mut last = f64::NEG_INFINITY;
    let report = demo::scale::seed(store, now, n, |p| {
        let finished = p.done >= p.total;
        if finished || p.seconds - last >= 5.0 {
            last = p.seconds;
            let percent = if p.total == 0 {
                100.0
            } else {
                p.done as f64 * 100.0 / p.total as f64
            };
            eprintln!(
                "{} {}: {}/{} ({percent:.0}%), {:.1} s",
                lang.pick("扩充演示数据", "scaling the demo"),
                phase_name(p.phase, lang),
                p.done,
                p.total,
                p.seconds
            );
        }
    })
    .await
    .map_err(|e| {
        CliError::new(format!(
            "{}: {}",
            lang.pick("无法扩充演示数据", "cannot scale the demo"),
            lang.pick(&e.zh, &e.en)
        ))
    })?;
    out_line(match lang {
        Lang::Zh => format!(
            "演示数据已扩充（N = {n}）：人员 {}、部门 {}、定密事项 {}（另有待审定密意见 {}）、\
             载体 {}、审批 {}（其中载体待审批 {}）；审计日志共 {} 条；用时 {:.1} 秒",
            report.people,
            report.departments,
            report.matters,
            report.pending_proposals,
            report.carriers,
            report.approvals,
            report.pending_approvals,
            report.audit_entries,
            report.seconds
        ),
        Lang::En => format!(
            "demo scaled (N = {n}): {} people, {} departments, {} matters (and {} pending \
             proposals), {} carriers, {} approval requests ({} carrier requests pending); the \
             audit log holds {} entries; built in {:.1} s",
            report.people,
            report.departments,
            report.matters,
            report.pending_proposals,
            report.carriers,
            report.approvals,
            report.pending_approvals,
            report.audit_entries,
            report.seconds
        ),
    })
}

fn phase_name(phase: &str, lang: Lang) -> &'static str {
    match phase {
        "people" => lang.pick("人员", "people"),
        "matters" => lang.pick("定密事项", "matters"),
        "carriers" => lang.pick("载体", "carriers"),
        _ => lang.pick("审计日志", "audit log"),
    }
}

/// The database URL to open and how to show it: a new SQLite file (refusing an existing one)
/// or the PostgreSQL URL as given (without its password).
fn database(db: Option<&str>, lang: Lang) -> Result<(String, String), CliError> {
    let path = match db {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            return Ok((url.to_owned(), without_password(url)));
        }
        Some(given) => {
            let file = given
                .strip_prefix("sqlite://")
                .or_else(|| given.strip_prefix("sqlite:"))
                .unwrap_or(given);
            let file = file.split('?').next().unwrap_or(file);
            let path = PathBuf::from(file);
            if path.exists() {
                return Err(CliError::new(format!(
                    "{} {}",
                    lang.pick(
                        "演示只使用新的数据库，文件已存在：",
                        "the demo only uses a new database; the file already exists:"
                    ),
                    path.display()
                )));
            }
            path
        }
        None => fresh_temp_database(lang)?,
    };
    let shown = path.display().to_string();
    Ok((shown.clone(), shown))
}

/// `baomi-demo-<pid>-<seconds>/demo.sqlite` in a directory created for it.
fn fresh_temp_database(lang: Lang) -> Result<PathBuf, CliError> {
    let seconds = Timestamp::now().as_second();
    let dir = std::env::temp_dir().join(format!("baomi-demo-{}-{seconds}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| {
        CliError::new(format!(
            "{} {}: {e}",
            lang.pick("无法创建目录", "cannot create the directory"),
            dir.display()
        ))
    })?;
    Ok(dir.join("demo.sqlite"))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Pads `text` with spaces to `width` display columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_owned();
    for _ in UnicodeWidthStr::width(text)..width {
        out.push(' ');
    }
    out
}

/// Prints the address, the database, the accounts and how to log in: Chinese first, then
/// English, in aligned columns.
fn print_welcome(
    address: &str,
    database: &str,
    accounts: &[demo::DemoAccount],
) -> Result<(), CliError> {
    let login_w = accounts
        .iter()
        .map(|a| a.login.width())
        .chain(["登录名".width(), "login".width()])
        .max()
        .unwrap_or(0);
    let name_w = accounts
        .iter()
        .map(|a| a.name.width())
        .chain(["姓名".width(), "name".width()])
        .max()
        .unwrap_or(0);
    let row = |login: &str, name: &str, what: &str| {
        format!("  {}  {}  {what}", pad(login, login_w), pad(name, name_w))
    };
    let admins: Vec<(&str, &str)> = accounts
        .iter()
        .filter_map(|a| a.totp_secret.map(|s| (a.login, s)))
        .collect();
    let secret_w = admins.iter().map(|(_, s)| s.width()).max().unwrap_or(0);

    let mut lines = vec![
        "Baomi 演示 / Baomi demo".to_owned(),
        String::new(),
        format!("地址：    {address}"),
        format!("数据库：  {database}（演示专用的新数据库）"),
        format!("所有演示账户的密码：{}", demo::DEMO_PASSWORD),
        String::new(),
        row("登录名", "姓名", "身份"),
    ];
    lines.extend(accounts.iter().map(|a| row(a.login, a.name, a.what_zh)));
    lines.push(String::new());
    lines.push(
        "三员（系统管理员、安全保密管理员、安全审计员）登录还须输入动态口令（TOTP）：".to_owned(),
    );
    for (login, secret) in &admins {
        lines.push(format!(
            "  {}  {}  当前口令：baomi admin totp-code {secret}",
            pad(login, login_w),
            pad(secret, secret_w)
        ));
    }
    lines.push(format!(
        "用浏览器打开 {address} ，以上表任一登录名和密码登录；\
         也可用 JSON API（接口说明：{address}api/openapi.json），例如："
    ));
    lines.push(format!(
        "  curl -s {address}api/v1/auth/login -H 'content-type: application/json' \
         -d '{{\"login\":\"li.na\",\"password\":\"{}\"}}'",
        demo::DEMO_PASSWORD
    ));
    lines.push("按 Ctrl-C 停止。".to_owned());
    lines.push(String::new());
    lines.push(format!("Address:   {address}"));
    lines.push(format!(
        "Database:  {database} (a new database, for the demo only)"
    ));
    lines.push(format!(
        "Password of every demo account: {}",
        demo::DEMO_PASSWORD
    ));
    lines.push(String::new());
    lines.push(row("login", "name", "who they are"));
    lines.extend(accounts.iter().map(|a| row(a.login, a.name, a.what_en)));
    lines.push(String::new());
    lines.push("The three administrators also need a one-time code (TOTP) to log in:".to_owned());
    for (login, secret) in &admins {
        lines.push(format!(
            "  {}  {}  current code: baomi admin totp-code {secret}",
            pad(login, login_w),
            pad(secret, secret_w)
        ));
    }
    lines.push(format!(
        "Open {address} in a browser and log in with any login above and the password; \
         or use the JSON API (described at {address}api/openapi.json) as shown above."
    ));
    lines.push("Ctrl-C stops.".to_owned());
    for line in lines {
        out_line(line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_shown_urls() {
        assert_eq!(
            without_password("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(without_password("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn padding_counts_chinese_characters_as_two_columns() {
        assert_eq!(pad("张伟", 6), "张伟  ");
        assert_eq!(pad("li.na", 6), "li.na ");
    }
}
