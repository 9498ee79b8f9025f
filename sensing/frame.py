"""The Frame: one control-loop tick's worth of physical readings, shared by drills and the panel."""

import math
from dataclasses import asdict, dataclass

CORNERS = ("front-left", "front-right", "back-left", "back-right")


@dataclass(frozen=True, slots=True)
class Frame:
    """Readings at one tick: time in s, corner forces and total in N, COP in mm (NaN when empty).

    COP is in the platform frame: origin at the centre, ``cop_ml_mm`` positive to the patient's
    right, ``cop_ap_mm`` positive to the front. ``fresh`` is False when no new load-cell sample
    arrived since the previous tick (the frame then repeats the newest one). ``pitch_deg`` and
    ``roll_deg`` are the IMU's tilt (``sensing.tilt`` conventions), NaN without a recent report.
    """

    t_s: float
    forces_n: tuple[float, float, float, float]
    total_n: float
    cop_ml_mm: float
    cop_ap_mm: float
    fresh: bool = True
    pitch_deg: float = math.nan
    roll_deg: float = math.nan

    @property
    def has_cop(self) -> bool:
        """True when the load was large enough for a meaningful COP."""
        return not (math.isnan(self.cop_ml_mm) or math.isnan(self.cop_ap_mm))

    def as_dict(self) -> dict:
        """Plain-dict form for JSON (NaN becomes None)."""
        out = asdict(self)
        for key in ("cop_ml_mm", "cop_ap_mm", "pitch_deg", "roll_deg"):
            if math.isnan(out[key]):
                out[key] = None
        return out
