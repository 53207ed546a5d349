import asyncio

import counter
import indexer

print(asyncio.run(indexer.handle("x")))
print(asyncio.run(counter.handle("x")))
