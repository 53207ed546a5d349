import asyncio
import os
import tempfile

import admin
import store


async def main(path):
    await store.add(path, "beta")
    await store.add(path, "alpha")
    print(await store.names(path))


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "hosts.db")
    admin.create_schema(path)
    asyncio.run(main(path))
print("done")
