import asyncio

from pkg import db
from tests.test_db import test_load
from tests.test_jobs import test_work

test_load()
print("test_load passed")
print("test_work:", test_work())
print(asyncio.run(db.handle("x")))
