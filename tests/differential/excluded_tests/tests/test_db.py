from pkg.db import load


def test_load():
    assert load("a") == "A"
