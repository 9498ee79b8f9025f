"""The simulated force platform: a rigid plate on four load cells, loaded by a simulated person.

Corner order is front-left, front-right, back-left, back-right, at (ML, AP) = (-w/2, +d/2),
(+w/2, +d/2), (-w/2, -d/2), (+w/2, -d/2) mm from the platform centre; ML is positive to the
patient's right, AP to the front. The module constants describe the emulated cells behind the
NAU7802 chips: what the chip emulators add to a corner force to produce raw counts.

Besides the person, the plate carries the test masses a calibration places on it
(``place_mass``), spread over the corners by the same lever rule, until ``remove_masses``.
"""

from hw.sim.person import Person
from hw.sim.profiles import G_M_S2

CORNERS = ("front-left", "front-right", "back-left", "back-right")
_SIGNS = ((-1, 1), (1, 1), (-1, -1), (1, -1))  # (ML, AP) side of each corner

DEAD_LOAD_N = 25.0  # weight of the top plate carried by each corner, N

# Zero-load output of each cell (bridge imbalance), in NAU7802 counts at gain 128.
OFFSET_COUNTS = (3120.0, -1845.0, 2470.0, -4215.0)

# Sensitivity at gain 128: a 50 kg, 1 mV/V cell excited at 3.3 V gives 3.3 mV at 490.3 N, and the
# NAU7802 maps +-0.5 * VREF / gain to +-2**23 counts, so 2**23 * 0.256 / 490.3 = 4380 counts/N;
# each real cell deviates by a percent or two.
NOMINAL_COUNTS_PER_NEWTON = 2**23 * (1e-3 * 128 / 0.5) / (50 * 9.80665)
COUNTS_PER_NEWTON = tuple(
    NOMINAL_COUNTS_PER_NEWTON * f for f in (1.012, 0.987, 1.021, 0.994)
)  # fmt: skip


FACTORY_GAIN_ERROR = (1.004, 0.997, 0.995, 1.003)
"""The factory calibration's residual error per corner (its gain over the cell's true one): a
calibration with known masses leaves a few tenths of a percent (docs/clinical.md, "The
simulated platform's errors"); uncorrected, the cells alone differ by one or two percent."""


def true_calibration(
    dead_load_n: float = DEAD_LOAD_N, pga_gain: int = 128
) -> dict[str, tuple[float, ...]]:
    """Per-corner tare (counts of the empty platform) and gain (N per count) of the emulated
    cells as they are, at NAU7802 gain ``pga_gain``: what a perfect calibration would find. The
    keys match ``sensing.calibration.CornerCalibration``; the emulated chips scale the force
    term (not the offset) by ``pga_gain / 128``."""
    scale = pga_gain / 128
    return {
        "tare_counts": tuple(
            o + dead_load_n * c * scale
            for o, c in zip(OFFSET_COUNTS, COUNTS_PER_NEWTON, strict=True)
        ),
        "gain_n_per_count": tuple(1.0 / (c * scale) for c in COUNTS_PER_NEWTON),
    }


def factory_calibration(
    dead_load_n: float = DEAD_LOAD_N, pga_gain: int = 128
) -> dict[str, tuple[float, ...]]:
    """The calibration the simulated platform left the factory with: ``true_calibration`` with
    the gains off by ``FACTORY_GAIN_ERROR``, as a real one is."""
    true = true_calibration(dead_load_n, pga_gain)
    return {
        "tare_counts": true["tare_counts"],
        "gain_n_per_count": tuple(
            g * e for g, e in zip(true["gain_n_per_count"], FACTORY_GAIN_ERROR, strict=True)
        ),
    }


