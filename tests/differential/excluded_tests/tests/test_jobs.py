import asyncio
from unittest import mock

from pkg import jobs


def test_work():
    with mock.patch("pkg.jobs.time.sleep") as fake:
        result = asyncio.run(jobs.work())
    return result, fake.called
