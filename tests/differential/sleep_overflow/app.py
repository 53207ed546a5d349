import time


async def wait_forever():
    time.sleep(1e10)
