"""The Frame: one control-loop tick's worth of physical readings, shared by drills and the panel."""

import math
from dataclasses import asdict, dataclass

CORNERS = ("front-left", "front-right", "back-left", "back-right")


@dataclass(frozen=True, slots=True)
class Frame:
    """Readings at one point of the loop's time grid: time in s (on the sensors' disciplined
    clock, exactly ``k / rate``), corner forces and total in N, COP in mm (NaN when empty).

    COP is in the patient's frame (``sensing.cop``): ``cop_ml_mm`` positive to the patient's
    right, ``cop_ap_mm`` positive to the front. ``fresh`` is False when a corner's value is
    held rather than taken from conversions around ``t_s`` (a sensor late or down).
    ``cop_*_live_mm`` is the COP through a causal low-pass, for live display and cues (raw COP
    is what is scored).
    ``load_left_pct`` / ``load_front_pct``: percent of the load on the patient's left and front
    halves (of body weight when all of it is on the platform). ``pitch_deg`` (front edge down
    positive) and ``roll_deg`` (right edge down positive) are the IMU's tilt relative to its
    zeroed reference, with their rates in deg/s; all NaN without a recent IMU report.
    ``on_platform`` (with hysteresis) and ``settled`` (steady load and COP over the last
    second) come from the station's own stance detector, independent of any drill.
    Which samples the frame summarises: ``conversions`` load-cell conversions (all corners)
    were done since the previous frame and ``lost_conversions`` were lost there;
    ``source_seq`` is each corner's newest conversion at or before ``t_s`` (its sequence
    number on that chip's clock; the corner values are filtered around ``t_s``, see
    ``sensing.grid``), ``imu_age_s`` how old the IMU report behind the tilt is.
    """

    t_s: float
    forces_n: tuple[float, float, float, float]
    total_n: float
    cop_ml_mm: float
    cop_ap_mm: float
    fresh: bool = True
    pitch_deg: float = math.nan
    roll_deg: float = math.nan
    cop_ml_live_mm: float = math.nan
    cop_ap_live_mm: float = math.nan
    load_left_pct: float = math.nan
    load_front_pct: float = math.nan
    pitch_rate_deg_s: float = math.nan
    roll_rate_deg_s: float = math.nan
    on_platform: bool = False
    settled: bool = False
    conversions: int = 0
    lost_conversions: int = 0
    source_seq: tuple[int, ...] = ()
    imu_age_s: float = math.nan

    @property
    def has_cop(self) -> bool:
        """True when the load was large enough for a meaningful COP."""
        return not (math.isnan(self.cop_ml_mm) or math.isnan(self.cop_ap_mm))

    def as_dict(self) -> dict:
        """Plain-dict form for JSON (NaN becomes None)."""
        return {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in asdict(self).items()
        }
