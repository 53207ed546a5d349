import sqlite3


async def names(path):
    conn = sqlite3.Connection(path, 5.0)
    try:
        conn.execute("CREATE TABLE hosts (name TEXT)")
        conn.executemany("INSERT INTO hosts VALUES (?)", [("b",), ("a",)])
        return [row[0] for row in conn.execute("SELECT name FROM hosts ORDER BY name")]
    finally:
        conn.close()
