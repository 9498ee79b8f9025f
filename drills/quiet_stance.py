"""``quiet-stance``: stand still for a set time, eyes open or closed, on the platform, the foam
pad or the balance disc; scored by sway metrics, each condition its own (a trend never mixes
them)."""

from typing import ClassVar

from drills.cued import COUNTDOWN, LOST_BALANCE, CuedDrill
from drills.cues import Instruct, Status, Tone
from drills.engine import Phase
from drills.params import Param, choice
from drills.standing import StandingSamples, score_standing, sway_condition_words
from drills.surfaces import SURFACE
from sensing.words import ENGLISH, N_


class QuietStance(CuedDrill):
    """The shared lead-in (``CuedDrill``: wait for stance, settle, beep a countdown), then
    record COP with the status LED lit.

    Stepping off before recording starts sends the drill back to waiting; stepping off while
    recording aborts it (the recorded frames are kept by the station).
    """

    name = "quiet-stance"
    tracked = ("velocity_mean_cm_s", "area_ellipse95_cm2")
    lower_is_better = tracked
    reanalysable = True
    sway_condition = ("open", "firm")  # a result before the eyes and surface were settings
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Stand still"),
    }
    quality_checks = ()  # gated by drills.standing with its recording
    headline = (
        ("velocity_mean_cm_s", "metrics.velocity_mean_cm_s"),
        ("area_ellipse95_cm2", "metrics.area_ellipse95_cm2"),
    )
    title = N_("Quiet stance")
    summary = N_(
        "Stand still, feet apart, arms by the side, looking ahead (or eyes closed, or on the "
        "foam pad or the balance disc); sway is measured."
    )
    params = (
        Param(
            "duration_s",
            float,
            60.0,
            5.0,
            120.0,
            "s",
            N_("How long the patient stands still (60 s: as long as the published norms' trials)."),
        ),
        choice("eyes", ("open", "closed"), "open", N_("Eyes open, looking ahead, or closed.")),
        SURFACE,
        COUNTDOWN,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.samples = StandingSamples(self.rate_hz, self.sensor_rate_hz)

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        eyes, surface = cls.sway_condition
        eyes, surface = result.get("eyes", eyes), result.get("surface", surface)
        return sway_condition_words(eyes, surface, translations)

    def countdown_instructions(self):
        # the condition, said each time: a drill before may have left the patient on the foam
        # pad or with the eyes closed
        return [
            Instruct(f"eyes-{self.values['eyes']}"),
            Instruct(f"{self.values['surface']}-surface"),
        ]

    def everyday_cues(self):
        """Eyes open too, after a trial with them closed."""
        eyes = [Instruct("eyes-open")] if self.values["eyes"] == "closed" else []
        return [*eyes, *super().everyday_cues()]

    def begin(self, frame):
        self.samples.clear()

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, LOST_BALANCE)
        if len(self.samples) >= round(self.values["duration_s"] * self.rate_hz):
            self.enter(Phase.COMPLETED, frame.t_s)
            return [Status("off"), Tone("success")]
        self.samples.append(frame)
        return []

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out["remaining_s"] = round(
                max(0.0, self.values["duration_s"] - self.samples.recorded_s), 2
            )
        return out

    def result(self):
        """Adds the recorded time, the data-quality gate and, once complete, the full sway
        metric set with its conventions; a trial failing the gate keeps its metrics but is
        flagged (``quality.ok`` False, with the reasons), never silently scored as good."""
        out = super().result()
        out["eyes"] = self.values["eyes"]
        out["recorded_s"] = self.samples.recorded_s
        out["metrics"] = None
        if self.phase is Phase.COMPLETED:
            scored = score_standing(self.samples)
            out["quality"] = scored["quality"]
            if "error" in scored:
                out["state"], out["reason"] = "aborted", scored["error"]
            else:
                out["metrics"] = scored["metrics"]
                out["conventions"] = scored["conventions"]
        return out
