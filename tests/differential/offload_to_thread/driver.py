import asyncio
import os
import tempfile

import store

path = os.path.join(tempfile.mkdtemp(), "items.db")
print(asyncio.run(store.handle(path, ["b", "a"])))
print(store.cli(path))
