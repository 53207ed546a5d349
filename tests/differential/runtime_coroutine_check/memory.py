import asyncio
import inspect

CLOSED = []


class SqlBackend:
    async def close(self):
        CLOSED.append("sql")


class FileBackend:
    def close(self):
        CLOSED.append("file")


class Memory:
    def __init__(self, primary):
        self.primary = primary

    async def shutdown(self):
        if inspect.iscoroutinefunction(self.primary.close):
            await self.primary.close()
        else:
            self.primary.close()


class SqlMemory(Memory):
    def __init__(self):
        self.primary = SqlBackend()

    async def stop(self):
        if asyncio.iscoroutinefunction(self.primary.close):
            await self.primary.close()
        else:
            self.primary.close()
