import sqlite3


class _Longest:
    def __init__(self):
        self.best = ""

    def step(self, value):
        if len(value) > len(self.best):
            self.best = value

    def finalize(self):
        return self.best


def longest_name(path):
    conn = sqlite3.connect(path)
    try:
        conn.create_aggregate("longest", 1, _Longest)
        return conn.execute("SELECT longest(name) FROM hosts").fetchone()[0]
    finally:
        conn.close()


async def report(path):
    return longest_name(path)
