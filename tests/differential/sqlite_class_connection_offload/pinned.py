import asyncio
import sqlite3


class Pinned:
    def __init__(self, path):
        # Opened on the loop's thread, for this thread only, explicitly: the fix does not override it.
        self.conn = sqlite3.connect(path, check_same_thread=True)
        self.conn.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY)")

    def add(self, path):
        self.conn.execute("INSERT INTO files VALUES (?)", (path,))
        self.conn.commit()

    def count(self):
        return self.conn.execute("SELECT count(*) FROM files").fetchone()[0]

    def close(self):
        self.conn.close()


async def main(path):
    index = Pinned(path)
    for name in ("a.py", "b.py", "c.py"):
        index.add(name)
    total = index.count()
    index.close()
    return total
