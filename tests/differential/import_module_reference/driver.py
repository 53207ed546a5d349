import asyncio

from pkg import db
from tests.test_db import test_load

test_load()
print("test_load passed")
print(asyncio.run(db.handle("x")))
