import time


def hook_start(arg):
    time.sleep(0.01)
    return "started " + arg
