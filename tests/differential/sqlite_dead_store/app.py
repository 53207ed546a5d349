import sqlite3


class Levels:
    def __init__(self, path):
        self.path = path

    async def set_level(self, user, level):
        conn = self.path
        import sqlite3
        conn = sqlite3.connect(self.path)
        conn.execute("CREATE TABLE IF NOT EXISTS levels (user TEXT PRIMARY KEY, level INTEGER)")
        conn.execute("INSERT OR REPLACE INTO levels VALUES (?, ?)", (user, level))
        conn.commit()
        conn.close()

    async def level_of(self, user):
        conn = self.path
        conn = sqlite3.connect(self.path)
        row = conn.execute("SELECT level FROM levels WHERE user = ?", (user,)).fetchone()
        conn.close()
        return row[0] if row else None
