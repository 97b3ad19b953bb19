#!/usr/bin/env bash
# Benchmark for issue 19 part 8: the service over a unit at scale, on SQLite and PostgreSQL.
#
#   bash bench/scale/run.sh                      # N = 1,000,000 carriers, both backends
#   SCALE=50000 bash bench/scale/run.sh          # a quick run
#   SCALE=200000 BACKENDS=sqlite bash bench/scale/run.sh
#   REPEAT=20 TIMEOUT=10 EXPORT_REPEAT=3 EXPORT_TIMEOUT=120 bash bench/scale/run.sh
#   REBUILD=1 bash bench/scale/run.sh            # rebuild the cached databases
#   POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test bash bench/scale/run.sh
#
# What it does:
#   1. builds `baomi` in release;
#   2. builds, once per N and backend, the scaled demo with the product's own write path
#      (`baomi demo --scale N --no-serve`: N carriers in every state, N/10 matters, N/50 people,
#      approvals, ≥ 10 N audit entries). SQLite: target/bench-scale/sqlite-N.sqlite; PostgreSQL:
#      the database baomi_scale_N next to $POSTGRES_URL. A build is reused while its stamp
#      (target/bench-scale/BACKEND-N.done, holding the build's own report) exists;
#   3. starts `baomi serve` (release) on it, logs in through the API as li.na (bearer token and,
#      for the HTML dashboard, a session cookie) and as the security auditor (password + TOTP);
#   4. times, REPEAT times each, with a per-request limit of TIMEOUT s (an endpoint that runs
#      out of time is reported "> TIMEOUT s" and not asked again, and the bench waits for the
#      server to go idle before the next one): first page, a filtered page (status + level), a
#      search (a Chinese substring of titles), a record page, reminders, the dashboard
#      (GET /dashboard), the approvals inbox, the auditor's audit page; then the CSV and XLSX
#      exports (time to the last byte, EXPORT_REPEAT times, limit EXPORT_TIMEOUT s);
#   5. reads the server's peak RSS (VmHWM in /proc/PID/status) and prints everything beside the
#      targets: p99 < 50 ms for the pages, search, reminders, dashboard, inbox and audit page;
#      an export of 1 M rows in < 30 s; server RSS < 300 MiB throughout.
#
# A guard stops the server if its RSS passes MAX_RSS_MIB (default 8192) so a run cannot take the
# machine down; the table then says so. Needs curl, jq and (for PostgreSQL) psql. curl runs
# on the same machine and is timed end to end (connection included: each request is a new
# connection).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCALE="${SCALE:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
REPEAT="${REPEAT:-20}"
TIMEOUT="${TIMEOUT:-10}"
EXPORT_REPEAT="${EXPORT_REPEAT:-3}"
EXPORT_TIMEOUT="${EXPORT_TIMEOUT:-120}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${PORT:-18090}"
MAX_RSS_MIB="${MAX_RSS_MIB:-8192}"
IDLE_WAIT="${IDLE_WAIT:-300}"
CACHE_DIR="${CACHE_DIR:-$ROOT/target/bench-scale}"
SEARCH="${SEARCH:-综合管廊}"
PASSWORD="Baomi2026"
AUDITOR_TOTP="MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
BASE="http://127.0.0.1:$PORT"

log() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
log "building (release)…"
cargo build --release -q -p baomi-cli --bin baomi
BAOMI="$ROOT/target/release/baomi"
mkdir -p "$CACHE_DIR"
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/baomi-bench-scale.XXXXXX")"

