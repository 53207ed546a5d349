import asyncio

import service

print(asyncio.run(service.demo()))
