import asyncio
import warnings

import base
import memory

warnings.simplefilter("ignore")


async def main():
    out = []
    for cls in (memory.MemoryCache,):
        try:
            out.append(await cls().touch())
        except Exception as exc:
            out.append(type(exc).__name__)
    return out, base.EVENTS


print(asyncio.run(main()))
