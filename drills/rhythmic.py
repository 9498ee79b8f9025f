"""``rhythmic-weight-shift``: shift side to side or front to back in time with a metronome
(docs/clinical.md, "Training drills": slow, medium and fast paces, scored by on-axis
velocity and directional control).

Rules: ``PACE_PER_MIN`` shifts per minute (slow 30, medium 45, fast 60: a beat every 2, 1.33
or 1 s). Neutral is the mean live COP over the countdown (the COP at the start of recording when
there is no countdown). Recording (status green, rising start tone) lasts ``duration_s``; the
first beat comes one beat period after the start tone, and beats continue while a whole beat
still fits before the end. On each beat: the metronome click, the direction LED of the next side
lit (left and right, or front and back, alternating, left or front first; the previous side's
LED and the centre LED off). The patient shifts toward the lit side; the centre LED lights once
the live COP is ``amplitude_mm`` from neutral toward it ("you are there"). The end: every cue
off, success tone. Stepping off before recording goes back to waiting; stepping off while
recording aborts the drill, keeping the scores of what was recorded.

Scores:
- ``on_axis_velocity_mm_s``: on-axis path over the recorded time, path = sum of |steps| of the
  COP along the cued axis, time = samples / rate (as for sway velocity, docs/clinical.md);
- ``directional_control_pct`` = (on-axis path - off-axis path) / on-axis path * 100: 100% when
  every movement is along the cued axis, 0 when there is as much across it;
- both from the raw COP through the zero-lag low-pass of ``sensing.los`` (``SMOOTHING_HZ``, order
  2): sensor noise would otherwise add path on both axes;
- rhythm, from the live COP that lit the centre LED: ``beats``, ``beats_reached`` (the COP
  reached ``amplitude_mm`` toward the cued side before the next beat, by a shift: it was on
  the other side of neutral at some time since the beat before; a patient who stays on one side
  reaches no beat there, one who gets there just before its beat reaches it with no lag),
  ``rhythm_pct`` (their share), ``lag_mean_s`` (mean time from a beat to reaching the side, over
  the reached beats); per beat in ``beat_log``;
- ``quality``: ``sensing.quality.assess_trial`` on the recorded frames.
"""

import math
from typing import ClassVar

import numpy as np

from drills.cued import COUNTDOWN, LOST_BALANCE, CuedDrill, zone
from drills.cues import AllOff, Light, Tone
from drills.engine import Phase
from drills.params import Param, choice
from drills.standing import StandingSamples
from drills.surfaces import SURFACE, with_surface
from sensing.errors import NotEnoughDataError, SensingError
from sensing.filters import zero_lag_lowpass
from sensing.los import SMOOTHING_HZ
from sensing.words import ENGLISH, N_

PACE_PER_MIN = {"slow": 30, "medium": 45, "fast": 60}
"""Shifts (beats) per minute of each pace; each beat asks for one shift to the other side."""

AXES = {
    "side-to-side": (0, (("left", -1.0), ("right", 1.0))),
    "front-to-back": (1, (("front", 1.0), ("back", -1.0))),
}
"""Per axis: the COP component it moves (0 ML, 1 AP) and its two sides with their signs."""

AXIS_WORDS = {"side-to-side": N_("side to side"), "front-to-back": N_("front to back")}
"""The axis in words, as a result's condition names it."""


