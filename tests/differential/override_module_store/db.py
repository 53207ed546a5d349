import time


def fetch(key):
    time.sleep(0.01)
    return key.upper()
