import sqlite3


async def add(path, name):
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("INSERT INTO hosts (name) VALUES (?)", (name,))
    finally:
        conn.close()


async def names(path):
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM hosts ORDER BY name")]
    finally:
        conn.close()
