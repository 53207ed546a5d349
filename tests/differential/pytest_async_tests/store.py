import time


def load(path):
    time.sleep(0.01)
    with open(path) as f:
        return f.read()


async def handle(path):
    return load(path).upper()


class Notes:
    def __init__(self):
        self.items = []

    def add(self, text):
        time.sleep(0.01)
        self.items.append(text)
        return len(self.items)


async def note(text):
    return Notes().add(text)
