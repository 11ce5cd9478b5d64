#!/usr/bin/env bash
# What one guess costs the server, in instructions (callgrind: repeatable whatever else the
# machine runs) and in context switches and CPU time (perf stat), for `referee serve --no-db`
# and for the echo ceiling (`referee echo`), each in a process of its own, loaded by the same
# `referee load` bots (flat out, TCP). See docs/PERFORMANCE.md, "Where the time goes".
#
#   scripts/profile-guess.sh [CLIENT_COUNTS...]          # default: 30 300
#   SHORT=3 LONG=9 scripts/profile-guess.sh 30           # the two run lengths, seconds
#   KEEP=/tmp/prof scripts/profile-guess.sh 300          # keep the callgrind files there
#   NO_PERF=1 scripts/profile-guess.sh                   # callgrind only
#   NO_CALLGRIND=1 scripts/profile-guess.sh              # perf stat only
#   BIN=/tmp/referee-before scripts/profile-guess.sh     # a binary built earlier (A/B)
#   RUNTIME=shards scripts/profile-guess.sh              # `referee serve --runtime shards`
#
# Instructions per guess = (Ir of a LONG run - Ir of a SHORT run) / (their guesses' difference):
# start-up, connecting and shutting down cancel out. User space only (callgrind does not see
# the kernel): the system calls are the same for both, one read and one write per guess. The last table lists the heaviest
# functions (inclusive) of the server's LONG run, at the largest client count.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(30 300)
short=${SHORT:-3}
long=${LONG:-9}
port=${REFEREE_PORT:-17990}
addr="127.0.0.1:$port"

if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    cargo build --release -p referee-server --quiet
    bin=target/release/referee
fi
dir=${KEEP:-$(mktemp -d)}
mkdir -p "$dir"
target_pid=

stop_target() {
    if [ -n "$target_pid" ]; then
        kill -INT "$target_pid" 2>/dev/null || true
        wait "$target_pid" 2>/dev/null || true
        target_pid=
    fi
}
trap 'stop_target; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT

# Starts `$@` (the target, wrapped or not) in the background and waits for its port.
start_target() {
    "$@" >>"$dir/target.log" 2>&1 &
    target_pid=$!
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$target_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "the target did not listen on $addr (see $dir/target.log)" >&2
    exit 1
}

# The target's command line: `server` or `echo`.
target_cmd() {
    case $1 in
        server) echo "$bin serve --tcp $addr --no-http --no-db --rate 0 --max-per-ip 0 --max-connections 20000${RUNTIME:+ --runtime $RUNTIME}" ;;
        echo) echo "$bin echo --addr $addr" ;;
    esac
}

# Runs the bots against the target for $2 seconds with $3 clients; prints the guesses.
load() {
    local kind=$1 secs=$2 clients=$3 mode=()
    [ "$kind" = echo ] && mode=(--echo --echo-at "$addr")
    "$bin" load --addr "$addr" --clients "$clients" --duration "$secs" "${mode[@]}" \
        --json --quiet | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["guesses"])'
}

# Total instructions of a callgrind output file, less the actor core's watchdog thread: it
# wakes every 5 ms whatever the load, so under callgrind (~50x slower) it would weigh on each
# guess ~50x what it does at native speed.
total_ir() {
    local total watchdog
    total=$(awk '/^(summary|totals):/ {print $2; exit}' "$1")
    watchdog=$(callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk '/referee_actor::watchdog::run / {gsub(",", "", $1); print $1; exit}')
    echo $((total - ${watchdog:-0}))
}

# One callgrind run: prints "IR GUESSES".
callgrind_run() {
    local kind=$1 secs=$2 clients=$3 out="$dir/callgrind.$1.$3.$2s.out"
    # shellcheck disable=SC2046
    start_target valgrind --tool=callgrind --callgrind-out-file="$out" $(target_cmd "$kind")
    local guesses
    guesses=$(load "$kind" "$secs" "$clients")
    stop_target
    echo "$(total_ir "$out") $guesses"
}

# One perf-stat run at native speed, attached to the target for the load only: prints
# "GUESSES TASK_CLOCK_MS CONTEXT_SWITCHES MIGRATIONS".
perf_run() {
    local kind=$1 secs=$2 clients=$3 out="$dir/perf.$1.$3.txt"
    # shellcheck disable=SC2046
    start_target $(target_cmd "$kind")
    perf stat -x, -o "$out" -e task-clock,context-switches,cpu-migrations -p "$target_pid" &
    local perf_pid=$! guesses
    guesses=$(load "$kind" "$secs" "$clients")
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    stop_target
    awk -F, -v g="$guesses" '
        $3 == "task-clock" {tc = $1} $3 == "context-switches" {cs = $1} $3 == "cpu-migrations" {mg = $1}
        END {print g, tc, cs, mg}' "$out"
}

if [ -z "${NO_CALLGRIND:-}" ]; then
echo "| players | target | guesses (${short}s / ${long}s under callgrind) | instructions per guess |"
echo "|---:|---|---:|---:|"
declare -A per_guess
for clients in "${counts[@]}"; do
    for kind in server echo; do
        read -r ir1 g1 < <(callgrind_run "$kind" "$short" "$clients")
        read -r ir2 g2 < <(callgrind_run "$kind" "$long" "$clients")
        per=$(( (ir2 - ir1) / (g2 - g1) ))
        per_guess[$kind.$clients]=$per
        echo "| $clients | $kind | $g1 / $g2 | $per |"
    done
    echo "| $clients | **ratio server / echo** | | **$(python3 -c "print(f'{${per_guess[server.$clients]}/${per_guess[echo.$clients]}:.2f}×')")** |"
done
fi

if [ -z "${NO_PERF:-}" ] && perf stat -e task-clock true >/dev/null 2>&1; then
    echo
    echo "| players | target | guesses (${long}s, native) | CPU µs per guess | context switches per guess | migrations per guess |"
    echo "|---:|---|---:|---:|---:|---:|"
    for clients in "${counts[@]}"; do
        for kind in server echo; do
            read -r g tc cs mg < <(perf_run "$kind" "$long" "$clients")
            python3 -c "print(f'| $clients | $kind | $g | {$tc*1000/$g:.2f} | {$cs/$g:.3f} | {$mg/$g:.4f} |')"
        done
    done
fi

[ -z "${NO_CALLGRIND:-}" ] || exit 0
last=${counts[${#counts[@]}-1]}
echo
echo "Heaviest functions, inclusive, server, $last players, ${long}s run:"
callgrind_annotate --inclusive=yes --threshold=99 "$dir/callgrind.server.$last.${long}s.out" 2>/dev/null |
    grep -E '^ *[0-9,]+ \(' | head -n "${TOP:-40}"
