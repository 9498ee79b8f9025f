"""Center of pressure from four corner forces."""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlatformGeometry:
    """Load-cell spacing in mm: width along ML (left-right), depth along AP (front-back).

    Cells sit at the corners, order front-left, front-right, back-left, back-right, around an
    origin at the platform centre.
    """

    width_mm: float
    depth_mm: float

    @property
    def cell_positions_mm(self) -> np.ndarray:
        """(4, 2) array of (ML, AP) cell positions in mm."""
        w, d = self.width_mm / 2, self.depth_mm / 2
        return np.array([(-w, d), (w, d), (-w, -d), (w, -d)])


def center_of_pressure(
    forces_n, geometry: PlatformGeometry, min_load_n: float
) -> tuple[float, float, float]:
    """Total force in N and COP (ML, AP) in mm; COP is NaN when the load is below ``min_load_n``.

    COP = sum(F_i * r_i) / sum(F_i), the force-weighted mean of the cell positions.
    """
    forces = np.asarray(forces_n, dtype=float)
    total = float(forces.sum())
    if total < min_load_n:
        return total, math.nan, math.nan
    ml, ap = forces @ geometry.cell_positions_mm / total
    return total, float(ml), float(ap)
