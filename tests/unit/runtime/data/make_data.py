#!/usr/bin/env python3
"""Writes the tiny data files of the component tests (runtime_components_tests).

Run from this folder; needs only the standard library (the .npy files are
written exactly as numpy.save writes them: format 1.0, header padded with
spaces to a multiple of 64 bytes and ended by a newline).
"""
import struct


def npy(path, descr, shape, fmt, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, "(%d,)" % shape[0] if len(shape) == 1 else "(%s)" % ", ".join(map(str, shape)))
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def idx(path, dims, data):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims))
        f.write(bytes(data))


npy("f4_3x2.npy", "<f4", (3, 2), "f", [1.5, -2.0, 3.25, 4.0, -0.5, 6.0])
npy("f8_2x3.npy", "<f8", (2, 3), "d", [0.1, 0.2, 0.3, 1e10, -1e-10, 7.0])
npy("i8_4.npy", "<i8", (4,), "q", [1, -2, 3, 1 << 40])
# MNIST-shaped: 3 images of 2x2 pixels, and their labels.
idx("images_3x2x2.idx", (3, 2, 2), [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0])
idx("labels_3.idx", (3,), [7, 0, 9])
