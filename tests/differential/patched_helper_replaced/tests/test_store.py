import asyncio

import pytest

from pkg.store import Store


def test_instance():
    store = Store()
    mp = pytest.MonkeyPatch()
    mp.setattr(store, "load", lambda key: "fake " + key)
    try:
        return asyncio.run(store.handle("f"))
    finally:
        mp.undo()
