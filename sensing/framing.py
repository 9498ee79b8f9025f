"""Builds a Frame from one set of raw corner counts: calibration, total force and COP."""

import math

from sensing.calibration import CornerCalibration
from sensing.cop import PlatformGeometry, center_of_pressure
from sensing.frame import Frame

EMPTY_FORCES = (0.0, 0.0, 0.0, 0.0)
NO_TILT = (math.nan, math.nan)


class FrameBuilder:
    """Turns (time, counts) into Frames; COP only above ``min_load_n`` newtons."""

    def __init__(self, calibration: CornerCalibration, geometry: PlatformGeometry, min_load_n):
        self.calibration = calibration
        self.geometry = geometry
        self.min_load_n = min_load_n

    def build(self, t_s: float, counts, fresh: bool, tilt_deg=NO_TILT) -> Frame:
        """The Frame at ``t_s`` for ``counts`` (None before any sample: zero load, no COP) and
        the IMU's (pitch, roll) in degrees."""
        pitch, roll = tilt_deg
        if counts is None:
            return Frame(t_s, EMPTY_FORCES, 0.0, math.nan, math.nan, False, pitch, roll)
        forces = self.calibration.forces_n(counts)
        total, ml, ap = center_of_pressure(forces, self.geometry, self.min_load_n)
        return Frame(t_s, tuple(float(f) for f in forces), total, ml, ap, fresh, pitch, roll)