class SimPlatform:
    """Spreads a person's load, and any test masses, over the four corners so that the COP of
    each is reproduced exactly."""

    def __init__(
        self,
        person: Person,
        *,
        width_mm: float = 400.0,
        depth_mm: float = 300.0,
        dead_load_n: float = DEAD_LOAD_N,
    ):
        if width_mm <= 0 or depth_mm <= 0:
            raise ValueError(
                f"platform width and depth must be positive, got {width_mm} x {depth_mm} mm"
            )
        self.person = person
        self.width_mm = width_mm
        self.depth_mm = depth_mm
        self.dead_load_n = dead_load_n
        self._t = float("nan")
        self._load = (0.0, 0.0, 0.0)
        self._masses: tuple[tuple[float, float, float], ...] = ()  # (force N, ML mm, AP mm)
        self._masses_moved = False  # since the last take_change_s()

    def cell_positions_mm(self) -> tuple[tuple[float, float], ...]:
        """(ML, AP) position of each corner's cell in mm, in corner order."""
        w, d = self.width_mm / 2, self.depth_mm / 2
        return tuple((sx * w, sy * d) for sx, sy in _SIGNS)

    def _person_load(self, t_s: float) -> tuple[float, float, float]:
        """The person's (force N, COP ML mm, COP AP mm), cached for a repeated ``t_s``."""
        if t_s != self._t:
            self._t, self._load = t_s, self.person.load(t_s)
        return self._load

    def place_mass(self, mass_kg: float, ml_mm: float = 0.0, ap_mm: float = 0.0) -> None:
        """Put a test mass of ``mass_kg`` on the plate at (``ml_mm``, ``ap_mm``) from the centre;
        it stays, beside any others, until ``remove_masses()``. It must sit within the cells'
        rectangle (a mass beyond it would lift the opposite corners)."""
        if not mass_kg > 0:
            raise ValueError(f"a test mass must be positive, got {mass_kg} kg")
        if abs(ml_mm) > self.width_mm / 2 or abs(ap_mm) > self.depth_mm / 2:
            raise ValueError(
                f"a test mass at ML {ml_mm} mm, AP {ap_mm} mm is outside the cells' "
                f"{self.width_mm} x {self.depth_mm} mm rectangle"
            )
        self._masses = (*self._masses, (mass_kg * G_M_S2, ml_mm, ap_mm))
        self._masses_moved = True

    def remove_masses(self) -> None:
        """Take every test mass off the plate."""
        self._masses = ()
        self._masses_moved = True

    def take_change_s(self, now_s: float) -> float | None:
        """The earliest time the corner forces changed since the last call (None: they did
        not): a command to the person from its time, a test mass placed or removed from
        ``now_s`` (masses are moved between calls, in real time)."""
        changed = self.person.take_change_s()
        if self._masses_moved:
            self._masses_moved = False
            changed = now_s if changed is None else min(changed, now_s)
        return changed

    def corner_force_n(self, index: int, t_s: float) -> float:
        """Force in N on corner ``index`` (0-3, corner order) at ``t_s``: plate weight, the
        person's share and each test mass's share.

        Bilinear split: corner share = (1/2 + sx * ML / w) * (1/2 + sy * AP / d), so the shares sum
        to 1 and sum(share_i * r_i) is the COP.
        """
        sx, sy = _SIGNS[index]
        w, d = self.width_mm, self.depth_mm
        force, ml, ap = self._person_load(t_s)
        total = self.dead_load_n + force * (0.5 + sx * ml / w) * (0.5 + sy * ap / d)
        for force, ml, ap in self._masses:  # the test masses, if any
            total += force * (0.5 + sx * ml / w) * (0.5 + sy * ap / d)
        return total

    def status(self) -> dict:
        """Plain-dict state: geometry, dead load and the last person load served."""
        force, ml, ap = self._load
        return {
            "width_mm": self.width_mm,
            "depth_mm": self.depth_mm,
            "dead_load_n": self.dead_load_n,
            "person_force_n": force,
            "person_cop_ml_mm": ml,
            "person_cop_ap_mm": ap,
            "test_mass_kg": sum(m[0] for m in self._masses) / G_M_S2,
            "person": self.person.status(),
        }
