#!/usr/bin/env bash
# What issue 19's throughput goal leaves for the game, per guess, and what the game spends
# (docs/PERFORMANCE.md, "The budget a guess has"). Three paths are loaded by the same bots, in
# the same rounds, each with the echo or server in a process of its own (`--no-db`):
#
#   bare echo     `referee echo`: each line answered by the task that read it
#   hops echo     `referee echo --through actor-and-writer`: each line asked of a room's
#                 actor (our actor core) and written by a writer task — the server's hops,
#                 without its game
#   server        `referee serve --no-db`
#
# On a machine whose cores the run keeps busy, a path's guesses/s says what a guess costs the
# whole machine: cores / rate, in µs of core time — the loaded process's CPU, the bots' CPU
# (`bots_usage`), and whatever the cores sat idle. The goal (≥ 0.85× the bare echo's rate)
# allows cores / (0.85 × bare rate) per guess; what it leaves above the hops echo's cost is
# the budget for everything the game adds — its rules, log, texts and pushes in the server,
# the bots' reading of longer answers, and any idling its latency causes. The last table
# compares that budget with what the server's game adds, split by where it goes.
#
#   scripts/guess-budget.sh [DURATION_SECS] [CLIENT_COUNTS...]   # default 6; 30 300 3000
#   ROUNDS=3 scripts/guess-budget.sh 6 30 300                     # medians of 3 (default)
#   BIN=/tmp/referee-before scripts/guess-budget.sh               # a binary built earlier
#   TRANSPORT=ws FEED=off scripts/guess-budget.sh 6 300 3000      # WebSocket players (the
#                                                                 # JSON protocol); no hops
#                                                                 # echo there: the budget is
#                                                                 # above the bare echo, and
#                                                                 # the hops must fit in it too
#
# Each round runs scripts/load-report.sh twice (THROUGH=nothing, THROUGH=actor-and-writer;
# over WebSocket once, ECHO=process): every run also loads the server, whose figures are
# pooled. Raw JSON lines go to $OUT (default: a temporary file, removed).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-6}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(30 300 3000)
rounds=${ROUNDS:-3}
[ "$rounds" -ge 1 ] && [ "$rounds" -le 9 ] || { echo "ROUNDS is 1 to 9" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked -p referee-server --quiet
    BIN=target/release/referee
fi
export BIN NO_DB=1
out=${OUT:-$(mktemp)}
[ -n "${OUT:-}" ] || trap 'rm -f "$out"' EXIT
: >"$out"

paths=(nothing actor-and-writer)
case ${TRANSPORT:-tcp} in
    tcp) ;;
    ws) paths=(nothing) ;;  # `referee echo --through` is the line echo's
    *) echo "TRANSPORT is tcp or ws" >&2; exit 2 ;;
esac
for round in $(seq "$rounds"); do
    for through in "${paths[@]}"; do
        echo "round $round/$rounds: echo through $through, then the server (${counts[*]} players)" >&2
        if [ "${TRANSPORT:-tcp}" = tcp ]; then
            THROUGH=$through scripts/load-report.sh "$duration" "${counts[@]}"
        else
            ECHO=process scripts/load-report.sh "$duration" "${counts[@]}"
        fi | sed "s/^{\"mode\":\"compare\"/{\"through\":\"$through\",\"mode\":\"compare\"/" >>"$out"
    done
done

python3 - "$out" "$(nproc)" <<'PY'
import json, statistics, sys

path, cores = sys.argv[1], int(sys.argv[2])
GOAL = 0.85
runs = {}  # (clients, path) -> [phase report]
for line in open(path):
    report = json.loads(line)
    if report.get("mode") != "compare":
        continue
    clients = report["clients"]
    echo = "bare echo" if report["through"] == "nothing" else "hops echo"
    runs.setdefault((clients, echo), []).append(report["echo"])
    runs.setdefault((clients, "server"), []).append(report["server"])

def figures(phases):
    """Medians over the runs: rate, and per guess the loaded process's user and kernel CPU,
    the bots' CPU, the idle cores' time, and the total (cores / rate), in µs."""
    med = lambda f: statistics.median(f(p) for p in phases)
    rate = med(lambda p: p["guesses_per_sec"])
    total = cores * 1e6 / rate
    user = med(lambda p: (p.get("server_usage") or {}).get("user_us_per_guess", float("nan")))
    kernel = med(lambda p: (p.get("server_usage") or {}).get("system_us_per_guess", float("nan")))
    bots = med(lambda p: (p.get("bots_usage") or {}).get("cpu_us_per_guess", float("nan")))
    return dict(rate=rate, user=user, kernel=kernel, bots=bots,
                idle=total - user - kernel - bots, total=total, n=len(phases))

print(f"cores: {cores}; medians of the runs; µs of core time per guess\n")
print("| players | path | guesses/s | process user | process kernel | bots | idle | total | runs |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
table = {}
for clients in sorted({c for c, _ in runs}):
    for name in ("bare echo", "hops echo", "server"):
        if (clients, name) not in runs:
            continue
        f = table[(clients, name)] = figures(runs[(clients, name)])
        print(f"| {clients:,} | {name} | {f['rate']:,.0f} | {f['user']:.2f} | {f['kernel']:.2f} "
              f"| {f['bots']:.2f} | {f['idle']:.2f} | {f['total']:.2f} | {f['n']} |")

print(f"\n| players | goal: total per guess | budget | the server's game adds "
      f"| of it: process user / kernel / bots / idle | game ÷ budget |")
print("|---:|---:|---:|---:|---|---:|")
for clients in sorted({c for c, _ in table}):
    if (clients, "bare echo") not in table or (clients, "server") not in table:
        continue
    bare, server = table[(clients, "bare echo")], table[(clients, "server")]
    # Over WebSocket there is no hops echo: the budget is above the bare echo, and the
    # server's hops are counted in what the game adds.
    base = table.get((clients, "hops echo"), bare)
    goal = cores * 1e6 / (GOAL * bare["rate"])
    budget = goal - base["total"]
    adds = server["total"] - base["total"]
    split = " / ".join(f"{server[k] - base[k]:+.2f}" for k in ("user", "kernel", "bots", "idle"))
    times = f"{adds / budget:.1f}×" if budget > 0 else "no budget"
    above = "the hops" if base is not bare else "the bare echo"
    print(f"| {clients:,} | {goal:.2f} | {budget:+.2f} (above {above}) | {adds:+.2f} | {split} | {times} |")
PY
[ -z "${OUT:-}" ] || echo "raw runs: $out" >&2
