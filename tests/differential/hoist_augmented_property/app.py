import os
import subprocess


class Checks:
    def __init__(self):
        self.seen = []
        self._failures = 0

    @property
    def failures(self):
        # Whether the child already ran when the total is read.
        self.seen.append(os.path.exists("marker"))
        return self._failures

    @failures.setter
    def failures(self, value):
        self._failures = value

    async def run(self):
        self.failures += subprocess.call(["sh", "-c", "touch marker; exit 1"])
        return self.failures, self.seen
