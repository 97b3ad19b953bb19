//! `baomi audit` — verify the audit log and manage its signed checkpoints (DOMAIN R13.2).
//!
//! * `baomi audit verify --db URL [--key FILE] [--json] [--full | --incremental]` checks the
//!   hash chain and, with the key, every stored checkpoint's signature and the chain against
//!   the latest validly signed checkpoint (detecting truncation of the tail). Exit 0 intact,
//!   1 a break or an invalid signature (the first broken entry is named), 2 usage or
//!   connection errors. The log is read in pieces on every core (issue 19).
//!
//!   **The default is `--full`**: every entry from the first, so a row edited in place however
//!   long ago is found — the auditor's check, and at ≥ 1 M entries/s affordable on ten million
//!   entries. `--incremental` (with `--key`) reads only the entries after the latest validly
//!   signed checkpoint, trusting its signed hash for the ones before: for frequent checks
//!   between full ones; an old row edited in place (its stored hash kept) is not seen by it.
//! * `baomi audit keygen --out FILE` writes a new Ed25519 signing key (mode 0600) and its public
//!   key (`FILE.pub`), and prints the public key.
//! * `baomi audit checkpoint --db URL --key FILE` signs the current head now (until
//!   `baomi serve` does it periodically).

use super::{out_line, print_json, CliError};
use baomi_core::audit::check_stored_checkpoint;
use baomi_core::audit::{from_hex, to_hex, Actor, ChainBreak, Checkpoint, Digest};
use baomi_core::{Describe, Lang};
use baomi_store::checkpoint::{
    load_verifying_key, public_path, signature_is_valid, verify_with_key_in, AuditReport,
    SigningKeyFile, VerifyScope,
};
use baomi_store::{Store, StoreOptions};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `baomi audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the whole audit log (R13.2). Exit 0 intact, 1 broken, 2 error.
    Verify(VerifyArgs),
    /// Generate an Ed25519 checkpoint signing key (FILE, mode 0600) and FILE.pub.
    Keygen(KeygenArgs),
    /// Write a signed checkpoint of the audit log's current head.
    Checkpoint(CheckpointArgs),
}

/// Arguments of `baomi audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Database URL: a SQLite file path, sqlite:PATH, or postgres://…
    #[arg(long, env = "BAOMI_DB")]
    db: String,
    /// The checkpoint key: the public key file (FILE.pub) or the signing key file. Without it
    /// truncation of the log's tail cannot be detected.
    #[arg(long)]
    key: Option<PathBuf>,
    /// A signed checkpoint kept OUTSIDE the database (the JSON `baomi audit checkpoint`
    /// prints). Checkpoints stored in the database can be deleted together with the tail of the
    /// log by someone who controls the database; one kept by the auditor cannot.
    #[arg(long, requires = "key", value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Read every entry from the first (the default): finds a row edited however long ago.
    #[arg(long, conflicts_with = "incremental")]
    full: bool,
    /// Read only the entries after the latest checkpoint signed with --key, trusting its
    /// signature for the ones before (fast; a row edited in place before it is not seen —
    /// run --full for that).
    #[arg(long, requires = "key")]
    incremental: bool,
}

/// The result of checking the log against the auditor's own checkpoint file.
#[derive(Debug)]
struct ExternalCheck {
    seq: u64,
    signature_valid: bool,
    chain_break: Option<ChainBreak>,
}

impl ExternalCheck {
    fn intact(&self) -> bool {
        self.signature_valid && self.chain_break.is_none()
    }
}

/// Reads a checkpoint file as printed by `baomi audit checkpoint`.
fn read_checkpoint_file(path: &Path, lang: Lang) -> Result<(Checkpoint, Vec<u8>), CliError> {
    let bad = |what: String| {
        CliError::new(format!(
            "{} {}: {what}",
            lang.pick("检查点文件无效", "invalid checkpoint file"),
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let field = |name: &str| {
        v.get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad(format!("missing {name}")))
    };
    let checkpoint = Checkpoint {
        algorithm: field("algorithm")?
            .parse()
            .map_err(|e: baomi_core::audit::AuditError| bad(e.to_string()))?,
        seq: v
            .get("seq")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| bad("missing seq".to_owned()))?,
        head_hash: Digest::from_hex(field("head_hash")?).map_err(|e| bad(e.to_string()))?,
        at: field("at")?
            .parse()
            .map_err(|e: jiff::Error| bad(e.to_string()))?,
    };
    let signature = from_hex(field("signature")?).map_err(|e| bad(e.to_string()))?;
    Ok((checkpoint, signature))
}

/// Arguments of `baomi audit keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the signing key (must not exist); the public key goes to FILE.pub.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `baomi audit checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Database URL: a SQLite file path, sqlite:PATH, or postgres://…
    #[arg(long, env = "BAOMI_DB")]
    db: String,
    /// The signing key file (mode 0600).
    #[arg(long)]
    key: PathBuf,
}