class RhythmicWeightShift(CuedDrill):
    """The shared lead-in (``CuedDrill``), then metronome-paced alternating weight shifts with
    LED targets; velocity, directional control and rhythm are scored."""

    name = "rhythmic-weight-shift"
    tracked = ("rhythm_pct", "directional_control_pct")
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "pace_per_min": (
            N_("Pace"),
            "shifts/min",
            N_("How many weight shifts a minute the lights asked for (the pace chosen)."),
        ),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Follow the light"),
    }
    headline = (
        ("rhythm_pct", "rhythm_pct"),
        ("directional_control_pct", "directional_control_pct"),
        ("on_axis_velocity_mm_s", "on_axis_velocity_mm_s"),
    )
    title = N_("Rhythmic weight shift")
    summary = N_("Shift toward the lit side on each click, as far as the centre light comes on.")
    params = (
        choice(
            "pace",
            tuple(PACE_PER_MIN),
            "slow",
            N_(
                "Shifts per minute: slow 30, medium 45, fast 60. Start slow; raise it as the "
                "patient keeps time."
            ),
        ),
        choice("axis", tuple(AXES), "side-to-side", N_("Which way the patient shifts.")),
        Param("duration_s", float, 60.0, 10.0, 300.0, "s", N_("How long the exercise runs.")),
        Param(
            "amplitude_mm",
            float,
            50.0,
            10.0,
            150.0,
            "mm",
            N_("How far from neutral each shift should reach."),
        ),
        SURFACE,
        COUNTDOWN,
    )

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        _ = translations.gettext
        axis = result.get("axis")
        pace = _("%(pace)s shifts a minute") % {"pace": result.get("pace_per_min", "?")}
        words = f"{_(AXIS_WORDS[axis])}, {pace}" if axis in AXIS_WORDS else pace
        return with_surface(words, result, translations)

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.period_s = 60.0 / PACE_PER_MIN[self.values["pace"]]
        self.axis, self.sides = AXES[self.values["axis"]]
        self.sign = dict(self.sides)  # side -> +1 or -1 along the axis: looked up every frame
        self.beat_count = int(self.values["duration_s"] / self.period_s + 1e-9) - 1
        self.samples = StandingSamples(self.rate_hz, self.sensor_rate_hz)
        self.beat_log: list[dict] = []
        self.neutral = (math.nan, math.nan)
        # since the latest beat: the farthest the live COP went toward its side from neutral,
        # mm, and whether it has been on the other side of neutral since the beat before
        self._toward_max_mm = -math.inf
        self._shifted = True
        self._countdown_cop: list[tuple[float, float]] = []  # live COP: the neutral

    def start_countdown(self, frame):
        self._countdown_cop.clear()
        return super().start_countdown(frame)

    def on_countdown(self, frame):
        cues = super().on_countdown(frame)
        if self.phase is Phase.COUNTDOWN:  # neither stepped off nor recording from this tick
            self._countdown_cop.append((frame.cop_ml_live_mm, frame.cop_ap_live_mm))
        return cues

    def begin(self, frame):
        cop = self._countdown_cop or [(frame.cop_ml_live_mm, frame.cop_ap_live_mm)]
        self.neutral = tuple(float(v) for v in np.mean(cop, axis=0))
        self.samples.clear()

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, LOST_BALANCE)
        if len(self.samples) >= round(self.values["duration_s"] * self.rate_hz):
            self.enter(Phase.COMPLETED, frame.t_s)
            self.lit = frozenset()
            return [AllOff(), Tone("success")]
        self.samples.append(frame)
        cues = []
        due = self.phase_started_s + (len(self.beat_log) + 1) * self.period_s
        if len(self.beat_log) < self.beat_count and frame.t_s >= due - 1e-9:
            cues += self._beat(frame.t_s)
        if self.beat_log:
            beat = self.beat_log[-1]
            live = (frame.cop_ml_live_mm, frame.cop_ap_live_mm)
            toward_mm = self.sign[beat["side"]] * (live[self.axis] - self.neutral[self.axis])
            self._toward_max_mm = max(self._toward_max_mm, toward_mm)
            self._shifted = self._shifted or toward_mm <= 0.0
            reached = self._shifted and toward_mm >= self.values["amplitude_mm"]
            if reached and not beat["reached"]:
                beat["reached"] = True
                beat["lag_s"] = frame.t_s - beat["t_s"]
                self.lit |= {"centre"}
                cues.append(Light("centre", True))
        return cues

    def _beat(self, t_s: float) -> list:
        """The click and the next side's LED, the previous one's and the centre LED off."""
        side = self.sides[len(self.beat_log) % 2][0]
        cues = [Tone("metronome"), Light("centre", False)]
        # a shift to this side has begun if the COP was on the last beat's side since it
        self._shifted = not self.beat_log or self._toward_max_mm >= 0.0
        self._toward_max_mm = -math.inf
        if self.beat_log:
            cues.append(Light(self.beat_log[-1]["side"], False))
        self.beat_log.append({"beat": len(self.beat_log) + 1, "side": side, "t_s": t_s})
        self.beat_log[-1].update(reached=False, lag_s=None)
        self.lit = frozenset({side})
        return [*cues, Light(side, True)]

    def status(self):
        out = super().status()
        out.update(
            pace_per_min=PACE_PER_MIN[self.values["pace"]],
            axis=self.values["axis"],
            beats=self.beat_count,
            beat=len(self.beat_log),
            beats_reached=sum(b["reached"] for b in self.beat_log),
        )
        if self.beat_log:
            out["side"] = self.beat_log[-1]["side"]
        if self.phase is Phase.RECORDING:
            out["remaining_s"] = round(
                max(0.0, self.values["duration_s"] - self.samples.recorded_s), 2
            )
            if self.beat_log:
                reach = list(self.neutral)
                reach[self.axis] += self.sign[out["side"]] * self.values["amplitude_mm"]
                out["target_zone"] = zone(reach, None)
        return out

    def result(self):
        """Adds the scores of the module docstring over what was recorded (also when the
        drill was aborted: the state says it ended early)."""
        out = super().result()
        t0 = self.events[0]["t_s"] if self.events else 0.0
        reached = [b for b in self.beat_log if b["reached"]]
        out.update(
            pace_per_min=PACE_PER_MIN[self.values["pace"]],
            axis=self.values["axis"],
            recorded_s=self.samples.recorded_s,
            beats=len(self.beat_log),
            beats_reached=len(reached),
            rhythm_pct=100 * len(reached) / len(self.beat_log) if self.beat_log else None,
            lag_mean_s=sum(b["lag_s"] for b in reached) / len(reached) if reached else None,
            beat_log=[{**b, "t_s": round(b["t_s"] - t0, 3)} for b in self.beat_log],
        )
        if not self.samples:
            return out
        out["quality"] = self.samples.quality()
        cop_mm = np.stack([self.samples.column("cop_ml_mm"), self.samples.column("cop_ap_mm")])
        try:
            out.update(self._path_scores(cop_mm))
        except SensingError as exc:
            out["path_scores_error"] = f"could not score the movement: {exc}"
        return out

    def _path_scores(self, cop_mm: np.ndarray) -> dict:
        """On-axis path, off-axis path, on-axis velocity and directional control of the raw
        (ML, AP) COP in mm, shape (2, N), after the zero-lag low-pass."""
        if not np.all(np.isfinite(cop_mm)):
            raise NotEnoughDataError("the COP has gaps (the patient left the platform)")
        smooth = zero_lag_lowpass(cop_mm, self.rate_hz, SMOOTHING_HZ, order=2)
        steps = np.abs(np.diff(smooth, axis=1)).sum(axis=1)
        on_path, off_path = float(steps[self.axis]), float(steps[1 - self.axis])
        return {
            "on_axis_path_mm": on_path,
            "off_axis_path_mm": off_path,
            "on_axis_velocity_mm_s": on_path / (cop_mm.shape[1] / self.rate_hz),
            "directional_control_pct": (
                100 * (on_path - off_path) / on_path if on_path > 0 else None
            ),
        }
