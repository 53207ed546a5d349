import asyncio
import sys

import app


async def main():
    ticks = []

    async def heartbeat():
        while True:
            ticks.append(1)
            await asyncio.sleep(0.02)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    before = len(ticks)
    results = await asyncio.gather(app.handle(1), app.handle(2))
    during = len(ticks) - before
    print(results)
    try:
        await app.failing()
    except RuntimeError as e:
        print("RuntimeError:", e)
    beat.cancel()
    # The loop's freedom differs by design (it is what the fix is for): stderr, not compared.
    print(f"heartbeat ticks during the calls: {during}", file=sys.stderr)
    print("done", file=sys.stderr)


asyncio.run(main())
