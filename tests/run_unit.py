#!/usr/bin/env python3
"""Runs the unit test binaries given on the command line. Each prints
'N passed, N failed' as its last line; this adds them up."""
import re
import subprocess
import sys

total_p = total_f = 0
bad = False
for exe in sys.argv[1:]:
    r = subprocess.run([exe], capture_output=True, text=True)
    out = r.stdout + r.stderr
    m = re.search(r"(\d+) passed, (\d+) failed", out)
    if not m or r.returncode != 0:
        bad = True
        print(out)
    if m:
        total_p += int(m.group(1))
        total_f += int(m.group(2))
    print(f"{exe}: {m.group(0) if m else 'no result'} (exit {r.returncode})")
print(f"unit: {total_p} passed, {total_f} failed")
sys.exit(1 if bad or total_f or total_p == 0 else 0)
