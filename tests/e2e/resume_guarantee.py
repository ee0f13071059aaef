#!/usr/bin/env python3
"""Resume guarantee, end to end: for every example program and several cut
points, `kiln run` in one go and `kiln run --steps N --save` + `kiln resume`
in a new process must end in the same state, compared by the SHA-256 digests
`kiln inspect --json` prints (components, live values, rng counters, steps).

usage: resume_guarantee.py KILN EXAMPLES_DIR [EXTRA_PROGRAM ...]
Programs are examples/*.kiln (when this kiln can lower notation) plus the
given .kir files.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


# Programs may write files relative to the current folder (save_npy,
# checkpoint): kiln runs in the temporary folder.
WORKDIR = None


def run(args):
    p = subprocess.run(args, capture_output=True, text=True, cwd=WORKDIR,
                       env=dict(os.environ, KILN_NO_PROGRESS="1"))
    return p.returncode, p.stdout, p.stderr


def digest(kiln, ckpt):
    code, out, err = run([kiln, "inspect", "--json", ckpt])
    if code != 0:
        raise SystemExit("inspect failed: " + err)
    d = json.loads(out)
    d.pop("program_hash", None)
    return d


def main():
    global WORKDIR
    kiln, examples = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    programs = sorted(glob.glob(os.path.join(examples, "*.kiln"))) + \
        [os.path.abspath(p) for p in sys.argv[3:]]
    failures, checked = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        WORKDIR = tmp
        for prog in programs:
            name = os.path.basename(prog)
            whole = os.path.join(tmp, name + ".whole")
            code, _, err = run([kiln, "run", prog, "--quiet", "--save", whole])
            if code != 0:
                if prog.endswith(".kiln") and "frontend" in err:
                    print(f"skip {name}: {err.strip()}")
                    continue
                print(f"FAIL {name}: run failed: {err}")
                failures += 1
                continue
            ref = digest(kiln, whole)
            total = ref["steps"]
            cuts = sorted({0, 1, 2, total // 3, total // 2, total - 1})
            for cut in cuts:
                if cut < 0 or cut > total:
                    continue
                a = os.path.join(tmp, f"{name}.{cut}.a")
                b = os.path.join(tmp, f"{name}.{cut}.b")
                code, _, err = run([kiln, "run", prog, "--quiet", "--steps", str(cut), "--save", a])
                if code == 0:
                    code, _, err = run([kiln, "resume", a, "--quiet", "--save", b])
                if code != 0:
                    print(f"FAIL {name} cut {cut}: {err}")
                    failures += 1
                    continue
                checked += 1
                if digest(kiln, b) != ref:
                    print(f"FAIL {name} cut {cut}: resumed state differs from one-go state")
                    failures += 1
    print(f"{checked} resume checks, {failures} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
