"""``simulate-episode``: the whole arc on the virtual patient, stored as a therapist would have
stored it: an evaluation and its report, the suggested plan accepted, goals with baselines from
the evaluation, a home program, visits with pain and adherence, a re-evaluation side by side."""

import sqlite3
from datetime import date, datetime, timedelta

import pytest

from station.cli.episode import format_story, run_episode
from tests.conftest import LEAN_STATION

pytestmark = pytest.mark.slow

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """The episode on stations whose load cells convert at the lean station's rate
    (``LEAN_STATION``, through ``--config`` as a clinic's own settings): what is stored of an
    episode does not depend on the rate, and the default 320 SPS took 52 CPU-s here, 22 at 80."""
    folder = tmp_path_factory.mktemp("episode")
    db_path = str(folder / "episode.db")
    config = folder / "station.toml"
    config.write_text(f"[loadcells]\nrate_sps = {LEAN_STATION['loadcells']['rate_sps']}\n")
    shorter = {  # the battery with shorter trials, as a therapist may edit it: the suite's time
        "mctsib": {"trial_s": 10.0, "rest_s": 3.0},
        "single-leg-stance": {"max_s": 15.0, "trials": 1},
    }
    story = run_episode(
        "high-fall-risk", 3, 1, db_path, today=TODAY, battery_params=shorter, config_path=config
    )
    return story, db_path


def rows(db_path, sql, params=()):
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql, params)]


def test_the_episode_is_stored_as_a_therapist_would_have_stored_it(episode):
    _, db_path = episode
    first = (TODAY - timedelta(weeks=1)).isoformat()
    days = [first, (TODAY - timedelta(days=3)).isoformat(), TODAY.isoformat()]
    programs = rows(db_path, "SELECT name, kind FROM programs ORDER BY id")
    assert [p["kind"] for p in programs] == ["evaluation", None, "evaluation"]
    visits = rows(db_path, "SELECT * FROM visits ORDER BY visit_date")
    assert [v["visit_date"] for v in visits] == days
    assert all(v["pain_before"] is not None and v["nmr_minutes"] > 0 for v in visits)
    assert visits[0]["psfs"] and visits[-1]["psfs"] and visits[1]["psfs"] is None
    assert visits[0]["hep_days"] is None and visits[1]["hep_days"] is not None
    # every trial is dated on one of the visit days and belongs to that visit
    for trial in rows(db_path, "SELECT started_at, visit_id FROM trials"):
        day = datetime.fromisoformat(trial["started_at"]).astimezone().date().isoformat()
        assert trial["visit_id"] == {v["visit_date"]: v["id"] for v in visits}[day]
    exercises = rows(db_path, "SELECT exercise FROM home_exercises WHERE stopped_at IS NULL")
    assert len(exercises) == 3


def test_goals_take_their_baseline_from_the_evaluation(episode):
    story, db_path = episode
    goals = rows(db_path, "SELECT * FROM goals ORDER BY id")
    assert [(g["drill"], g["metric"]) for g in goals] == [
        ("single-leg-stance", "best_stance_time_s"),
        (None, "pain"),
    ]
    legs = [t for t in story["evaluation"]["tests"] if t["title"].startswith("Single-leg")]
    held = [float(t["values"][0].split()[-2]) for t in legs]
    assert goals[0]["baseline"] == pytest.approx(min(held), abs=0.05)
    assert goals[0]["target"] > goals[0]["baseline"]
    first_visit = rows(db_path, "SELECT pain_before FROM visits ORDER BY visit_date LIMIT 1")[0]
    assert goals[1]["baseline"] == first_visit["pain_before"]
    assert len(story["goals"]) == 2


def test_the_story_reads_the_arc_with_the_re_evaluation_side_by_side(episode):
    story, _ = episode
    assert story["evaluation"]["deficits"] and story["evaluation"]["plan"]
    assert len(story["visits"]) == 1 and story["visits"][0]["drills"]
    re_tests = story["re_evaluation"]["tests"]
    assert len(re_tests) == len(story["evaluation"]["tests"])
    assert all(t["before"] for t in re_tests if t["values"])
    text = format_story(story)
    for words in (
        "Evaluation",
        "Suggested plan of care",
        "Goals set",
        "Home program",
        "re-evaluation, before → now",
        "Goals: ",
    ):
        assert words in text, words
