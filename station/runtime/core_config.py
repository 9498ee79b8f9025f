"""The config as every process but the panel reads it: ``station.config`` checked against the
load-cell amplifiers of ``hw.amplifiers``, so ``[loadcells]`` is read in full (options, rates,
gains, pins). The panel process never imports this module: it has no business with ``hw``."""

from pathlib import Path

from hw.amplifiers import AMPLIFIERS
from station import config
from station.config import Config


def load_config(path: Path | None = None, overrides: dict | None = None) -> Config:
    """``station.config.load_config`` with the station's amplifiers."""
    return config.load_config(path, overrides, amplifiers=AMPLIFIERS)


def parse_config(raw: dict, source: Path | None = None) -> Config:
    """``station.config.parse_config`` with the station's amplifiers."""
    return config.parse_config(raw, source, amplifiers=AMPLIFIERS)
