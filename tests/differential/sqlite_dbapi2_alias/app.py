from sqlite3 import dbapi2 as sqlite3


async def count(path):
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE hosts (name TEXT)")
        conn.executemany("INSERT INTO hosts VALUES (?)", [("a",), ("b",)])
        conn.commit()
        return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        conn.close()
