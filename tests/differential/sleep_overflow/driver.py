import asyncio

import app


async def main():
    # The migrated sleep would never end: bound it, and report how it ended.
    try:
        await asyncio.wait_for(app.wait_forever(), 0.2)
    except Exception as exc:
        return type(exc).__name__
    return "returned"


print(asyncio.run(main()))
