import asyncio
import os
import sqlite3
import tempfile

from store import Notes


async def main(path):
    notes = await asyncio.to_thread(Notes, path)
    print(await notes.bodies())
    await asyncio.gather(notes.add("a", "b"), notes.add("c"))
    try:
        await notes.add("d", "a")
    except sqlite3.IntegrityError as exc:
        print("IntegrityError", exc)
    print(await notes.bodies())


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(os.path.join(tmp, "db.sqlite")))
print("exit")
