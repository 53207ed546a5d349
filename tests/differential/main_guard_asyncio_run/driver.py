import subprocess
import sys

for args in (["a", "b"], ["c", "boom"]):
    result = subprocess.run([sys.executable, "tool.py", *args], capture_output=True, text=True)
    print(args, result.returncode, result.stdout.split(), result.stderr.strip().splitlines()[-1:])
