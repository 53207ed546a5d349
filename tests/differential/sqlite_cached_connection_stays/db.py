import sqlite3

_pool = {}


def get_conn(path) -> sqlite3.Connection:
    """One connection per database file, cached for the life of the process."""
    if path not in _pool:
        _pool[path] = sqlite3.connect(path)
    return _pool[path]


def count(path):
    conn = get_conn(path)
    return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def add(path, name):
    conn = get_conn(path)
    with conn:
        conn.execute("INSERT INTO items VALUES (?)", (name,))


def show(path):
    print("items:", count(path))
