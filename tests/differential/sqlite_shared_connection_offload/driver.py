import asyncio
import os
import tempfile

import store

print(asyncio.run(store.main(os.path.join(tempfile.mkdtemp(), "files.db"))))
