#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (used by `make fuzz` and CI).
#
# usage: run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
#
# FUZZ_SEED=N (environment) fixes libFuzzer's random seed and starts from
# the seed corpus only. With the same binary a target then walks nearly the
# same inputs in the same order (not exactly: coverage differs by a few
# edges run to run, measured 827 vs 830 new units in 15000 runs), so CI's
# short seeded runs retrace the start of a long local run with that seed
# rather than roll new dice each time (docs/reliability.md).
# Without it every run picks a new seed (exploration: make fuzz).
#
# Each target starts from its seed corpus (tests/fuzz/corpus/<name>/) plus
# its regression inputs, copied into BUILD_DIR/fuzz-work/<name>/ so the
# repository is not touched; new inputs it finds stay there (merge the
# useful ones into the seed corpus with -merge=1, see docs/reliability.md).
# A crash, leak, timeout or out-of-memory is written to
# BUILD_DIR/fuzz-work/<name>/artifacts/ and makes this script fail.
# Targets run one after the other, each in one process (CPU is shared; no
# -jobs, which would also leave fuzz-N.log files in the current folder).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$1"
seconds="$2"
shift 2
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(ir_parser notation checkpoint data_readers)
fi

status=0
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  if [[ ! -x "$exe" ]]; then
    echo "run_fuzzers: error: $exe not built (configure with clang and -DKILN_FUZZ=ON)" >&2
    exit 2
  fi
  work="$build/fuzz-work/$t"
  # A seeded run depends on the repository only: start from the seeds.
  [[ -n "${FUZZ_SEED:-}" ]] && rm -rf "$work/corpus"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -n "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
  if [[ -d "$here/regressions/$t" ]]; then
    cp -n "$here/regressions/$t/"* "$work/corpus/" 2>/dev/null || true
  fi
  dict=()
  [[ -f "$here/$t.dict" ]] && dict=(-dict="$here/$t.dict")
  seed=()
  [[ -n "${FUZZ_SEED:-}" ]] && seed=(-seed="$FUZZ_SEED")
  echo "== fuzz_$t: ${seconds}s from $(ls "$work/corpus" | wc -l) inputs${FUZZ_SEED:+, seed $FUZZ_SEED}"
  # Limits: a single input may take at most 10 s and 2 GiB (a larger
  # allocation is a finding: kiln's size limits should have refused it).
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$exe" "$work/corpus" "${dict[@]}" "${seed[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" > "$work/log.txt" 2>&1
  rc=$?
  grep -E "^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" "$work/log.txt" \
    | sed "s/^/   /"
  if [[ $rc -ne 0 ]]; then
    echo "run_fuzzers: fuzz_$t FAILED (exit $rc); last lines of $work/log.txt:" >&2
    tail -n 40 "$work/log.txt" >&2
    ls -1 "$work/artifacts" >&2
    status=1
  fi
done
exit $status
