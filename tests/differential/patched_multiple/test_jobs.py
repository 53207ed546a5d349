import asyncio
from unittest import mock

import jobs


def run_patched():
    calls = []
    with mock.patch.multiple("jobs.time", sleep=calls.append):
        result = asyncio.run(jobs.work())
    return result, calls
