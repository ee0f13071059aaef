"""Runs one example program the three ways its final state must agree and
checks that it does; prints the run's output for the test to check.

    equivalence.py KILN PROGRAM DIR --steps K [--hook SPEC]...

In DIR (emptied first): `kiln ir PROGRAM` (with the hooks) to p.kir, then
p.kir run to the end at -O0 and at -O2, and at -O2 stopped after K steps,
saved and resumed (`kiln run --steps K --save`, `kiln resume`), each in its
own folder (O0/, O2/, split/: files the program writes land there). Checks:

* the component sections of `kiln inspect` (every component tensor's
  dtype, shape and SHA-256) of the three final checkpoints are identical;
* the three outputs (stdout, `--quiet`; the split run's two halves joined)
  are identical, `log`'s `[step N]` prefixes included (N is the step's
  place in the schedule, the same at every -O level: docs/vm.md, "Steps");
* the files the program wrote are the same in the O0/ and O2/ folders,
  byte for byte, except kiln checkpoints: those are compared by their
  `kiln inspect` component sections (the IR inside them differs with -O);
  split/ holds each of them too, and may hold more: `checkpoint`'s `keep`
  counts the files one process wrote, so the resumed run does not delete
  those of the run before it (docs/components.md).

Each kiln checkpoint the program wrote itself (the `checkpoint` callable)
in O2/ is then resumed in a folder of its own: it must end in the same
component state, and print the end of the same output.

Prints the -O2 output, then `files: NAME...` and `equivalent: N component
tensors`. Any difference prints `error: ...` and exits 1."""
import os
import shutil
import subprocess
import sys


def fail(msg):
    print(f"error: {msg}")
    sys.exit(1)


def kiln(*args, cwd):
    r = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def state(exe, ckpt, cwd):
    """The component section of `kiln inspect`."""
    text = kiln(exe, "inspect", ckpt, cwd=cwd)
    start, end = text.find("\ncomponents:\n"), text.find("\nvalues:")
    if start < 0:
        fail(f"no components section in `kiln inspect {ckpt}`")
    return text[start:end if end >= 0 else len(text)]


def written(exe, folder):
    """Every file under folder (but the run's own checkpoint), by relative
    name: its bytes, or its component state for a kiln checkpoint."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if rel in ("final.ckpt", "half.ckpt"):
                continue
            with open(path, "rb") as f:
                data = f.read()
            files[rel] = state(exe, path, folder) if data[:8] == b"KILNCKPT" else data
    return files




def main():
    args = sys.argv[1:]
    if len(args) < 5 or args[3] != "--steps":
        fail(__doc__)
    exe, program, out, steps = os.path.abspath(args[0]), os.path.abspath(args[1]), args[2], args[4]
    hooks = []
    rest = args[5:]
    while rest:
        if rest[0] != "--hook" or len(rest) < 2:
            fail(f"unexpected argument {rest[0]!r}")
        hooks += rest[:2]
        rest = rest[2:]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    out = os.path.abspath(out)
    kir = os.path.join(out, "p.kir")
    with open(kir, "w") as f:
        f.write(kiln(exe, "ir", program, *hooks, cwd=out))
    runs = {}
    for name, flags in (("O0", ["-O0"]), ("O2", ["-O2"])):
        cwd = os.path.join(out, name)
        os.makedirs(cwd)
        log = kiln(exe, "run", kir, *flags, "--quiet", "--save", "final.ckpt", cwd=cwd)
        runs[name] = (log, state(exe, "final.ckpt", cwd), written(exe, cwd))
    cwd = os.path.join(out, "split")
    os.makedirs(cwd)
    log = kiln(exe, "run", kir, "-O2", "--quiet", "--steps", steps, "--save", "half.ckpt", cwd=cwd)
    log += kiln(exe, "resume", "half.ckpt", "--quiet", "--save", "final.ckpt", cwd=cwd)
    runs["split"] = (log, state(exe, "final.ckpt", cwd), written(exe, cwd))

    ref = runs["O2"]
    for name in ("O0", "split"):
        for what, i in (("output", 0), ("component state", 1), ("written files", 2)):
            mine, theirs = runs[name][i], ref[i]
            if name == "split" and i == 2:
                mine = {k: v for k, v in mine.items() if k in ref[2]}
            if mine != theirs:
                fail(f"the {what} of the {name} run differs from the -O2 run's:\n"
                     f"{runs[name][i]!r}\n---\n{ref[i]!r}")
    for k, name in enumerate(sorted(n for n, v in ref[2].items() if isinstance(v, str))):
        cwd = os.path.join(out, f"resumed{k}")
        os.makedirs(cwd)
        log = kiln(exe, "resume", os.path.join(out, "O2", name), "--quiet", "--save", "final.ckpt",
                   cwd=cwd)
        if state(exe, "final.ckpt", cwd) != ref[1] or not ref[0].endswith(log):
            fail(f"resumed from {name}, the run does not end as the -O2 run")
    tensors = sum(1 for line in ref[1].splitlines() if " sha256 " in line)
    if tensors == 0:
        fail("no component tensors to compare")
    sys.stdout.write(ref[0])
    print("files:", *sorted(ref[2]))
    print(f"equivalent: {tensors} component tensors")


main()
