"""Shared fixtures: the reference data folder and stations on emulated hardware."""

import time
import types
from pathlib import Path

import adafruit_bno08x
import pytest

from station.clock import VirtualClock
from station.config import parse_config
from station.service import Station

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def instant_bno08x_resets(monkeypatch):
    """The adafruit BNO08x driver sleeps 1 s in every soft reset, which the emulated chip does
    not need; its timeouts keep the real monotonic clock. (The e2e daemon keeps real sleeps.)"""
    fake_time = types.SimpleNamespace(sleep=lambda seconds: None, monotonic=time.monotonic)
    monkeypatch.setattr(adafruit_bno08x, "time", fake_time)


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
