import os
import sqlite3
from contextlib import contextmanager


class Store:
    def __init__(self, path):
        self.path = path

    def ensure_schema(self):
        if os.path.exists(self.path):
            return
        with sqlite3.connect(self.path) as conn:
            conn.execute("create table notes (body text)")

    @contextmanager
    def _conn(self):
        # Yields the connection it makes, to callers in the same thread.
        if not os.path.exists(self.path):
            self.ensure_schema()
        conn = sqlite3.connect(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def add(self, body):
        with self._conn() as conn:
            conn.execute("insert into notes values (?)", (body,))
            conn.commit()

    def bodies(self):
        with self._conn() as conn:
            return [row[0] for row in conn.execute("select body from notes order by body")]


async def main(path):
    store = Store(path)
    store.ensure_schema()
    store.add("b")
    store.add("a")
    return store.bodies()


def cli(path):
    # A sync entry point: `add` and `bodies` stay sync, async code moves its calls to threads.
    store = Store(path)
    store.add("c")
    return store.bodies()
