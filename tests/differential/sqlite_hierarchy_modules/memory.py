import sqlite3

from session_base import Session


class MemorySession(Session):
    async def open(self):
        self.conn = sqlite3.connect(":memory:")
        self._create()

    async def close(self):
        self.conn.close()
