"""Calibrating the platform: measuring counts on the load cells, fitting tare, per-corner gains
and an optional COP correction, and turning a stored calibration back into one the station uses.

Steps of docs/clinical.md ("Four-cell COP"): tare on the empty platform, three or more known
masses over each corner's cell for its gain, optionally one known mass at known positions for
an affine COP correction. The technician's wizard and CLI are in ``station.cli.calibrate``.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

from sensing.calibration import CornerCalibration
from sensing.calibration_fit import (
    STANDARD_GRAVITY_M_S2,
    CalibrationFitError,
    CopCorrection,
    CornerGainFit,
    CountsSummary,
    TareFit,
    fit_cop_correction,
    fit_gains,
    summarise_counts,
)
from sensing.cop import PlatformGeometry, center_of_pressure
from sensing.frame import CORNERS
from station.errors import StationError

MARKS = ("FL", "FR", "BL", "BR")  # the corner labels on the platform
SETTLE_S = 0.5  # wait after Enter before measuring: hands off, the mass stops swinging
RESPONSE_NOISE_FACTOR = 20  # a loaded corner must move by 20 times its empty-platform noise
OFF_CELL_LIMIT_PCT = 2.0  # the other corners may carry at most this share of a corner's mass
CHECK_TOLERANCE_PCT = 1.0
DEFAULT_MASSES_KG = (5.0, 10.0, 20.0)
SIM_NOTE = " (simulation: the wizard does it)"


class CalibrationStepError(StationError, RuntimeError):
    """A calibration measurement is implausible; the message says what to check."""


class CalibrationInputError(StationError, ValueError):
    """A ``calibrate`` option is missing or out of range; the message names it."""


class CalibrationCancelled(StationError, RuntimeError):
    """The technician quit the wizard; nothing was saved."""


def measure_counts(loadcells, clock, seconds: float, poll_s: float) -> CountsSummary:
    """Mean and noise of each corner's fresh conversions over ``seconds`` of polling
    ``loadcells`` (a SupervisedDevice) every ``poll_s``."""
    rows = []
    start = clock.now()
    while clock.now() - start < seconds:
        sample = loadcells.poll()
        if sample is not None and any(sample.fresh):
            rows.append(
                [c if f else math.nan for c, f in zip(sample.counts, sample.fresh, strict=True)]
            )
        clock.sleep(poll_s)
    if not rows:
        error = loadcells.status().get("last_error") or "no conversions"
        raise CalibrationStepError(
            f"the load cells sent nothing in {seconds:g} s ({error}): check their cables and "
            "run 'balance-station selftest'"
        )
    try:
        return summarise_counts(rows)
    except CalibrationFitError as exc:
        raise CalibrationStepError(str(exc)) from None


def check_response(index: int, mass_kg: float, window: CountsSummary, tare: TareFit) -> None:
    """Raise CalibrationStepError unless corner ``index`` rose clearly, and most, under
    ``mass_kg`` placed over its cell."""
    delta = np.subtract(window.mean_counts, tare.tare_counts)
    threshold = RESPONSE_NOISE_FACTOR * max(tare.noise_counts[index], 1.0)
    name, mark, most = CORNERS[index], MARKS[index], int(np.argmax(np.abs(delta)))
    if most != index and abs(delta[most]) > threshold:
        raise CalibrationStepError(
            f"{name} did not respond to {mass_kg:g} kg but {CORNERS[most]} did: check that the "
            f"mass is over the {mark} cell and that the {mark} and {MARKS[most]} cables are not "
            "swapped"
        )
    if delta[index] < -threshold:
        raise CalibrationStepError(
            f"{name} read less with {mass_kg:g} kg on it: its signal wires (A+ and A-) are swapped"
        )
    if delta[index] < threshold:
        raise CalibrationStepError(
            f"{name} did not respond to {mass_kg:g} kg: check that the mass is over the {mark} "
            "cell and the cell's wiring"
        )


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted calibration: tare, per-corner gains with residuals, optional COP correction,
    and the share of each corner's masses that showed on the other corners (%)."""

    tare: TareFit
    gains: tuple[CornerGainFit, ...]
    off_cell_pct: tuple[tuple[float, ...], ...]
    cop: CopCorrection | None

    def problems(self) -> list[str]:
        """What makes this calibration doubtful, one sentence per corner; empty when sound."""
        out = []
        for name, mark, fit, off in zip(CORNERS, MARKS, self.gains, self.off_cell_pct, strict=True):
            if not fit.linear:
                out.append(
                    f"{name}: residual {fit.max_residual_pct:.2f}% of the largest load exceeds "
                    f"{fit.linearity_limit_pct}%: check that each mass sat over the {mark} cell "
                    "and that the plate touches nothing; else the cell is damaged"
                )
            if max(abs(v) for v in off) > OFF_CELL_LIMIT_PCT:
                out.append(
                    f"{name}: up to {max(abs(v) for v in off):.1f}% of its masses showed on the "
                    f"other corners (limit {OFF_CELL_LIMIT_PCT}%): centre each mass over the "
                    f"{mark} cell and check that the platform stands level on all four feet"
                )
        return out

    def record(self, technician: str, conditions: dict, note: str = "") -> dict:
        """The record for ``Storage.save_calibration``; ``conditions`` (amplifier, PGA gain,
        rate, geometry) say which hardware settings it is valid for."""
        corners = {
            name: {**asdict(fit), "linear": fit.linear, "off_cell_pct": list(off)}
            for name, fit, off in zip(CORNERS, self.gains, self.off_cell_pct, strict=True)
        }
        return {
            "technician": technician,
            "tare_counts": list(self.tare.tare_counts),
            "gain_n_per_count": [g.gain_n_per_count for g in self.gains],
            "cop_correction": asdict(self.cop) if self.cop else None,
            "residuals": {
                "corners": corners,
                "tare_noise_counts": list(self.tare.noise_counts),
                "conditions": conditions,
            },
            "note": note,
        }


