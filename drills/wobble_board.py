"""``wobble-board``: keep a wobble board level, with the direction LEDs as a spirit level.

Rules (docs/clinical.md, "Training drills"): the patient stands on a
wobble board on the platform; the board carries the IMU, zeroed level by the station beforehand,
so the Frame's pitch (front edge down positive) and roll (right edge down positive) are the
board's tilt. After the shared lead-in (``CuedDrill``: step on, settle, "keep the board level",
countdown) the drill records for ``duration_s``. The board is level while its tilt, the angle
of the board from level (sqrt(pitch^2 + roll^2) for small angles), stays within ``band_deg``
(``TiltBand``: out above the band, back in at 90% of it). While level the centre LED is lit;
otherwise the LEDs on the side that is down (front edge down: front; right edge down: right;
two for a diagonal), so the patient shifts away from the lit side.

Scoring over the samples with a tilt (a missing IMU report, NaN, is left out): time in band (s
and %), mean, RMS and maximum tilt (deg), losses of level (times the board left the band), mean
time out of band, longest time in band (s) and mean angular speed (deg/s, the magnitude of the
pitch and roll rates).

Safety: stepping off before recording returns to waiting; while recording it aborts. A lasting
IMU or load-cell fault is the station's (``needs``).
"""

import math
from typing import ClassVar

import numpy as np

from drills.cued import COUNTDOWN, LOST_BALANCE, CuedDrill, lean_lights
from drills.engine import Phase
from drills.params import Param
from sensing.words import N_

HYSTERESIS_FRACTION = 0.1
"""Back in the band at (1 - 0.1) x band: noise at the edge neither flickers the LEDs nor adds
spurious excursions."""


def _true_runs(mask: np.ndarray) -> np.ndarray:
    """Lengths of the runs of True in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


class TiltBand:
    """Whether a tilt (deg, >= 0) is within ``band_deg``, tick by tick, and its scores.

    The tilt leaves the band above ``band_deg`` and is back in it at or below
    (1 - HYSTERESIS_FRACTION) x ``band_deg``; the first tilt is in when within the band. A
    missing tilt (NaN: the IMU skipped a report) keeps the state and is left out of the scores.
    """

    def __init__(self, band_deg: float):
        self.band_deg = band_deg
        self.inside: bool | None = None  # None until the first tilt
        self.tilts_deg: list[float] = []
        self.states: list[bool] = []
        self.missing = 0

    def update(self, tilt_deg: float) -> bool | None:
        """Feed one tick's tilt; returns whether it is in the band now (None before any)."""
        if not math.isfinite(tilt_deg):
            self.missing += 1
            return self.inside
        limit = self.band_deg * (1 - HYSTERESIS_FRACTION) if self.inside is False else self.band_deg
        self.inside = tilt_deg <= limit
        self.tilts_deg.append(tilt_deg)
        self.states.append(self.inside)
        return self.inside

    def scores(self, rate_hz: float) -> dict:
        """Time in band (s, % of the ticks with a tilt), longest time in band (s), excursions
        (times out of the band) and their mean duration (s, None without any), mean, RMS and
        maximum tilt (deg), and the time without a tilt (s); None where there was no tilt."""
        states = np.asarray(self.states, dtype=bool)
        tilts = np.asarray(self.tilts_deg, dtype=float)
        out_runs = _true_runs(~states)
        has = states.size > 0
        return {
            "time_in_band_s": float(states.sum()) / rate_hz,
            "time_in_band_pct": float(100 * states.mean()) if has else None,
            "longest_in_band_s": float(_true_runs(states).max(initial=0)) / rate_hz,
            "excursions": int(out_runs.size),
            "mean_excursion_s": float(out_runs.mean()) / rate_hz if out_runs.size else None,
            "mean_tilt_deg": float(tilts.mean()) if has else None,
            "rms_tilt_deg": float(np.sqrt(np.mean(tilts**2))) if has else None,
            "max_tilt_deg": float(tilts.max()) if has else None,
            "missing_tilt_s": self.missing / rate_hz,
        }


class WobbleBoard(CuedDrill):
    """Record the board's tilt for ``duration_s`` with the spirit-level LEDs."""

    name = "wobble-board"
    tracked = ("time_in_band_pct", "losses_of_level")
    lower_is_better = ("losses_of_level",)
    imu_mount = "wobble-board"
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Keep the board level"),
    }
    quality_checks = ("timing", "on_platform", "imu")
    headline = (
        ("time_in_band_pct", "metrics.time_in_band_pct"),
        ("rms_tilt_deg", "metrics.rms_tilt_deg"),
    )
    title = N_("Wobble board")
    summary = N_(
        "Stand on the wobble board and keep it level; the lit side is the side that is down."
    )
    needs = ("loadcells", "imu")
    instruction = "hold-level"
    params = (
        Param(
            "band_deg", float, 3.0, 1.0, 10.0, "°", N_("How far from level still counts as level.")
        ),
        Param("duration_s", float, 30.0, 10.0, 120.0, "s", N_("How long the board is recorded.")),
        COUNTDOWN,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.band = TiltBand(self.values["band_deg"])
        self.ticks = 0
        self.speeds_deg_s: list[float] = []
        self.tilt_deg = math.nan

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, LOST_BALANCE)
        if self.ticks >= round(self.values["duration_s"] * self.rate_hz):
            return self.finish(frame.t_s)
        self.ticks += 1
        self.tilt_deg = math.hypot(frame.pitch_deg, frame.roll_deg)
        inside = self.band.update(self.tilt_deg)
        speed = math.hypot(frame.pitch_rate_deg_s, frame.roll_rate_deg_s)
        if math.isfinite(speed):
            self.speeds_deg_s.append(speed)
        if not math.isfinite(self.tilt_deg):
            return []  # no tilt this tick: the LEDs keep showing the last one
        return self.show({"centre"} if inside else lean_lights(frame.roll_deg, frame.pitch_deg))

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out.update(
                tilt_deg=round(self.tilt_deg, 2) if math.isfinite(self.tilt_deg) else None,
                level=self.band.inside,
                remaining_s=round(
                    max(0.0, self.values["duration_s"] - self.ticks / self.rate_hz), 2
                ),
            )
        return out

    def result(self):
        """Adds the recorded time and, once complete, ``metrics``: the ``TiltBand`` scores with
        the excursions named ``losses_of_level``, and ``mean_angular_speed_deg_s``."""
        out = super().result()
        out["recorded_s"] = self.ticks / self.rate_hz
        out["metrics"] = None
        if self.phase is Phase.COMPLETED:
            metrics = self.band.scores(self.rate_hz)
            metrics["losses_of_level"] = metrics.pop("excursions")
            speeds = self.speeds_deg_s
            metrics["mean_angular_speed_deg_s"] = float(np.mean(speeds)) if speeds else None
            out["metrics"] = metrics
        return out
