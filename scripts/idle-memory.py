#!/usr/bin/env python3
"""Reproduces the idle-connection memory figures of docs/PERFORMANCE.md.

Starts `referee serve` on loopback ports, opens N connections that sit down in a room and
then stay idle, and reports the server's resident memory before and after, per connection.
TCP connections are seated on connect (they read their 4-line greeting); WebSocket
connections send `play` and read their welcome, `joined` and `state` messages.

    python3 scripts/idle-memory.py [N] [tcp|ws]     (default 10000 tcp; needs the release binary)
    BIN=/tmp/referee-before python3 scripts/idle-memory.py 10000 tcp   (a binary built earlier)
"""
import os, socket, sys, time, base64

from referee_serve import rss_kib, serving

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
TRANSPORT = sys.argv[2] if len(sys.argv) > 2 else "tcp"
PORT = int(os.environ.get("REFEREE_PORT", "17879"))
HTTP = PORT + 1
BIN = os.environ.get("BIN") or os.path.join(os.path.dirname(__file__), "..", "target", "release", "referee")

def masked_text(payload: bytes) -> bytes:
    """One client text frame (clients must mask; the mask is zero, which is allowed)."""
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload

def frames_in(data: bytes) -> int:
    """How many complete server frames (unmasked) `data` holds."""
    count, at = 0, 0
    while at + 2 <= len(data):
        length = data[at + 1] & 0x7F
        head = 2
        if length == 126:
            if at + 4 > len(data):
                break
            length = int.from_bytes(data[at + 2:at + 4], "big")
            head = 4
        if at + head + length > len(data):
            break
        at += head + length
        count += 1
    return count

def open_ws():
    s = socket.create_connection(("127.0.0.1", HTTP))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{HTTP}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return s

def settle_ws(s):
    s.settimeout(10)
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    head, rest = got.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    s.sendall(masked_text(b'{"v":1,"op":"play"}'))
    while frames_in(rest) < 3:  # welcome, joined, state
        rest += s.recv(4096)

def settle_tcp(s):
    s.settimeout(10)
    got = b""
    while got.count(b"\n") < 4:
        got += s.recv(4096)

flags = ["--no-db", "--rate", "0", "--max-per-ip", "0", "--max-connections", str(N + 100)]
with serving(BIN, PORT, HTTP, flags, pause=0.5) as server:
    before = rss_kib(server.pid)
    connect, settle = (open_ws, settle_ws) if TRANSPORT == "ws" else (
        lambda: socket.create_connection(("127.0.0.1", PORT)), settle_tcp)
    clients = [connect() for _ in range(N)]
    for s in clients:
        settle(s)
    time.sleep(1)
    after = rss_kib(server.pid)
    per = (after - before) / N
    print(f'{{"transport":"{TRANSPORT}","idle_connections":{N},"rss_kib_before":{before},'
          f'"rss_kib_after":{after},"kib_per_connection":{per:.2f}}}')
