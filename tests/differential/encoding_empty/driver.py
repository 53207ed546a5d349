import asyncio

import app

print(repr(asyncio.run(app.hostname())))
