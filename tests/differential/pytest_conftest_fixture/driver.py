import re
import subprocess
import sys

result = subprocess.run(
    [sys.executable, "-m", "pytest", "-q", "-rA", "--tb=no", "-p", "no:cacheprovider", "tests"],
    capture_output=True,
    text=True,
)
for line in sorted(result.stdout.splitlines()):
    if line.startswith(("PASSED", "FAILED", "ERROR", "SKIPPED")):
        print(re.sub(r" - .*", "", line))
print("exit", result.returncode)
