import sqlite3


async def count(path):
    conn = sqlite3.connect(path)
    conn.execute("SELECT * FROM missing_table")
    try:
        return conn.execute("SELECT 1").fetchone()[0]
    finally:
        conn.close()
