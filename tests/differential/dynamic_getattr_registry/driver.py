import asyncio

from bot import app

print(app.run_tool("search", "a"))
print(app.dispatch("ping", "b"))
print(asyncio.run(app.on_message("c")))
print(asyncio.run(app.on_ping("d")))
