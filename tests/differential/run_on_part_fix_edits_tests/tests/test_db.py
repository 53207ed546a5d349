from pkg.db import handle, load


async def test_load():
    assert load("a") == "A"
    assert await handle("b") == "B"
