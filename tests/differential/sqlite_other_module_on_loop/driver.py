import asyncio
import os
import sqlite3
import tempfile

import stats
import store


async def main(path):
    await store.add(path, "beta")
    await store.add(path, "alphabet")
    print(await store.names(path))
    print(await stats.report(path))


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "hosts.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE hosts (name TEXT)")
    conn.close()
    asyncio.run(main(path))
print("done")
