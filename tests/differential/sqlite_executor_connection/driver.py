import asyncio

from index import Index


async def main():
    index = Index(":memory:")
    await index.open()
    print(await index.total())
    await index.close()


asyncio.run(main())
print("exit")
