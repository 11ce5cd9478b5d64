#!/usr/bin/env python3
"""Measures the server's memory before, during and after an attack from one address.

Starts `referee serve` on loopback ports and reads its resident memory (VmRSS) at rest; then
one address (127.0.0.1) opens N idle TCP connections and N HTTP connections that send half a
request and stop; memory is read while they are all open; then they are closed, and memory
is read again after a pause. Run it with the default per-address limit (most of the attack
is refused at once) and with no limit (`--max-per-ip 0`: every connection is admitted and
served until the attacker closes it) to see both.

    python3 scripts/admission-memory.py [N] [extra `referee serve` flags...]
    BIN=target/release/referee python3 scripts/admission-memory.py 3000 --max-per-ip 0

SETTLE (seconds, default 25) is how long it waits after the attack before reading memory.

Prints one JSON line.
"""
import json, os, socket, sys, time

from referee_serve import rss_kib, serving

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
EXTRA = sys.argv[2:]
PORT = int(os.environ.get("REFEREE_PORT", "17889"))
HTTP = PORT + 1
BIN = os.environ.get("BIN", os.path.join(os.path.dirname(__file__), "..", "target", "debug", "referee"))

def open_all(port, payload):
    clients = []
    for _ in range(N):
        try:
            s = socket.create_connection(("127.0.0.1", port))
            if payload:
                s.sendall(payload)
            clients.append(s)
        except OSError:
            pass
    return clients

with serving(BIN, PORT, HTTP, ["--no-db", "--http-header-timeout", "600", *EXTRA], pause=1) as server:
    before = rss_kib(server.pid)
    # The same attack ROUNDS times: memory the allocator keeps for reuse shows as a plateau,
    # a leak as growth from round to round.
    for attack in range(int(os.environ.get("ROUNDS", "1"))):
        tcp = open_all(PORT, b"")
        http = open_all(HTTP, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        time.sleep(2)
        during = rss_kib(server.pid)
        # Honest check: a client from another address is still greeted.
        other = socket.create_connection(("127.0.0.1", PORT), source_address=("127.0.0.2", 0))
        other.settimeout(10)
        greeted = other.recv(4096).startswith(b"Welcome")
        other.close()
        for s in tcp + http:
            s.close()
        # The allocator gives freed pages back over a few seconds (jemalloc's decay: 10 s).
        time.sleep(float(os.environ.get("SETTLE", "25")))
        after = rss_kib(server.pid)
        print(json.dumps({
            "attack": attack + 1, "attack_connections": len(tcp) + len(http),
            "flags": " ".join(EXTRA) or "(defaults)",
            "rss_kib_before": before, "rss_kib_during": during, "rss_kib_after": after,
            "after_vs_before": round(after / before, 3), "other_address_greeted": greeted,
        }), flush=True)
