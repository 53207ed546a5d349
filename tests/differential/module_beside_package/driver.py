import asyncio

import app

print(asyncio.run(app.handle()))
