import subprocess


class Counter:
    def __init__(self):
        self.count = 0

    def bump(self):
        current = self.count
        subprocess.run(["sleep", "0.2"])
        self.count = current + 1
        return self.count


COUNTER = Counter()


def cli():
    return COUNTER.bump()
