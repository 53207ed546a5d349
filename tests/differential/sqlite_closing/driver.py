import asyncio
import os
import sqlite3
import tempfile

import app


async def main(path):
    await app.setup(path)
    await app.add(path, "a", "b")
    try:
        await app.add(path, "c", "a")
    except sqlite3.IntegrityError as exc:
        print("IntegrityError", exc)
    await app.add_uncommitted(path, "lost")
    print(await app.names(path))


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(os.path.join(tmp, "db.sqlite")))
print("exit")
