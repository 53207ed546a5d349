import asyncio
from unittest import mock

import jobs


def run_patched():
    with mock.patch("jobs.time.sleep") as sleep, mock.patch("subprocess.run") as run:
        run.return_value.stdout = b"fake"
        result = asyncio.run(jobs.work())
    return result, sleep.call_count, run.call_count
