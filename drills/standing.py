"""A recording of the patient standing on the platform, and its scoring: the frames with named
columns (quiet stance, each mCTSIB condition, rhythmic weight shift, weight bearing), their
data-quality gate and, for standing still, the sway metrics under the published processing
(``sensing.norms.CONVENTIONS``: the 10 Hz zero-lag low-pass of Santos & Duarte 2016, the
prediction ellipse), so the scores are the ones the normative bands can judge."""

import numpy as np

from drills.surfaces import SURFACE_WORDS
from sensing.analysis import analyse_cop
from sensing.errors import ImplausibleDataError, NotEnoughDataError
from sensing.frame import Frame
from sensing.norms import CONVENTIONS
from sensing.quality import assess_trial
from sensing.words import ENGLISH, N_

FORCES = ("force_front_left_n", "force_front_right_n", "force_back_left_n", "force_back_right_n")
"""The corner forces in N, in ``Frame.forces_n`` order (``sensing.frame.CORNERS``)."""

COLUMNS = ("t_s", "cop_ml_mm", "cop_ap_mm", "fresh", *FORCES)
"""The columns of every standing recording, one row per frame: time (s), raw COP (mm), whether
every corner's value was fresh (1 or 0), the corner forces (N)."""


EYES_WORDS = {"open": N_("eyes open"), "closed": N_("eyes closed")}
"""The eyes in words, as a result's condition names them."""


def sway_condition_words(eyes: str, surface: str, translations=ENGLISH) -> str:
    """A standing recording's condition in words in the language of ``translations``, e.g.
    "eyes closed, foam pad"; a setting without words is named as it is."""
    _ = translations.gettext
    eyes_words = _(EYES_WORDS[eyes]) if eyes in EYES_WORDS else eyes
    surface_words = _(SURFACE_WORDS[surface]) if surface in SURFACE_WORDS else surface
    return f"{eyes_words}, {surface_words}"


class StandingSamples:
    """The frames of one recording, a row of COLUMNS each and then the drill's own ``extra``
    columns (values it derives per frame, given to ``append``), with the loop's rate and the
    load cells' own rate (Hz) that its time and its quality gate are reckoned in."""

    def __init__(self, rate_hz: float, sensor_rate_hz: float, extra: tuple[str, ...] = ()):
        self.rate_hz = rate_hz
        self.sensor_rate_hz = sensor_rate_hz
        self.columns = (*COLUMNS, *extra)
        self._rows: list[tuple] = []

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def recorded_s(self) -> float:
        """The recorded time in s: frames / rate."""
        return len(self._rows) / self.rate_hz

    def append(self, frame: Frame, *extra: float) -> None:
        """Record ``frame``, followed by the values of the ``extra`` columns in their order."""
        self._rows.append(
            (frame.t_s, frame.cop_ml_mm, frame.cop_ap_mm, frame.fresh, *frame.forces_n, *extra)
        )

    def clear(self) -> None:
        """Forget every frame (recording starts again)."""
        self._rows.clear()

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` of every frame so far, as floats."""
        return self._array()[:, self.columns.index(name)]

    def quality(self) -> dict:
        """The data-quality gate (``sensing.quality.assess_trial``) on the recorded frames."""
        rec = self._array()
        first, last = self.columns.index(FORCES[0]), self.columns.index(FORCES[-1])
        return assess_trial(
            rec[:, self.columns.index("t_s")],
            rec[:, first : last + 1],
            nominal_rate_hz=self.rate_hz,
            sensor_rate_hz=self.sensor_rate_hz,
            fresh=rec[:, self.columns.index("fresh")].astype(bool),
        )

    def _array(self) -> np.ndarray:
        return np.asarray(self._rows, dtype=float).reshape(-1, len(self.columns))


def score_standing(samples: StandingSamples) -> dict:
    """``quality`` (the gate) and, when the recording can be scored, the sway ``metrics`` and
    their ``conventions`` of a recording of standing still; else ``error`` says why."""
    out = {"quality": samples.quality()}
    try:
        analysis = analyse_cop(
            samples.column("cop_ap_mm") / 10.0,
            samples.column("cop_ml_mm") / 10.0,
            samples.rate_hz,
            filter=CONVENTIONS["filter"],
            resample_hz=CONVENTIONS["resample_hz"],
            ellipse=CONVENTIONS["ellipse"],
        )
    except (NotEnoughDataError, ImplausibleDataError) as exc:
        return {**out, "error": f"could not score the trial: {exc}"}
    return {**out, "metrics": analysis["metrics"], "conventions": analysis["conventions"]}
