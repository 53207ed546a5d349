import asyncio

import store

print(asyncio.run(store.main()))