class CalibrationSession:
    """The measurements of one calibration on a station's load cells, and their fit.

    Each ``measure_*`` waits ``SETTLE_S``, then averages ``seconds`` of fresh conversions.
    """

    def __init__(self, loadcells, clock, geometry: PlatformGeometry, *, poll_s, seconds=2.0):
        self.loadcells = loadcells
        self.clock = clock
        self.geometry = geometry
        self.poll_s = poll_s
        self.seconds = seconds
        self.tare: TareFit | None = None
        self.corner_points: list[list[tuple[float, tuple[float, ...]]]] = [[], [], [], []]
        self.cop_points: list[tuple[float, float, tuple[float, ...]]] = []

    def measure(self) -> CountsSummary:
        """Per-corner mean and noise of the counts now on the platform."""
        self.clock.sleep(SETTLE_S)
        return measure_counts(self.loadcells, self.clock, self.seconds, self.poll_s)

    def measure_tare(self) -> TareFit:
        """The empty platform's counts: the zero of each corner (starts a new calibration)."""
        window = self.measure()
        self.tare = TareFit(window.mean_counts, window.noise_counts, window.conversions)
        self.corner_points = [[], [], [], []]
        self.cop_points = []
        return self.tare

    def measure_corner(self, index: int, mass_kg: float) -> CountsSummary:
        """Corner ``index`` with ``mass_kg`` over its cell; refuses a corner that did not
        respond (nothing is kept then)."""
        tare = self._need_tare()
        window = self.measure()
        check_response(index, mass_kg, window, tare)
        self.corner_points[index].append((mass_kg * STANDARD_GRAVITY_M_S2, window.mean_counts))
        return window

    def measure_cop_position(self, mass_kg: float, ml_mm: float, ap_mm: float) -> CountsSummary:
        """``mass_kg`` at the known position (``ml_mm``, ``ap_mm``) from the platform centre."""
        self._need_tare()
        window = self.measure()
        self.cop_points.append((ml_mm, ap_mm, window.mean_counts))
        return window

    def _need_tare(self) -> TareFit:
        if self.tare is None:
            raise CalibrationStepError("measure the empty platform (tare) first")
        return self.tare

    def fit(self) -> CalibrationResult:
        """Gains from the corner masses, then the COP correction (if positions were measured)
        on forces read with those gains; errors name the corner or step to measure again."""
        tare = self._need_tare()
        try:
            gains = fit_gains(
                [[load for load, _ in pts] for pts in self.corner_points],
                [[c[i] for _, c in pts] for i, pts in enumerate(self.corner_points)],
                tare.tare_counts,
            )
        except CalibrationFitError as exc:
            raise CalibrationStepError(f"gain fit: {exc}") from None
        calibration = CornerCalibration(tare.tare_counts, tuple(g.gain_n_per_count for g in gains))
        off_cell = tuple(
            tuple(_off_cell_pct(calibration.forces_n(counts), index, load) for load, counts in pts)
            for index, pts in enumerate(self.corner_points)
        )
        cop = None
        if self.cop_points:
            measured = [
                center_of_pressure(calibration.forces_n(c), self.geometry, 0.0)[1:]
                for _, _, c in self.cop_points
            ]
            try:
                cop = fit_cop_correction(measured, [(ml, ap) for ml, ap, _ in self.cop_points])
            except CalibrationFitError as exc:
                raise CalibrationStepError(f"COP correction: {exc}") from None
        return CalibrationResult(tare, gains, off_cell, cop)


