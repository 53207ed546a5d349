import asyncio

from tests.test_db import test_load

asyncio.run(test_load())
print("test_load passed")
