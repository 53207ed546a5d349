EVENTS = []


class Cache:
    async def refresh(self):
        EVENTS.append("async refresh")

    async def touch(self):
        self.refresh()
        return "touched"
