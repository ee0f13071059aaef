"""Runs the command given as arguments with its stderr discarded and prints
`exit N`, its exit code (lit's shell has no `$?`), for FileCheck."""
import subprocess
import sys

print("exit", subprocess.call(sys.argv[1:], stderr=subprocess.DEVNULL))
