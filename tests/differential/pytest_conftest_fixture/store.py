import time


class Store:
    def __init__(self):
        self.items = []

    def add(self, item):
        time.sleep(0.01)
        self.items.append(item)
        return len(self.items)


async def handle(item):
    store = Store()
    return store.add(item)
