#!/usr/bin/env bash
# Benchmark for issue 19: `baomi audit verify` on a log of N entries (default 10,000,000), full
# and incremental, SHA-256 and SM3, on SQLite and PostgreSQL, against the target of
# ≥ 1,000,000 entries/s with bounded memory; and the audit pages' queries (p99 < 50 ms).
#
#   bash bench/audit/run.sh                          # N=10M, both backends, both algorithms
#   N=1000000 bash bench/audit/run.sh
#   BACKENDS=sqlite ALGORITHMS=sha256 bash bench/audit/run.sh
#   N_SM3=2000000 bash bench/audit/run.sh            # a smaller SM3 log (the fill is slow)
#   POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test bash bench/audit/run.sh
#   PAGES=0 bash bench/audit/run.sh                  # skip the page latencies
#
# What it does, per backend and algorithm:
#   1. builds `baomi` and the examples audit_fill and audit_pages (release);
#   2. builds the log once through the store's own write path (WriteTx::append_audit_batch,
#      20,000 entries per transaction; crates/baomi-store/examples/audit_fill.rs) and caches
#      it: SQLite in $CACHE/sqlite-ALG-N.sqlite, PostgreSQL in the database
#      baomi_bench_audit_ALG_N next to $POSTGRES_URL (kept for the next run; drop it by hand).
#      After N entries it signs a checkpoint (`baomi audit checkpoint`, key in $CACHE) and
#      appends INCR more entries (default 100,000), so an incremental run has work to do;
#      a cached log is reused as it is;
#   3. times `baomi audit verify --key … --json` (--full, the default, then --incremental)
#      under /usr/bin/time -v: entries verified, the command's own verify time and the whole
#      process's wall time, entries/s beside the 1 M/s target, peak RSS, the command's CPU
#      time (user + system; PostgreSQL's own CPU is not in it);
#   4. with PAGES=1 (default), runs audit_pages: p50/p99/max of each audit page query.
#
# The machine's other load counts: the figures are only as quiet as the machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N="${N:-10000000}"
N_SM3="${N_SM3:-$N}"
INCR="${INCR:-100000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
ALGORITHMS="${ALGORITHMS:-sha256 sm3}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
CACHE="${CACHE:-$ROOT/target/bench-audit}"
PAGES="${PAGES:-1}"
ROUNDS="${ROUNDS:-50}"
TARGET=1000000

log() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
log "building (release)…"
cargo build --release -q -p baomi-cli --bin baomi
cargo build --release -q -p baomi-store --example audit_fill --example audit_pages
BAOMI="$ROOT/target/release/baomi"
FILL="$ROOT/target/release/examples/audit_fill"
PAGES_BIN="$ROOT/target/release/examples/audit_pages"
mkdir -p "$CACHE"
KEY="$CACHE/audit.key"
[[ -f "$KEY" ]] || "$BAOMI" audit keygen --out "$KEY" >/dev/null 2>&1

pg_admin() { psql "$POSTGRES_URL" -Atq "$@"; }
pg_url() { local base="${POSTGRES_URL%%\?*}"; printf '%s/%s' "${base%/*}" "$1"; }

