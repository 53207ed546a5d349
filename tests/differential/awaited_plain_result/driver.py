import asyncio

import indexer

print(asyncio.run(indexer.handle("x")))