def _off_cell_pct(forces_n, index: int, load_n: float) -> float:
    """The share of a load over corner ``index`` that the other corners carried, %."""
    return float(100 * (sum(forces_n) - forces_n[index]) / load_n)


def cop_positions_mm(geometry: PlatformGeometry) -> list[tuple[float, float]]:
    """Where the COP mass goes: the centre, then halfway to each cell (FL, FR, BL, BR)."""
    return [(0.0, 0.0), *((ml / 2, ap / 2) for ml, ap in geometry.cell_positions_mm.tolist())]


def describe_position(ml_mm: float, ap_mm: float) -> str:
    """Words for a position from the platform centre (ML positive to the right, AP to the front)."""
    if ml_mm == 0 and ap_mm == 0:
        return "at the centre of the platform"
    side = "right" if ml_mm > 0 else "left" if ml_mm < 0 else "centre line"
    end = "front" if ap_mm > 0 else "back" if ap_mm < 0 else "centre line"
    return f"at ML {ml_mm:+g} mm ({side}), AP {ap_mm:+g} mm ({end}) from the centre"


def stored_calibration(record: dict, config) -> CornerCalibration:
    """The CornerCalibration of a stored calibration ``record``, refused when it was made with
    another amplifier, PGA gain or platform size than ``config`` has (its counts would not fit)."""
    made = ((record.get("residuals") or {}).get("conditions")) or {}
    now = calibration_conditions(config)
    for key in ("amplifier", "pga_gain", "width_mm", "depth_mm"):
        if key in made and made[key] != now[key]:
            raise CalibrationInputError(
                f"calibration #{record['id']} was made with {key} = {made[key]} but the config "
                f"has {now[key]}: calibrate again ('balance-station calibrate')"
            )
    return CornerCalibration(tuple(record["tare_counts"]), tuple(record["gain_n_per_count"]))


def calibration_conditions(config) -> dict:
    cells, platform = config.loadcells, config.platform
    return {
        "hardware": config.station.hardware,
        "amplifier": cells.amplifier,
        "pga_gain": cells.gain,
        "rate_sps": cells.rate_sps,
        "width_mm": platform.width_mm,
        "depth_mm": platform.depth_mm,
    }


class NoCalibrationError(StationError, LookupError):
    """Real hardware with no calibration stored and none in the config."""


def config_calibration(config) -> CornerCalibration | None:
    """The calibration written in ``[loadcells]``; in simulation without one, the simulated
    platform's factory calibration; None on real hardware without one."""
    cells = config.loadcells
    if cells.tare_counts is not None:
        return CornerCalibration(cells.tare_counts, cells.gain_n_per_count)
    if config.station.hardware != "sim":
        return None
    from hw.sim.platform import factory_calibration

    factory = factory_calibration(pga_gain=cells.gain)
    return CornerCalibration(factory["tare_counts"], factory["gain_n_per_count"])


def calibration_in_use(config, record: dict | None) -> tuple[CornerCalibration, dict | None, str]:
    """(calibration, COP correction or None, where it came from): the active stored
    ``record`` first, then the config, then (simulation only) the factory values."""
    if record is not None:
        where = f"calibration #{record['id']} by {record['technician']} ({record['created_at']})"
        return stored_calibration(record, config), record.get("cop_correction"), where
    calibration = config_calibration(config)
    if calibration is None:
        raise NoCalibrationError(
            "the platform is not calibrated: stop the service and run "
            "'balance-station calibrate --technician NAME', or enter [loadcells] tare_counts "
            "and gain_n_per_count in the config"
        )
    where = "the config" if config.loadcells.tare_counts is not None else "factory values"
    return calibration, None, where


def geometry_from(config) -> PlatformGeometry:
    """The platform geometry of the ``[platform]`` section."""
    p = config.platform
    return PlatformGeometry(
        p.width_mm,
        p.depth_mm,
        cells_ml_mm=p.cells_ml_mm,
        cells_ap_mm=p.cells_ap_mm,
        origin_ml_mm=p.origin_ml_mm,
        origin_ap_mm=p.origin_ap_mm,
        facing=p.facing,
    )
