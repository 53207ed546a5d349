import asyncio

from svc.shell import AdminShell, Shell

shell = Shell()
print(shell.dispatch("ping", "a"))
print(asyncio.run(shell.on_ping("b")))
admin = AdminShell()
print(admin.dispatch("stop", "c"))
print(asyncio.run(admin.on_stop("d")))

from svc import runner
from svc.jobs import Jobs

print(runner.run("clean", "e"))
print(asyncio.run(Jobs().on_clean("f")))
