import sqlite3
import threading

DB_PATH = "notes.db"
_local = threading.local()


def _get_conn() -> sqlite3.Connection:
    """One connection per thread, made on first use (sqlite3 refuses other threads')."""
    if getattr(_local, "conn", None) is None:
        conn = sqlite3.connect(DB_PATH, timeout=30.0)
        conn.execute("PRAGMA busy_timeout=30000")
        _local.conn = conn
    return _local.conn


def close_conn():
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None


def init_db():
    conn = _get_conn()
    conn.execute("CREATE TABLE IF NOT EXISTS notes (owner TEXT, body TEXT)")
    conn.commit()


def add_note(owner, body):
    conn = _get_conn()
    conn.execute("INSERT INTO notes VALUES (?, ?)", (owner, body))
    conn.commit()


def notes_of(owner):
    conn = _get_conn()
    return [row[0] for row in conn.execute("SELECT body FROM notes WHERE owner = ? ORDER BY body", (owner,))]


class Tags:
    """The same, with the thread-local storage on the instance."""

    def __init__(self, path):
        self._path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        if not hasattr(self._local, "conn"):
            self._local.conn = sqlite3.connect(self._path)
            self._local.conn.execute("CREATE TABLE IF NOT EXISTS tags (body TEXT, tag TEXT)")
        return self._local.conn

    def tag(self, body, tag):
        conn = self._conn()
        with conn:
            conn.execute("INSERT INTO tags VALUES (?, ?)", (body, tag))

    def tags(self):
        conn = self._conn()
        return sorted(row[0] for row in conn.execute("SELECT tag FROM tags"))

    def report(self):
        print("tags:", self.tags())
