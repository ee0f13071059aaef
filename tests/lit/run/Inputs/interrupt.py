# Starts `kiln run LOOP --save CKPT`, waits until it has run a while, sends
# SIGTERM (or the signal named by the 4th argument) and prints the exit code.
import signal, subprocess, sys, time
kiln, prog, ckpt = sys.argv[1:4]
sig = getattr(signal, sys.argv[4]) if len(sys.argv) > 4 else signal.SIGTERM
p = subprocess.Popen([kiln, "run", prog, "--save", ckpt, "--no-progress"],
                     stderr=subprocess.PIPE)
time.sleep(0.5)
p.send_signal(sig)
_, err = p.communicate(timeout=60)
print("exit", p.returncode)
sys.stderr.write(err.decode())
