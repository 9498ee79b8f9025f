"""Calibration, center of pressure and stance detection."""

import math

import numpy as np
import pytest

from sensing.calibration import CalibrationError, CornerCalibration
from sensing.cop import PlatformGeometry, center_of_pressure
from sensing.framing import FrameBuilder
from sensing.stance import StanceDetector, StanceSettings

GEOMETRY = PlatformGeometry(width_mm=400.0, depth_mm=300.0)


def test_cop_is_force_weighted_cell_position():
    # All load on front-right: COP at that cell.
    total, ml, ap = center_of_pressure([0, 100, 0, 0], GEOMETRY, 20.0)
    assert (total, ml, ap) == (100.0, 200.0, 150.0)
    # Left cells twice the right ones, front = back: COP left of centre by a third of half-width.
    total, ml, ap = center_of_pressure([200, 100, 200, 100], GEOMETRY, 20.0)
    assert total == 600.0
    assert ml == pytest.approx(-200.0 / 3)
    assert ap == pytest.approx(0.0)


def test_no_cop_below_minimum_load():
    total, ml, ap = center_of_pressure([3, 3, 3, 3], GEOMETRY, 20.0)
    assert total == 12.0
    assert math.isnan(ml) and math.isnan(ap)


def test_calibration_turns_counts_into_newtons():
    cal = CornerCalibration((1000, -500, 0, 200), (0.01, 0.02, 0.005, 0.01))
    np.testing.assert_allclose(cal.forces_n([2000, 500, 1000, 200]), [10.0, 20.0, 5.0, 0.0])
    with pytest.raises(CalibrationError, match="gain of 0"):
        CornerCalibration((0, 0, 0, 0), (0.01, 0.0, 0.01, 0.01))


def test_frame_builder_before_first_sample_is_empty_not_fresh():
    builder = FrameBuilder(CornerCalibration((0,) * 4, (1.0,) * 4), GEOMETRY, 20.0)
    frame = builder.build(1.5, None, fresh=False)
    assert frame.total_n == 0.0 and not frame.has_cop and not frame.fresh
    frame = builder.build(2.0, (100, 100, 100, 100), fresh=True)
    assert frame.total_n == 400.0 and frame.cop_ml_mm == 0.0 and frame.has_cop
    assert frame.as_dict()["cop_ap_mm"] == 0.0


def test_stance_hysteresis_and_settling():
    detector = StanceDetector(StanceSettings(step_on_n=150, step_off_n=100), rate_hz=100)
    detector.update(140, math.nan, math.nan)
    assert not detector.on_platform
    detector.update(700, 0.0, 10.0)
    assert detector.on_platform and not detector.settled
    detector.update(120, 0.0, 10.0)  # between thresholds: still on
    assert detector.on_platform
    for i in range(100):
        detector.update(700 + (i % 3), 1.0, 10.0 + (i % 5))
    assert detector.settled
    detector.update(900, 1.0, 10.0)  # a load jump unsettles
    assert not detector.settled
    detector.update(50, math.nan, math.nan)
    assert not detector.on_platform and not detector.settled
