from store import handle


def test_add(store):
    # `store` is the fixture of tests/conftest.py: a `Store`, whose `add` becomes async.
    assert store.add("a") == 1
    assert store.add("b") == 2


async def test_handle():
    assert await handle("x") == 1
