import importlib


def test_load():
    db = importlib.import_module("pkg.db")
    assert db.load("a") == "A"
