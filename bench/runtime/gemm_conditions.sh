#!/usr/bin/env bash
# Runs bench_matmul under the three conditions docs/runtime-core.md reports
# (1 thread, 2 threads, 2 threads beside a busy-loop process) and prints the
# ratio tables. Each implementation runs in its own process, alternating,
# twice per condition; at 1 thread also BM_Paired (same-iteration ratios).
# Usage: bench/runtime/gemm_conditions.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
bench="$build/bench/bench_matmul"
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"; [[ -n "${busy:-}" ]] && kill "$busy" 2>/dev/null || true' EXIT

run_condition() { # name threads
  local name=$1 threads=$2 files=()
  for pass in 1 2; do
    for impl in Kiln EigenHost OpenBLAS KilnMatmul KilnScalar; do
      [[ $pass == 2 && $impl == KilnScalar ]] && continue
      local f="$out/$name-$impl-$pass.json"
      OMP_NUM_THREADS=$threads "$bench" --benchmark_filter="^BM_$impl/" \
        --benchmark_repetitions=10 --benchmark_format=json >"$f" 2>/dev/null
      files+=("$f")
    done
  done
  echo "### $name"
  python3 "$here/gemm_table.py" "${files[@]}"
  echo
}

run_condition "1 thread" 1
echo "### 1 thread, the three back to back in each iteration (BM_Paired)"
OMP_NUM_THREADS=1 "$bench" --benchmark_filter='^BM_Paired/' --benchmark_counters_tabular=true 2>/dev/null
echo
run_condition "2 threads" 2
sh -c 'while :; do :; done' &
busy=$!
run_condition "2 threads beside a busy loop" 2
