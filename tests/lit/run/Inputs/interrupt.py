# Starts `kiln run LOOP --save CKPT`, waits until it has run a while, sends
# SIGTERM and prints the exit code.
import signal, subprocess, sys, time
kiln, prog, ckpt = sys.argv[1:4]
p = subprocess.Popen([kiln, "run", prog, "--save", ckpt, "--no-progress"],
                     stderr=subprocess.PIPE)
time.sleep(0.5)
p.send_signal(signal.SIGTERM)
_, err = p.communicate(timeout=60)
print("exit", p.returncode)
sys.stderr.write(err.decode())
