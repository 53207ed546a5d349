import time


def load(key):
    time.sleep(0.01)
    return key.upper()


async def handle(key):
    return load(key)
