import asyncio

import db


async def main():
    print(await db.add_project("a"), await db.add_project("b"), await db.add_project("a"))
    print(await db.names())


db.init_db()
asyncio.run(main())
print("exit")
