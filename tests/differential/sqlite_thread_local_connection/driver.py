import asyncio
import os
import tempfile

os.chdir(tempfile.mkdtemp())

import service  # noqa: E402
import store  # noqa: E402


async def main():
    print(await service.remember("ann", "b"))
    pairs = [("bob", "x"), ("ann", "a"), ("bob", "y")]
    await asyncio.gather(*(service.remember(owner, body) for owner, body in pairs))
    print(await service.remember("cid", "z"))
    print(await service.all_tags())


store.init_db()
asyncio.run(main())
print(store.notes_of("ann"))
service.TAGS.report()
store.close_conn()
print("done")
