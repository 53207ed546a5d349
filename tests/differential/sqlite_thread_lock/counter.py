import sqlite3
import threading

_lock = threading.Lock()


async def bump(path, name):
    # The lock also guards the file against a sync maintenance thread: an `await` inside it
    # would suspend this task with the lock taken, and the next task would block the loop.
    with _lock:
        conn = sqlite3.connect(path)
        try:
            with conn:
                conn.execute("INSERT INTO hits VALUES (?)", (name,))
            return conn.execute("SELECT count(*) FROM hits").fetchone()[0]
        finally:
            conn.close()
