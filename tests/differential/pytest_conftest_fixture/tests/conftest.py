import pytest

from store import Store


@pytest.fixture
def store():
    return Store()
