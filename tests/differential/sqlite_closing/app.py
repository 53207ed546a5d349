import sqlite3
from contextlib import closing


async def setup(path):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS hosts (name TEXT UNIQUE)")
        conn.execute("DELETE FROM hosts")
        conn.commit()


async def add(path, *names):
    with closing(sqlite3.connect(path)) as conn:
        with conn:
            for name in names:
                conn.execute("INSERT INTO hosts VALUES (?)", (name,))


async def add_uncommitted(path, name):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("INSERT INTO hosts VALUES (?)", (name,))


async def names(path):
    with closing(sqlite3.connect(path)) as conn:
        with closing(conn.cursor()) as cur:
            cur.execute("SELECT name FROM hosts ORDER BY name")
            return [row[0] for row in cur.fetchall()]
