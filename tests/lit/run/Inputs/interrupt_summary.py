# Starts `kiln run PROG --save CKPT`, waits until the checkpoint exists (the
# run has finished and kiln is printing its summaries, here a long PCA
# eigensolve), sends SIGINT and prints the exit code and whether kiln
# stopped within 10 seconds of the signal (it used to ignore it for the
# whole eigensolve).
import os, signal, subprocess, sys, time
kiln, prog, ckpt = sys.argv[1:4]
p = subprocess.Popen([kiln, "run", prog, "--save", ckpt, "--no-progress"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.time() + 120
while not os.path.exists(ckpt) and p.poll() is None and time.time() < deadline:
    time.sleep(0.05)
time.sleep(0.3)
sent = time.time()
p.send_signal(signal.SIGINT)
try:
    _, err = p.communicate(timeout=10)
    verdict = "promptly" if time.time() - sent < 10 else "late"
except subprocess.TimeoutExpired:
    p.kill()
    _, err = p.communicate()
    verdict = "still running 10 s after SIGINT"
sys.stdout.write(err.decode())
print("exit", p.returncode, verdict)
