"""``postural-hold``: hold the trunk upright within a band, nudged back when it leans out.

Rules (docs/clinical.md, "Training drills"): the IMU is worn on the trunk
and zeroed by the station with the patient upright, so the Frame's pitch (forward lean positive)
and roll (lean to the right positive) are the trunk's lean from that posture. The platform is
optional: without load cells there is no step-on to wait for, so the drill counts down as soon
as the therapist starts it ("stand upright", ``CuedDrill``) and never looks at the load: leaving
the platform does not stop it. It then records for ``duration_s``.

The lean counted is set by ``axis``: both (the trunk's angle from upright, sqrt(pitch^2 +
roll^2)), forward-back (|pitch|) or side (|roll|). While it stays within ``band_deg``
(``TiltBand``: out above the band, back in at 90% of it) no cue is given. Out of the band, the
LED toward the lean lights (two for a diagonal) and a short beep (the ``countdown`` pattern)
sounds, repeated at most every NUDGE_INTERVAL_S while the lean lasts, so the patient corrects;
back in the band, the LEDs go off.

Scoring over the samples with a tilt (a missing IMU report, NaN, is left out and changes no
cue): time in band (% and s), number of excursions and their mean duration (s), maximum,
mean and RMS lean (deg), longest time in band (s).
"""

import math
from typing import ClassVar

from drills.cued import COUNTDOWN, CuedDrill, lean_lights
from drills.cues import Tone
from drills.engine import Phase
from drills.params import Param, choice
from drills.surfaces import SURFACE
from drills.wobble_board import TiltBand
from sensing.words import N_

NUDGE_TONE = "countdown"
"""A single short beep: the ``warning`` pattern means the drill stopped, so it is not used."""
NUDGE_INTERVAL_S = 2.0
"""At most one beep in this long: a reminder while the lean lasts, not a continuous alarm."""


class PosturalHold(CuedDrill):
    """Record the trunk lean for ``duration_s``; cue only while it is out of the band."""

    name = "postural-hold"
    tracked = ("time_in_band_pct", "excursions")
    lower_is_better = ("excursions",)
    imu_mount = "trunk"
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Stand upright"),
    }
    quality_checks = ("imu",)  # the platform is optional
    headline = (
        ("time_in_band_pct", "metrics.time_in_band_pct"),
        ("rms_tilt_deg", "metrics.rms_tilt_deg"),
    )
    title = N_("Postural hold")
    summary = N_("Stand upright and hold the posture; a beep and a light mean you are leaning.")
    needs = ("imu",)
    instruction = "stand-upright"
    params = (
        Param(
            "band_deg",
            float,
            2.0,
            1.0,
            20.0,
            "°",
            N_("How far the trunk may lean unnoticed (a steady adult's trunk sways about 1°)."),
        ),
        Param("duration_s", float, 60.0, 10.0, 300.0, "s", N_("How long the posture is held.")),
        choice(
            "axis",
            ("both", "forward-back", "side"),
            "both",
            N_("Which lean counts: in any direction, forward-back only, or to the sides only."),
        ),
        SURFACE,
        COUNTDOWN,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.band = TiltBand(self.values["band_deg"])
        self.ticks = 0
        self.tilt_deg = math.nan
        self._last_nudge_s = -math.inf

    def lean_deg(self, pitch_deg: float, roll_deg: float) -> tuple[float, float]:
        """The (ML, AP) lean in deg that counts under ``axis``; the other component is 0."""
        axis = self.values["axis"]
        return (0.0 if axis == "forward-back" else roll_deg, 0.0 if axis == "side" else pitch_deg)

    def on_recording(self, frame):
        if self.ticks >= round(self.values["duration_s"] * self.rate_hz):
            return self.finish(frame.t_s)
        self.ticks += 1
        ml, ap = self.lean_deg(frame.pitch_deg, frame.roll_deg)
        self.tilt_deg = math.hypot(ml, ap)
        inside = self.band.update(self.tilt_deg)
        if not math.isfinite(self.tilt_deg):
            return []  # no tilt this tick: the cues stay as they are
        if inside:
            return self.show(())
        cues = self.show(lean_lights(ml, ap))
        if frame.t_s - self._last_nudge_s >= NUDGE_INTERVAL_S - 1e-9:
            self._last_nudge_s = frame.t_s
            cues.append(Tone(NUDGE_TONE))
        return cues

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out.update(
                tilt_deg=round(self.tilt_deg, 2) if math.isfinite(self.tilt_deg) else None,
                in_band=self.band.inside,
                remaining_s=round(
                    max(0.0, self.values["duration_s"] - self.ticks / self.rate_hz), 2
                ),
            )
        return out

    def result(self):
        """Adds the recorded time and, once complete, the ``TiltBand`` scores as ``metrics``."""
        out = super().result()
        out["recorded_s"] = self.ticks / self.rate_hz
        out["metrics"] = self.band.scores(self.rate_hz) if self.phase is Phase.COMPLETED else None
        return out
