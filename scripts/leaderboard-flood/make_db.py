#!/usr/bin/env python3
# Writes a version-1 Referee database with N rounds (as main creates them), for measuring.
import sqlite3, sys, time
path, n = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(path)
conn.executescript("""
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL);
CREATE TABLE players (key TEXT PRIMARY KEY, name TEXT NOT NULL, first_win_at INTEGER NOT NULL);
CREATE TABLE rounds (id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id),
  room INTEGER NOT NULL, round INTEGER NOT NULL, winner TEXT NOT NULL,
  player TEXT REFERENCES players(key), won_at INTEGER NOT NULL, guesses INTEGER NOT NULL,
  UNIQUE (run, room, round));
CREATE INDEX rounds_by_player ON rounds(player, won_at);
CREATE INDEX rounds_by_time ON rounds(won_at);
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;
""")
now = int(time.time() * 1000)
span = 365 * 24 * 3600 * 1000
conn.execute("INSERT INTO runs (id, started_at) VALUES (1, ?)", (now - span,))
players = 5000
conn.executemany("INSERT INTO players (key, name, first_win_at) VALUES (?, ?, 0)",
                 ((f"p{i}", f"p{i}") for i in range(players)))
def rows():
    for i in range(n):
        name = f"p{(i * 7919) % players}"
        yield (i // 1000, i, name, name, now - span + i * span // n, 5)
conn.executemany("INSERT INTO rounds (run, room, round, winner, player, won_at, guesses) VALUES (1, ?, ?, ?, ?, ?, ?)", rows())
conn.commit()
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn.close()
