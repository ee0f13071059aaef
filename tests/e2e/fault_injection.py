#!/usr/bin/env python3
"""Fault injection, end to end (docs/reliability.md):

  kill     `kiln run --save CKPT --checkpoint-every N` is killed with SIGKILL
           at random moments; the file on disk must always pass `kiln inspect`
           and `kiln resume` from it must end in the same state (SHA-256
           digests of `kiln inspect --json`) as an uninterrupted run.
  diskfull saving a checkpoint into a full disk (a tiny tmpfs when this
           process may mount one), past a file-size limit (RLIMIT_FSIZE,
           SIGXFSZ ignored: EFBIG) and into an unwritable folder: a clear
           error, exit code 1, and the previous checkpoint byte-for-byte
           intact, with no temporary file left behind.
  data     data files shorter than their header declares, of an unsupported
           dtype, holding NaNs, or changed between save and resume: a clear
           error (or, for NaN with allow_nan=true, the documented acceptance);
           a tensor larger than the machine can give: `out of memory`, exit 1.

usage: fault_injection.py KILN INPUTS_DIR [--kills N] [--seed S] [--only kill|diskfull|data]
The random kill times come from --seed (default: fixed) so a failure can be
replayed; a failing case prints the seed, the kill time and the file kept.
"""
import argparse
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg, flush=True)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True,
                       env=dict(os.environ, KILN_NO_PROGRESS="1"), **kw)
    return p.returncode, p.stdout, p.stderr


def digest(kiln, ckpt):
    """The state digests of a checkpoint, or None (with a failure) if it
    cannot be inspected."""
    code, out, err = run([kiln, "inspect", "--json", ckpt])
    if code != 0:
        fail(f"kiln inspect {ckpt} failed ({code}): {err.strip()}")
        return None
    d = json.loads(out)
    d.pop("program_hash", None)
    return d


def program(inputs, tmp, repeat):
    """kill_target.kir with its repeat count filled in."""
    with open(os.path.join(inputs, "kill_target.kir")) as f:
        text = f.read().replace("REPEAT_COUNT", str(repeat))
    path = os.path.join(tmp, f"kill_target_{repeat}.kir")
    with open(path, "w") as f:
        f.write(text)
    return path


def temp_leftovers(folder, base):
    return [n for n in os.listdir(folder) if n.startswith(base + ".tmp.")]


# ---- kill ---------------------------------------------------------------------

