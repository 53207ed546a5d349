import asyncio
import sqlite3
from typing import Optional


class Index:
    def __init__(self, path):
        self.path = path
        self._conn: Optional[sqlite3.Connection] = None

    def _make_conn(self):
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("CREATE TABLE IF NOT EXISTS items (n INTEGER)")
        conn.executemany("INSERT INTO items VALUES (?)", [(1,), (2,), (3,)])
        return conn

    async def open(self):
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(None, self._make_conn)

    async def total(self):
        return self._conn.execute("SELECT sum(n) FROM items").fetchone()[0]

    async def close(self):
        self._conn.close()