SERVER_PID=""
GUARD_PID=""
cleanup() {
    if [[ -n "$GUARD_PID" ]]; then kill "$GUARD_PID" 2>/dev/null || true; fi
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

pg_admin() { psql "$POSTGRES_URL" -qtAX "$@"; }

# The database URL of a backend at this N, built (once) with `baomi demo --scale`.
ensure_database() {
    local backend="$1" stamp="$CACHE_DIR/$1-$SCALE.done" db
    case "$backend" in
        sqlite) db="$CACHE_DIR/sqlite-$SCALE.sqlite" ;;
        postgres) db="${POSTGRES_URL%/*}/baomi_scale_$SCALE" ;;
        *) log "unknown backend $backend"; return 1 ;;
    esac
    if [[ -n "${REBUILD:-}" ]]; then rm -f "$stamp"; fi
    if [[ -f "$stamp" ]]; then
        if [[ "$backend" == sqlite && -f "$db" ]] || \
           [[ "$backend" == postgres && "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = 'baomi_scale_$SCALE'")" == 1 ]]; then
            log "== $backend: reusing the scaled database of $(head -c 10 "$stamp") ($db)"
            echo "$db"
            return 0
        fi
    fi
    rm -f "$stamp"
    case "$backend" in
        sqlite) rm -f "$db" "$db-wal" "$db-shm" ;;
        postgres)
            pg_admin -c "DROP DATABASE IF EXISTS baomi_scale_$SCALE WITH (FORCE)" >/dev/null
            pg_admin -c "CREATE DATABASE baomi_scale_$SCALE" >/dev/null
            ;;
    esac
    log "== $backend: building the scaled demo, N = $SCALE (baomi demo --scale $SCALE --no-serve)"
    local started=$SECONDS
    "$BAOMI" --lang en demo --scale "$SCALE" --no-serve --db "$db" >"$RUN_DIR/build.out" 2>"$RUN_DIR/build.err" &
    local pid=$! peak=0 rss ticks=0
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        (( ${rss:-0} > peak )) && peak=$rss
        # PostgreSQL: analyse the growing tables every 20 s, as autovacuum would. Without fresh
        # statistics the writer keeps the generic plan it cached while the tables were empty
        # (a sequential scan for the carrier-number check), and every insert costs O(table).
        # The local test server runs with autovacuum = off.
        ticks=$((ticks + 1))
        if [[ "$backend" == postgres ]] && (( ticks % 20 == 0 )); then
            psql "$db" -qtAX -c "ANALYZE records" -c "ANALYZE audit_log" >/dev/null 2>&1 || true
        fi
        sleep 1
    done
    if ! wait "$pid"; then cat "$RUN_DIR/build.err" "$RUN_DIR/build.out" >&2; return 1; fi
    [[ "$backend" == postgres ]] && psql "$db" -qtAX -c "VACUUM ANALYZE" >/dev/null
    local size
    if [[ "$backend" == sqlite ]]; then
        size=$(du -sh "$db" | cut -f1)
    else
        size=$(pg_admin -c "SELECT pg_size_pretty(pg_database_size('baomi_scale_$SCALE'))")
    fi
    {
        date -u +%Y-%m-%dT%H:%M:%SZ
        grep -v '^demo seeded' "$RUN_DIR/build.out" || true
        echo "build wall time $((SECONDS - started)) s, builder peak RSS $((peak / 1024)) MiB, database size $size"
    } >"$stamp"
    cat "$stamp" >&2
    echo "$db"
}

start_server() {
    local db="$1" log_file="$2"
    "$BAOMI" --lang en serve --db "$db" --listen "127.0.0.1:$PORT" >"$log_file.out" 2>"$log_file" &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        if grep -q '^listening on ' "$log_file"; then break; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$log_file" >&2; return 1; fi
        sleep 0.1
    done
    grep -q '^listening on ' "$log_file" || { log "the server did not start"; return 1; }
    # The guard: stop the server rather than let it take the machine's memory.
    (
        while kill -0 "$SERVER_PID" 2>/dev/null; do
            rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
            if (( ${rss:-0} / 1024 > MAX_RSS_MIB )); then
                echo "killed at $((rss / 1024)) MiB" >"$RUN_DIR/guard"
                kill -9 "$SERVER_PID" 2>/dev/null
                exit 0
            fi
            sleep 0.2
        done
    ) &
    GUARD_PID=$!
}

stop_server() {
    kill "$GUARD_PID" 2>/dev/null || true; wait "$GUARD_PID" 2>/dev/null || true; GUARD_PID=""
    kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }
hwm_mib() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "-"; }
rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "-"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }

# Waits (at most IDLE_WAIT s) until the server uses under 10% of a core over a second: the
# time-driven pass at start, or a request whose client gave up, is not billed to the next one.
wait_idle() {
    local hz before after waited=0
    hz=$(getconf CLK_TCK)
    while server_alive && (( waited < IDLE_WAIT )); do
        before=$(cpu_ticks); sleep 1; after=$(cpu_ticks)
        waited=$((waited + 1))
        if (( (after - before) * 10 < hz )); then return 0; fi
    done
    (( waited >= IDLE_WAIT )) && log "   (server still busy after ${IDLE_WAIT} s)"
    return 0
}

# Times one request: prints "seconds http_status" (status 000 on a timeout or a refused
# connection). $1 = limit in seconds; the rest are curl arguments.
time_request() {
    local limit="$1"; shift
    curl -s -o "${OUT:-/dev/null}" --max-time "$limit" -w '%{time_total} %{http_code}\n' "$@" || true
}

# Login through the API; prints the bearer token.
bearer_login() {
    local body="$1"
    curl -s --max-time 60 "$BASE/api/v1/auth/login" -H 'content-type: application/json' -d "$body" |
        jq -r '.token // empty' 2>/dev/null || true
}

declare -A RESULT
declare -A COUNT
declare -A HWM

