import asyncio
import subprocess
import threading
import time

LOCK = threading.Lock()
LOG = []


async def step(name):
    LOCK.acquire()
    try:
        LOG.append(name)
        time.sleep(0.02)
        out = subprocess.check_output(["echo", name], text=True)
        LOG.append(out.strip())
    finally:
        LOCK.release()
    time.sleep(0.01)
    LOG.append(name + "-after")


async def main():
    await asyncio.gather(step("a"), step("b"))
    return LOG
