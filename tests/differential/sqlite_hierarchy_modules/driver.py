import asyncio

from memory import MemorySession


async def main():
    session = MemorySession()
    await session.open()
    await session.save(1, "alice")
    await session.save(2, "bob")
    print(await session.names())
    await session.close()


asyncio.run(main())
