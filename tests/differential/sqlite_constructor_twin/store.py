import sqlite3
from contextlib import contextmanager


class Notes:
    def __init__(self, path):
        self.path = path
        self._init_db()

    def _init_db(self):
        with self._connection() as conn:
            conn.executescript("CREATE TABLE IF NOT EXISTS notes (body TEXT UNIQUE)")

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

    async def add(self, *bodies):
        with self._connection() as conn:
            for body in bodies:
                conn.execute("INSERT INTO notes VALUES (?)", (body,))

    async def bodies(self):
        with self._connection() as conn:
            return [row[0] for row in conn.execute("SELECT body FROM notes ORDER BY body")]
