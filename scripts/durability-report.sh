#!/usr/bin/env bash
# Reproduces the durability figures of docs/PERFORMANCE.md, all in one run: the same bots
# against three servers in turn —
#   memory:        --no-db (results in memory: no commit to wait for)
#   group commit:  --db FILE (the default: a batch per sync)
#   one per round: --db FILE --max-batch 1 (one transaction per won round)
# and the same two against PostgreSQL (a fresh schema each, in the database of
# $REFEREE_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test; left out, saying
# so, when psql cannot reach it), and prints, per server, rounds won per second and the latency of announcing a win.
#
#   scripts/durability-report.sh [DURATION_SECS] [CLIENTS] [PLAYERS_PER_ROOM]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
clients=${2:-300}
seats=${3:-1}
port=${REFEREE_PORT:-17880}
cargo build --release -p referee-server --quiet
bin=target/release/referee
dir=$(mktemp -d)
pg=${REFEREE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
schemas=()
cleanup() {
    for schema in "${schemas[@]}"; do psql "$pg" -qc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $schema CASCADE" || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

run() {
    local label=$1
    shift
    "$bin" serve --tcp "127.0.0.1:$port" --no-http --rate 0 --max-per-ip 0 --players-per-room "$seats" "$@" \
        >"$dir/serve.log" 2>&1 &
    local server=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    local json
    json=$("$bin" load --addr "127.0.0.1:$port" --clients "$clients" --duration "$duration" --json --quiet)
    kill -INT "$server"
    wait "$server" || true
    python3 - "$label" "$json" <<'PY'
import json, sys
label, report = sys.argv[1], json.loads(sys.argv[2])
rounds = report["rounds_won"] / report["duration_secs"]
win = report["win_latency"]
print(json.dumps({"server": label, "rounds_won_per_sec": round(rounds, 1),
                  "guesses_per_sec": report["guesses_per_sec"],
                  "win_p50_us": win["p50_us"], "win_p99_us": win["p99_us"],
                  "guess_p50_us": report["p50_us"], "guess_p99_us": report["p99_us"],
                  "errors": report["errors"]}))
PY
}

run memory --no-db
run group-commit --db "$dir/group.db"
run one-per-round --db "$dir/single.db" --max-batch 1

if psql "$pg" -Atqc 'SELECT 1' >/dev/null 2>&1; then
    for mode in group single; do
        schema="bench_$$_$mode"
        psql "$pg" -qc "CREATE SCHEMA $schema"
        schemas+=("$schema")
    done
    run pg-group-commit --db "$pg?options=-c%20search_path%3Dbench_$$_group"
    run pg-one-per-round --db "$pg?options=-c%20search_path%3Dbench_$$_single" --max-batch 1
else
    echo "no PostgreSQL at $pg (psql cannot reach it): its rows are left out" >&2
fi
