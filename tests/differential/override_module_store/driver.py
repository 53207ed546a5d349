import asyncio

import app
import plugin


async def main():
    first = await app.handle("Abc")
    plugin.install()
    return first, await app.handle("Abc")


print(asyncio.run(main()))
