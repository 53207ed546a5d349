import time
from typing import Optional


class Store:
    def __init__(self):
        self.items = {}

    def load(self, key):
        time.sleep(0.01)
        return self.items.get(key, "?")

    def save(self, key, value):
        time.sleep(0.01)
        self.items[key] = value


class MemoryStore:
    # Stands in for a Store without deriving from it: `save` on an annotated `Store`
    # may be this one, so it is not resolved (and `Store.save` stays sync).
    def __init__(self):
        self.items = {}

    def save(self, key, value):
        self.items[key] = value


_store: Optional[Store] = None


def get_store() -> Store:
    global _store
    if _store is None:
        _store = Store()
    return _store
