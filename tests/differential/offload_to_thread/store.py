import sqlite3
import subprocess
import time


class Store:
    def __init__(self, path):
        self.path = path
        conn = sqlite3.connect(path)
        try:
            with conn:
                conn.execute("create table if not exists items (name text)")
        finally:
            conn.close()

    def add(self, name):
        time.sleep(0.01)
        conn = sqlite3.connect(self.path)
        try:
            with conn:
                conn.execute("insert into items values (?)", (name,))
        finally:
            conn.close()

    def fail(self):
        time.sleep(0.01)
        raise KeyError(self.path[-8:])

    def names(self):
        conn = sqlite3.connect(self.path)
        try:
            return [row[0] for row in conn.execute("select name from items order by name")]
        finally:
            conn.close()


def version():
    return subprocess.run(["echo", "v1"], capture_output=True, text=True).stdout.strip()


def cli(path):
    # A sync entry point: the helpers stay sync, async code moves its calls to threads.
    store = Store(path)
    store.add("cli")
    return store.names(), version()


async def handle(path, names):
    store = Store(path)
    for name in names:
        store.add(name)
    try:
        store.fail()
    except KeyError as exc:
        error = repr(exc)
    return store.names(), version(), error
