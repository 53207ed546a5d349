import sqlite3
from contextlib import contextmanager


class Store:
    def __init__(self, path):
        self.path = path

    @contextmanager
    def _connection(self):
        conn = sqlite3.connect(self.path)
        try:
            yield conn
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()

    async def setup(self):
        with self._connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS items (name TEXT UNIQUE)")
            conn.execute("DELETE FROM items")

    async def add(self, *names):
        with self._connection() as conn:
            for name in names:
                conn.execute("INSERT INTO items VALUES (?)", (name,))

    async def names(self):
        with self._connection() as conn:
            return [row[0] for row in conn.execute("SELECT name FROM items ORDER BY name")]
