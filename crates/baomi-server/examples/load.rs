//! Load generator for a running `baomi demo` (or `baomi serve` over demo data): concurrent
//! clients with bearer tokens of demo users, in two phases —
//!
//! * `read`: authorised, audited reads `GET /api/v1/matters/{id}` of an in-force Secret matter
//!   the user may read (found through the user's own matter list);
//! * `write`: audited writes `POST /api/v1/auth/lang` (alternating zh/en), each one a write
//!   transaction with its audit entry.
//!
//! Prints requests/s, p50, p99 and errors per phase, and one `RESULT phase rps p50_ms p99_ms
//! errors` line per phase for scripts (`bench/serve/run.sh`). Not a test: a benchmark.
//!
//! `--base` may list several servers sharing one database, comma-separated: the clients are
//! dealt out over them in turn (as a load balancer spreading connections would), each logging
//! in on and talking to its own server.
//!
//! ```sh
//! cargo run --release -p baomi-server --example load -- --base http://127.0.0.1:8080 \
//!     --clients 64 --duration 10 --warmup 2 --phase read,write
//! ```

use serde_json::{json, Value};
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Demo users who may read at least one in-force Secret matter in the demo data.
const READERS: [&str; 5] = ["li.na", "zhang.wei", "wang.fang", "liu.yang", "chen.jing"];
const PASSWORD: &str = "Baomi2026";

#[derive(Debug)]
struct Options {
    bases: Vec<String>,
    clients: usize,
    duration: Duration,
    warmup: Duration,
    phases: Vec<String>,
}

fn options() -> Result<Options> {
    let mut o = Options {
        bases: vec!["http://127.0.0.1:8080".to_owned()],
        clients: 64,
        duration: Duration::from_secs(10),
        warmup: Duration::from_secs(2),
        phases: vec!["read".to_owned(), "write".to_owned()],
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => {
                o.bases = value()?
                    .split(',')
                    .filter(|b| !b.trim().is_empty())
                    .map(|b| b.trim().trim_end_matches('/').to_owned())
                    .collect();
            }
            "--clients" => o.clients = value()?.parse()?,
            "--duration" => o.duration = Duration::from_secs_f64(value()?.parse()?),
            "--warmup" => o.warmup = Duration::from_secs_f64(value()?.parse()?),
            "--phase" => o.phases = value()?.split(',').map(str::to_owned).collect(),
            "--help" | "-h" => {
                println!(
                    "load [--base URL[,URL…]] [--clients N] [--duration SECS] [--warmup SECS] \
                     [--phase read,write]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if o.bases.is_empty() {
        return Err("--base needs at least one URL".into());
    }
    if o.clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    Ok(o)
}

/// A logged-in client: its server, its own connection pool, bearer token and the matter it
/// reads.
#[derive(Clone)]
struct Client {
    base: String,
    http: reqwest::Client,
    token: String,
    matter: i64,
}

async fn login(base: &str, user: &str) -> Result<(reqwest::Client, String)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .timeout(Duration::from_secs(30))
        .build()?;
    let response = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "login": user, "password": PASSWORD, "bearer": true, "label": "load" }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    let token = body["token"]
        .as_str()
        .ok_or_else(|| format!("login {user}: {status} {body}"))?
        .to_owned();
    Ok((http, token))
}

/// The id of an in-force Secret matter `user` may read, from their own (audited) list.
async fn readable_matter(base: &str, http: &reqwest::Client, token: &str) -> Result<Option<i64>> {
    let response = http
        .get(format!(
            "{base}/api/v1/matters?level=secret&status=in_force&per_page=1"
        ))
        .bearer_auth(token)
        .send()
        .await?;
    if !response.status().is_success() {
        return Ok(None);
    }
    let body: Value = response.json().await?;
    Ok(body["items"].get(0).and_then(|m| m["id"].as_i64()))
}

