import asyncio
import os
import tempfile

import db
import service

path = os.path.join(tempfile.mkdtemp(), "items.db")
db.get_conn(path).execute("CREATE TABLE items (name TEXT)")
db.show(path)


async def main():
    print(await service.put(path, "a"))
    print(await service.put(path, "b"))


asyncio.run(main())
db.show(path)
