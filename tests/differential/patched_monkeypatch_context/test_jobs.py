import asyncio

import pytest

import jobs


def run_patched():
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs.time, "sleep", calls.append)
        result = asyncio.run(jobs.work())
    return result, calls
