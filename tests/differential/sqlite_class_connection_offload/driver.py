import asyncio
import os
import tempfile

import pinned
import store

print(asyncio.run(store.main(os.path.join(tempfile.mkdtemp(), "files.db"))))
print(asyncio.run(pinned.main(os.path.join(tempfile.mkdtemp(), "files.db"))))