def test_kill(kiln, inputs, tmp, kills, seed):
    rng = random.Random(seed)
    prog = program(inputs, tmp, 30000)
    every = "4999"
    ref_file = os.path.join(tmp, "ref.ckpt")
    code, _, err = run([kiln, "run", prog, "--quiet", "--save", ref_file])
    if code != 0:
        fail(f"uninterrupted run failed ({code}): {err.strip()}")
        return
    ref = digest(kiln, ref_file)
    if ref is None:
        return
    # The same run with periodic checkpoints: it must end in the same state,
    # and its duration (mostly fsyncs) sets the window the kills land in, so
    # the test means the same on a fast and on a loaded machine.
    timed = os.path.join(tmp, "timed.ckpt")
    t0 = time.monotonic()
    code, _, err = run([kiln, "run", prog, "--quiet", "--save", timed, "--checkpoint-every", every])
    full_time = time.monotonic() - t0
    if code != 0 or digest(kiln, timed) != ref:
        fail(f"run with --checkpoint-every differs from the plain run ({code}): {err.strip()}")
        return
    window = (0.05, max(0.1, min(1.0, 0.9 * full_time)))
    print(f"kill: run with checkpoints {full_time:.2f}s, {ref.get('steps')} steps; "
          f"kills after {window[0]:.2f}-{window[1]:.2f}s", flush=True)

    ckpt = os.path.join(tmp, "killed.ckpt")
    resumed = os.path.join(tmp, "resumed.ckpt")
    mid_run, no_file, finished = 0, 0, 0
    for i in range(kills):
        # Half the runs start with no checkpoint on disk, half overwrite the
        # one a previous killed run left (a kill may then land mid-replace).
        if i % 2 == 0 and os.path.exists(ckpt):
            os.unlink(ckpt)
        delay = rng.uniform(*window)
        p = subprocess.Popen([kiln, "run", prog, "--quiet", "--save", ckpt,
                              "--checkpoint-every", every],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=dict(os.environ, KILN_NO_PROGRESS="1"))
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        _, err = p.communicate()
        where = f"kill {i} (seed {seed}, after {delay:.3f}s)"
        if p.returncode != -signal.SIGKILL:
            finished += 1
            if p.returncode != 0:
                fail(f"{where}: run exited with {p.returncode}: {err.decode().strip()}")
                continue
        for t in temp_leftovers(tmp, "killed.ckpt"):
            os.unlink(os.path.join(tmp, t))  # a kill mid-write leaves one; it is never read
        if not os.path.exists(ckpt):
            no_file += 1
            continue
        mid_run += 1
        code, _, err = run([kiln, "inspect", ckpt])
        if code != 0:
            keep = os.path.join(tmp, f"bad-{i}.ckpt")
            shutil.copy(ckpt, keep)
            fail(f"{where}: kiln inspect refuses the checkpoint on disk: {err.strip()}")
            continue
        code, _, err = run([kiln, "resume", ckpt, "--quiet", "--save", resumed])
        if code != 0:
            fail(f"{where}: kiln resume failed ({code}): {err.strip()}")
            continue
        got = digest(kiln, resumed)
        if got is not None and got != ref:
            diff = {k: (ref.get(k), got.get(k)) for k in set(ref) | set(got)
                    if ref.get(k) != got.get(k)}
            fail(f"{where}: resumed state differs from the uninterrupted run: "
                 f"{json.dumps(diff)[:600]}")
    print(f"kill: {kills} kills: {mid_run} with a checkpoint on disk (all inspected and "
          f"resumed), {no_file} before the first checkpoint, {finished} after the end",
          flush=True)
    if mid_run < kills // 2:
        fail(f"kill: only {mid_run} of {kills} kills hit a run with a checkpoint on disk; "
             "the program is too short or too slow for this test")


# ---- disk full / unwritable ------------------------------------------------------

def save_fails_cleanly(kiln, prog, ckpt, what, expect, preexec=None):
    """Runs a save that must fail: exit 1, `expect` in the message, the old
    checkpoint byte-for-byte intact, no temporary file left."""
    failures_before = len(FAILURES)
    with open(ckpt, "rb") as f:
        before = f.read()
    p = subprocess.run([kiln, "run", prog, "--quiet", "--steps", "3000", "--save", ckpt],
                       capture_output=True, text=True, preexec_fn=preexec,
                       env=dict(os.environ, KILN_NO_PROGRESS="1"))
    err = p.stderr.strip()
    if p.returncode != 1:
        fail(f"{what}: expected exit code 1, got {p.returncode}: {err}")
    if "cannot write checkpoint" not in err or expect not in err:
        fail(f"{what}: unclear message (want 'cannot write checkpoint' and '{expect}'): {err}")
    with open(ckpt, "rb") as f:
        if f.read() != before:
            fail(f"{what}: the previous checkpoint was changed")
    folder, base = os.path.split(ckpt)
    left = temp_leftovers(folder, base)
    if left:
        fail(f"{what}: temporary files left behind: {left}")
    if len(FAILURES) == failures_before:
        print(f"diskfull: {what}: ok ({err.splitlines()[0]})", flush=True)


def can_mount():
    if os.geteuid() != 0:
        return False
    probe = tempfile.mkdtemp(prefix="kiln-mount-probe-")
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", probe])
    os.rmdir(probe)
    return ok


BIG_STATE = """module @big {
  component @w : Tensor {shape = [20000], init = "randn", seed = 3}
  component @dataset : Dataset.randn {rows = 13, cols = 1, seed = 1}
  func @main() {
    repeat 100000 {
      %0 = call @dataset.next() : f32[1]
      yield
    }
  }
}
"""


