import time


def load_a(key):
    time.sleep(0.01)
    return key.upper()


def load_b(key):
    time.sleep(0.01)
    return key.upper()


def load_c(key):
    time.sleep(0.01)
    return key.upper()


def load_d(key):
    time.sleep(0.01)
    return key.upper()


def load_e(key):
    time.sleep(0.01)
    return key.upper()


async def handle(key):
    return [load_a(key), load_b(key), load_c(key), load_d(key), load_e(key)]
