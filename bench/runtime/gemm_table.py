#!/usr/bin/env python3
"""Ratio table for bench_matmul: kiln's GEMM against EigenHost and OpenBLAS.

Usage: bench_matmul --benchmark_format=json [--benchmark_repetitions=N] > run.json
       python3 bench/runtime/gemm_table.py run.json [more.json ...]

Prints one Markdown table per file: GFLOP/s of each implementation per
shape (the median over repetitions) and the ratios kiln / reference.
"""
import json
import statistics
import sys


def shape_of(name):
    parts = dict(p.split(":", 1) for p in name.split("/")[1:] if ":" in p)
    return tuple(int(parts[k]) for k in ("m", "n", "k", "ta"))


def table(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        family = b["name"].split("/")[0].removeprefix("BM_")
        runs.setdefault((family, shape_of(b["name"])), []).append(b["GFLOP/s"])
    med = {key: statistics.median(v) for key, v in runs.items()}
    ctx = data.get("context", {})
    print(f"{path}: {ctx.get('date', '')}, kiln ISA {ctx.get('kiln_gemm_isa', '?')}, "
          f"OMP threads {ctx.get('omp_max_threads', '?')}, Eigen {ctx.get('eigen_host_simd', '?')}")
    print()
    print("| m x n x k | kiln GFLOP/s | EigenHost | OpenBLAS | kiln/OpenBLAS | kiln/Eigen |")
    print("|---|---|---|---|---|---|")
    shapes = sorted({s for (fam, s) in med if fam == "Kiln"}, key=lambda s: s[0] * s[1] * s[2])
    for s in shapes:
        kiln = med.get(("Kiln", s))
        eigen = med.get(("EigenHost", s))
        blas = med.get(("OpenBLAS", s))
        label = f"{s[0]} x {s[1]} x {s[2]}" + (" (A.T)" if s[3] else "")
        cell = lambda v: f"{v:.1f}" if v is not None else "-"
        ratio = lambda r: f"{kiln / r:.2f}" if r else "-"
        print(f"| {label} | {cell(kiln)} | {cell(eigen)} | {cell(blas)} | {ratio(blas)} | {ratio(eigen)} |")
    extra = sorted((fam, s) for (fam, s) in med if fam not in ("Kiln", "EigenHost", "OpenBLAS"))
    for fam, s in extra:
        print(f"\n{fam} {s[0]} x {s[1]} x {s[2]}{' (A.T)' if s[3] else ''}: {med[(fam, s)]:.1f} GFLOP/s")
    print()


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in argv[1:]:
        table(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
