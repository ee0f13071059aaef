#!/usr/bin/env python3
"""`kiln opt` round-trips every valid .kir under tests/lit.

For each .kir file: if `kiln opt FILE` accepts it (invalid-IR tests are
expected to fail, and must fail cleanly with a diagnostic, not a crash), its
output A must print back unchanged: `kiln opt A` == A, with and without
--print-loc.

usage: ir_roundtrip_all.py KILN LIT_DIR
"""
import os
import subprocess
import sys
import tempfile


def opt(kiln, path, *flags):
    return subprocess.run([kiln, "opt", path, *flags], capture_output=True, text=True, timeout=60)


def main():
    kiln, lit_dir = sys.argv[1], sys.argv[2]
    files = sorted(
        os.path.join(root, f)
        for root, _, names in os.walk(lit_dir)
        for f in names
        if f.endswith(".kir") and "Output" not in root
    )
    accepted = rejected = 0
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            first = opt(kiln, path)
            if first.returncode != 0:
                # A rejected file must fail with a diagnostic (exit 1), never a
                # crash (a signal gives a negative return code).
                if first.returncode != 1 or "error:" not in first.stderr:
                    failures.append(f"{path}: rejected without a clean diagnostic "
                                    f"(exit {first.returncode}): {first.stderr[:200]}")
                rejected += 1
                continue
            accepted += 1
            for flags in ([], ["--print-loc"]):
                a = opt(kiln, path, *flags)
                printed = os.path.join(tmp, "a.kir")
                with open(printed, "w") as f:
                    f.write(a.stdout)
                b = opt(kiln, printed, *flags)
                if b.returncode != 0 or b.stdout != a.stdout:
                    failures.append(f"{path} {' '.join(flags)}: printed IR does not print back "
                                    f"unchanged: {b.stderr[:200]}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(files)} .kir files: {accepted} accepted and round-tripped, {rejected} rejected cleanly")
    print(f"{len(files) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or accepted == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
