import asyncio
import os
import sys
import tempfile

import app


async def main():
    with tempfile.TemporaryDirectory() as folder:
        levels = app.Levels(os.path.join(folder, "levels.db"))
        await levels.set_level("ada", 3)
        await levels.set_level("bob", 5)
        await levels.set_level("ada", 4)
        print(await levels.level_of("ada"), await levels.level_of("bob"), await levels.level_of("eve"))
    print("done", file=sys.stderr)


asyncio.run(main())
