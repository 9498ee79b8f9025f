"""Every drill of the catalog describes itself completely: what it follows on the progress page,
what its results mean, and what the live view and the patient display say in each of its
phases. A drill added without one of them fails here, not on a therapist's screen.
(tests/clinical/test_validation.py checks the same on the keys and phases of real runs.)"""

from typing import ClassVar

import pytest

from drills.catalog import DRILLS, RESULT_DOCS
from drills.engine import Drill, Phase

CATALOG = sorted(DRILLS.items())


def undocumented(keys, docs=RESULT_DOCS) -> list[str]:
    """The keys without a label and a meaning."""
    return [k for k in keys if k not in docs or not (docs[k][0] and docs[k][2])]


def unworded(cls: type[Drill]) -> list[str]:
    """What the drill can show on a screen without words for it: a phase the therapist's live
    view or the patient display has no words for (the display's words while recording may come
    from the drill's stages or targets instead), or an empty stage word."""
    missing = [f"live view: {p}" for p in cls.phases() if not cls.phase_words.get(p)]
    missing += [
        f"patient display: {p}"
        for p in cls.phases()
        if p != Phase.RECORDING and not cls.patient_words.get(p)
    ]
    if not (cls.patient_words.get(Phase.RECORDING) or cls.patient_stage_words or cls.stage_words):
        missing.append("patient display: recording")
    missing += [
        f"stage: {s}" for s, w in {**cls.stage_words, **cls.patient_stage_words}.items() if not w
    ]
    return missing


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_a_drill_names_its_headline_measures_and_documents_them(name, cls):
    assert cls.name == name
    assert cls.tracked, f"{name} follows no measure on the progress page"
    assert undocumented(cls.tracked) == []
    assert set(cls.lower_is_better) <= set(cls.tracked)
    assert undocumented(summary for summary, _ in cls.headline) == []


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_every_phase_a_drill_can_be_in_has_words(name, cls):
    assert unworded(cls) == []
    described = cls.describe()["words"]
    assert set(described["phases"]) >= set(cls.phases())


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_a_drills_own_result_docs_are_complete(name, cls):
    assert undocumented(cls.result_docs, cls.result_docs) == []
    assert cls.imu_mount in (None, "wobble-board", "trunk")


def test_the_checks_catch_a_drill_that_forgot_something():
    class Forgetful(Drill):
        name = "forgetful"
        tracked = ("stood_still_s",)
        phase_words: ClassVar[dict[str, str]] = {Phase.RECORDING: "Recording"}
        patient_words: ClassVar[dict[str, str]] = {}

        def on_recording(self, frame):
            return []

    assert undocumented(Forgetful.tracked) == ["stood_still_s"]
    assert "live view: completed" in unworded(Forgetful)
    assert "patient display: aborted" in unworded(Forgetful)
    assert "patient display: recording" in unworded(Forgetful)
    assert Forgetful.phases() == ("recording", "completed", "aborted")


def test_a_stored_results_condition_comes_from_its_drill():
    single_leg = DRILLS["single-leg-stance"]
    assert single_leg.condition_words({"leg": "left", "eyes": "closed"}) == "left leg, eyes closed"
    assert DRILLS["quiet-stance"].condition_words({}) == "eyes open, firm surface"
    on_foam = {"eyes": "closed", "surface": "foam"}
    assert DRILLS["quiet-stance"].condition_words(on_foam) == "eyes closed, foam pad"
    assert DRILLS["reaction"].condition_words({"trials": 10}) == ""
    assert DRILLS["quiet-stance"].sway_condition == ("open", "firm")
