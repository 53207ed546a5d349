import asyncio

from bot import app

print(app.run_tool("search", "a"))
print(app.dispatch("ping", "b"))
print(asyncio.run(app.on_message("c")))
print(asyncio.run(app.on_ping("d")))

from bot import commands

print(commands.run_command("status", "e"))
print(asyncio.run(commands.on_status("f")))
print(app.run_hook("start", "g"))
print(asyncio.run(app.on_start("h")))
