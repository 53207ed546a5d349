import asyncio
import os
import sqlite3
import tempfile

from store import Store


async def main(path):
    store = Store(path)
    await store.setup()
    await store.add("b", "a")
    try:
        await store.add("c", "a")
    except sqlite3.IntegrityError as exc:
        print("IntegrityError", exc)
    await asyncio.gather(store.add("d"), store.add("e"))
    print(await store.names())


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(os.path.join(tmp, "db.sqlite")))
print("exit")
