"""The hub suite's fixtures: one throwaway PostgreSQL cluster for the session (Debian's
server, run as an unprivileged user in a temporary folder: ``tests/hub/cluster.py``), a fresh
hub database per test migrated by the project, and stations on simulated hardware (virtual
clock, their own SQLite files) with their sync agents."""

import itertools

import pytest

from tests.hub.cluster import Cluster
from tests.hub.fleet import Hub, SimStation

NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def cluster():
    with Cluster() as cluster:
        yield cluster


@pytest.fixture
def hub(cluster, tmp_path) -> Hub:
    return Hub(cluster, f"hub_{next(NUMBERS)}", tmp_path)


@pytest.fixture
def stations(hub, tmp_path):
    """``stations(n)``: n stations (room-1, room-2, ...) on ``hub``, closed at teardown."""
    made = []

    def make(n: int) -> list[SimStation]:
        for i in range(len(made) + 1, len(made) + n + 1):
            made.append(SimStation(hub, f"room-{i}", tmp_path / f"room-{i}", seed=i))
        return made[-n:]

    yield make
    for station in made:
        station.close()
