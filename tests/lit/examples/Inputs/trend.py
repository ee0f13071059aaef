"""Checks that a figure an example logs improves every time it is logged.

    trend.py FILE MSG falls|rises MIN_CHANGE [MSG falls|rises MIN_CHANGE]...

FILE holds `log` lines (`[step N] VALUE msg="MSG"`, other lines ignored).
For each MSG: at least three values, each strictly below (falls) or above
(rises) the one before, and last/first at most 1 - MIN_CHANGE (falls) or at
least 1 + MIN_CHANGE (rises). Prints `MSG: FIRST -> LAST (N values)`; a
violation prints `error: ...` and exits 1."""
import re
import sys

LINE = re.compile(r'^\[step \d+\] (\S+) msg="([^"]*)"$')


def main():
    path, specs = sys.argv[1], sys.argv[2:]
    if not specs or len(specs) % 3:
        sys.exit(__doc__)
    values = {}
    for line in open(path):
        m = LINE.match(line.rstrip("\n"))
        if m:
            values.setdefault(m.group(2), []).append(float(m.group(1)))
    for i in range(0, len(specs), 3):
        msg, way, change = specs[i], specs[i + 1], float(specs[i + 2])
        v = values.get(msg, [])
        if len(v) < 3:
            sys.exit(f"error: {len(v)} values logged as {msg!r}, expected at least 3")
        sign = -1 if way == "falls" else 1
        for before, after in zip(v, v[1:]):
            if not sign * (after - before) > 0:
                sys.exit(f"error: {msg!r} does not {way[:-1]} from {before} to {after}: {v}")
        if not sign * (v[-1] / v[0] - 1) >= change:
            sys.exit(f"error: {msg!r} {way} by less than {change:.0%}: {v[0]} -> {v[-1]}")
        print(f"{msg}: {v[0]} -> {v[-1]} ({len(v)} values)")


main()
