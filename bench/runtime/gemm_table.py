#!/usr/bin/env python3
"""Ratio table for bench_matmul: kiln's GEMM against EigenHost and OpenBLAS.

Usage:
  bench_matmul --benchmark_format=json --benchmark_repetitions=5 > run.json
  python3 bench/runtime/gemm_table.py run.json [more.json ...]

All files are merged into one table (run each implementation in its own
process with --benchmark_filter, alternating, when other load is around:
OpenBLAS's spinning threads and the neighbours' load then hit every
implementation alike). For each shape: GFLOP/s as the median over all
repetitions, and in brackets the best repetition; ratios kiln / reference
of the medians.
"""
import json
import statistics
import sys


def shape_of(name):
    parts = dict(p.split(":", 1) for p in name.split("/")[1:] if ":" in p)
    return tuple(int(parts[k]) for k in ("m", "n", "k", "ta"))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs, ctx = {}, {}
    for path in argv[1:]:
        with open(path) as f:
            data = json.load(f)
        ctx = ctx or data.get("context", {})
        for b in data["benchmarks"]:
            if b.get("run_type", "iteration") != "iteration":
                continue
            family = b["name"].split("/")[0].removeprefix("BM_")
            runs.setdefault((family, shape_of(b["name"])), []).append(b["GFLOP/s"])
    med = {key: statistics.median(v) for key, v in runs.items()}
    best = {key: max(v) for key, v in runs.items()}
    print(f"{ctx.get('date', '')}, {ctx.get('host_name', '')}, kiln ISA "
          f"{ctx.get('kiln_gemm_isa', '?')}, OMP threads {ctx.get('omp_max_threads', '?')}, "
          f"Eigen SIMD {ctx.get('eigen_host_simd', '?')}, load average {ctx.get('load_avg', '?')}")
    print()
    print("| m x n x k | kiln GFLOP/s | EigenHost | OpenBLAS | kiln/OpenBLAS | kiln/Eigen |")
    print("|---|---|---|---|---|---|")

    def cell(fam, s):
        return f"{med[(fam, s)]:.1f} ({best[(fam, s)]:.1f})" if (fam, s) in med else "-"

    def ratio(s, ref):
        return f"{med[('Kiln', s)] / med[(ref, s)]:.2f}" if (ref, s) in med and ("Kiln", s) in med else "-"

    shapes = sorted({s for (fam, s) in med}, key=lambda s: s[0] * s[1] * s[2])
    for s in shapes:
        if ("Kiln", s) not in med:
            continue
        label = f"{s[0]} x {s[1]} x {s[2]}" + (" (A.T)" if s[3] else "")
        print(f"| {label} | {cell('Kiln', s)} | {cell('EigenHost', s)} | {cell('OpenBLAS', s)} "
              f"| {ratio(s, 'OpenBLAS')} | {ratio(s, 'EigenHost')} |")
    for fam, s in sorted(k for k in med if k[0] not in ("Kiln", "EigenHost", "OpenBLAS")):
        print(f"\n{fam} {s[0]} x {s[1]} x {s[2]}{' (A.T)' if s[3] else ''}: {cell(fam, s)} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
