import time


async def work():
    time.sleep(0.01)
    return "done"
