from typing import Optional

from store import MemoryStore, Store, get_store


class Service:
    def __init__(self, store: Store):
        self.store = store

    async def get(self, key):
        return self.store.load(key)

    async def put(self, key, value):
        self.store.save(key, value)


async def lookup(store: Optional[Store], key):
    return store.load(key)


async def fetch(key):
    return get_store().load(key)


async def demo():
    memory = Service(MemoryStore())
    await memory.put("m", "memory")
    real = Service(get_store())
    await real.put("a", "1")
    return [await real.get("a"), await lookup(get_store(), "a"), await fetch("a"), memory.store.items]
