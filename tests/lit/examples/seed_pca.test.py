"""Checks the PCA of examples/seed_pca.kiln against the batch it analyzed:
on one-column data the principal direction is [1] and its variance is the
batch's sample variance (n - 1), computed here in double from the batch
save_npy wrote.

    seed_pca.test.py BATCH.npy KILN_RUN_OUTPUT"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Inputs"))
from read_npy_safetensors import read_npy  # noqa: E402

dtype, shape, fmt, size, data = read_npy(sys.argv[1])
assert dtype == "f32" and shape == [1000, 1], (dtype, shape)
x = [struct.unpack(fmt, data[i:i + size])[0] for i in range(0, len(data), size)]
assert len(set(x)) == 13, "the batch repeats the 13 rows of the data set"
mean = sum(x) / len(x)
variance = sum((v - mean) ** 2 for v in x) / (len(x) - 1)
out = open(sys.argv[2]).read()
m = re.search(r"component 0: \[(\S+)\]  variance (\S+) ", out)
assert m, out
assert float(m.group(1)) == 1.0, m.group(1)
learned = float(m.group(2))
assert abs(learned - variance) <= 1e-5 * variance, (learned, variance)
print(f"variance {learned} (batch: {variance:.6f})")
