import asyncio
import sys

import app
import helpers


async def beat(ticks):
    while True:
        ticks.append(1)
        await asyncio.sleep(0.02)


async def main():
    # The sync caller and the async callers share the constants the helper reads.
    print(helpers.cli())
    try:
        await app.failing()
    except RuntimeError as error:
        print("RuntimeError:", error)
    ticks = []
    task = asyncio.create_task(beat(ticks))
    await asyncio.sleep(0)
    start = len(ticks)
    print(await asyncio.gather(app.handle(1), app.handle(2)))
    moved = len(ticks) - start
    task.cancel()
    # How free the loop was differs by design (it is what the fix is for): stderr only.
    print(f"ticks while the helpers ran: {moved}", file=sys.stderr)
    print("done", file=sys.stderr)


asyncio.run(main())
