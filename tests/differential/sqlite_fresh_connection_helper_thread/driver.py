import asyncio
import os
import tempfile

import db
import service


async def main(path):
    print(await service.put(path, "a", "1"))
    try:
        await service.put(path, "b", None)
    except ValueError as exc:
        print("error:", exc)
    results = await asyncio.gather(*(service.put(path, f"k{i}", str(i)) for i in range(4)))
    print(sorted(results))


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "kv.db")
    db.init_db(path)
    asyncio.run(main(path))
    db.show(path, "a")
    db.show(path, "b")
print("done")
