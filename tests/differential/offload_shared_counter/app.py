from helpers import COUNTER


async def handle():
    return COUNTER.bump()
