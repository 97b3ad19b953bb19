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
#   SERVERS=3 bash bench/serve/run.sh           # several servers, one PostgreSQL database:
#                                               # 1, 2, … 3 `baomi serve` processes, side by side
#
# SERVERS=N (issue 12): PostgreSQL only. For n = 1 … N: a fresh database seeded by `baomi demo`
# (server 1), n − 1 more `baomi serve --db` on it (ports PORT+1…), the load generator's clients
# dealt out over the n servers (`--base URL1,URL2,…`), phases `write` then `read`; then a table
# of audited writes/s and reads/s per n. All servers, PostgreSQL and the load generator share
# this machine's cores, so the table shows what more processes cost or gain *here*; on
# separate machines the servers' CPU adds up and the database's writer becomes the limit.
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
SERVERS="${SERVERS:-}"

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
EXTRA_PIDS=()
PG_DB=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
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

# Starts `baomi serve --db $1 --listen 127.0.0.1:$2` and waits for its "listening on" line.
start_serve() {
    local db="$1" port="$2" log_file="$3" pid
    "$BAOMI" serve --db "$db" --listen "127.0.0.1:$port" >"$log_file.out" 2>"$log_file" &
    pid=$!
    EXTRA_PIDS+=("$pid")
    for _ in $(seq 1 300); do
        if grep -q '^listening on ' "$log_file"; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then cat "$log_file" >&2; return 1; fi
        sleep 0.1
    done
    log "baomi serve did not start"; cat "$log_file" >&2; return 1
}

stop_extra() {
    for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    EXTRA_PIDS=()
}

# SERVERS=N: 1 … N servers over one fresh PostgreSQL database each time.
if [[ -n "$SERVERS" ]]; then
    if ! [[ "$SERVERS" =~ ^[1-9][0-9]*$ ]]; then log "SERVERS must be a positive number"; exit 2; fi
    declare -A MULTI
    for n in $(seq 1 "$SERVERS"); do
        PG_DB="baomi_bench_$$_$(date +%s)_$n"
        psql "$POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB" >/dev/null
        db="${POSTGRES_URL%/*}/$PG_DB"
        log "== $n server(s) on $db"
        start_demo "$db" "$BENCH_DIR/servers-$n-1.log"
        bases="http://127.0.0.1:$PORT"
        for i in $(seq 2 "$n"); do
            start_serve "$db" $((PORT + i - 1)) "$BENCH_DIR/servers-$n-$i.log"
            bases="$bases,http://127.0.0.1:$((PORT + i - 1))"
        done
        "$LOAD" --base "$bases" --clients "$CLIENTS" --duration "$DURATION" \
            --warmup "$WARMUP" --phase write,read | tee "$BENCH_DIR/servers-$n.txt"
        stop_extra
        stop_server
        while read -r _ phase rps p50 p99 errors; do
            MULTI["$n,$phase"]="$rps $p50 $p99 $errors"
        done < <(grep '^RESULT ' "$BENCH_DIR/servers-$n.txt")
        psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
        PG_DB=""
    done
    echo
    echo "n × baomi serve over one PostgreSQL database, $CLIENTS clients dealt out over the servers, ${DURATION} s per phase"
    echo "($(nproc) cores shared by the servers, PostgreSQL and the load generator)"
    printf '%-8s %14s %9s %9s %7s   %12s %9s %9s %7s\n' servers "writes/s" "p50 ms" "p99 ms" errors "reads/s" "p50 ms" "p99 ms" errors
    for n in $(seq 1 "$SERVERS"); do
        read -r wrps wp50 wp99 werr <<<"${MULTI["$n,write"]:-- - - -}"
        read -r rrps rp50 rp99 rerr <<<"${MULTI["$n,read"]:-- - - -}"
        printf '%-8s %14s %9s %9s %7s   %12s %9s %9s %7s\n' "$n" "$wrps" "$wp50" "$wp99" "$werr" "$rrps" "$rp50" "$rp99" "$rerr"
    done
    exit 0
fi

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
