import asyncio
import doctest

from pkg import db

print(doctest.testmod(db))
print(asyncio.run(db.handle("x")))
