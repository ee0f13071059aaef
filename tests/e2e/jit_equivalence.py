#!/usr/bin/env python3
"""Every example ends in the same state compiled and interpreted, on 1 and 2 threads.

For each examples/*.kiln: `kiln run` with the JIT and with --no-jit, each with
OMP_NUM_THREADS=1 and 2, and with the kernels a narrower machine gets
(`--jit-cpu x86-64`, SSE2, on 1 thread; `--jit-cpu haswell`, AVX2, on 2
threads, where this machine runs AVX2 code), saving a checkpoint at the end;
the `components:` section of `kiln inspect` (SHA-256 of every component
tensor) and the program's output must be identical across the runs. The JIT
runs must have compiled at least one kernel where the program has fused
groups (so a JIT that declines everything cannot pass).

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


def run(cmd, env, check=True):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=WORKDIR)
    if check and p.returncode != 0:
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
        env0 = dict(os.environ, KILN_NO_PROGRESS="1", XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        # (jit, threads, cpu): cpu "" is this machine's. AVX2 code only where
        # it runs (kiln refuses a --jit-cpu the machine cannot run, exit 2).
        configs = [(True, 1, ""), (True, 2, ""), (False, 1, ""), (False, 2, ""),
                   (True, 1, "x86-64")]
        probe = run([kiln, "run", os.path.join(examples, programs[0]), "--quiet", "--steps", "0",
                     "--jit-cpu", "haswell"], env0, check=False)
        if probe.returncode == 0:
            configs.append((True, 2, "haswell"))
        elif "cannot run code" not in probe.stderr:
            sys.exit(f"FAIL: --jit-cpu haswell:\n{probe.stderr}")
        for prog in programs:
            path = os.path.join(examples, prog)
            results = {}
            for jit, threads, cpu in configs:
                env = dict(env0, OMP_NUM_THREADS=str(threads))
                ckpt = os.path.join(tmp, f"{prog}-{jit}-{threads}-{cpu}.ckpt")
                cmd = [kiln, "run", path, "--quiet", "--stats", "--save", ckpt]
                if not jit:
                    cmd.append("--no-jit")
                if cpu:
                    cmd += ["--jit-cpu", cpu]
                p = run(cmd, env)
                if jit:
                    m = re.search(r"codegen: (\d+) fused ops, (\d+) compiled, (\d+) from caches",
                                  p.stderr)
                    if m and int(m.group(1)) > 0 and int(m.group(2)) + int(m.group(3)) == 0:
                        sys.exit(f"FAIL: {prog}: the JIT compiled none of its kernels:\n{p.stderr}")
                results[(jit, threads, cpu)] = (state(kiln, ckpt, env), p.stdout)
            ref = results[(False, 1, "")]
            for key, got in results.items():
                what = f"jit={key[0]}, threads={key[1]}" + (f", cpu={key[2]}" if key[2] else "")
                if got[0] != ref[0]:
                    sys.exit(f"FAIL: {prog}: component state differs ({what}) from --no-jit "
                             f"on 1 thread:\n{got[0]}\nvs\n{ref[0]}")
                if got[1] != ref[1]:
                    sys.exit(f"FAIL: {prog}: output differs ({what})")
            print(f"ok: {prog}: {len(results)} runs, same state")


if __name__ == "__main__":
    main()
