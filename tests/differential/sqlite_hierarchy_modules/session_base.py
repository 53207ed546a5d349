class Session:
    def __init__(self):
        self.conn = None  # type: sqlite3.Connection

    def _create(self):
        with self.conn:
            self.conn.executescript("CREATE TABLE IF NOT EXISTS peers (id INTEGER, name TEXT)")

    async def save(self, peer_id, name):
        self.conn.execute("INSERT INTO peers VALUES (?, ?)", (peer_id, name))

    async def names(self):
        return [row[0] for row in self.conn.execute("SELECT name FROM peers ORDER BY id")]