/// Runs an `audit` subcommand.
pub fn run(cmd: AuditCommand, lang: Lang) -> Result<ExitCode, CliError> {
    match cmd {
        AuditCommand::Keygen(args) => keygen(&args, lang),
        AuditCommand::Verify(args) => block_on(verify(args, lang)),
        AuditCommand::Checkpoint(args) => block_on(checkpoint(args, lang)),
    }
}

fn block_on<F: std::future::Future<Output = Result<ExitCode, CliError>>>(
    future: F,
) -> Result<ExitCode, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(future)
}

fn keygen(args: &KeygenArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let key = SigningKeyFile::generate(&args.out).map_err(|e| CliError::new(e.describe(lang)))?;
    out_line(key.verifying_key_hex())?;
    eprintln!(
        "{}",
        lang.pick(
            &format!(
                "已写入签名密钥 {}（权限 600，请保存在数据库之外）和公钥 {}",
                args.out.display(),
                public_path(&args.out).display()
            ),
            &format!(
                "wrote the signing key {} (mode 600, keep it outside the database) and the public key {}",
                args.out.display(),
                public_path(&args.out).display()
            ),
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// Opens an existing database only: a mistyped path is an error, never a new empty log.
async fn open(db: &str, lang: Lang) -> Result<Store, CliError> {
    let options = StoreOptions {
        existing: true,
        ..StoreOptions::default()
    };
    Store::open_with(db, options)
        .await
        .map_err(|e| CliError::new(e.describe(lang)))
}

async fn checkpoint(args: CheckpointArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let key = SigningKeyFile::load(&args.key).map_err(|e| CliError::new(e.describe(lang)))?;
    let store = open(&args.db, lang).await?;
    let written = store
        .write_signed_checkpoint(jiff::Timestamp::now(), Actor::System, &key)
        .await;
    store.close().await;
    let (cp, signature) = written.map_err(|e| CliError::new(e.describe(lang)))?;
    print_json(&serde_json::json!({
        "seq": cp.seq,
        "head_hash": cp.head_hash.to_hex(),
        "algorithm": cp.algorithm.name(),
        "at": cp.at.to_string(),
        "signature": to_hex(&signature),
        "public_key": key.verifying_key_hex(),
    }))?;
    Ok(ExitCode::SUCCESS)
}

async fn verify(args: VerifyArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let key = match &args.key {
        Some(path) => Some(load_verifying_key(path).map_err(|e| CliError::new(e.describe(lang)))?),
        None => None,
    };
    let external = match &args.checkpoint {
        Some(path) => Some(read_checkpoint_file(path, lang)?),
        None => None,
    };
    let scope = if args.incremental && !args.full {
        VerifyScope::FromSignedCheckpoint
    } else {
        VerifyScope::Full
    };
    let store = open(&args.db, lang).await?;
    let started = std::time::Instant::now();
    let report = verify_with_key_in(&store, key.as_ref(), scope).await;
    let elapsed = started.elapsed();
    let external = match (external, &key) {
        (Some((checkpoint, signature)), Some(key)) => {
            let seq = checkpoint.seq;
            if signature_is_valid(key, &checkpoint, &signature) {
                external_check(&store, report.as_ref().ok(), checkpoint)
                    .await
                    .map(|chain_break| {
                        Some(ExternalCheck {
                            seq,
                            signature_valid: true,
                            chain_break,
                        })
                    })
            } else {
                Ok(Some(ExternalCheck {
                    seq,
                    signature_valid: false,
                    chain_break: None,
                }))
            }
        }
        _ => Ok(None),
    };
    store.close().await;
    let report = report.map_err(|e| CliError::new(e.describe(lang)))?;
    let external = external.map_err(|e| CliError::new(e.describe(lang)))?;
    let intact = report.intact() && external.as_ref().is_none_or(ExternalCheck::intact);
    let verified = report.chain.as_ref().map_or(0, |v| v.count);
    let seconds = elapsed.as_secs_f64();
    if args.json {
        let mut json = report_json(&report);
        if let Some(obj) = json.as_object_mut() {
            obj.insert("intact".into(), serde_json::json!(intact));
            obj.insert(
                "mode".into(),
                serde_json::json!(if report.verified_after.is_some() {
                    "incremental"
                } else {
                    "full"
                }),
            );
            obj.insert(
                "verified_after".into(),
                serde_json::json!(report.verified_after),
            );
            obj.insert("verified".into(), serde_json::json!(verified));
            obj.insert("seconds".into(), serde_json::json!(seconds));
            obj.insert(
                "external_checkpoint".into(),
                external_json(external.as_ref()),
            );
            if report.first_break().is_none() {
                if let Some(b) = external.as_ref().and_then(|x| x.chain_break.as_ref()) {
                    obj.insert("first_break".into(), break_json(b));
                }
            }
        }
        print_json(&json)?;
    } else {
        print_text(&report, external.as_ref(), intact, lang)?;
        let rate = if seconds > 0.0 {
            format!("{:.0}", verified as f64 / seconds)
        } else {
            "-".to_owned()
        };
        let line = match report.verified_after {
                Some(after) => lang.pick(
                    &format!(
                        "增量校验：只读取第 {after} 条（已签名检查点）之后的 {verified} 条，用时 {seconds:.2} 秒（每秒 {rate} 条）；之前的条目未重新读取，请定期使用 --full 完整校验"
                    ),
                    &format!(
                        "incremental: read the {verified} entries after the signed checkpoint at entry {after} in {seconds:.2} s ({rate} entries/s); earlier entries were not re-read — run --full regularly"
                    ),
                )
                .to_owned(),
                None => lang.pick(
                    &format!("完整校验：读取 {verified} 条，用时 {seconds:.2} 秒（每秒 {rate} 条）"),
                    &format!("full: read {verified} entries in {seconds:.2} s ({rate} entries/s)"),
                )
                .to_owned(),
            };
        eprintln!("{line}");
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The log against the auditor's own checkpoint (validly signed). When the run just made
/// found the chain intact, that is a comparison with the log's entry at the checkpoint's `seq`
/// — what a whole run against the checkpoint would add (truncation or a rewritten log);
/// otherwise the log is verified against it again, to name its own first break.
async fn external_check(
    store: &Store,
    report: Option<&AuditReport>,
    checkpoint: Checkpoint,
) -> Result<Option<ChainBreak>, baomi_store::StoreError> {
    let verified = report.and_then(|r| r.chain.as_ref().ok());
    match verified {
        Some(v) if v.head.algorithm == checkpoint.algorithm => {
            let last_seq = v.head.seq;
            let entry_hash = if checkpoint.seq == 0 {
                Some(Digest::ZERO)
            } else if checkpoint.seq <= last_seq {
                let mut tx = store.read().await?;
                let entries = tx.audit_entries(checkpoint.seq, 1).await?;
                tx.finish().await?;
                entries
                    .first()
                    .filter(|e| e.seq == checkpoint.seq)
                    .map(|e| e.hash)
            } else {
                None
            };
            Ok(check_stored_checkpoint(&checkpoint, last_seq, entry_hash).err())
        }
        _ => Ok(store.verify_audit_against(Some(checkpoint)).await?.err()),
    }
}

/// The `--json` object.
fn report_json(report: &AuditReport) -> serde_json::Value {
    let contradicted = report
        .contradicted_checkpoint
        .map(|c| serde_json::json!({ "seq": c.checkpoint.seq, "signature": c.signature.code() }));
    let checkpoint = report.latest_checkpoint.map(|c| {
        serde_json::json!({
            "seq": c.checkpoint.seq,
            "signature": c.signature.code(),
        })
    });
    let first_break = report.first_break().map(break_json);
    serde_json::json!({
        "intact": report.intact(),
        "entries": report.entries,
        "checkpoint": checkpoint,
        "truncation_checked": report.truncation_checked(),
        "signature_invalid": report.bad_signature.map(|s| serde_json::json!({
            "seq": s.seq,
            "message_zh": s.describe(Lang::Zh),
            "message_en": s.describe(Lang::En),
        })),
        "first_break": first_break,
        "signatures_checked": report.key_given,
        "checkpoints_compared": report.checkpoints_compared,
        "contradicted_checkpoint": contradicted,
    })
}

/// A chain break as JSON.
fn break_json(b: &ChainBreak) -> serde_json::Value {
    serde_json::json!({
        "seq": b.seq,
        "kind": break_code(&b.kind),
        "message_zh": b.describe(Lang::Zh),
        "message_en": b.describe(Lang::En),
    })
}

/// The `external_checkpoint` member of the `--json` object (null without `--checkpoint`).
fn external_json(external: Option<&ExternalCheck>) -> serde_json::Value {
    match external {
        None => serde_json::Value::Null,
        Some(x) => serde_json::json!({
            "seq": x.seq,
            "signature": if x.signature_valid { "valid" } else { "invalid" },
            "intact": x.intact(),
        }),
    }
}

/// The stable snake_case code of a break kind (its serde tag).
fn break_code(kind: &baomi_core::audit::BreakKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn print_text(
    report: &AuditReport,
    external: Option<&ExternalCheck>,
    intact: bool,
    lang: Lang,
) -> Result<(), CliError> {
    out_line(lang.pick(
        &format!("审计日志共 {} 条", report.entries),
        &format!("audit log: {} entries", report.entries),
    ))?;
    if let Some(c) = report.latest_checkpoint {
        out_line(lang.pick(
            &format!(
                "最新检查点：第 {} 条，{}",
                c.checkpoint.seq,
                c.signature.zh()
            ),
            &format!(
                "latest checkpoint: entry {}, {}",
                c.checkpoint.seq,
                c.signature.en()
            ),
        ))?;
    }
    if let Some(bad) = report.bad_signature {
        out_line(bad.describe(lang))?;
    }
    // What was and was not checked (R13.2): stored checkpoints are compared with the log even
    // when their signatures cannot be verified.
    if report.latest_checkpoint.is_some() {
        let n = report.checkpoints_compared;
        if report.key_given {
            out_line(lang.pick(
                &format!("已核验检查点签名；已将 {n} 个存储的检查点与日志比对"),
                &format!(
                    "checkpoint signatures checked; {n} stored checkpoints compared with the log"
                ),
            ))?;
        } else {
            out_line(lang.pick(
                &format!("检查点签名未核验（未提供 --key）；已将 {n} 个存储的检查点与日志比对"),
                &format!(
                    "checkpoint signatures not verified (no --key given); {n} stored checkpoints compared with the log"
                ),
            ))?;
        }
    }
    if let Some(c) = report.contradicted_checkpoint {
        out_line(lang.pick(
            &format!(
                "日志与第 {} 条处存储的检查点（{}）矛盾",
                c.checkpoint.seq,
                c.signature.zh()
            ),
            &format!(
                "the log contradicts the stored checkpoint at entry {} ({})",
                c.checkpoint.seq,
                c.signature.en()
            ),
        ))?;
    }
    if let Some(brk) = report.first_break() {
        out_line(lang.pick(
            &format!("首个被破坏的条目：第 {} 条", brk.seq),
            &format!("first broken entry: {}", brk.seq),
        ))?;
        out_line(brk.describe(lang))?;
    }
    if let Some(x) = external {
        out_line(lang.pick(
            &format!(
                "审计员保存的检查点：第 {} 条，签名{}",
                x.seq,
                if x.signature_valid {
                    "有效"
                } else {
                    "无效"
                }
            ),
            &format!(
                "auditor's checkpoint: entry {}, signature {}",
                x.seq,
                if x.signature_valid {
                    "valid"
                } else {
                    "INVALID"
                }
            ),
        ))?;
        if let (None, Some(brk)) = (report.first_break(), &x.chain_break) {
            out_line(lang.pick(
                &format!("首个被破坏的条目：第 {} 条", brk.seq),
                &format!("first broken entry: {}", brk.seq),
            ))?;
            out_line(brk.describe(lang))?;
        }
    }
    if !report.truncation_checked() && external.is_none() {
        let why = if report.key_given {
            lang.pick(
                "注意：没有可用公钥验证的签名检查点，无法发现末尾条目被删除",
                "notice: no checkpoint signed with this key, so removal of entries from the end cannot be detected",
            )
        } else {
            lang.pick(
                "注意：未提供 --key，只校验了哈希链，无法发现末尾条目被删除",
                "notice: no --key given: only the hash chain was checked; removal of entries from the end cannot be detected",
            )
        };
        eprintln!("{why}");
    }
    out_line(if intact {
        lang.pick("完好", "intact")
    } else {
        lang.pick("已被破坏", "BROKEN")
    })
}
