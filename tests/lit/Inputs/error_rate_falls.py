"""Reads `kiln run` output on stdin, takes the number logged on each line
that contains the text given as the first argument (`[step N] VALUE ...`),
and checks that there are as many as the second argument, that the last
is below half the first (the training made the model better) and below
the second (it kept improving after the first report after it). Prints
`falls over N reports` or fails with the values it saw."""
import re
import sys

text, want = sys.argv[1], int(sys.argv[2])
values = []
for line in sys.stdin:
    if text in line:
        m = re.match(r"\[step \d+\] (\S+)", line)
        if not m:
            sys.exit(f"unexpected line: {line!r}")
        values.append(float(m.group(1)))
if len(values) != want:
    sys.exit(f"expected {want} reports, got {len(values)}: {values}")
if not values[-1] < values[0] / 2:
    sys.exit(f"the value did not fall to below half its first report: {values}")
if not values[-1] < values[1]:
    sys.exit(f"the value did not fall after its second report: {values}")
print(f"falls over {len(values)} reports")
