#!/usr/bin/env python3
"""The disk's sync time: what one durable commit costs at least, here.

A SQLite commit in write-ahead-log mode with `synchronous = FULL` appends its pages to the
log and syncs it once before it returns; the server announces a won round only after that
(docs/protocol.md, durable before announced). So no room can announce wins faster than one
sync each, and the recorder, which commits everything waiting in one transaction, at most one
commit per sync. This measures that sync: append 4 KiB to a file and `fdatasync` it (and
`fsync`), many times, in the directory given (default: the temporary directory, where
scripts/load-report.sh keeps its database).

    scripts/sync-time.py [DIR] [COUNT]
"""

import os
import statistics
import sys
import tempfile
import time


def measure(path: str, count: int, sync) -> list[float]:
    block = b"x" * 4096
    took = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(count):
            os.write(fd, block)
            start = time.perf_counter()
            sync(fd)
            took.append((time.perf_counter() - start) * 1e6)
    finally:
        os.close(fd)
    return took


def summary(name: str, took: list[float]) -> str:
    took = sorted(took)
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    return (
        f"{name}: n={len(took)} median {statistics.median(took):.0f} µs, "
        f"p99 {p99:.0f} µs, mean {statistics.fmean(took):.0f} µs"
    )


def main() -> None:
    where = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    with tempfile.TemporaryDirectory(dir=where) as scratch:
        path = os.path.join(scratch, "sync-test")
        print(f"in {where} ({os.statvfs(where).f_bsize}-byte blocks)")
        print(summary("append 4 KiB + fdatasync", measure(path, count, os.fdatasync)))
        print(summary("append 4 KiB + fsync", measure(path, count, os.fsync)))


if __name__ == "__main__":
    main()
