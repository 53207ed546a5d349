import time


def load(path):
    # A sync entry point calls it too: it stays sync.
    time.sleep(0.01)
    with open(path) as f:
        return f.read()


def summary(path):
    # Only async code calls it: it becomes `async def`, and its call of `load` (which stays
    # sync) is then async code that blocks; with --unsafe-fixes it moves to a thread in the
    # same run.
    time.sleep(0.01)
    text = load(path)
    return text.upper()


def cli(path):
    return load(path)


async def handle(path):
    return summary(path)
