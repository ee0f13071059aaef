#!/usr/bin/env python3
"""Every example ends in the same state compiled and interpreted, on 1 and 2 threads.

For each examples/*.kiln: `kiln run` with the JIT and with --no-jit, each with
OMP_NUM_THREADS=1 and 2, saving a checkpoint at the end; the `components:`
section of `kiln inspect` (SHA-256 of every component tensor) and the
program's output must be identical across the four runs. The JIT runs must
have compiled at least one kernel where the program has fused groups (so a
JIT that declines everything cannot pass).

usage: jit_equivalence.py KILN EXAMPLES_DIR
"""
import os
import re
import subprocess
import sys
import tempfile


# Programs may write files relative to the current folder (save_npy,
# checkpoint): kiln runs in the temporary folder.
WORKDIR = None


def run(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=WORKDIR)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr}")
    return p


def state(kiln, ckpt, env):
    text = run([kiln, "inspect", ckpt], env).stdout
    m = re.search(r"^components:\n(.*?)(?=^values:|\Z)", text, re.S | re.M)
    if not m:
        sys.exit(f"FAIL: no components section in inspect output of {ckpt}")
    return m.group(1)


def main():
    global WORKDIR
    kiln, examples = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    programs = sorted(f for f in os.listdir(examples) if f.endswith(".kiln"))
    if not programs:
        sys.exit(f"FAIL: no examples in {examples}")
    with tempfile.TemporaryDirectory() as tmp:
        WORKDIR = tmp
        for prog in programs:
            path = os.path.join(examples, prog)
            results = {}
            for jit in (True, False):
                for threads in (1, 2):
                    env = dict(os.environ, OMP_NUM_THREADS=str(threads), KILN_NO_PROGRESS="1",
                               XDG_CACHE_HOME=os.path.join(tmp, "cache"))
                    ckpt = os.path.join(tmp, f"{prog}-{jit}-{threads}.ckpt")
                    cmd = [kiln, "run", path, "--quiet", "--stats", "--save", ckpt]
                    if not jit:
                        cmd.append("--no-jit")
                    p = run(cmd, env)
                    if jit:
                        m = re.search(r"codegen: (\d+) fused ops, (\d+) compiled, (\d+) from caches",
                                      p.stderr)
                        if m and int(m.group(1)) > 0 and int(m.group(2)) + int(m.group(3)) == 0:
                            sys.exit(f"FAIL: {prog}: the JIT compiled none of its kernels:\n{p.stderr}")
                    results[(jit, threads)] = (state(kiln, ckpt, env), p.stdout)
            ref = results[(False, 1)]
            for key, got in results.items():
                if got[0] != ref[0]:
                    sys.exit(f"FAIL: {prog}: component state differs (jit={key[0]}, "
                             f"threads={key[1]}) from --no-jit on 1 thread:\n{got[0]}\nvs\n{ref[0]}")
                if got[1] != ref[1]:
                    sys.exit(f"FAIL: {prog}: output differs (jit={key[0]}, threads={key[1]})")
            print(f"ok: {prog}: 4 runs, same state")


if __name__ == "__main__":
    main()
