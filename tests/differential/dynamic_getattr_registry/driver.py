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

from bot import jobs, plugins

print(plugins.run_plugin("echo", "i"))
print(asyncio.run(plugins.on_echo("j")))
print(plugins.all_jobs()["job_sweep"]("k"))
print(asyncio.run(jobs.on_sweep("l")))