/// What one phase measured.
struct Measured {
    ok: usize,
    errors: usize,
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

async fn run_phase(clients: &[Client], phase: &str, o: &Options) -> Measured {
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let client = client.clone();
        let base = client.base.clone();
        let phase = phase.to_owned();
        let recording = Arc::clone(&recording);
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let (mut ok, mut errors) = (0usize, 0usize);
            let mut n = index;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let request = if phase == "read" {
                    client
                        .http
                        .get(format!("{base}/api/v1/matters/{}", client.matter))
                } else {
                    let lang = if n.is_multiple_of(2) { "zh" } else { "en" };
                    client
                        .http
                        .post(format!("{base}/api/v1/auth/lang"))
                        .json(&json!({ "lang": lang }))
                };
                let started = Instant::now();
                let result = request.bearer_auth(&client.token).send().await;
                let success = match result {
                    Ok(response) => {
                        let status = response.status();
                        // Read the body: the answer is complete only then.
                        let body = response.bytes().await;
                        status.is_success() && body.is_ok()
                    }
                    Err(_) => false,
                };
                let took = started.elapsed();
                if recording.load(Ordering::Relaxed) {
                    if success {
                        ok += 1;
                        latencies.push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                    } else {
                        errors += 1;
                    }
                }
            }
            (ok, errors, latencies)
        }));
    }
    tokio::time::sleep(o.warmup).await;
    recording.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(o.duration).await;
    recording.store(false, Ordering::SeqCst);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut measured = Measured {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        elapsed,
    };
    for task in tasks {
        match task.await {
            Ok((ok, errors, latencies)) => {
                measured.ok += ok;
                measured.errors += errors;
                measured.latencies_us.extend(latencies);
            }
            Err(_) => measured.errors += 1,
        }
    }
    measured.latencies_us.sort_unstable();
    measured
}

fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us.get(index).copied().unwrap_or(0) as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let o = options()?;
    let base = o.bases.first().cloned().unwrap_or_default();

    // Which demo users may read which matter (each user's own list, as the UI would).
    let mut readers: Vec<(&str, i64)> = Vec::new();
    for user in READERS {
        let (http, token) = login(&base, user).await?;
        if let Some(id) = readable_matter(&base, &http, &token).await? {
            readers.push((user, id));
        }
    }
    if readers.is_empty() {
        return Err(
            "no demo user may read an in-force Secret matter: is this the demo data?".into(),
        );
    }
    let read_path = "GET /api/v1/matters/{id}";
    eprintln!(
        "users and the Secret matter each reads: {}",
        readers
            .iter()
            .map(|(u, id)| format!("{u}→{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // One bearer token per client (logins are argon2id: a few at a time).
    let mut clients = Vec::with_capacity(o.clients);
    for chunk_start in (0..o.clients).step_by(8) {
        let mut logins = Vec::new();
        for index in chunk_start..(chunk_start + 8).min(o.clients) {
            let (user, matter) = readers[index % readers.len()];
            let base = o.bases[index % o.bases.len()].clone();
            logins.push(tokio::spawn(async move {
                login(&base, user).await.map(|(http, token)| Client {
                    base,
                    http,
                    token,
                    matter,
                })
            }));
        }
        for login in logins {
            clients.push(login.await??);
        }
    }

    println!(
        "{} clients, {:.0} s per phase after {:.0} s warm-up, against {}",
        o.clients,
        o.duration.as_secs_f64(),
        o.warmup.as_secs_f64(),
        o.bases.join(", ")
    );
    println!(
        "{:<6} {:<28} {:>10} {:>9} {:>9} {:>9} {:>8}",
        "phase", "request", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let mut results = Vec::new();
    for phase in &o.phases {
        let what = match phase.as_str() {
            "read" => read_path,
            "write" => "POST /api/v1/auth/lang",
            other => return Err(format!("unknown phase {other} (read, write)").into()),
        };
        let m = run_phase(&clients, phase, &o).await;
        let rps = m.ok as f64 / m.elapsed.as_secs_f64();
        let p50 = percentile_ms(&m.latencies_us, 50.0);
        let p99 = percentile_ms(&m.latencies_us, 99.0);
        println!(
            "{:<6} {:<28} {:>10} {:>9.0} {:>9.2} {:>9.2} {:>8}",
            phase, what, m.ok, rps, p50, p99, m.errors
        );
        results.push(format!(
            "RESULT {phase} {rps:.0} {p50:.2} {p99:.2} {}",
            m.errors
        ));
    }
    for line in results {
        println!("{line}");
    }
    Ok(())
}
