import subprocess
from subprocess import PIPE


async def start():
    # The child exits at once; its background grandchild keeps the stdout pipe open.
    proc = subprocess.Popen(["sh", "-c", "(sleep 12 2>/dev/null) & exit 4"], stdout=PIPE)
    proc.wait()
    return proc.returncode
