import asyncio

import app

app.daemonize()
print(asyncio.run(app.restart()))
