#!/usr/bin/env bash
# Reproduces the server load figures of docs/PERFORMANCE.md: starts `referee serve` on a
# loopback port, runs `referee load --compare-echo` at each client count (echo ceiling first,
# then the server, same count and duration), and prints one JSON line per count. GAME=dice
# plays Liar's Dice instead of guess-the-number (the server starts a dice match as soon as a
# table is full, or a second after two sit: `--dice-countdown 1`). The server phase also
# reports the server's CPU time per answered guess over its measured window
# (`server.server_usage.cpu_us_per_guess`: utime+stime from /proc, `--server-pid`), a figure
# that moves less from run to run than the throughput ratio, split into user space and kernel
# (`user_us_per_guess`, `system_us_per_guess`).
#
#   scripts/load-report.sh [DURATION_SECS] [CLIENT_COUNTS...]
#   scripts/load-report.sh 10 30 300 3000 10000
#   THINK=1s scripts/load-report.sh 20 10000     # paced players: one guess a second each
#   TRANSPORT=ws scripts/load-report.sh 10 30 300 3000 10000   # browser players (WebSocket)
#   WORKERS=1 scripts/load-report.sh 10 30 300 3000 10000  # `referee serve --workers 1`
#   RUNTIME=shards scripts/load-report.sh 10 300 3000   # `referee serve --runtime shards`
#   NO_DB=1 scripts/load-report.sh 10 30 300                # `referee serve --no-db`
#   TRANSPORT=ws FEED=off scripts/load-report.sh 10 300     # bots decline the live feed
#   BIN=/tmp/referee-before scripts/load-report.sh 10 30     # a binary built earlier (A/B)
#   GAME=dice scripts/load-report.sh 10 300 3000     # Liar's Dice bots at 4-seat tables
#                                                    # (line protocol; `--dice-countdown 1`)
#   ECHO=process scripts/load-report.sh 10 30 300   # the echo as a process of its own at every
#                                                    # count, as the server is (default: inside
#                                                    # the load generator below 10,000 players);
#                                                    # its CPU per line is then reported too
#                                                    # (`echo.server_usage`)
#   THROUGH=actor-and-writer scripts/load-report.sh 10 30 300   # the echo (a process) sends
#                                                    # each line through a room's actor and
#                                                    # a writer task: the server's hops
#                                                    # without its game (`referee echo
#                                                    # --through`; also `actor`, `nothing`)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(30 300 3000 10000)
port=${REFEREE_PORT:-17878}
http_port=$((port + 1))
transport=${TRANSPORT:-tcp}
game=${GAME:-guess}
case $game in
    guess|dice) ;;
    *) echo "GAME is guess or dice" >&2; exit 2 ;;
esac
[ "$game" = guess ] || [ "$transport" = tcp ] || { echo "dice bots speak TCP only" >&2; exit 2; }
workers=()
[ -z "${WORKERS:-}" ] || workers=(--workers "$WORKERS")
echo_workers=("${workers[@]}")
[ -z "${RUNTIME:-}" ] || workers+=(--runtime "$RUNTIME")
store=(--db)
[ -z "${NO_DB:-}" ] || store=(--no-db)
feed=()
case ${FEED:-on} in
    on) ;;
    off) feed=(--no-feed) ;;
    *) echo "FEED is on or off" >&2; exit 2 ;;
esac
case $transport in
    tcp) target="127.0.0.1:$port" ;;
    ws) target="127.0.0.1:$http_port" ;;
    *) echo "TRANSPORT is tcp or ws" >&2; exit 2 ;;
esac

if [ -n "${BIN:-}" ]; then
    bin=$BIN    # a binary built earlier, for before/after runs
else
    cargo build --release -p referee-server --quiet
    bin=target/release/referee
fi
dir=$(mktemp -d)

# The echo runs inside the load generator unless the bots and the echo's own sockets would not
# fit under one process's open-file limit (10,000 players here: 2 x 10,000 > 20,000 with the
# spares), or ECHO=process asks for it; then it is `referee echo`, a process of its own, with
# the server's runtime (`--workers` as given), as the server is. Inside the load generator the
# echo shares the bots' threads: a bot's line and its echo can be handled by one thread with
# no switch between processes, which a server in a process of its own can never do.
case ${ECHO:-inside} in
    inside|process) ;;
    *) echo "ECHO is inside or process" >&2; exit 2 ;;
esac
through=()
if [ -n "${THROUGH:-}" ]; then
    [ "$transport" = tcp ] || { echo "THROUGH is for the line echo (TCP)" >&2; exit 2; }
    through=(--through "$THROUGH")
    ECHO=process
fi
fd_limit=$(ulimit -Hn)
echo_port=$((port + 2))
echo_server=
stop_echo() {
    [ -z "$echo_server" ] || { kill -INT "$echo_server" 2>/dev/null || true; wait "$echo_server" 2>/dev/null || true; }
    echo_server=
}

# The default server (every won round committed to a SQLite file), with the per-player line
# limit off: a flat-out bot sends thousands of lines a second.
db_path=()
[ -n "${NO_DB:-}" ] || db_path=("$dir/referee.db")
"$bin" serve --tcp "127.0.0.1:$port" --http "127.0.0.1:$http_port" "${store[@]}" "${db_path[@]}" \
    --rate 0 --max-per-ip 0 --max-connections 20000 --dice-countdown 1 "${workers[@]}" \
    >"$dir/serve.log" 2>&1 &
server=$!
trap 'stop_echo; kill -INT $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

for clients in "${counts[@]}"; do
    echo_at=()
    if [ "${ECHO:-inside}" = process ] ||
        { [ "$fd_limit" != unlimited ] && [ $((clients * 2 + 1024)) -gt "$fd_limit" ]; }; then
        "$bin" echo --addr "127.0.0.1:$echo_port" --transport "$transport" "${echo_workers[@]}" \
            "${through[@]}" >"$dir/echo.log" 2>&1 &
        echo_server=$!
        for _ in $(seq 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$echo_port") 2>/dev/null && break
            sleep 0.1
        done
        echo_at=(--echo-at "127.0.0.1:$echo_port" --echo-pid "$echo_server")
    fi
    rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    "$bin" load --game "$game" --transport "$transport" --addr "$target" --clients "$clients" \
        --duration "$duration" --think "${THINK:-0}" "${feed[@]}" --compare-echo "${echo_at[@]}" \
        --server-pid "$server" --json --quiet
    stop_echo
    rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    echo "{\"clients\":$clients,\"server_rss_kib_before\":$rss_before,\"server_rss_kib_after\":$rss_after}"
done
