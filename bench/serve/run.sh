#!/usr/bin/env bash
# Benchmark for issue 3: the service's authorised, audited reads and audited writes over HTTP at
# 64 concurrent clients, on SQLite and on PostgreSQL, with p50/p99 latency.
#
#   bash bench/serve/run.sh                     # 64 clients, 10 s per phase, both backends
#   CLIENTS=32 DURATION=20 bash bench/serve/run.sh
#   BACKENDS=sqlite bash bench/serve/run.sh
#   POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test bash bench/serve/run.sh
#   BASELINE=/path/to/older/baomi bash bench/serve/run.sh   # the same phases with an older
#                                                           # binary first, side by side
#
# What it does:
#   1. builds `baomi` and the load generator (crates/baomi-server/examples/load.rs) in release;
#   2. SQLite: `baomi demo --db $BENCH_DIR/demo.sqlite` (a fresh file, the demo data);
#      PostgreSQL: creates a fresh database next to $POSTGRES_URL and seeds it the same way with
#      `baomi demo --db postgres://…/baomi_bench_…` (the demo seeds an empty PostgreSQL
#      database too), dropped afterwards;
#   3. against each, runs the load generator: phase `read` = GET /api/v1/matters/{id} of an
#      in-force Secret matter the user may read (access decision by baomi-core, the read audited
#      in a group commit before the answer), phase `write` = POST /api/v1/auth/lang (one write
#      transaction with its audit entry per request); each phase WARMUP s then DURATION s;
#   4. prints a comparison table with the issue's targets: ≥ 5,000 reads/s with p99 < 20 ms and
#      ≥ 1,000 audited writes/s on SQLite.
#
# The load generator runs on the same machine as the server and takes its share of the CPU.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/baomi-bench-serve}"
CLIENTS="${CLIENTS:-64}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
BACKENDS="${BACKENDS:-sqlite postgres}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${PORT:-18089}"

log() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
log "building (release)…"
cargo build --release -q -p baomi-cli --bin baomi
cargo build --release -q -p baomi-server --example load
BAOMI="$ROOT/target/release/baomi"
LOAD="$ROOT/target/release/examples/load"
BASELINE="${BASELINE:-}"

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
SERVER_PID=""
PG_DB=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [[ -n "$PG_DB" ]]; then psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# Starts `baomi demo --db $1` and waits for its "listening on" line.
start_demo() {
    local db="$1" log_file="$2"
    "$BAOMI" demo --db "$db" --listen "127.0.0.1:$PORT" >"$log_file.out" 2>"$log_file" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        if grep -q '^listening on ' "$log_file"; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$log_file" >&2; return 1; fi
        sleep 0.1
    done
    log "the demo did not start"; cat "$log_file" >&2; return 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

declare -A RESULT
run_backend() {
    local backend="$1" label="${2:-$1}" db
    case "$backend" in
        sqlite) db="$BENCH_DIR/demo.sqlite" ;;
        postgres)
            PG_DB="baomi_bench_$$_$(date +%s)"
            psql "$POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB" >/dev/null
            db="${POSTGRES_URL%/*}/$PG_DB"
            ;;
        *) log "unknown backend $backend"; return 1 ;;
    esac
    log "== $label: baomi demo --db $db"
    rm -f "$db" "$db-wal" "$db-shm"
    start_demo "$db" "$BENCH_DIR/$label.log"
    "$LOAD" --base "http://127.0.0.1:$PORT" --clients "$CLIENTS" --duration "$DURATION" \
        --warmup "$WARMUP" --phase read,write | tee "$BENCH_DIR/$label.txt"
    stop_server
    while read -r _ phase rps p50 p99 errors; do
        RESULT["$label,$phase"]="$rps $p50 $p99 $errors"
    done < <(grep '^RESULT ' "$BENCH_DIR/$label.txt")
    if [[ "$backend" == postgres ]]; then
        psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
        PG_DB=""
    fi
}

LABELS=""
for backend in $BACKENDS; do
    if [[ -n "$BASELINE" ]]; then
        CURRENT="$BAOMI"; BAOMI="$BASELINE"
        run_backend "$backend" "$backend-base"
        BAOMI="$CURRENT"
        LABELS="$LABELS $backend-base"
    fi
    run_backend "$backend"
    LABELS="$LABELS $backend"
done

echo
echo "baomi serve over HTTP, $CLIENTS concurrent clients, ${DURATION} s per phase ($(nproc) cores, load generator on the same machine)"
[[ -n "$BASELINE" ]] && echo "(*-base: $BASELINE)"
printf '%-14s %-6s %10s %9s %9s %7s   %s\n' backend phase "req/s" "p50 ms" "p99 ms" errors target
for backend in $LABELS; do
    for phase in read write; do
        read -r rps p50 p99 errors <<<"${RESULT["$backend,$phase"]:-- - - -}"
        target="-"
        if [[ "$backend" == sqlite && "$phase" == read ]]; then
            target="≥ 5000 req/s, p99 < 20 ms: $(awk -v r="$rps" -v p="$p99" 'BEGIN { print (r >= 5000 && p < 20) ? "met" : "NOT met" }')"
        elif [[ "$backend" == sqlite && "$phase" == write ]]; then
            target="≥ 1000 req/s: $(awk -v r="$rps" 'BEGIN { print (r >= 1000) ? "met" : "NOT met" }')"
        fi
        printf '%-14s %-6s %10s %9s %9s %7s   %s\n' "$backend" "$phase" "$rps" "$p50" "$p99" "$errors" "$target"
    done
done