def test_diskfull(kiln, inputs, tmp):
    # A checkpoint of ~80 KB (20 pages), so a tmpfs can hold one but not two.
    prog = os.path.join(tmp, "big_state.kir")
    with open(prog, "w") as f:
        f.write(BIG_STATE)
    # The first checkpoint, written normally, is the one that must survive.
    good = os.path.join(tmp, "good.ckpt")
    code, _, err = run([kiln, "run", prog, "--quiet", "--steps", "1000", "--save", good])
    if code != 0:
        fail(f"diskfull: first save failed: {err.strip()}")
        return
    size = os.path.getsize(good)
    if digest(kiln, good) is None:
        return

    # File-size limit: write() fails with EFBIG partway through the file.
    def limit_fsize():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
    save_fails_cleanly(kiln, prog, good, "file-size limit", "File too large", limit_fsize)

    if os.path.exists(os.path.join(tmp, "nonexistent")):
        shutil.rmtree(os.path.join(tmp, "nonexistent"))
    code, _, err = run([kiln, "run", prog, "--quiet", "--steps", "10", "--save",
                        os.path.join(tmp, "nonexistent", "x.ckpt")])
    if code != 1 or "cannot write checkpoint" not in err or "No such file" not in err:
        fail(f"diskfull: missing folder: exit {code}: {err.strip()}")

    if not can_mount():
        # Without mount rights: an unwritable folder by permissions (root
        # ignores those, so this only means something for other users).
        if os.geteuid() != 0:
            ro = os.path.join(tmp, "ro")
            os.mkdir(ro)
            ck = os.path.join(ro, "c.ckpt")
            shutil.copy(good, ck)
            os.chmod(ro, 0o555)
            save_fails_cleanly(kiln, prog, ck, "unwritable folder", "Permission denied")
            os.chmod(ro, 0o755)
        print("diskfull: tmpfs cases skipped (cannot mount here)", flush=True)
        return

    # A real full disk: a tmpfs that holds the old checkpoint but not a second
    # copy (the new file is written beside the old one before the rename).
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    pages = (size + 4095) // 4096
    cap = (pages + max(1, pages // 2)) * 4096
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={cap}", "tmpfs", mnt]).returncode:
        fail("diskfull: mount failed after the probe succeeded")
        return
    try:
        ck = os.path.join(mnt, "c.ckpt")
        shutil.copy(good, ck)
        save_fails_cleanly(kiln, prog, ck, "disk full (tmpfs)", "No space left on device")
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        save_fails_cleanly(kiln, prog, ck, "read-only file system", "Read-only file system")
        if digest(kiln, ck) is None:
            fail("diskfull: the surviving checkpoint does not inspect")
    finally:
        subprocess.run(["umount", mnt])


# ---- bad data files ------------------------------------------------------------

def npy_bytes(descr, shape, payload):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + payload


def data_program(tmp, name, ctor, config, cols):
    path = os.path.join(tmp, name + ".kir")
    with open(path, "w") as f:
        f.write(f"""module @data {{
  component @d : Dataset.{ctor} {{{config}}}
  func @main() {{
    repeat 4 {{
      %0 = call @d.next() : f32[{cols}]
      yield
    }}
  }}
}}
""")
    return path


def expect_run(kiln, prog, what, code_want, texts, extra=()):
    code, out, err = run([kiln, "run", prog, "--quiet", *extra])
    err = err.strip()
    if code != code_want or any(t not in err for t in texts):
        fail(f"data: {what}: want exit {code_want} and {texts}, got {code}: {err}")
    else:
        print(f"data: {what}: ok ({err.splitlines()[0] if err else 'accepted'})", flush=True)


def test_data(kiln, tmp):
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    good = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    short = write("short.npy", npy_bytes("<f4", "(3, 2)", good[:-4]))
    prog = data_program(tmp, "short", "npy", f'path = "{short}"', 2)
    expect_run(kiln, prog, "npy shorter than its header", 1, ["truncated", "short.npy"])

    c8 = write("complex.npy", npy_bytes("<c8", "(3, 1)", good))
    prog = data_program(tmp, "complex", "npy", f'path = "{c8}"', 1)
    expect_run(kiln, prog, "npy of an unsupported dtype", 1, ["unsupported dtype '<c8'"])

    be = write("bigendian.npy", npy_bytes(">f4", "(3, 2)", good))
    prog = data_program(tmp, "bigendian", "npy", f'path = "{be}"', 2)
    expect_run(kiln, prog, "big-endian npy", 1, ["unsupported dtype '>f4'"])

    idx = write("short.idx", b"\x00\x00\x08\x03" + struct.pack(">3I", 10, 28, 28) + b"\x01" * 100)
    prog = data_program(tmp, "shortidx", "idx", f'path = "{idx}"', 784)
    expect_run(kiln, prog, "IDX shorter than its dimensions", 1, ["truncated", "short.idx"])

    nan_csv = write("nan.csv", b"1,2\n3,nan\n5,6\n")
    prog = data_program(tmp, "nan", "csv", f'path = "{nan_csv}"', 2)
    expect_run(kiln, prog, "NaN in a CSV", 1, ["nan.csv:2:3", "non-finite", "allow_nan=true"])
    prog = data_program(tmp, "nan_ok", "csv", f'path = "{nan_csv}", allow_nan = true', 2)
    expect_run(kiln, prog, "NaN in a CSV with allow_nan=true", 0, [])

    ragged = write("ragged.csv", b"1,2\n3\n")
    prog = data_program(tmp, "ragged", "csv", f'path = "{ragged}"', 2)
    expect_run(kiln, prog, "ragged CSV", 1, ["ragged.csv:2:1", "expected 2 fields"])

    # A tensor larger than the machine can give: a clear error, not an abort.
    # (An address-space limit stands in for a small machine; ASan builds
    # reserve terabytes of shadow memory and cannot run under one.)
    huge = os.path.join(tmp, "huge.kir")
    with open(huge, "w") as f:
        f.write("""module @huge {
  component @d : Dataset.randn {rows = 13, cols = 1, seed = 1}
  func @main() {
    %0 = buffer_repeat 4000000000 : f32[4000000000, 1] {
      %1 = call @d.next() : f32[1]
      yield %1
    }
  }
}
""")
    if "ASAN_OPTIONS" in os.environ:
        print("data: out of memory: skipped under ASan", flush=True)
    else:
        def limit_as():
            resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        p = subprocess.run([kiln, "run", huge, "--quiet", "--steps", "5"], capture_output=True,
                           text=True, preexec_fn=limit_as, env=dict(os.environ, KILN_NO_PROGRESS="1"))
        if p.returncode != 1 or "out of memory" not in p.stderr:
            fail(f"data: huge buffer_repeat: want exit 1 and 'out of memory', got "
                 f"{p.returncode}: {p.stderr.strip()[-300:]}")
        else:
            print(f"data: out of memory: ok ({p.stderr.strip()})", flush=True)

    # The data file changes between save and resume: the checkpoint refuses.
    csv = write("data.csv", b"1,2\n3,4\n5,6\n")
    prog = data_program(tmp, "changed", "csv", f'path = "{csv}"', 2)
    ck = os.path.join(tmp, "changed.ckpt")
    code, _, err = run([kiln, "run", prog, "--quiet", "--steps", "2", "--save", ck])
    if code != 0:
        fail(f"data: changed file: first run failed: {err.strip()}")
        return
    write("data.csv", b"1,2\n3,4\n5,7\n")
    code, _, err = run([kiln, "resume", ck, "--quiet"])
    if code != 1 or "data.csv" not in err:
        fail(f"data: resume after the data file changed: want exit 1 naming the file, "
             f"got {code}: {err.strip()}")
    else:
        print(f"data: data file changed before resume: ok ({err.strip().splitlines()[0]})",
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln")
    ap.add_argument("inputs")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--only", choices=["kill", "diskfull", "data"])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiln-faults-") as tmp:
        if a.only in (None, "kill"):
            test_kill(a.kiln, a.inputs, tmp, a.kills, a.seed)
        if a.only in (None, "diskfull"):
            test_diskfull(a.kiln, a.inputs, tmp)
        if a.only in (None, "data"):
            test_data(a.kiln, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("all fault tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
