import sqlite3

DB_PATH = "projects.db"


def _get_conn():
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


def init_db():
    conn = _get_conn()
    conn.execute("CREATE TABLE IF NOT EXISTS projects (name TEXT UNIQUE)")
    conn.execute("DELETE FROM projects")
    conn.commit()
    conn.close()


async def add_project(name):
    conn = _get_conn()
    try:
        with conn:
            conn.execute("INSERT INTO projects VALUES (?)", (name,))
        return True
    except sqlite3.IntegrityError:
        return False
    finally:
        conn.close()


async def names():
    conn = _get_conn()
    try:
        return [row["name"] for row in conn.execute("SELECT name FROM projects ORDER BY name")]
    finally:
        conn.close()
