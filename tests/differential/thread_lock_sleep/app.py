import asyncio
import threading
import time

_lock = threading.Lock()
CALLS = []


async def record(name):
    with _lock:
        CALLS.append(name)
        time.sleep(0.05)
        CALLS.append(name + "-done")


async def main():
    await asyncio.gather(record("a"), record("b"))
    return CALLS
