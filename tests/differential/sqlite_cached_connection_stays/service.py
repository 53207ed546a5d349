from db import add, count


async def put(path, name):
    add(path, name)
    return count(path)
