import asyncio
import os
import tempfile

import store

path = os.path.join(tempfile.mkdtemp(), "data.txt")
with open(path, "w") as f:
    f.write("hello")
print(asyncio.run(store.handle(path)))
print(store.cli(path))
