import sqlite3


async def _connect(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA no_such_pragma_but_then = (")
    return conn


async def count(path):
    conn = await _connect(path)
    try:
        return conn.execute("SELECT 1").fetchone()[0]
    finally:
        conn.close()
