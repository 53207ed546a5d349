import asyncio

import worker

# The order of two tasks' steps is what migration changes on purpose; the set is not.
print(sorted(asyncio.run(worker.main())))
