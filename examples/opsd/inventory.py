"""Host inventory persisted in a local SQLite database."""

import logging
import sqlite3
from dataclasses import dataclass

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS hosts (
    name      TEXT PRIMARY KEY,
    address   TEXT NOT NULL,
    role      TEXT NOT NULL DEFAULT 'worker',
    last_seen REAL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass
class Host:
    name: str
    address: str
    role: str
    last_seen: float | None = None


class InventoryStore:
    """Owns one long-lived connection to the inventory database."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._conn = sqlite3.connect(self._path)
        self._conn.row_factory = sqlite3.Row
        self._conn.executescript(SCHEMA)
        self._conn.commit()
        log.info("inventory opened at %s", self._path)

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def list_hosts(self, role: str | None = None) -> list[Host]:
        if role is None:
            cursor = self._conn.execute("SELECT * FROM hosts ORDER BY name")
        else:
            cursor = self._conn.execute(
                "SELECT * FROM hosts WHERE role = ? ORDER BY name", (role,)
            )
        rows = cursor.fetchall()
        return [Host(r["name"], r["address"], r["role"], r["last_seen"]) for r in rows]

    async def get_host(self, name: str) -> Host | None:
        row = self._conn.execute("SELECT * FROM hosts WHERE name = ?", (name,)).fetchone()
        return None if row is None else Host(*row)

    async def upsert_host(self, host: Host) -> None:
        self._conn.execute(
            "INSERT INTO hosts (name, address, role, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET address = excluded.address, "
            "role = excluded.role, last_seen = excluded.last_seen",
            (host.name, host.address, host.role, host.last_seen),
        )
        self._conn.commit()


async def import_hosts(db_path: str, hosts: list[Host]) -> int:
    """Bulk-load hosts from a provisioning manifest in one transaction."""
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO hosts (name, address, role) VALUES (?, ?, ?)",
            [(h.name, h.address, h.role) for h in hosts],
        )
        conn.commit()
    return len(hosts)

