"""Shared fixtures: the reference data folder and stations on emulated hardware."""

from pathlib import Path

import pytest

from station.clock import VirtualClock
from station.config import parse_config
from station.service import Station

DATA = Path(__file__).parent / "data"


@pytest.fixture
def bds_dir() -> Path:
    """The six Santos & Duarte (2016) recordings (CC BY 4.0) and their published values."""
    return DATA / "bds"


@pytest.fixture
def sim_config():
    """Default config on emulated hardware; the simulated patient steps on at 1 s."""
    return parse_config({"sim": {"step_on_at_s": 1.0, "seed": 3}})


@pytest.fixture
def station(sim_config):
    """A full station on emulated hardware under a virtual clock, database in memory."""
    st = Station(sim_config, clock=VirtualClock(), db_path=":memory:")
    yield st
    st.close()
