import subprocess
import time


async def work():
    time.sleep(0.01)
    return subprocess.run(["echo", "hi"], capture_output=True).stdout


async def pause():
    # Nothing patches this module's own name for it... but `time.sleep` is patched for every
    # module through `jobs.time.sleep`: this one is unsafe too.
    time.sleep(0.01)


def nap():
    time.sleep(0.01)


async def rest():
    # Converting `nap` rests on migrating its `time.sleep`, which tests patch: unsafe too.
    nap()
