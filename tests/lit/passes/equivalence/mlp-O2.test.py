"""Checks the log of examples/mlp.kiln: the cross-entropy on all images
falls every epoch from chance to below 0.1; the error rate ends below 3%."""
import math
import sys

loss, error = [], []
for line in open(sys.argv[1]):
    value, msg = line.split(" ", 1)
    (loss if "cross-entropy" in msg else error).append(float(value))
assert len(loss) == 21 and len(error) == 21, (len(loss), len(error))
assert abs(loss[0] - math.log(10)) < 0.3, loss[0]
for before, after in zip(loss, loss[1:]):
    assert after < before, loss
assert loss[-1] < 0.1, loss[-1]
assert error[0] > 0.5 and error[-1] < 0.03, error
print("cross-entropy", loss[0], "->", loss[-1], "error rate", error[0], "->", error[-1])
