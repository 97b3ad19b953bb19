//! `baomi demo [--listen ADDR] [--db PATH|URL]`: a realistic demo unit in a FRESH database,
//! served like `baomi serve` on the real clock, with its accounts printed.
//!
//! Without `--db` the database is a new SQLite file in a new directory under the system's
//! temporary directory. `--db PATH` must not exist yet; `--db postgres://…` must name an empty
//! database (the seeding refuses one that already holds units), which is how the benchmark seeds
//! PostgreSQL the same way.

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
}

/// Runs `baomi demo`.
pub fn run(args: DemoArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let config = Config::default();
    runtime(lang)?.block_on(async move {
        let listener = bind(&args.listen, lang).await?;
        let (url, shown) = database(args.db.as_deref(), lang)?;
        // Like `baomi serve`: one service process per SQLite file.
        let _lock = lock_database(&url, lang)?;
        let store = open_store(&url, &config, false, lang).await?;
        let accounts = demo::seed(&store, Timestamp::now()).await.map_err(|e| {
            CliError::new(format!(
                "{}: {}",
                lang.pick("无法写入演示数据", "cannot seed the demo"),
                lang.pick(&e.zh, &e.en)
            ))
        })?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::new(e.to_string()))?;
        print_welcome(&format!("http://{address}/"), &shown, &accounts)?;
        let state = AppState::new(store, config, Clock::System);
        serve_until_signal(listener, state, lang).await
    })
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
