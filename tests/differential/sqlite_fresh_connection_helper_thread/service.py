from db import get_value, set_value


async def put(path, key, value):
    set_value(path, key, value)
    return get_value(path, key)
