import asyncio

import app

try:
    print(asyncio.run(app.count(":memory:")))
except Exception as exc:
    print(type(exc).__name__)
print("done")
