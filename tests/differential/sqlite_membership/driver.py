import asyncio

import app

print(asyncio.run(app.has_host(":memory:", "b")))
print(asyncio.run(app.has_host(":memory:", "z")))