# Measures an endpoint REPEAT times; stores "p50 p99 note" for the table.
# $1 backend, $2 label, $3 repeat, $4 limit, rest: curl arguments.
measure() {
    local backend="$1" label="$2" repeat="$3" limit="$4"; shift 4
    local times=() note="" i out t code
    if ! server_alive; then RESULT["$backend,$label"]="- - server gone"; return; fi
    log "   $label"
    for ((i = 0; i < repeat; i++)); do
        out=$(time_request "$limit" "$@")
        t=${out% *}; code=${out#* }
        if [[ "$code" == 000 ]]; then
            note="> ${limit} s"
            if ! server_alive; then note="server stopped"; fi
            break
        fi
        if [[ "$code" != 2* ]]; then note="HTTP $code"; break; fi
        times+=("$t")
    done
    COUNT["$backend,$label"]=${#times[@]}
    # The server's peak RSS so far: which endpoint raised it.
    HWM["$backend,$label"]=$(hwm_mib)
    if (( ${#times[@]} == 0 )); then
        RESULT["$backend,$label"]="- - ${note:-none}"
    else
        RESULT["$backend,$label"]="$(printf '%s\n' "${times[@]}" | sort -g | awk -v note="$note" '
            { v[NR] = $1 }
            END {
                p50 = v[int((NR * 50 + 99) / 100)]; p99 = v[int((NR * 99 + 99) / 100)]
                printf "%.1f %.1f %s", p50 * 1000, p99 * 1000, (note == "" ? "-" : note)
            }')"
    fi
    [[ -n "$note" ]] && wait_idle
    return 0
}

ENDPOINTS=("first page" "filtered page" "search" "record page" "reminders" "dashboard" \
    "approvals inbox" "audit page" "export csv" "export xlsx")

run_backend() {
    local backend="$1" db
    db=$(ensure_database "$backend")
    log "== $backend: baomi serve --db $db"
    rm -f "$RUN_DIR/guard"
    start_server "$db" "$RUN_DIR/$backend.log"
    local started_rss; started_rss=$(rss_mib)
    log "   waiting for the server to go idle (time-driven pass at start)…"
    wait_idle
    RESULT["$backend,idle rss"]="$(rss_mib)"
    RESULT["$backend,start rss"]="$started_rss"

    local token cookie_jar="$RUN_DIR/$backend.cookies" auditor code
    token=$(bearer_login "{\"login\":\"li.na\",\"password\":\"$PASSWORD\",\"bearer\":true,\"label\":\"bench-scale\"}")
    [[ -n "$token" ]] || { log "li.na could not log in"; stop_server; return 1; }
    curl -s --max-time 60 -c "$cookie_jar" -o /dev/null "$BASE/api/v1/auth/login" \
        -H 'content-type: application/json' -d "{\"login\":\"li.na\",\"password\":\"$PASSWORD\"}"
    code=$("$BAOMI" admin totp-code "$AUDITOR_TOTP")
    auditor=$(bearer_login "{\"login\":\"auditor\",\"password\":\"$PASSWORD\",\"totp\":\"$code\",\"bearer\":true,\"label\":\"bench-scale\"}")
    [[ -n "$auditor" ]] || { log "the auditor could not log in"; stop_server; return 1; }
    local auth=(-H "authorization: Bearer $token")

    # A record li.na may read (her newest) and how many she sees, asked once with the export's
    # limit.
    local id first
    first=$(curl -s --max-time "$EXPORT_TIMEOUT" "${auth[@]}" "$BASE/api/v1/carriers?per_page=1&sort=id&order=desc" || true)
    id=$(jq -r '.items[0].id // empty' <<<"$first" 2>/dev/null || true)
    RESULT["$backend,visible"]=$(jq -r '.total // empty' <<<"$first" 2>/dev/null || true)
    wait_idle
    [[ -n "$id" ]] || id=1

    measure "$backend" "first page" "$REPEAT" "$TIMEOUT" "${auth[@]}" "$BASE/api/v1/carriers?per_page=50"
    measure "$backend" "filtered page" "$REPEAT" "$TIMEOUT" "${auth[@]}" \
        "$BASE/api/v1/carriers?per_page=50&status=in_custody&level=secret"
    measure "$backend" "search" "$REPEAT" "$TIMEOUT" "${auth[@]}" --get --data-urlencode "q=$SEARCH" \
        --data-urlencode "per_page=50" "$BASE/api/v1/carriers"
    measure "$backend" "record page" "$REPEAT" "$TIMEOUT" "${auth[@]}" "$BASE/api/v1/carriers/$id"
    measure "$backend" "reminders" "$REPEAT" "$TIMEOUT" "${auth[@]}" "$BASE/api/v1/reminders"
    measure "$backend" "dashboard" "$REPEAT" "$TIMEOUT" -b "$cookie_jar" "$BASE/dashboard"
    measure "$backend" "approvals inbox" "$REPEAT" "$TIMEOUT" "${auth[@]}" \
        "$BASE/api/v1/approvals?box=inbox&per_page=50"
    measure "$backend" "audit page" "$REPEAT" "$TIMEOUT" -H "authorization: Bearer $auditor" \
        "$BASE/api/v1/audit?limit=50"
    # The CSV is kept to count its rows: what the export verdict is scaled by (the list's
    # `total` stops at 10,000).
    OUT="$RUN_DIR/export.csv" measure "$backend" "export csv" "$EXPORT_REPEAT" "$EXPORT_TIMEOUT" "${auth[@]}" \
        "$BASE/api/v1/carriers/export?format=csv"
    if [[ -s "$RUN_DIR/export.csv" ]]; then
        RESULT["$backend,exported"]=$(( $(wc -l <"$RUN_DIR/export.csv") - 1 ))
        rm -f "$RUN_DIR/export.csv"
    fi
    measure "$backend" "export xlsx" "$EXPORT_REPEAT" "$EXPORT_TIMEOUT" "${auth[@]}" \
        "$BASE/api/v1/carriers/export?format=xlsx"

    if server_alive; then
        RESULT["$backend,peak rss"]="$(hwm_mib)"
    else
        RESULT["$backend,peak rss"]="> $MAX_RSS_MIB ($(cat "$RUN_DIR/guard" 2>/dev/null || echo "server died"))"
    fi
    stop_server
}

for backend in $BACKENDS; do
    run_backend "$backend"
done

target_of() {
    case "$1" in
        "export csv"|"export xlsx") echo "p99 < 30000 ms (1 M rows)";;
        "record page") echo "-";;
        *) echo "p99 < 50 ms";;
    esac
}
# $4: the rows li.na's export holds. The export target is for 1 M rows: with fewer, the verdict
# is the time scaled linearly to 1 M rows, marked as such.
verdict() {
    local label="$1" p99="$2" note="$3" rows="${4:-0}"
    [[ "$(target_of "$label")" == "-" ]] && { echo "-"; return; }
    if [[ "$p99" == "-" || "$note" != "-" ]]; then echo "NOT met"; return; fi
    if [[ "$label" == export* ]]; then
        awk -v p="$p99" -v r="$rows" 'BEGIN {
            if (r + 0 >= 1000000) { print (p < 30000) ? "met" : "NOT met"; exit }
            if (r + 0 <= 0) { print "? (rows unknown)"; exit }
            x = p * 1000000 / r
            printf "%s (%d rows; ~%.0f s per 1 M rows)\n", (x < 30000) ? "met if linear" : "NOT met if linear", r, x / 1000
        }'
        return
    fi
    awk -v p="$p99" 'BEGIN { print (p < 50) ? "met" : "NOT met" }'
}

echo
echo "baomi serve over the scaled demo, N = $SCALE carriers ($(nproc) cores; curl on the same machine, a new connection per request)"
echo "REPEAT=$REPEAT per endpoint (exports $EXPORT_REPEAT), per-request limit ${TIMEOUT} s (exports ${EXPORT_TIMEOUT} s)"
for backend in $BACKENDS; do
    echo
    echo "[$backend] $(sed -n 2p "$CACHE_DIR/$backend-$SCALE.done" 2>/dev/null)"
    echo "[$backend] $(tail -n 1 "$CACHE_DIR/$backend-$SCALE.done" 2>/dev/null)"
    echo "[$backend] li.na sees ${RESULT["$backend,visible"]:-?} carriers (the list's total stops at 10,000), her CSV export holds ${RESULT["$backend,exported"]:-?} rows; server RSS after start ${RESULT["$backend,start rss"]:-?} MiB, once idle ${RESULT["$backend,idle rss"]:-?} MiB"
    printf '%-10s %-16s %4s %10s %10s %9s  %-10s %-26s %s\n' backend endpoint n "p50 ms" "p99 ms" "peak MiB" note target verdict
    for label in "${ENDPOINTS[@]}"; do
        read -r p50 p99 note <<<"${RESULT["$backend,$label"]:-- - not run}"
        printf '%-10s %-16s %4s %10s %10s %9s  %-10s %-26s %s\n' "$backend" "$label" "${COUNT["$backend,$label"]:-0}" \
            "$p50" "$p99" "${HWM["$backend,$label"]:--}" "$note" "$(target_of "$label")" \
            "$(verdict "$label" "$p99" "$note" "${RESULT["$backend,exported"]:-${RESULT["$backend,visible"]:-0}}")"
    done
    peak="${RESULT["$backend,peak rss"]:--}"
    printf '%-10s %-16s %4s %10s %10s %9s  %-10s %-26s %s\n' "$backend" "server peak RSS" "-" "-" "-" "$peak" "-" \
        "< 300 MiB throughout" "$(awk -v r="${peak%% *}" 'BEGIN { print (r + 0 > 0 && r + 0 < 300) ? "met" : "NOT met" }')"
done
