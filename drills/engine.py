"""The drill engine: a fixed-rate state machine fed one Frame per control-loop tick.

A drill never reads a clock or touches hardware: time comes from ``Frame.t_s`` and everything it
wants to happen comes back as cue intents. The shared phases are waiting (for the patient to step
on), settling, countdown, the drill's own active phase, then completed or aborted. The engine
handles what every drill shares: stance tracking, phase bookkeeping, and the safe stop that turns
every cue off, sounds a warning and keeps the reason.
"""

from enum import StrEnum
from typing import ClassVar

from drills.cues import AllOff, Cue, Status, Tone
from drills.errors import DrillSubjectError
from drills.params import Param, validate_params
from sensing.frame import Frame
from sensing.stance import StanceDetector, StanceSettings
from sensing.words import ENGLISH, N_


class Phase(StrEnum):
    """Where a drill is; ``completed`` and ``aborted`` are final."""

    WAITING = "waiting"
    SETTLING = "settling"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    COMPLETED = "completed"
    ABORTED = "aborted"


FINAL_PHASES = (Phase.COMPLETED, Phase.ABORTED)


class Drill:
    """Base of every drill: subclasses declare ``name``, ``title``, ``params`` and phase handlers.

    ``step(frame)`` runs the handler of the current phase (a method ``on_<phase>``) and returns
    the cues to apply this tick. ``stop(t_s, reason)`` ends the drill safely from any phase.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ("loadcells",)  # sensors whose loss aborts the drill
    subject_fields: ClassVar[tuple[str, ...]] = ()  # patient fields it needs (height_cm, ...)
    # what its data-quality gate checks (sensing.quality.CHECKS); empty: it gates its own
    quality_checks: ClassVar[tuple[str, ...]] = ("timing", "on_platform")
    # the headline measures: (summary key with its unit, where in the result, dotted) pairs
    headline: ClassVar[tuple[tuple[str, str], ...]] = ()
    # the measures of its scored parts followed on the progress page and in the report
    tracked: ClassVar[tuple[str, ...]] = ()
    # the tracked measures where a smaller value means better balance (larger, for the rest)
    lower_is_better: ClassVar[tuple[str, ...]] = ()
    # key -> (label, unit, meaning) of result keys sensing.metric_docs does not explain
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {}
    # whether the panel may analyse its trial again under other conventions (one recording)
    reanalysable: ClassVar[bool] = False
    # where the IMU must be for it ("wobble-board", "trunk"), None: anywhere or not needed
    imu_mount: ClassVar[str | None] = None
    # where its result keeps each single reaction to a go cue: (the list, the time's key, s)
    reaction_times: ClassVar[tuple[str, str] | None] = None
    # the therapist's live view: what each phase, and each stage of a recording, means
    phase_words: ClassVar[dict[str, str]] = {
        Phase.WAITING: N_("Waiting for the patient to step on"),
        Phase.SETTLING: N_("Patient on: waiting for them to stand still"),
        Phase.COUNTDOWN: N_("Get ready"),
        Phase.RECORDING: N_("Recording"),
        Phase.COMPLETED: N_("Finished"),
        Phase.ABORTED: N_("Stopped"),
    }
    stage_words: ClassVar[dict[str, str]] = {}
    # the patient display: a few big words per phase ("recording": what to do meanwhile)
    patient_words: ClassVar[dict[str, str]] = {
        Phase.WAITING: N_("Step on"),
        Phase.SETTLING: N_("Stand still"),
        Phase.COUNTDOWN: N_("Get ready"),
        Phase.COMPLETED: N_("Well done!"),
        Phase.ABORTED: N_("Stopped"),
        "target": N_("Lean to the target"),  # while recording, a target is shown
        "home": N_("Back to the middle"),  # ... or the middle to come back to
    }
    patient_stage_words: ClassVar[dict[str, str]] = {}
    # (eyes, surface) of its standing recording ("open", "firm"), None: not a sway test; a
    # result that records its own "eyes" and "surface" (quiet stance's settings) has those
    sway_condition: ClassVar[tuple[str, str] | None] = None

    @classmethod
    def check_params(cls, params: dict | None) -> dict:
        """The validated parameter values, each alone and then together (``cross_check``), so a
        program can refuse settings its drill would refuse at start; DrillParamError names the
        parameter."""
        values = validate_params(cls.params, params)
        cls.cross_check(values)
        return values

    @classmethod
    def cross_check(cls, values: dict) -> None:
        """Raise DrillParamError when valid values do not fit together (none by default)."""

    def __init__(
        self,
        params: dict | None,
        *,
        rate_hz: float,
        stance: StanceSettings,
        sensor_rate_hz: float | None = None,
        subject: dict | None = None,
        seed: int = 0,
    ):
        self.values = self.check_params(params)
        self.subject = dict(subject or {})
        missing = [f for f in self.subject_fields if not self.subject.get(f)]
        if missing:
            raise DrillSubjectError(
                f"{self.name} needs the patient's {' and '.join(m.split('_')[0] for m in missing)}"
                ": add it on the patient's page first"
            )
        self.seed = seed  # drills that randomise (reaction) draw from random.Random(seed)
        self.rate_hz = rate_hz
        # the load cells' own rate when slower than the ticks (HX711 at 80 SPS under 100 Hz)
        self.sensor_rate_hz = min(rate_hz, sensor_rate_hz or rate_hz)
        self.stance = StanceDetector(stance, rate_hz)
        self.phase = Phase.WAITING
        self.phase_started_s: float | None = None
        self.events: list[dict] = []
        self.reason: str | None = None
        self.last_t_s: float | None = None

    @classmethod
    def describe(cls, translations=ENGLISH) -> dict:
        """Plain-dict catalog entry with the parameter schema and the words the live view and
        the patient display show for it: the therapist's words (title, summary, each
        parameter's help, the phase and stage words) in the language of ``translations``, the
        patient's in English, as the patient display says them in the patient's language."""
        _ = translations.gettext
        return {
            "name": cls.name,
            "title": _(cls.title),
            "summary": _(cls.summary),
            "params": [p.schema(translations) for p in cls.params],
            "needs": list(cls.needs),
            "subject_fields": list(cls.subject_fields),
            "tracked": list(cls.tracked),
            "reanalysable": cls.reanalysable,
            "words": {
                "phases": {str(k): _(v) for k, v in cls.phase_words.items()},
                "stages": {k: _(v) for k, v in cls.stage_words.items()},
                "patient": {str(k): v for k, v in cls.patient_words.items()},
                "patient_stages": dict(cls.patient_stage_words),
            },
        }

    @classmethod
    def phases(cls) -> tuple[str, ...]:
        """Every phase it can be in: those it has a handler for, and the final ones."""
        handled = (name.removeprefix("on_") for name in dir(cls) if name.startswith("on_"))
        return (*sorted(handled), *map(str, FINAL_PHASES))

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        """The condition of a stored result in words for its scored part ("left leg, eyes
        open"), in the language of ``translations``; empty when the drill has one condition."""
        return ""

    @property
    def finished(self) -> bool:
        """True once the drill has completed or been aborted."""
        return self.phase in FINAL_PHASES

    def phase_elapsed_s(self) -> float:
        """Seconds spent in the current phase at the last frame."""
        if self.phase_started_s is None or self.last_t_s is None:
            return 0.0
        return self.last_t_s - self.phase_started_s

    def step(self, frame: Frame) -> list[Cue]:
        """Advance one tick; returns the cues to apply now."""
        if self.finished:
            return []
        first: list[Cue] = []
        if self.phase_started_s is None:
            self.enter(Phase.WAITING, frame.t_s)
            first = [Status("blue")]  # step on and stand still
        self.last_t_s = frame.t_s
        self.stance.update(frame.total_n, frame.cop_ml_mm, frame.cop_ap_mm)
        return first + getattr(self, f"on_{self.phase.value}")(frame)

    def stop(self, t_s: float, reason: str, tone: str = "warning") -> list[Cue]:
        """End the drill now as aborted with ``reason``: every cue off, then ``tone`` (a
        warning for step-offs and faults, the falling ``stop`` tone for a deliberate stop)."""
        if self.finished:
            return []
        self.reason = reason
        self.enter(Phase.ABORTED, t_s)
        return [AllOff(), Tone(tone)]

    def enter(self, phase: Phase, t_s: float) -> None:
        """Switch phase and log it as an event at ``t_s``."""
        self.phase = phase
        self.phase_started_s = t_s
        self.last_t_s = t_s
        event = {"t_s": t_s, "phase": phase.value}
        if phase is Phase.ABORTED:
            event["reason"] = self.reason
        self.events.append(event)

    def status(self) -> dict:
        """Plain-dict state for the panel."""
        return {
            "drill": self.name,
            "phase": self.phase.value,
            "phase_elapsed_s": round(self.phase_elapsed_s(), 3),
            "on_platform": self.stance.on_platform,
            "reason": self.reason,
            # the therapist can fail the attempt under way (``mark_failed``) now
            "attempt_failable": hasattr(self, "mark_failed") and self.phase is Phase.RECORDING,
        }

    @classmethod
    def headline_measures(cls, result: dict) -> dict:
        """The headline measures of ``result`` as a flat dict (``headline``: summary key and
        dotted path in the result); a measure the result does not have is left out. A class
        method: it reads a stored result as well as a running drill's."""
        out = {}
        for key, path in cls.headline:
            value = result
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = value
        return out

    def result(self) -> dict:
        """The drill's outcome; subclasses add their scores."""
        return {
            "drill": self.name,
            "state": "completed" if self.phase is Phase.COMPLETED else "aborted",
            "reason": self.reason,
            "params": self.values,
            "events": self.events,
        }
