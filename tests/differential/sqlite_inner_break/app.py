import sqlite3


async def pairs(path):
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE hosts (n INTEGER)")
        conn.executemany("INSERT INTO hosts VALUES (?)", [(i,) for i in range(200)])
        cur = conn.execute("SELECT n FROM hosts ORDER BY n")
        out = []
        for first in cur:
            for second in cur:
                out.append((first[0], second[0]))
                break
        return out
    finally:
        conn.close()
