import time


class Indexer:
    def index(self, path):
        time.sleep(0.01)
        return {"path": path, "files": 1}


async def handle(path):
    indexer = Indexer()
    try:
        # A sync method awaited: `await` on its dict raises TypeError today.
        return await indexer.index(path)
    except TypeError as exc:
        return "broken: %s" % exc
