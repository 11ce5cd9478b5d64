#!/bin/sh
# Leaderboard latency with a long history, alone and under a flood, beside an honest player.
# Reproduces the figures of docs/RELIABILITY.md, "Storage under attack":
#
#   python3 scripts/leaderboard-flood/make_db.py /tmp/flood/base.db 1000000   # once, ~1 min
#   scripts/leaderboard-flood/run.sh target/release/referee /tmp/flood after [serve flags]
#
# The database is a version-1 file (as older releases wrote it); each run works on a copy.
set -e
bin=$(realpath "$1"); work=$2; label=$3; shift 3
here=$(dirname "$(realpath "$0")")
cd "$work"
rm -f run.db run.db-wal run.db-shm run.db.lock
cp base.db run.db
t0=$(date +%s.%N)
"$bin" serve --db run.db --tcp 127.0.0.1:17878 --http 127.0.0.1:18080 --players-per-room 1 "$@" > "server_$label.log" 2>&1 &
pid=$!
for i in $(seq 1 600); do curl -fs http://127.0.0.1:18080/healthz > /dev/null && break; sleep 0.1; done
t1=$(date +%s.%N)
echo "== $label: ready after $(echo "$t1 - $t0" | bc) s"
python3 "$here/measure.py" 127.0.0.1:18080 17878 || true
kill $pid; wait $pid || true
