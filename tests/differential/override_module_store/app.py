import db


async def handle(key):
    return db.fetch(key)
