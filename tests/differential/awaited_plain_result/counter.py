import time


class Counter:
    def index(self, path):
        time.sleep(0.01)
        return {"path": path, "files": 1}


def cli(path):
    return Counter().index(path)


async def handle(path):
    indexer = Counter()
    try:
        return (await indexer.index(path))["files"]
    except TypeError as exc:
        return "broken: %s" % exc
