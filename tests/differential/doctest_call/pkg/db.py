import time


def load(key):
    """Load a key.

    >>> load("a")
    'A'
    """
    time.sleep(0.01)
    return key.upper()


async def handle(key):
    return load(key)
