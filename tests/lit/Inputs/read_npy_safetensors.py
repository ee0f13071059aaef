"""Reads .npy and .safetensors files with the standard library only (struct,
json, ast, hashlib; no numpy), checking each against its format spec, and
prints one line per tensor in `kiln inspect`'s style, plus the sum of its
elements:

    NAME TYPE sha256 HEX sum S        e.g. pca.xtx f32[1, 1] sha256 ... sum 1.5

TYPE is kiln's spelling (f32, f64[3], i64[2, 4], i1[5]); the SHA-256 is over
the data bytes, as `kiln inspect` computes it over the tensor's bytes.
Integer sums are exact; float sums are in double, in element order.
`--no-sum` leaves the sum out (the lines then match `inspect` mode's).

    read_npy_safetensors.py npy FILE...           NAME: the file name minus .npy
    read_npy_safetensors.py safetensors FILE      NAME: the header key; the
                                                  metadata first, as `meta K = V`
    read_npy_safetensors.py same FILE.safetensors DIR
        every tensor of the safetensors file has DIR/NAME.npy with the same
        dtype, shape and data bytes, and DIR holds no other .npy file; prints
        `same NAME` per tensor
    read_npy_safetensors.py inspect FILE          `kiln inspect` text output ->
                                                  `meta program_hash = H`,
                                                  `meta steps = N`, then
                                                  `COMPONENT.NAME TYPE sha256 HEX`

Any violation of a format prints `error: ...` and exits 1."""
import ast
import hashlib
import json
import math
import os
import struct
import sys

NPY_DTYPES = {"<f4": ("f32", "<f", 4), "<f8": ("f64", "<d", 8),
              "<i8": ("i64", "<q", 8), "|b1": ("i1", "?", 1)}
ST_DTYPES = {"F32": ("f32", "<f", 4), "F64": ("f64", "<d", 8),
             "I64": ("i64", "<q", 8), "BOOL": ("i1", "?", 1)}


def fail(msg):
    print(f"error: {msg}")
    sys.exit(1)


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def kiln_type(dtype, shape):
    return dtype + (f"[{', '.join(str(d) for d in shape)}]" if shape else "")


def total(fmt, size, data):
    """Integers (and bools) sum exactly, floats in double, in element order."""
    s = 0.0 if fmt in ("<f", "<d") else 0
    for i in range(0, len(data), size):
        s += struct.unpack(fmt, data[i:i + size])[0]
    return s


def fmt_sum(s):
    return str(s) if isinstance(s, int) or not math.isfinite(s) else repr(s)


def read_npy(path):
    """(kiln dtype, shape, struct format, item size, data bytes)."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:6] != b"\x93NUMPY":
        fail(f"{path}: bad magic")
    if b[6:8] != b"\x01\x00":
        fail(f"{path}: version {b[6]}.{b[7]}, expected 1.0")
    (hlen,) = struct.unpack("<H", b[8:10])
    start = 10 + hlen
    if start % 64 != 0:
        fail(f"{path}: data starts at {start}, not a multiple of 64")
    header = b[10:start].decode("latin1")
    if not header.endswith("\n"):
        fail(f"{path}: header does not end with a newline")
    text = header.rstrip("\n").rstrip(" ")
    d = ast.literal_eval(text)
    if not isinstance(d, dict) or sorted(d) != ["descr", "fortran_order", "shape"]:
        fail(f"{path}: header dict {text!r}")
    if d["descr"] not in NPY_DTYPES or d["fortran_order"] is not False:
        fail(f"{path}: descr {d['descr']!r}, fortran_order {d['fortran_order']!r}")
    shape = d["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(x, int) and x >= 0 for x in shape):
        fail(f"{path}: shape {shape!r}")
    dtype, fmt, size = NPY_DTYPES[d["descr"]]
    data = b[start:]
    if len(data) != numel(shape) * size:
        fail(f"{path}: {len(data)} data bytes for shape {shape}")
    if dtype == "i1" and any(x not in (0, 1) for x in data):
        fail(f"{path}: a bool byte is not 0 or 1")
    return dtype, list(shape), fmt, size, data


def read_safetensors(path):
    """(metadata, [(name, kiln dtype, shape, struct format, size, data)])."""
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    if n % 8 != 0 or 8 + n > len(b):
        fail(f"{path}: header length {n}")
    raw = b[8:8 + n]
    if raw[:1] != b"{":
        fail(f"{path}: header does not start with '{{'")
    header = json.loads(raw.decode("utf-8"))
    meta = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in meta.values()):
        fail(f"{path}: metadata values must be strings")
    buf = b[8 + n:]
    tensors, end = [], 0
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = t["data_offsets"]
        dtype, fmt, size = ST_DTYPES[t["dtype"]]
        if begin != end or stop - begin != numel(t["shape"]) * size:
            fail(f"{path}: {name}: offsets [{begin}, {stop}] for shape {t['shape']}")
        end = stop
        tensors.append((name, dtype, t["shape"], fmt, size, buf[begin:stop]))
    if end != len(buf):
        fail(f"{path}: {len(buf) - end} bytes after the last tensor")
    return meta, tensors


WITH_SUM = "--no-sum" not in sys.argv


def line(name, dtype, shape, fmt, size, data):
    text = f"{name} {kiln_type(dtype, shape)} sha256 {hashlib.sha256(data).hexdigest()}"
    return text + (f" sum {fmt_sum(total(fmt, size, data))}" if WITH_SUM else "")


def main():
    mode, args = sys.argv[1], [a for a in sys.argv[2:] if a != "--no-sum"]
    if mode == "npy":
        for path in args:
            name = os.path.basename(path)[:-len(".npy")]
            print(line(name, *read_npy(path)))
    elif mode == "safetensors":
        meta, tensors = read_safetensors(args[0])
        for k in sorted(meta):
            print(f"meta {k} = {meta[k]}")
        for t in tensors:
            print(line(*t))
    elif mode == "same":
        _, tensors = read_safetensors(args[0])
        names = set()
        for name, dtype, shape, _, _, data in tensors:
            ndtype, nshape, _, _, ndata = read_npy(os.path.join(args[1], name + ".npy"))
            if (ndtype, nshape, ndata) != (dtype, shape, data):
                fail(f"{name}: the .npy file and the safetensors entry differ")
            names.add(name)
            print(f"same {name}")
        extra = {f[:-4] for f in os.listdir(args[1]) if f.endswith(".npy")} - names
        if extra:
            fail(f".npy files not in the safetensors file: {sorted(extra)}")
    elif mode == "inspect":
        component, in_components, meta = None, False, {}
        with open(args[0]) as f:
            for text in f:
                if text.startswith("program hash "):
                    meta["program_hash"] = text.split()[2]
                elif text.startswith("entry @"):
                    # "entry @main, 14 steps, done"
                    meta["steps"] = text.split(", ")[1].split()[0]
                elif text.startswith("frames:"):
                    for k in sorted(meta):
                        print(f"meta {k} = {meta[k]}")
                elif text.startswith("components:"):
                    in_components = True
                elif not text.startswith(" "):
                    in_components = False
                elif in_components and text.startswith("  @"):
                    component = text.split()[0][1:]
                elif in_components and text.startswith("    "):
                    # "    NAME TYPE sha256 HEX"; TYPE may hold ", ".
                    name, rest = text.strip().split(" ", 1)
                    ty, digest = rest.rsplit(" sha256 ", 1)
                    print(f"{component}.{name} {ty} sha256 {digest}")
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":  # also imported, for read_npy
    main()
