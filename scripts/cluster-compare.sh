#!/usr/bin/env bash
# Issue 18's cluster benchmark: the same guess-the-number players on one node and on NODES
# nodes of a cluster, every room placed on another node than its players (`referee load
# --remote-rooms`: every guess crosses NATS), rounds interleaved (1 node first in odd rounds,
# NODES first in even ones). Each case starts fresh PostgreSQL-backed nodes (`--cluster`, the
# one-node baseline too, so that only the NATS hop differs) on loopback, in a fresh schema of
# database $DB (created if missing; the public schema of `test` is never touched), runs the
# load, and prints one JSON line: guesses/s, p50/p99, and the CPU each side used over the
# measured window (nodes, nats-server, PostgreSQL, the load generator: cores, from
# /proc/PID/stat) and each node's remote asks (`/metrics`). Then the medians and the ratio
# NODES ÷ 1. Bounded: ROUNDS × 2 cases of DURATION + ~15 s each.
#
#   scripts/cluster-compare.sh [ROUNDS] [PLAYERS] [NODES]      # default 3 3000 3
#   DURATION=10 BIN=target/release/referee OUT=/tmp/cluster.jsonl scripts/cluster-compare.sh 3 3000 3
#   KEEP=1 ...            # keep the nodes' logs (the directory is printed at the end)
#   PERF=1 scripts/cluster-compare.sh 1 3000 3   # also `perf record -g` one node of the
#                                                # NODES case for 4 s of its window
# Needs PostgreSQL at $PG (postgres://postgres@127.0.0.1:5432) and NATS at $NATS
# (nats://127.0.0.1:4222). WORKERS=N passes `--workers N` to every node; ROOM_PLAYERS (3)
# players per room (nodes seat one more: the room's opener, who hangs up once they sit);
# LEASE_MS (30000) the nodes' --lease-ms (see below); KEEP=1 keeps their logs.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
players=${2:-3000}
cluster_nodes=${3:-3}
duration=${DURATION:-10}
room_players=${ROOM_PLAYERS:-3}
pg=${PG:-postgres://postgres@127.0.0.1:5432}
db=${DB:-referee_bench}
nats=${NATS:-nats://127.0.0.1:4222}
port=${REFEREE_PORT:-27900}
# Each node renews every room's lease on its own, one statement at a time, every lease/3: at
# the default 3 s, one node with 1,000 rooms needs ~1.3 s of statements a second and loses
# leases (docs/CLUSTER.md, capacity plan; measured here: 68 rooms closed in a 300-player
# one-node run, debug build, busy machine). 30 s keeps the renewals out of what is compared.
lease_ms=${LEASE_MS:-30000}
[ "$db" != test ] || { echo "DB=test is not for benchmarks: use a database of its own" >&2; exit 2; }
workers=()
[ -z "${WORKERS:-}" ] || workers=(--workers "$WORKERS")

if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    cargo build --release -p referee-server --quiet
    bin=target/release/referee
fi
psql "$pg/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || psql "$pg/postgres" -qc "CREATE DATABASE $db"
dir=$(mktemp -d)
pids=()
schema=

stop_nodes() {
    local pid
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    if [ -n "$schema" ]; then
        psql "$pg/$db" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
        schema=
    fi
}
trap 'stop_nodes; [ -n "${KEEP:-}" ] && echo "logs kept in $dir" >&2 || rm -rf "$dir"' EXIT

# CPU ticks (utime + stime, fields 14 and 15 of /proc/PID/stat) of the given pids, summed
# (none of the commands measured has a space in its name).
ticks() {
    local files=() pid
    for pid in "$@"; do files+=("/proc/$pid/stat"); done
    [ ${#files[@]} -gt 0 ] || { echo 0; return; }
    cat "${files[@]}" 2>/dev/null | awk '{ s += $14 + $15 } END { print s + 0 }'
}

# Samples every half second, until the load ends: `ms nodes nats postgres load`.
sample() {
    local load=$1 nats_pid postgres_pids
    nats_pid=$(pgrep -x nats-server | head -1 || true)
    while kill -0 "$load" 2>/dev/null; do
        postgres_pids=$(pgrep -x postgres || true)
        echo "$(date +%s%3N) $(ticks "${pids[@]}") $(ticks $nats_pid) $(ticks $postgres_pids) $(ticks "$load")"
        sleep 0.5
    done
}

# Cores each side used between the first and the last sample inside the window, which ends
# when the load ends (bots stop at the deadline; their last answers come within ms).
cores_in_window() {
    local samples=$1 end_ms=$2 hz
    hz=$(getconf CLK_TCK)
    awk -v from=$((end_ms - duration * 1000 + 500)) -v to=$((end_ms - 500)) -v hz="$hz" '
        $1 >= from && $1 <= to { if (!n++) { t0=$1; a=$2; b=$3; c=$4; d=$5 } t1=$1; e=$2; f=$3; g=$4; h=$5 }
        END {
            s = (t1 - t0) / 1000; if (n < 2 || s <= 0) { print "null"; exit }
            printf "{\"nodes\":%.2f,\"nats\":%.2f,\"postgres\":%.2f,\"load\":%.2f,\"secs\":%.1f}",
                (e-a)/hz/s, (f-b)/hz/s, (g-c)/hz/s, (h-d)/hz/s, s
        }' "$samples"
}

start_nodes() {
    local n=$1 i url
    schema="bench_$$_${RANDOM}_$n"
    psql "$pg/$db" -qc "CREATE SCHEMA $schema"
    url="$pg/$db?options=-c%20search_path%3D$schema"
    for i in $(seq 0 $((n - 1))); do
        "$bin" serve --cluster "$nats" --node "n$i" --db "$url" \
            --tcp "127.0.0.1:$((port + 2 * i))" --http "127.0.0.1:$((port + 2 * i + 1))" \
            --lease-ms "$lease_ms" --games guess --players-per-room $((room_players + 1)) --rate 0 --max-per-ip 0 \
            --max-connections 20000 --failed-lookups-per-client 100000 \
            --failed-lookups-per-ip 1000000 "${workers[@]}" >"$dir/r${round}n${n}-node$i.log" 2>&1 &
        pids+=($!)
    done
    # Every node has joined the cluster and serves (bounded: 30 s), then a gossip round.
    for i in $(seq 0 $((n - 1))); do
        for _ in $(seq 300); do
            curl -sf -o /dev/null "127.0.0.1:$((port + 2 * i + 1))/api/cluster" && break
            sleep 0.1
        done
    done
    sleep 1
}

# Each node's asks to rooms on other nodes (`/metrics`), as a JSON object: counts and mean
# round trip in µs, per node.
remote_asks() {
    local n=$1 i line counts= means=
    for i in $(seq 0 $((n - 1))); do
        line=$(curl -s "127.0.0.1:$((port + 2 * i + 1))/metrics" | awk '
            /^referee_remote_room_ask_seconds_sum/ { sum = $2 }
            /^referee_remote_room_ask_seconds_count/ { count = $2 }
            END { printf "%d %d", count, count ? sum / count * 1e6 : 0 }')
        counts="$counts${counts:+,}${line% *}"
        means="$means${means:+,}${line#* }"
    done
    echo "{\"count\":[$counts],\"mean_us\":[$means]}"
}

run_case() {
    local n=$1 round=$2 addrs=() i load_pid result end_ms cpu
    start_nodes "$n"
    for i in $(seq 0 $((n - 1))); do addrs+=("127.0.0.1:$((port + 2 * i))"); done
    local IFS=,
    "$bin" load --nodes "${addrs[*]}" --remote-rooms --room-players "$room_players" \
        --clients "$players" --duration "$duration" --connect-timeout 15 --json --quiet \
        >"$dir/load.json" &
    load_pid=$!
    unset IFS
    sample "$load_pid" >"$dir/samples" &
    local sampler=$!
    if [ -n "${PERF:-}" ] && [ "$n" -gt 1 ]; then
        # 4 s of node 0 in the window: connecting takes a few seconds first.
        (sleep "${PERF_DELAY:-6}"; perf record -F 499 -g -p "${pids[0]}" -o "$dir/perf.data" \
            -- sleep 4 >/dev/null 2>&1 || true) &
    fi
    wait "$load_pid"
    end_ms=$(date +%s%3N)
    wait "$sampler" || true
    cpu=$(cores_in_window "$dir/samples" "$end_ms")
    result=$(cat "$dir/load.json")
    local lost
    lost=$(cat "$dir"/r"${round}"n"${n}"-node*.log | grep -c "lease lost: closing the room" || true)
    echo "{\"round\":$round,\"nodes\":$n,\"players\":$players,\"lease_ms\":$lease_ms,\"leases_lost\":$lost,\"cpu_cores\":$cpu,\"remote_asks\":$(remote_asks "$n"),\"load\":$result}" \
        | tee -a "${OUT:-/dev/null}"
    if [ -f "$dir/perf.data" ]; then
        perf report -i "$dir/perf.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null \
            | grep -v '^#' | grep '%' | head -40 >"${PERF_OUT:-/tmp/cluster-perf.txt}" || true
        echo "perf: top symbols of node n0 in ${PERF_OUT:-/tmp/cluster-perf.txt}" >&2
        rm -f "$dir/perf.data"
    fi
    stop_nodes
}

: >"$dir/all.jsonl"
for round in $(seq "$rounds"); do
    order=(1 "$cluster_nodes")
    [ $((round % 2)) -eq 1 ] || order=("$cluster_nodes" 1)
    for n in "${order[@]}"; do run_case "$n" "$round" | tee -a "$dir/all.jsonl"; done
done

python3 - "$dir/all.jsonl" "$cluster_nodes" <<'EOF'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
many = int(sys.argv[2])
def pick(n, key):
    return [r["load"][key] for r in runs if r["nodes"] == n]
one, several = pick(1, "guesses_per_sec"), pick(many, "guesses_per_sec")
if not one or not several:
    sys.exit("no runs")
m1, mn = statistics.median(one), statistics.median(several)
summary = {
    "players": runs[0]["players"],
    "guesses_per_sec_1": m1, f"guesses_per_sec_{many}": mn,
    "ratio": round(mn / m1, 3) if m1 else None,
    "p50_us_1": statistics.median(pick(1, "p50_us")), f"p50_us_{many}": statistics.median(pick(many, "p50_us")),
    "p99_us_1": statistics.median(pick(1, "p99_us")), f"p99_us_{many}": statistics.median(pick(many, "p99_us")),
    "ratios_by_round": [round(b / a, 3) if a else None for a, b in zip(one, several)],
}
print(json.dumps(summary))
EOF
