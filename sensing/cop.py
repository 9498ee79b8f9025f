"""Center of pressure and load distribution from four corner forces, in the patient's frame.

The platform frame has its origin at the centre of the cell rectangle, ML positive toward the
platform's right edge and AP toward its front edge. The patient's frame moves the origin to
``origin_*_mm`` (e.g. the centre of the foot markings) and, when the patient faces the
platform's back edge (``facing = "back"``), turns both axes round (a 180° rotation), so the
COP, left/right and front/back are always as the patient stands.
"""

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

FACINGS = ("front", "back")


@dataclass(frozen=True)
class PlatformGeometry:
    """Cell positions in mm (default: the corners of a ``width_mm`` by ``depth_mm`` rectangle,
    order front-left, front-right, back-left, back-right; or given as ``cells_ml_mm`` and
    ``cells_ap_mm``), the patient's origin and which edge they face."""

    width_mm: float
    depth_mm: float
    cells_ml_mm: tuple[float, ...] | None = None
    cells_ap_mm: tuple[float, ...] | None = None
    origin_ml_mm: float = 0.0
    origin_ap_mm: float = 0.0
    facing: str = "front"

    def __post_init__(self):
        if self.facing not in FACINGS:
            raise ValueError(f"facing must be one of {FACINGS}, got {self.facing!r}")
        if (self.cells_ml_mm is None) != (self.cells_ap_mm is None):
            raise ValueError("give both cells_ml_mm and cells_ap_mm, or neither")

    @property
    def cell_positions_mm(self) -> np.ndarray:
        """(4, 2) array of (ML, AP) cell positions in the platform frame, mm."""
        if self.cells_ml_mm is not None:
            return np.column_stack([self.cells_ml_mm, self.cells_ap_mm]).astype(float)
        w, d = self.width_mm / 2, self.depth_mm / 2
        return np.array([(-w, d), (w, d), (-w, -d), (w, -d)])

    def platform_frame(self) -> "PlatformGeometry":
        """The same cells with the origin at their centre and facing the front edge: the
        frame a calibration's COP correction is fitted in."""
        return replace(self, origin_ml_mm=0.0, origin_ap_mm=0.0, facing="front")

    @cached_property
    def patient_cells_mm(self) -> tuple[tuple[float, float], ...]:
        """The cells' (ML, AP) positions in the patient's frame, mm, as floats: worked out once,
        asked for at every frame."""
        return tuple(self.to_patient(ml, ap) for ml, ap in self.cell_positions_mm.tolist())

    @cached_property
    def split_lines_mm(self) -> tuple[float, float, float, float]:
        """The mean ML of the right and of the left cells and the mean AP of the front and of
        the back cells in the patient's frame, mm: where ``load_split_pct`` puts 100 %."""
        cells = self.patient_cells_mm
        return (
            _mean([ml for ml, _ in cells if ml > 0]),
            _mean([ml for ml, _ in cells if ml < 0]),
            _mean([ap for _, ap in cells if ap > 0]),
            _mean([ap for _, ap in cells if ap < 0]),
        )

    def to_patient(self, ml_mm: float, ap_mm: float) -> tuple[float, float]:
        """A platform-frame (ML, AP) point in mm in the patient's frame."""
        ml, ap = ml_mm - self.origin_ml_mm, ap_mm - self.origin_ap_mm
        return (-ml, -ap) if self.facing == "back" else (ml, ap)


def _mean(values: list[float]) -> float:
    """The mean of ``values``, NaN when there are none (no cell on that side)."""
    return sum(values) / len(values) if values else math.nan


def center_of_pressure(
    forces_n, geometry: PlatformGeometry, min_load_n: float
) -> tuple[float, float, float]:
    """Total force in N and COP (ML, AP) in mm in the patient's frame; COP is NaN when the load
    is below ``min_load_n``.

    COP = sum(F_i * r_i) / sum(F_i), the force-weighted mean of the cell positions r_i.
    """
    forces = [float(f) for f in forces_n]  # floats: four values, every frame
    total = sum(forces)
    if total < min_load_n:
        return total, math.nan, math.nan
    ml = ap = 0.0
    for force, (x, y) in zip(forces, geometry.patient_cells_mm, strict=True):
        ml += force * x
        ap += force * y
    return total, ml / total, ap / total


def load_split_pct(ml_mm: float, ap_mm: float, geometry: PlatformGeometry) -> tuple[float, float]:
    """Percent of the load on the patient's left and on their front half, from the COP.

    For a rigid plate the COP is the load's centroid, so the share on the left of the line
    through the origin is (x_right - cop) / (x_right - x_left) with x the mean ML of the right
    and left cells (likewise front/back); 50/50 at the origin of a symmetric platform.
    """
    if math.isnan(ml_mm) or math.isnan(ap_mm):
        return math.nan, math.nan
    right, left, front, back = geometry.split_lines_mm
    return 100.0 * (right - ml_mm) / (right - left), 100.0 * (ap_mm - back) / (front - back)
