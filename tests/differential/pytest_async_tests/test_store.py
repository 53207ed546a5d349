import asyncio

import pytest

from store import Notes, handle, load


def test_load(tmp_path):
    # Calls `load`, which becomes `async def`: the test becomes async too (pytest-asyncio
    # runs it in auto mode) and awaits it.
    path = tmp_path / "a.txt"
    path.write_text("hello")
    assert load(str(path)) == "hello"


@pytest.mark.parametrize("text", ["x", "yz"])
def test_load_parametrized(tmp_path, text):
    path = tmp_path / "b.txt"
    path.write_text(text)
    assert load(str(path)) == text


def test_missing_file_fails(tmp_path):
    # Fails before and after: the exception still reaches pytest.
    assert load(str(tmp_path / "missing.txt")) == ""


async def test_handle(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("abc")
    assert await handle(str(path)) == "ABC"


def test_untouched():
    # Calls nothing that changes: stays as it is.
    assert asyncio.iscoroutinefunction(handle)


@pytest.fixture
def notes():
    made = Notes()
    yield made


def test_notes_fixture(notes):
    # `notes` is the fixture's `Notes`: `add` becomes `async def`, and so does the test.
    assert notes.add("a") == 1
    assert notes.add("b") == 2
