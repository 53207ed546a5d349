import asyncio

import app

print(asyncio.run(app.count(":memory:")))
