import subprocess
from subprocess import PIPE


async def kernel():
    out, err = subprocess.Popen(["echo", "release"], stdout=PIPE).communicate()
    data = subprocess.Popen(["echo", "data"], stdout=PIPE).stdout.read()
    code = subprocess.Popen(["sh", "-c", "exit 3"]).wait()
    return out, err, data, code
