import subprocess
from subprocess import PIPE


async def talk():
    proc = subprocess.Popen(["cat"], stdin=PIPE, stdout=PIPE)
    first = proc.communicate(b"hello")
    try:
        second = proc.communicate()
    except ValueError as exc:
        second = f"ValueError: {exc}"
    return first, second
