"""Fixtures of the station package's tests."""

import pytest

from station.storage.database import Storage


@pytest.fixture
def storage():
    """A migrated in-memory station database, closed after the test."""
    store = Storage(":memory:")
    yield store
    store.close()
