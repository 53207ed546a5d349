import sqlite3


async def has_host(path, name):
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE hosts (name TEXT)")
        conn.executemany("INSERT INTO hosts VALUES (?)", [("a",), ("b",)])
        return (name,) in conn.execute("SELECT name FROM hosts")
    finally:
        conn.close()
