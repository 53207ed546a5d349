from store import load


async def handle():
    return load()
