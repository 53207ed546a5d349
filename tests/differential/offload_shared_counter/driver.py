import asyncio

import app
from helpers import COUNTER


async def main():
    results = await asyncio.gather(app.handle(), app.handle())
    print(sorted(results), COUNTER.count)


asyncio.run(main())
