import asyncio
import threading
import time


class Store:
    def __init__(self):
        self._lock = threading.Lock()
        self.items = []

    def _save(self, item):
        time.sleep(0.02)
        self.items.append(item)

    async def add(self, item):
        with self._lock:
            self._save(item)


async def main():
    store = Store()
    await asyncio.gather(store.add("a"), store.add("b"))
    return store.items
