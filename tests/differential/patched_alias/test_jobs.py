import asyncio
from unittest import mock

import jobs


def run_patched():
    # The aliases are patched: nothing here names a migrated function.
    with mock.patch("jobs.nap") as fake_nap, mock.patch("jobs.sp_run") as fake_run:
        fake_run.return_value.stdout = b"fake"
        result = asyncio.run(jobs.work())
    return result, fake_nap.call_count, fake_run.call_count
