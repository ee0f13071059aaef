"""Checks the log the hook of tests/lit/examples/hooks.test adds to
examples/hooks.kiln: one reconstruction error per batch (54); the last
pass's errors average at least a fifth below the first pass's."""
import re
import sys

values = [float(m.group(1)) for m in
          (re.match(r'^\[step \d+\] (\S+) msg="batch error"$', l) for l in open(sys.argv[1])) if m]
assert len(values) == 54, len(values)
first, last = values[:18], values[36:]
mean = lambda v: sum(v) / len(v)
assert mean(last) < 0.8 * mean(first), (mean(first), mean(last))
print(f"batch error: first pass {mean(first):.4f}, last pass {mean(last):.4f}")
