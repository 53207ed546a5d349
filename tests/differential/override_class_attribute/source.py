import time


def _constant(self):
    return "constant"


class Source:
    def fetch(self):
        time.sleep(0.01)
        return "fetched"

    async def get(self):
        return self.fetch()


class Constant(Source):
    fetch = _constant


class ConstantMixin:
    def fetch(self):
        return "mixin"


class Mixed(ConstantMixin, Source):
    pass


class Patched(Source):
    def __init__(self):
        self.fetch = lambda: "instance"
