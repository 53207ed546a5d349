import asyncio

import app

result = asyncio.run(app.pairs(":memory:"))
print(len(result), result[:3], result[-1])
