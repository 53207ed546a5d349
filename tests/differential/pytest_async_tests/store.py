import time


def load(path):
    time.sleep(0.01)
    with open(path) as f:
        return f.read()


async def handle(path):
    return load(path).upper()
