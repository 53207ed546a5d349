import asyncio
import os
import sqlite3
import tempfile

import counter

path = os.path.join(tempfile.mkdtemp(), "hits.db")
conn = sqlite3.connect(path)
conn.execute("CREATE TABLE hits (name TEXT)")
conn.close()


async def main():
    results = await asyncio.wait_for(
        asyncio.gather(*(counter.bump(path, f"t{i}") for i in range(5))), timeout=5
    )
    print(sorted(results))


asyncio.run(main())
print("done")
