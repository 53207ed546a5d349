"""Small synchronous helpers shared by the command handlers."""

import json
import os
import sqlite3
from time import sleep


def wait_for_file(path: str, timeout: float = 5.0, poll: float = 0.2) -> bool:
    """Poll until ``path`` exists (e.g. a PID file written by a service)."""
    waited = 0.0
    while not os.path.exists(path):
        if waited >= timeout:
            return False
        sleep(poll)
        waited += poll
    return True


def load_settings(db_path: str) -> dict[str, object]:
    """Read the ``settings`` table; values are stored as JSON text."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT key, value FROM settings").fetchall()
    finally:
        conn.close()
    return {key: json.loads(value) for key, value in rows}


def format_table(rows: list[dict[str, object]]) -> str:
    """Render rows as a fixed-width text table (pure, no I/O)."""
    if not rows:
        return ""
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)
