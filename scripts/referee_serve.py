"""What the memory scripts share: a `referee serve` on loopback ports, and its memory.

    from referee_serve import rss_kib, serving

    with serving(BIN, PORT, HTTP, ["--no-db"], pause=1) as server:
        before = rss_kib(server.pid)

`serving` raises the open-file limit to the hard one (the scripts open thousands of
sockets), starts the server with its log discarded, waits until both ports accept, then
`pause` seconds more for it to settle; on the way out it stops the server.
"""
import contextlib, resource, socket, subprocess, time


def rss_kib(pid):
    """The process's resident memory (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raise_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def serving(binary, port, http, flags, pause):
    raise_fd_limit()
    server = subprocess.Popen([binary, "serve", "--tcp", f"127.0.0.1:{port}",
                               "--http", f"127.0.0.1:{http}", *flags],
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                socket.create_connection(("127.0.0.1", http)).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(pause)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)
