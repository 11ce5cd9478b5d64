#!/usr/bin/env python3
"""Reproduces the idle-connection memory figure of docs/PERFORMANCE.md.

Starts `referee serve` on a loopback port, opens N connections that read their greeting and
then stay idle, and reports the server's resident memory before and after, per connection.

    python3 scripts/idle-memory.py [N]          (default 10000; needs the release binary)
"""
import os, socket, subprocess, sys, time, resource

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
PORT = int(os.environ.get("REFEREE_PORT", "17879"))
BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "referee")

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
server = subprocess.Popen([BIN, "serve", "--tcp", f"127.0.0.1:{PORT}", "--no-http", "--no-db", "--rate", "0", "--max-connections", str(N + 100)],
                          stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT)).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(0.5)
    before = rss_kib(server.pid)
    clients = []
    for i in range(N):
        s = socket.create_connection(("127.0.0.1", PORT))
        clients.append(s)
    # Read each greeting (4 lines), so every connection is fully set up and seated.
    for s in clients:
        s.settimeout(10)
        got = b""
        while got.count(b"\n") < 4:
            got += s.recv(4096)
    time.sleep(1)
    after = rss_kib(server.pid)
    per = (after - before) / N
    print(f'{{"idle_connections":{N},"rss_kib_before":{before},"rss_kib_after":{after},"kib_per_connection":{per:.2f}}}')
finally:
    server.terminate()
    server.wait(timeout=20)
