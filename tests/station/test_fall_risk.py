"""The fall-risk screens: each standard test's latest result against its published cut-off."""

import re

import pytest

from station.results.fall_risk import fall_risk_screens
from tests.catalogs import Marked

OLDER = {"birth_date": "1950-02-03"}  # 76 in 2026


def trial(drill: str, day: str, result: dict, state: str = "completed") -> dict:
    return {
        "id": f"{drill}-{day}",
        "drill": drill,
        "state": state,
        "started_at": f"{day}T10:00:00+00:00",
        "result": result,
    }


def steadi(day: str, tandem_s: float, reached: bool = True) -> dict:
    stages = [{"stance": "feet-together"}, {"stance": "semi-tandem"}]
    stages += [{"stance": "tandem"}] if reached else []
    return trial("steadi-4-stage", day, {"tandem_time_s": tandem_s, "stages": stages})


def single_leg(day: str, leg: str, best_s: float, eyes: str = "open") -> dict:
    result = {"leg": leg, "eyes": eyes, "best_stance_time_s": best_s}
    return trial("single-leg-stance", day, result)


def mctsib(day: str, foam_closed_s: float) -> dict:
    conditions = [{"time_held_s": 30.0}] * 3 + [{"time_held_s": foam_closed_s}]
    return trial("mctsib", day, {"conditions": conditions})


def by_test(screens):
    return {s["test"].split(":")[0].split(",")[0]: s for s in screens}


def test_nothing_done_is_nothing_screened():
    screens = fall_risk_screens([], OLDER)
    assert len(screens) == 3
    assert all(s["at_risk"] is None and s["words"] == "Not done yet." for s in screens)


def test_the_latest_result_of_each_test_is_read_against_its_cut_off():
    trials = [
        steadi("2026-01-05", 4.2),
        steadi("2026-03-02", 10.0),  # the latest counts: held now
        single_leg("2026-03-02", "left", 3.1),
        single_leg("2026-03-02", "right", 4.4),  # the better leg, still under 5 s
        mctsib("2026-03-02", 6.5),
    ]
    screens = by_test(fall_risk_screens(trials, OLDER))
    assert screens["STEADI 4-stage"]["at_risk"] is False
    assert screens["STEADI 4-stage"]["trial_id"] == "steadi-4-stage-2026-03-02"
    leg = screens["Single-leg stance"]
    assert leg["at_risk"] is True and leg["value"] == "4.4 s (right leg)"
    assert "injurious fall" in leg["words"]
    foam = screens["mCTSIB"]
    assert foam["at_risk"] is True and foam["value"] == "6.5 s held"


def test_a_tandem_held_to_the_end_of_shortened_stages_is_not_the_latest_screen():
    """Tandem held all of 5 s stages cannot show the CDC's 10 s: the screen reads the latest
    STEADI that can; without one it says why it reads none, rather than a fall risk."""
    short = steadi("2026-03-02", 5.0)
    short["result"]["hold_s"] = 5.0
    short["result"]["stages"][-1]["held"] = True
    screens = by_test(fall_risk_screens([steadi("2026-01-05", 10.0), short], OLDER))
    assert screens["STEADI 4-stage"]["at_risk"] is False
    assert screens["STEADI 4-stage"]["trial_id"] == "steadi-4-stage-2026-01-05"
    [alone, *_] = fall_risk_screens([short], OLDER)
    assert alone["at_risk"] is None
    assert alone["words"].startswith("Tandem stance was held to the end of 5 s stages")


def test_tandem_not_reached_is_at_risk_and_says_so():
    [screen, *_] = fall_risk_screens([steadi("2026-03-02", 0.0, reached=False)], OLDER)
    assert screen["at_risk"] is True
    assert screen["value"] == "not reached (an easier stance ended it)"


def test_cut_offs_outside_their_ages_are_named_not_applied():
    young = {"birth_date": "1990-06-01"}
    trials = [steadi("2026-03-02", 6.0), single_leg("2026-03-02", "left", 3.0)]
    screens = by_test(fall_risk_screens(trials, young))
    assert screens["STEADI 4-stage"]["at_risk"] is True
    assert "65 and over; the patient was 35" in screens["STEADI 4-stage"]["words"]
    assert screens["Single-leg stance"]["at_risk"] is None
    assert "over 60; the patient was 35" in screens["Single-leg stance"]["words"]
    no_birth = by_test(fall_risk_screens(trials, {}))
    assert "add the birth date" in no_birth["Single-leg stance"]["words"]


def test_eyes_closed_aborted_and_unfinished_results_are_not_read():
    trials = [
        single_leg("2026-03-02", "left", 2.0, eyes="closed"),
        trial("steadi-4-stage", "2026-03-02", {"tandem_time_s": 3.0}, state="aborted"),
        trial("mctsib", "2026-03-02", {"conditions": [{"time_held_s": 30.0}] * 2}),
    ]
    assert all(s["at_risk"] is None for s in fall_risk_screens(trials, OLDER))


@pytest.mark.parametrize(
    ("trials", "patient"),
    [
        ([], OLDER),
        ([steadi("2026-03-02", 4.2), single_leg("2026-03-02", "left", 3.1)], OLDER),
        ([steadi("2026-03-02", 0.0, reached=False), mctsib("2026-03-02", 6.5)], OLDER),
        ([steadi("2026-03-02", 12.0), mctsib("2026-03-02", 30.0)], OLDER),
        ([single_leg("2026-03-02", "right", 9.0)], OLDER),
        ([steadi("2026-03-02", 6.0), single_leg("2026-03-02", "left", 3.0)], {}),
        (
            [steadi("2026-03-02", 6.0), single_leg("2026-03-02", "left", 3.0)],
            {"birth_date": "1990-06-01"},
        ),
    ],
)
def test_every_word_of_a_screen_comes_from_the_catalog(trials, patient):
    for screen in fall_risk_screens(trials, patient, translations=Marked()):
        words = [screen[k] for k in ("test", "cut_off", "source", "words")]
        if screen["value"] and not re.fullmatch(r"[\d.]+ s", screen["value"]):
            words.append(screen["value"])  # a tandem time is a number and its unit
        assert all(w.startswith("[") and w.endswith("]") for w in words), words


def test_screens_place_the_numbers_in_whole_sentences():
    young = {"birth_date": "1990-06-01"}
    trials = [steadi("2026-03-02", 6.0), single_leg("2026-03-02", "left", 3.0)]
    screens = by_test(fall_risk_screens(trials, young, translations=Marked()))
    assert screens["[STEADI 4-stage"]["words"] == (
        "[Increased risk of falling (the CDC's cut-off).] "
        "[The cut-off is for adults aged 65 and over; the patient was 35.]"
    )
    leg = screens["[Single-leg stance"]
    assert leg["value"] == "[3 s (left leg)]"
    assert leg["words"] == "[The cut-off is for people over 60; the patient was 35.]"
    foam = fall_risk_screens([mctsib("2026-03-02", 6.5)], OLDER, translations=Marked())[2]
    assert foam["value"] == "[6.5 s held]"
    english = by_test(fall_risk_screens(trials, young))
    assert english["STEADI 4-stage"]["words"] == (
        "Increased risk of falling (the CDC's cut-off). "
        "The cut-off is for adults aged 65 and over; the patient was 35."
    )
    assert english["STEADI 4-stage"]["value"] == "6 s"
