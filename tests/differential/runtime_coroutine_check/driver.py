import asyncio

import memory


async def main():
    await memory.Memory(memory.FileBackend()).shutdown()
    await memory.Memory(memory.SqlBackend()).shutdown()
    await memory.SqlMemory().stop()
    # A back end swapped where the analysis cannot see it: only the run-time check knows.
    swapped = memory.SqlMemory()
    swapped.primary = memory.FileBackend()
    await swapped.stop()
    return memory.CLOSED


print(asyncio.run(main()))
