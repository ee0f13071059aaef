#!/usr/bin/env python3
"""Runs a Google Benchmark binary at 1 thread, 2 threads, 2 threads beside a
busy process and 1 thread beside it, and prints each benchmark's throughput
as a ratio against a reference benchmark of the same run and size, then
each benchmark's 2-thread / 1-thread throughput under the same neighbours
(idle, busy): issue #11's "2 threads never slower than 1" is a ratio >= 1
in both columns.

  scripts/bench-ratios.py BINARY --ref BM_TriadHost [--metric bytes_per_second]
                          [--filter REGEX] [--min-time 0.5]

Benchmarks are grouped by their arguments (the part of the name after the
first '/'): BM_ChainJit/1048576 is compared with BM_TriadHost/1048576. The
busy neighbour is a shell loop on one core (the machines kiln runs on are
shared: a result that only holds on an idle machine does not hold).
"""
import argparse
import json
import os
import subprocess
import sys


def run(binary, threads, busy, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    hog = subprocess.Popen(["sh", "-c", "while :; do :; done"]) if busy else None
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    finally:
        if hog:
            hog.kill()
            hog.wait()
    return json.loads(out)


def table(data, args):
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or "error_occurred" in b:
            continue
        name = b["name"].replace("/real_time", "")
        base, _, size = name.partition("/")
        value = b.get(args.metric)
        if value is None:
            value = b.get("counters", {}).get(args.metric)
        rows.setdefault(size, {})[base] = float(value) if value is not None else None
    return rows


def fmt(v):
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= div:
            return f"{v / div:.2f}{unit}"
    return f"{v:.2f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--ref", required=True)
    p.add_argument("--metric", default="bytes_per_second")
    p.add_argument("--filter", default="")
    p.add_argument("--min-time", default="0.5")
    args = p.parse_args()
    print(f"{os.path.basename(args.binary)}: {args.metric}, ratio = value / {args.ref} "
          f"of the same run and size")
    runs = {}
    for label, threads, busy in (("1 thread", 1, False), ("2 threads", 2, False),
                                 ("2 threads, busy neighbour", 2, True),
                                 ("1 thread, busy neighbour", 1, True)):
        rows = table(run(args.binary, threads, busy, args), args)
        runs[(threads, busy)] = rows
        print(f"\n## {label}")
        for size, r in rows.items():
            ref = r.get(args.ref)
            for name, v in sorted(r.items()):
                if v is None:
                    continue
                ratio = f"{v / ref:.2f}x" if ref else "-"
                print(f"  {name}/{size}: {fmt(v)}/s  {ratio}")
    print("\n## 2 threads / 1 thread, same neighbours (idle, busy)")
    for size, r in runs[(1, False)].items():
        for name in sorted(r):
            cells = []
            for busy in (False, True):
                one = runs[(1, busy)].get(size, {}).get(name)
                two = runs[(2, busy)].get(size, {}).get(name)
                cells.append(f"{two / one:.2f}x" if one and two else "-")
            print(f"  {name}/{size}: {cells[0]}  {cells[1]}")

if __name__ == "__main__":
    sys.exit(main())
