import sqlite3


def db_conn(path):
    conn = sqlite3.connect(path, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def _migrate(conn: sqlite3.Connection):
    conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")


def init_db(path):
    with db_conn(path) as conn:
        _migrate(conn)


def set_value(path, key, value):
    with db_conn(path) as conn:
        if value is None:
            raise ValueError("no value")
        conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))


def get_value(path, key):
    with db_conn(path) as conn:
        row = conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
    return row["v"] if row else None


def show(path, key):
    """A command-line entry: sync code keeps calling the helpers."""
    print(key, get_value(path, key))
