"""The Patient-Specific Functional Scale as docs/clinical.md defines it: 3-5 activities the
patient names, each 0-10, the mean as the score, a change of the mean of 2 points or more
called clinically important, with Abbott & Schmitt's sizes."""

import pytest

from station.records.psfs import PsfsError, psfs_change, psfs_course, psfs_score, validate_psfs

STAIRS = {"activity": "Climb stairs", "score": 3}
CHAIR = {"activity": "Get up from a chair", "score": 5}
GRASS = {"activity": "Walk on grass", "score": 2}


def test_activities_are_cleaned_and_scored_as_their_mean():
    items = validate_psfs([{"activity": "  Climb   stairs ", "score": "3"}, CHAIR, GRASS])
    assert items == [STAIRS, CHAIR, GRASS]
    assert psfs_score(items) == 3.3  # (3 + 5 + 2) / 3
    assert validate_psfs(None) is None and validate_psfs([]) is None  # not asked


@pytest.mark.parametrize(
    "items, field, words",
    [
        ([STAIRS, CHAIR], "psfs", "name 3 to 5 activities the patient finds hard, got 2"),
        ([STAIRS] * 6, "psfs", "got 6"),
        ("stairs", "psfs", "expected a list"),
        ([STAIRS, CHAIR, {"activity": " ", "score": 4}], "psfs[3].activity", "name the activity"),
        ([STAIRS, CHAIR, {**GRASS, "score": 11}], "psfs[3].score", "from 0 .unable. to 10"),
        ([STAIRS, CHAIR, {**GRASS, "score": ""}], "psfs[3].score", "got ''"),
        ([STAIRS, CHAIR, {**GRASS, "score": True}], "psfs[3].score", "got True"),
        ([STAIRS, CHAIR, {"activity": "climb STAIRS", "score": 1}], "psfs[3].activity", "twice"),
        ([STAIRS, CHAIR, {**GRASS, "where": "x"}], "psfs[3]", "expected {activity, score}"),
        ([STAIRS, CHAIR, {**GRASS, "activity": "x" * 81}], "psfs[3].activity", "at most 80"),
    ],
)
def test_what_cannot_be_recorded_is_named(items, field, words):
    with pytest.raises(PsfsError, match=words) as caught:
        validate_psfs(items)
    assert caught.value.field == field


def test_a_change_of_the_mean_is_judged_against_two_points_with_its_size():
    later = [{**STAIRS, "score": 6}, {**CHAIR, "score": 8}, {**GRASS, "score": 5}]
    change = psfs_change([STAIRS, CHAIR, GRASS], later, "from 2026-01-05 to 2026-02-02")
    assert (change["before"], change["after"], change["change"]) == (3.3, 6.3, 3.0)
    assert change["important"] and change["size"] == "large"
    assert change["words"] == (
        "PSFS 3.3 to 6.3 from 2026-01-05 to 2026-02-02: 3 points better, "
        "a clinically important change (large)"
    )
    assert change["activities"][0] == {"activity": "Climb stairs", "before": 3, "after": 6}
    small = psfs_change([STAIRS, CHAIR, GRASS], [STAIRS, CHAIR, {**GRASS, "score": 7}], "now")
    assert small["change"] == 1.7 and small["size"] == "small" and not small["important"]
    assert "within the scale's error (under 2 points)" in small["words"]
    worse = psfs_change(later, [STAIRS, CHAIR, GRASS], "now")
    assert worse["change"] == -3.0 and "3 points worse" in worse["words"]


def test_the_course_runs_from_the_first_scale_asked_to_the_latest():
    visits = [
        {"id": 3, "visit_date": "2026-02-02", "psfs": [{**STAIRS, "score": 7}, CHAIR, GRASS]},
        {"id": 2, "visit_date": "2026-01-20", "psfs": None},
        {"id": 1, "visit_date": "2026-01-05", "psfs": [STAIRS, CHAIR, GRASS]},
    ]
    course = psfs_course(visits)
    assert [(r["visit_date"], r["score"]) for r in course["rows"]] == [
        ("2026-01-05", 3.3),
        ("2026-02-02", 4.7),
    ]
    assert course["change"]["change"] == 1.4 and not course["change"]["important"]
    assert psfs_course(visits[1:])["change"] is None  # one scale: nothing to compare
