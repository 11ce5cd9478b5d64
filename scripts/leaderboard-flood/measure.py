#!/usr/bin/env python3
# Leaderboard latency against a running server, alone and under a flood of 200 concurrent
# requests while one honest player wins rounds (time from winning guess to "Correct!").
import socket, statistics, sys, threading, time, urllib.request
http, tcp_port = sys.argv[1], int(sys.argv[2])
def get(path="/api/leaderboard?limit=100", timeout=120):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://{http}{path}", timeout=timeout) as r:
        r.read()
    return time.perf_counter() - t
alone = [get() for _ in range(20)]
print(f"alone: 20 sequential requests: median {statistics.median(alone)*1000:.1f} ms, max {max(alone)*1000:.1f} ms")
flood = []
stop = threading.Event()
def attacker():
    while not stop.is_set() and len(flood) < 20000:
        try:
            flood.append(get())
        except Exception as e:
            flood.append(float("inf"))
wins = []
errors = []
def honest():
    try:
        play()
    except Exception as e:
        errors.append(repr(e))
def play():
    s = socket.create_connection(("127.0.0.1", tcp_port))
    f = s.makefile("r")
    for _ in range(4): f.readline()
    for _ in range(5):
        low, high = 0, 19
        while True:
            g = (low + high) // 2
            t = time.perf_counter()
            s.sendall(f"{g}\n".encode())
            line = f.readline()
            while line.startswith("error"):
                errors.append(line.strip())
                line = f.readline()
            if not line: raise EOFError("closed")
            if line.startswith("Higher"): low = g + 1
            elif line.startswith("Lower"): high = g - 1
            elif line.startswith("Correct"):
                wins.append(time.perf_counter() - t)
                while True:
                    l = f.readline()
                    if l.startswith("error"): errors.append(l.strip())
                    if l.startswith("Round") or not l: break
                break
threads = [threading.Thread(target=attacker) for _ in range(200)]
started = time.perf_counter()
for th in threads: th.start()
time.sleep(1)
h = threading.Thread(target=honest); h.start(); h.join(timeout=600)
stop.set()
for th in threads: th.join()
done = [x for x in flood if x != float("inf")]
print(f"flood: 200 concurrent askers, {len(done)} answered ({len(flood)-len(done)} failed) in {time.perf_counter()-started:.1f} s; "
      f"median {statistics.median(done)*1000:.0f} ms, p99 {sorted(done)[int(len(done)*0.99)-1]*1000:.0f} ms")
print("honest player's errors:", errors[:3], len(errors))
print(f"wins under the flood: {len(wins)}, win confirmation median {statistics.median(wins or [0])*1000:.0f} ms, max {max(wins or [0])*1000:.0f} ms")
