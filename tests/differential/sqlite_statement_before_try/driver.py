import asyncio

import app

try:
    asyncio.run(app.count(":memory:"))
except Exception as exc:
    print(type(exc).__name__, exc)
print("done")
