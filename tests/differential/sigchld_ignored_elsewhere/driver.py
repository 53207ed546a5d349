import asyncio

import daemon
import jobs

daemon.daemonize()
print(asyncio.run(jobs.restart()))
