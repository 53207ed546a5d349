from base import EVENTS, Cache


class MemoryCache(Cache):
    def refresh(self):
        EVENTS.append("sync refresh")
