import db


def install():
    db.fetch = lambda key: key.lower()
