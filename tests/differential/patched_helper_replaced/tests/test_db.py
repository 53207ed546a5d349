import asyncio
from unittest import mock

import pytest

from pkg import db


def fake(key):
    return "fake " + key


def test_monkeypatch():
    mp = pytest.MonkeyPatch()
    mp.setattr(db, "load_a", fake)
    try:
        return asyncio.run(db.handle("a"))
    finally:
        mp.undo()


def test_patch_object():
    with mock.patch.object(db, "load_b", new=fake):
        return asyncio.run(db.handle("b"))


def test_patch_new():
    with mock.patch("pkg.db.load_c", new=fake):
        return asyncio.run(db.handle("c"))


@mock.patch("pkg.db.load_d", fake)
def test_patch_decorator():
    return asyncio.run(db.handle("d"))


def test_patch_mock():
    # A mock `mock.patch` makes: an `AsyncMock` once `load_e` is `async def`.
    with mock.patch("pkg.db.load_e") as made:
        made.return_value = "made"
        return asyncio.run(db.handle("e"))
