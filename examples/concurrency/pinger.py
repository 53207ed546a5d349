"""Five "pings" that should overlap but don't.

Each fetch() sleeps with the blocking time.sleep, which freezes the event
loop, so gather() runs them one after another (~1.5 s instead of ~0.3 s).
After `awaitify fix`, time.sleep becomes `await asyncio.sleep` and the
elapsed time drops to ~0.3 s with the same result.
"""

import asyncio
import time


async def fetch(i: int) -> int:
    time.sleep(0.3)  # simulated network round trip
    return i * 2


async def main() -> list[int]:
    return await asyncio.gather(*(fetch(i) for i in range(5)))


if __name__ == "__main__":
    started = time.perf_counter()
    result = asyncio.run(main())
    print(f"result: {result}")
    print(f"elapsed: {time.perf_counter() - started:.2f}s")
