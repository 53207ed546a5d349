import time


class Store:
    def load(self, key):
        time.sleep(0.01)
        return key.upper()

    async def handle(self, key):
        return self.load(key) + "!"
