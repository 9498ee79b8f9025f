"""The catalog of drills by name."""

from drills.bess import Bess
from drills.engine import Drill
from drills.errors import UnknownDrillError
from drills.gait_initiation import GaitInitiation
from drills.limits_of_stability import LimitsOfStability
from drills.mctsib import Mctsib
from drills.postural_hold import PosturalHold
from drills.quiet_stance import QuietStance
from drills.reaction import Reaction
from drills.rhythmic import RhythmicWeightShift
from drills.single_leg import SingleLegStance
from drills.steadi import Steadi4Stage
from drills.weight_bearing import WeightBearing
from drills.weight_shift import WeightShift
from drills.wobble_board import WobbleBoard
from sensing.metric_docs import METRIC_DOCS
from sensing.words import ENGLISH

DRILLS: dict[str, type[Drill]] = {
    cls.name: cls
    for cls in (
        QuietStance,
        Mctsib,
        SingleLegStance,
        LimitsOfStability,
        WeightShift,
        RhythmicWeightShift,
        WeightBearing,
        WobbleBoard,
        PosturalHold,
        Reaction,
        Steadi4Stage,
        Bess,
        GaitInitiation,
    )
}

RESULT_DOCS = METRIC_DOCS | {k: v for cls in DRILLS.values() for k, v in cls.result_docs.items()}
"""key -> (label, unit, meaning) of every measure a drill's result holds: the sensing metrics
and what each drill declares of its own."""


def result_doc(key: str, translations=ENGLISH) -> tuple[str, str, str]:
    """(label, unit, meaning) of result key ``key``, the label and the meaning in the language
    of ``translations``; ``(key, "", "")`` for a key nothing documents."""
    if key not in RESULT_DOCS:
        return key, "", ""
    label, unit, meaning = RESULT_DOCS[key]
    return translations.gettext(label), unit, translations.gettext(meaning)


def drill_class(name: str) -> type[Drill]:
    """The drill class called ``name``; raises UnknownDrillError listing the known ones."""
    try:
        return DRILLS[name]
    except KeyError:
        raise UnknownDrillError(
            f"no drill called {name!r}; known drills: {', '.join(sorted(DRILLS))}"
        ) from None


def needs_imu(names) -> bool:
    """Whether any of the drills called ``names`` needs the IMU; a simulated station that runs
    none of them runs without one (``[imu] enabled = false``, as clinics without one do): the
    emulated IMU's reports and their decoding are a third of a simulated drill's CPU. Names
    of no drill are left to ``drill_class`` to refuse."""
    return any("imu" in DRILLS[name].needs for name in names if name in DRILLS)
