"""Set-up run once before the service starts: never on the event loop."""

import sqlite3


def create_schema(path):
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS hosts (name TEXT)")
        conn.commit()
    finally:
        conn.close()