# The database URL of the cached log for backend $1, algorithm $2, N $3 (created if needed).
db_of() {
    local backend="$1" alg="$2" n="$3"
    if [[ "$backend" == sqlite ]]; then
        printf '%s' "$CACHE/sqlite-$alg-$n.sqlite"
    else
        local name="baomi_bench_audit_${alg}_${n}"
        if [[ -z "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]]; then
            pg_admin -c "CREATE DATABASE $name" >/dev/null
        fi
        pg_url "$name"
    fi
}

# Builds (or completes) the cached log: N entries, a signed checkpoint, INCR more.
prepare() {
    local db="$1" alg="$2" n="$3"
    local json last cp
    json="$("$BAOMI" audit verify --db "$db" --key "$KEY.pub" --incremental --json 2>/dev/null || true)"
    cp="$(printf '%s' "$json" | sed -n 's/.*"checkpoint":{"seq":\([0-9]*\).*/\1/p')"
    if [[ -z "$cp" ]]; then
        log "  filling $db to $n entries (cached for later runs)…"
        "$FILL" "$db" "$n" "$alg"
        "$BAOMI" audit checkpoint --db "$db" --key "$KEY" >/dev/null
        cp=$((n + 1))
    fi
    last=$((cp + INCR))
    "$FILL" "$db" "$last" "$alg"
    if [[ "$db" == postgres* ]]; then
        # What autovacuum does on a real server (the test server runs without it): visibility
        # hints set and statistics for the planner. Without it the first read of freshly
        # written rows sets every row's hint bits (verify ran at 166k entries/s, then 343k/s).
        psql "$db" -qc "VACUUM (ANALYZE) audit_log" >/dev/null
    fi
}

# Prints one result row: backend, algorithm, mode, entries, verify s, wall s, rate, RSS.
measure() {
    local backend="$1" alg="$2" db="$3" mode="$4"
    local out err json verified secs wall rss rate ok cpu
    out="$(mktemp)"; err="$(mktemp)"
    /usr/bin/time -v "$BAOMI" audit verify --db "$db" --key "$KEY.pub" "--$mode" --json \
        >"$out" 2>"$err" || true
    json="$(cat "$out")"
    verified="$(printf '%s' "$json" | sed -n 's/.*"verified":\([0-9]*\).*/\1/p')"
    secs="$(printf '%s' "$json" | sed -n 's/.*"seconds":\([0-9.e-]*\).*/\1/p')"
    ok="$(printf '%s' "$json" | sed -n 's/.*"intact":\(true\|false\).*/\1/p')"
    wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$err" \
        | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')"
    rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$err")"
    cpu="$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$err")"
    rate="$(awk -v n="$verified" -v s="$secs" 'BEGIN { if (s > 0) printf "%d", n / s; else print 0 }')"
    printf '%-8s %-6s %-11s %10s %8.2f %8.2f %11s %6s %8s MB %9s %s\n' \
        "$backend" "$alg" "$mode" "$verified" "$secs" "$wall" "$rate" \
        "$(awk -v r="$rate" -v t="$TARGET" 'BEGIN { printf "%.2f×", r / t }')" \
        "$((rss / 1024))" "$cpu" "$([[ "$ok" == true ]] && echo intact || echo "NOT INTACT: $json")"
    rm -f "$out" "$err"
}

RESULTS="$(mktemp)"
PAGE_RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS" "$PAGE_RESULTS"' EXIT
for backend in $BACKENDS; do
    for alg in $ALGORITHMS; do
        n="$N"; [[ "$alg" == sm3 ]] && n="$N_SM3"
        db="$(db_of "$backend" "$alg" "$n")"
        log "$backend $alg: N=$n"
        prepare "$db" "$alg" "$n"
        for mode in full incremental; do
            measure "$backend" "$alg" "$db" "$mode" | tee -a "$RESULTS" >&2
        done
        if [[ "$PAGES" == 1 && "$alg" == sha256 ]]; then
            { echo "== $backend, $n entries"; "$PAGES_BIN" "$db" "$ROUNDS"; } | tee -a "$PAGE_RESULTS" >&2
        fi
    done
done

echo
echo "baomi audit verify — target ≥ 1,000,000 entries/s ($(nproc) cores; load now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-8s %-6s %-11s %10s %8s %8s %11s %6s %11s %9s %s\n' \
    backend alg mode verified "verify s" "wall s" "entries/s" "×1M" "peak RSS" "client CPU s" result
cat "$RESULTS"
if [[ -s "$PAGE_RESULTS" ]]; then
    echo
    echo "audit page queries — target p99 < 50 ms"
    cat "$PAGE_RESULTS"
fi
