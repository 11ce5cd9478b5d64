#!/usr/bin/env python3
"""Print the median of every benchmark of the last `cargo bench` run as a markdown table,
with each library's ratio to the floor measured in the same run.

Reads target/criterion/<group>/<bench>[/<param>]/new/{benchmark,estimates}.json, i.e. the
most recent run of each benchmark (a filtered run leaves older results for the others).

Ratios:
* ask_round_trip: time ratio, library median / floor median (1.50x = 50% slower than floor).
* ask_contended, tell_4_producers: throughput ratio, floor median / library median
  (0.50x = half the floor's throughput).
actix runs on its own System, so its rows also give the ratio to `floor_on_actix_rt`, the
same floor on that System; `referee_on_actix_rt` is referee on that System too, for a
head-to-head with actix on one runtime.

Usage: python3 summarize.py [target/criterion]
"""

import json
import sys
from pathlib import Path

ORDER = [
    "floor",
    "referee",
    "referee_no_timeout",
    "ractor",
    "ractor_timeout_5s",
    "kameo",
    "kameo_timeout_5s",
    "floor_on_actix_rt",
    "referee_on_actix_rt",
    "referee_no_timeout_on_actix_rt",
    "referee_local_on_actix_rt",
    "referee_try_tell_roomy_on_actix_rt",
    "actix",
    "actix_timeout_5s",
]
WORKLOADS = ["ask_round_trip", "ask_contended/16", "ask_contended/256", "tell_4_producers"]
ELEMENTS = {"ask_round_trip": 1, "ask_contended/16": 16384, "ask_contended/256": 16384,
            "tell_4_producers": 10000}


def fmt_time(ns: float) -> str:
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def load(root: Path) -> dict:
    medians = {}
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        workload = meta["group_id"]
        if meta.get("value_str"):
            workload += "/" + meta["value_str"]
        medians[(workload, meta["function_id"])] = estimates["median"]["point_estimate"]
    return medians


def ratio(workload: str, lib_ns: float, floor_ns: float) -> str:
    if workload == "ask_round_trip":
        return f"{lib_ns / floor_ns:.2f}x time"
    return f"{floor_ns / lib_ns:.2f}x thrpt"


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    medians = load(root)
    print("| workload | library | median | throughput | vs floor | vs floor_on_actix_rt |")
    print("|---|---|---:|---:|---:|---:|")
    for workload in WORKLOADS:
        floor = medians.get((workload, "floor"))
        local_floor = medians.get((workload, "floor_on_actix_rt"))
        for lib in ORDER:
            ns = medians.get((workload, lib))
            if ns is None:
                continue
            thrpt = ELEMENTS[workload] / (ns * 1e-9) / 1e6
            vs_floor = ratio(workload, ns, floor) if floor else "-"
            vs_local = (
                ratio(workload, ns, local_floor)
                if local_floor and (lib.startswith("actix") or lib.endswith("_on_actix_rt"))
                else ""
            )
            print(f"| {workload} | {lib} | {fmt_time(ns)} | {thrpt:.2f} Melem/s | {vs_floor} | {vs_local} |")


if __name__ == "__main__":
    main()
