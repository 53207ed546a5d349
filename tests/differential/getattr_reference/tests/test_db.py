import pkg.db


def test_load():
    loader = getattr(pkg.db, "load")
    assert loader("a") == "A"
