import asyncio
import time


def _throttle():
    time.sleep(0.01)


def fetch(key):
    _throttle()
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(None, str.upper, key)


async def handle(key):
    return await fetch(key)
