"""What the result pages show, from stored trial records: the scored parts of each drill's
result, the comparison with published bands, progress against a minimal detectable change, and
the metrics CSV (formula cells neutralised, safe file names)."""

import csv
import io
from datetime import date

import pytest

from sensing import norms
from sensing.norms import Mdc
from station.results.measures import headline, measure_doc, scored_parts
from station.results.metrics_export import csv_text_cell, metrics_csv, metrics_file_name
from station.results.norms import compare_with_norms
from station.results.progress import patient_progress
from tests.catalogs import Marked

PUBLISHED = {"options": norms.CONVENTIONS}
OLDER = {"id": 1, "name": "Olive", "birth_date": "1950-02-03"}


def quality(ok: bool) -> dict:
    flags = [] if ok else [{"severity": "fail", "message": "the load cells stalled for 0.3 s"}]
    return {"ok": ok, "flags": flags}


def quiet(started_at: str, speed: float, area: float = 2.0, ok: bool = True, **extra) -> dict:
    """A stored quiet-stance trial record."""
    metrics = {"velocity_mean_cm_s": speed, "area_ellipse95_cm2": area, "duration_s": 60.0}
    return {
        "id": f"q{started_at}",
        "drill": "quiet-stance",
        "state": "completed",
        "reason": None,
        "started_at": started_at,
        "events": [{"t_s": 0.0, "phase": "waiting"}, {"t_s": 5.0, "phase": "recording"}],
        "result": {"metrics": metrics, "quality": quality(ok), "conventions": PUBLISHED, **extra},
    }


def mctsib(started_at: str) -> dict:
    conditions = []
    for n, (eyes, surface) in enumerate(
        (("open", "firm"), ("closed", "firm"), ("open", "foam"), ("closed", "foam")), start=1
    ):
        passed = n < 4
        metrics = (
            {"velocity_mean_cm_s": 1.0 * n, "area_ellipse95_cm2": 3.0 * n, "duration_s": 60.0}
            if passed
            else None
        )
        conditions.append(
            {
                "condition": n,
                "eyes": eyes,
                "surface": surface,
                "passed": passed,
                "attempts": 1 if passed else 3,
                "time_held_s": 30.0 if passed else 12.5,
                "velocity_mean_cm_s": metrics and metrics["velocity_mean_cm_s"],
                "area_ellipse95_cm2": metrics and metrics["area_ellipse95_cm2"],
                "metrics": metrics,
                "quality": quality(True) if passed else None,
            }
        )
    attempts = [
        {"condition": n, "attempt": 1, "start_s": 10.0 + 40 * n, "time_held_s": 30.0}
        | {"outcome": "passed" if n < 4 else "lost balance"}
        for n in range(1, 5)
    ]
    return {
        "id": "m1",
        "drill": "mctsib",
        "state": "completed",
        "reason": None,
        "started_at": started_at,
        "events": [],
        "result": {
            "conditions": conditions,
            "attempt_log": attempts,
            "conditions_passed": 3,
            "total_time_held_s": 102.5,
            "composite_velocity_cm_s": None,
            "conventions": PUBLISHED,
        },
    }


def test_mctsib_parts_are_its_conditions_and_totals():
    parts = scored_parts(mctsib("2026-03-02T10:00:00+00:00"))
    assert [p["condition"] for p in parts] == [
        "1: eyes open, firm surface",
        "2: eyes closed, firm surface",
        "3: eyes open, foam pad",
        "4: eyes closed, foam pad",
        "all four conditions",
    ]
    assert parts[0]["window_s"] == [50.0, 80.0]
    assert parts[3]["window_s"] is None  # failed: no recording was scored
    assert parts[3]["measures"] == {"passed": False, "attempts": 3, "time_held_s": 12.5}
    assert parts[4]["measures"]["total_time_held_s"] == 102.5
    assert (parts[2]["eyes"], parts[2]["surface"]) == ("open", "foam")


def test_single_leg_stance_condition_names_the_leg_and_eyes():
    trial = {
        "id": "s1",
        "drill": "single-leg-stance",
        "state": "completed",
        "started_at": "2026-03-02T10:00:00+00:00",
        "events": [],
        "result": {
            "params": {"leg": "right", "eyes": "closed", "max_s": 30.0},
            "leg": "right",
            "eyes": "closed",
            "max_s": 30.0,  # a parameter the result repeats: not a score
            "best_stance_time_s": 7.5,
            "trials": [],
        },
    }
    [part] = scored_parts(trial)
    assert part["condition"] == "right leg, eyes closed"
    assert part["measures"] == {"best_stance_time_s": 7.5}
    [line] = headline(trial)
    assert line["values"] == [
        {
            "key": "best_stance_time_s",
            "label": "Best single-leg time",
            "unit": "s",
            "value": 7.5,
        }
    ]


def test_gait_initiation_parts_are_each_leg_then_both():
    """Issue 17, item 8: gait initiation is read per leg (the leg that steps first), then over
    both legs with the asymmetry between them; its APA onset is its own measure, not the
    limits of stability's reaction time of the centre of gravity."""
    left = {"apa_ml_mm": 20.0, "apa_onset_s": 0.4, "unload_time_s": 0.2, "trials": 2}
    right = {"apa_ml_mm": 25.0, "apa_onset_s": 0.5, "unload_time_s": 0.3, "trials": 2}
    trial = {
        "id": "g1",
        "drill": "gait-initiation",
        "state": "completed",
        "started_at": "2026-03-02T10:00:00+00:00",
        "events": [],
        "result": {
            "params": {"legs": "both", "trials": 2},
            "legs": {"left": left, "right": right},
            "trials": [],
            "apa_ml_mm": 22.5,
            "apa_onset_s": 0.45,
            "unload_time_s": 0.25,
            "apa_asymmetry_pct": -20.0,
        },
    }
    parts = scored_parts(trial)
    assert [p["condition"] for p in parts] == [
        "left foot steps first",
        "right foot steps first",
        "both legs",
    ]
    assert parts[0]["measures"] == {"apa_ml_mm": 20.0, "apa_onset_s": 0.4, "unload_time_s": 0.2}
    assert parts[2]["measures"]["apa_asymmetry_pct"] == -20.0
    assert [p["window_s"] is None for p in parts] == [True, True, False]  # charted once
    lines = headline(trial)
    assert [line["condition"] for line in lines] == [p["condition"] for p in parts]
    shift = next(v for v in lines[1]["values"] if v["key"] == "apa_ml_mm")
    assert shift["label"] == "APA toward the swing leg" and shift["value"] == 25.0
    assert measure_doc("apa_onset_s")[0] == "APA onset after the cue"


def test_an_aborted_trial_without_scores_has_no_parts():
    trial = quiet("2026-03-02T10:00:00+00:00", 1.0)
    trial["result"] = {"state": "aborted", "metrics": None}
    assert scored_parts(trial) == []


def test_norms_place_each_condition_in_its_band():
    comparison = compare_with_norms(mctsib("2026-03-02T10:00:00+00:00"), OLDER)
    assert comparison["group"] == "old" and comparison["reason"] is None
    positions = {(r["condition"][0], r["metric"]): r["position"] for r in comparison["rows"]}
    # old adults: firm eyes open speed 0.71-1.77, eyes closed 0.73-1.87, foam eyes open 2.71-4.65
    assert positions[("1", "velocity_mean_cm_s")] == "within"
    assert positions[("2", "velocity_mean_cm_s")] == "above"
    assert positions[("3", "velocity_mean_cm_s")] == "within"
    assert positions[("3", "area_ellipse95_cm2")] == "below"  # 9 cm² under 11.7
    assert len(comparison["rows"]) == 6  # the failed fourth condition has no scores


@pytest.mark.parametrize(
    "patient, reason",
    [
        ({"birth_date": None}, "Add the patient's birth date"),
        ({"birth_date": "2015-01-01"}, "for adults; the patient was 11 years old"),
    ],
)
def test_norms_say_why_they_do_not_apply(patient, reason):
    comparison = compare_with_norms(quiet("2026-03-02T10:00:00+00:00", 1.0), patient)
    assert comparison["rows"] == [] and reason in comparison["reason"]


def test_sway_on_a_balance_disc_has_no_published_band_and_the_page_says_so():
    disc = quiet("2026-03-02T10:00:00+00:00", 1.0)
    disc["result"]["surface"] = "disc"
    [part] = scored_parts(disc)
    assert part["condition"] == "eyes open, balance disc"
    comparison = compare_with_norms(disc, OLDER)
    assert comparison["rows"] == [] and "balance disc" in comparison["reason"]
    disc["result"]["surface"] = "foam"  # the same trial on foam has a band
    assert compare_with_norms(disc, OLDER)["rows"]


def test_norms_do_not_apply_to_other_conventions_or_drills():
    raw = quiet("2026-03-02T10:00:00+00:00", 1.0)
    raw["result"]["conventions"] = {
        "options": {"ellipse": "prediction", "filter": None, "resample_hz": None}
    }
    assert "other conventions" in compare_with_norms(raw, OLDER)["reason"]
    reaction = {
        "drill": "reaction",
        "started_at": "2026-03-02T10:00:00+00:00",
        "result": {"metrics": {"mean_reaction_time_s": 0.7}},
    }
    assert "standing still" in compare_with_norms(reaction, OLDER)["reason"]
    sixty = compare_with_norms(quiet("2026-03-02T10:00:00+00:00", 1.0), OLDER)
    assert sixty["notes"] == []  # a 60 s trial, as published
    assert "10 Hz" in sixty["processing"]


@pytest.mark.parametrize(
    ("eyes", "sex", "best", "mean", "position"),
    [
        ("open", "female", 30.0, 21.5, "within"),  # Olive, 76 on the day: 70-79, both sexes
        ("closed", "female", 2.0, 3.7, "below"),
        ("closed", "male", 2.0, 2.6, "below"),
    ],
)
def test_single_leg_stance_is_read_against_the_age_norms(eyes, sex, best, mean, position):
    trial = {
        "drill": "single-leg-stance",
        "started_at": "2026-03-02T10:00:00+00:00",
        "result": {"best_stance_time_s": best, "eyes": eyes, "leg": "left"},
    }
    comparison = compare_with_norms(trial, {**OLDER, "sex": sex})
    [row] = comparison["rows"]
    assert (row["median"], row["position"]) == (mean, position)
    assert (
        f"{100 * best / mean:.0f}% of the mean best time of healthy adults aged 70-79"
        in (row["words"])
    )
    assert "Springer" in comparison["source"]
    # under 5 s at 60 or more: the Vellas cut-off
    assert any("5 s" in n for n in comparison["notes"]) == (best < 5)


def test_a_single_leg_trial_held_to_a_limit_below_the_mean_is_not_called_below_it():
    """Held the whole 30 s of a shortened trial at 45 (mean 44.7 s): no deficit the trial
    could not show. Falling at 12 s of the same trial is below the mean, as in a 45 s one."""
    adult = {"id": 2, "name": "Ana", "birth_date": "1981-02-03", "sex": "female"}
    result = {"eyes": "open", "leg": "left", "max_s": 30.0}
    held = {"best_stance_time_s": 30.0, "max_reached": True, **result}
    trial = {"drill": "single-leg-stance", "started_at": "2026-03-02T10:00:00+00:00"}
    comparison = compare_with_norms({**trial, "result": held}, adult)
    assert comparison["rows"] == []
    assert comparison["reason"].startswith("The patient held to the end of the trial (30 s)")
    fell = {"best_stance_time_s": 12.0, "max_reached": False, **result}
    [row] = compare_with_norms({**trial, "result": fell}, adult)["rows"]
    assert (row["median"], row["position"]) == (41.9, "below")
    # a 30 s limit above the age group's mean (70-79: 21.5 s) compares as before
    [row] = compare_with_norms({**trial, "result": held}, OLDER)["rows"]
    assert row["position"] == "within"


def test_single_leg_eyes_closed_needs_the_sex_and_adults_only():
    trial = {
        "drill": "single-leg-stance",
        "started_at": "2026-03-02T10:00:00+00:00",
        "result": {"best_stance_time_s": 4.0, "eyes": "closed", "leg": "right"},
    }
    assert "set the patient's sex" in compare_with_norms(trial, OLDER)["reason"]
    child = {"birth_date": "2016-01-01", "sex": "male"}
    assert "for adults" in compare_with_norms(trial, child)["reason"]


def steadi(stages: list[tuple[str, float]], tandem_s: float | None) -> dict:
    """A stored STEADI 4-stage trial record with its stages (stance, time)."""
    rows = [
        {"stage": i + 1, "stance": stance, "time_s": t, "held": t >= 10.0}
        for i, (stance, t) in enumerate(stages)
    ]
    return {
        "drill": "steadi-4-stage",
        "started_at": "2026-03-02T10:00:00+00:00",
        "result": {"stages": rows, "tandem_time_s": tandem_s},
    }


@pytest.mark.parametrize(
    ("stages", "tandem_s", "position", "words"),
    [
        ([("feet-together", 10), ("semi-tandem", 10), ("tandem", 10)], 10.0, "within", "held"),
        ([("feet-together", 10), ("semi-tandem", 10), ("tandem", 6.1)], 6.1, "below", "under"),
        ([("feet-together", 10), ("semi-tandem", 4)], 0.0, "below", "not reached"),
    ],
)
def test_steadi_is_read_against_the_cdc_tandem_cut_off(stages, tandem_s, position, words):
    comparison = compare_with_norms(steadi(stages, tandem_s), OLDER)
    [row] = comparison["rows"]
    assert (row["metric"], row["value"], row["median"]) == ("tandem_time_s", tandem_s, 10.0)
    assert row["position"] == position and row["words"].startswith(words)
    assert ("increased risk of falling" in row["words"]) == (position == "below")
    assert "CDC" in comparison["source"] and comparison["notes"] == []


def test_steadi_with_shortened_stages_says_why_tandem_held_to_their_end_is_not_read():
    trial = steadi([("feet-together", 5), ("semi-tandem", 5), ("tandem", 5)], 5.0)
    for row in trial["result"]["stages"]:
        row["held"] = True
    trial["result"]["hold_s"] = 5.0
    comparison = compare_with_norms(trial, OLDER)
    assert comparison["rows"] == []
    assert comparison["reason"] == (
        "Tandem stance was held to the end of 5 s stages, under the CDC's 10 s: the screen "
        "needs stages of 10 s."
    )
    trial["result"]["stages"][2].update(time_s=3.2, held=False)  # lost: under 10 s anyway
    trial["result"]["tandem_time_s"] = 3.2
    [row] = compare_with_norms(trial, OLDER)["rows"]
    assert row["position"] == "below"


def test_steadi_one_foot_under_five_seconds_and_a_younger_patient_get_notes():
    held = [("feet-together", 10), ("semi-tandem", 10), ("tandem", 10), ("one-foot", 3.2)]
    notes = compare_with_norms(steadi(held, 10.0), OLDER)["notes"]
    assert len(notes) == 1 and "Vellas" in notes[0]
    younger = {"birth_date": "1980-01-01"}
    notes = compare_with_norms(steadi(held[:3], 10.0), younger)["notes"]
    assert notes == ["The CDC's cut-off is for adults aged 65 and over; the patient was 46."]
    assert "before it could time tandem" in compare_with_norms(steadi([], None), OLDER)["reason"]


def test_bess_says_why_it_has_no_age_norms_and_where_to_judge_it():
    trial = {"drill": "bess", "started_at": "2026-03-02T10:00:00+00:00", "result": {}}
    comparison = compare_with_norms(trial, OLDER)
    assert comparison["rows"] == []
    assert "could not be read" in comparison["reason"] and "7.3 errors" in comparison["reason"]
    assert norms.mdc_for("bess", "total_errors").of(20.0) == 7.3


def test_a_shorter_trial_is_compared_by_speed_but_not_by_area():
    short = quiet("2026-03-02T10:00:00+00:00", 1.0)
    short["result"]["metrics"]["duration_s"] = 30.0
    comparison = compare_with_norms(short, OLDER)
    assert [r["metric"] for r in comparison["rows"]] == ["velocity_mean_cm_s"]
    assert "compared only for 60 s recordings" in comparison["notes"][0]


def single_leg(
    eyes: str, best: float | None, leg: str = "left", started_at="2026-03-02T10:00:00+00:00"
) -> dict:
    """A stored single-leg stance trial record."""
    return {
        "id": f"s-{leg}-{eyes}-{started_at}",
        "drill": "single-leg-stance",
        "started_at": started_at,
        "result": {"best_stance_time_s": best, "eyes": eyes, "leg": leg},
    }


def short_quiet_with_ratios() -> dict:
    """A 30 s quiet stance with both sensory ratios: rows of words, notes of both kinds."""
    trial = quiet("2026-03-02T10:00:00+00:00", 1.0, romberg_ratio=1.5, foam_ratio=3.0)
    trial["result"]["metrics"]["duration_s"] = 30.0
    return trial


def other_conventions() -> dict:
    trial = quiet("2026-03-02T10:00:00+00:00", 1.0)
    trial["result"]["conventions"] = {"options": {}}
    return trial


def on_disc() -> dict:
    trial = quiet("2026-03-02T10:00:00+00:00", 1.0)
    trial["result"]["surface"] = "disc"
    return trial


STEADI_ALL = [("feet-together", 10), ("semi-tandem", 10), ("tandem", 6.1), ("one-foot", 3.0)]
STEADI_NOT_REACHED = [("feet-together", 10), ("semi-tandem", 4)]
STEADI_HELD = [("feet-together", 10), ("semi-tandem", 10), ("tandem", 10)]
WORDED = [
    (mctsib("2026-03-02T10:00:00+00:00"), OLDER),
    (short_quiet_with_ratios(), OLDER),
    (short_quiet_with_ratios(), {"birth_date": "1990-01-01"}),
    (single_leg("closed", 2.0), {**OLDER, "sex": "female"}),
    (single_leg("open", 30.0, leg="right"), {"birth_date": "1990-01-01"}),  # the 45 s limit
    (single_leg("closed", 2.0), OLDER),  # no sex
    (single_leg("open", None), OLDER),
    (steadi(STEADI_ALL, 6.1), OLDER),
    (steadi(STEADI_NOT_REACHED, 0.0), OLDER),
    (steadi(STEADI_HELD, 10.0), {"birth_date": "1980-01-01"}),
    (steadi([], None), OLDER),
    ({"drill": "gait-initiation", "started_at": "2026-03-02T10:00:00+00:00"}, OLDER),
    ({"drill": "bess", "started_at": "2026-03-02T10:00:00+00:00", "result": {}}, OLDER),
    ({"drill": "reaction", "started_at": "2026-03-02T10:00:00+00:00", "result": {}}, OLDER),
    (other_conventions(), OLDER),
    (on_disc(), OLDER),
    (quiet("2026-03-02T10:00:00+00:00", 1.0), {"birth_date": None}),
    (quiet("2026-03-02T10:00:00+00:00", 1.0), {"birth_date": "2015-01-01"}),
]


@pytest.mark.parametrize(("trial", "patient"), WORDED)
def test_every_word_of_a_comparison_comes_from_the_catalog(trial, patient):
    comparison = compare_with_norms(trial, patient, translations=Marked())
    words = [comparison[k] for k in ("reason", "intro", "processing", "group_words")]
    words += comparison["notes"]
    for row in comparison["rows"]:
        words += [row["label"], row["words"], row["quality"]]
    words = [w for w in words if w]
    assert words and all(w.startswith("[") and w.endswith("]") for w in words), words
    # an mCTSIB condition is numbered around its words ("1: eyes open, firm surface")
    assert all("[" in row["condition"] for row in comparison["rows"])


def test_the_catalog_places_the_numbers_in_whole_sentences():
    spoken = compare_with_norms(
        single_leg("closed", 2.0), {**OLDER, "sex": "female"}, translations=Marked()
    )
    [row] = spoken["rows"]
    assert row["words"] == "[54% of the mean best time of healthy adults aged 70-79]"
    assert row["reference"] == "[mean 3.7 s (ages 70-79)]"
    assert row["condition"] == "[left leg], [eyes closed]"  # the drill's words
    [steadi_row] = compare_with_norms(
        steadi(STEADI_NOT_REACHED, 0.0), OLDER, translations=Marked()
    )["rows"]
    assert steadi_row["condition"] == "[tandem stance]"
    assert steadi_row["words"] == (
        "[not reached: an easier stance ended the test, under the CDC's 10 s: increased risk of "
        "falling]"
    )
    quiet_rows = compare_with_norms(short_quiet_with_ratios(), OLDER, translations=Marked())
    assert quiet_rows["rows"][-1]["words"] == (
        "[within the band of the middle 80% of [adults aged 60 and over]]"
    )


def test_sensory_ratios_and_a_short_trial_read_in_english_by_default():
    comparison = compare_with_norms(short_quiet_with_ratios(), OLDER)
    assert [(r["condition"], r["words"]) for r in comparison["rows"][1:]] == [
        (
            "sensory ratio",
            "above the band: relies on vision more than 9 in 10 adults aged 60 and over",
        ),
        ("sensory ratio", "within the band of the middle 80% of adults aged 60 and over"),
    ]
    assert comparison["notes"][0].startswith(
        "The published trials lasted 60 s; this one 30 s. Sway speed is a rate"
    )
    assert comparison["notes"][1].startswith("Sensory ratios: sway speed with eyes closed")
    assert comparison["intro"] == (
        "Sway of adults aged 60 and over standing still: the band is the middle 80% (10th to "
        "90th percentile) of the published trials."
    )


def test_progress_judges_a_change_only_against_a_known_mdc():
    trials = [
        quiet("2026-03-02T10:00:00+00:00", 1.40),
        quiet("2026-03-09T10:00:00+00:00", 0.20, ok=False),  # failed its gate: not counted
        quiet("2026-03-16T10:00:00+00:00", 1.00),
    ]
    [speed, area] = patient_progress(trials)
    [line] = speed["lines"]
    assert [p["good"] for p in line["points"]] == [True, False, True]
    published = line["change"]
    assert (published["first"], published["latest"]) == (1.40, 1.00)
    assert published["change"] == pytest.approx(-0.40)
    assert published["direction"] == "better"  # lower sway speed is better
    # sway speed's published MDC is 65% of the first value: 0.91 cm/s here
    assert published["mdc"] == pytest.approx(0.91) and published["exceeds_mdc"] is False
    assert "Riemann" in published["mdc_source"] and "within measurement noise" in published["words"]
    unknown = area["lines"][0]["change"]  # no published MDC for the ellipse area
    assert unknown["exceeds_mdc"] is None and "No minimal detectable change" in unknown["words"]

    key = ("quiet-stance", "velocity_mean_cm_s")
    [beyond, _] = patient_progress(trials, mdc={key: Mdc(0.3, False, "a study")})
    assert beyond["lines"][0]["change"]["exceeds_mdc"] is True
    assert "this is a real change (better)" in beyond["lines"][0]["change"]["words"]
    [within, _] = patient_progress(trials, mdc={key: Mdc(0.5, False, "a study")})
    assert within["lines"][0]["change"]["exceeds_mdc"] is False
    assert "within measurement noise" in within["lines"][0]["change"]["words"]


def weight_bearing(started_at: str, symmetry_index_pct: float) -> dict:
    """A stored partial-weight-bearing trial record with the given left-right index."""
    result = {
        "symmetry_index_lr_pct": symmetry_index_pct,
        "asymmetry_pct": abs(symmetry_index_pct),
        "over_limit_pct": 0.0,
        "quality": quality(True),
    }
    return {
        "id": f"w{started_at}",
        "drill": "weight-bearing",
        "state": "completed",
        "reason": None,
        "started_at": started_at,
        "events": [],
        "result": result,
    }


def test_weight_bearing_evening_out_from_the_left_is_progress():
    """A patient who offloaded the right knee, the left leg carrying 65% then 55% of the load:
    the index rises from -60 to -20, and the progress page calls that better, as it does the
    same change from the right."""
    for first, latest in ((-60.0, -20.0), (60.0, 20.0)):
        trials = [
            weight_bearing("2026-03-02T10:00:00+00:00", first),
            weight_bearing("2026-03-16T10:00:00+00:00", latest),
        ]
        charts = {c["metric"]: c for c in patient_progress(trials)}
        assert set(charts) == {"asymmetry_pct", "over_limit_pct"}
        [line] = charts["asymmetry_pct"]["lines"]
        assert charts["asymmetry_pct"]["better"] == "lower"
        assert (line["change"]["first"], line["change"]["latest"]) == (60.0, 20.0)
        assert line["change"]["direction"] == "better", (first, latest)


def test_an_mdc_is_applied_only_in_the_condition_its_study_measured():
    """Goldberg's 24.1 s is an eyes-open MDC (larger than the whole eyes-closed range) and
    Riemann & Piersol's 65% was measured on a firm surface: a line with the eyes closed, or
    on foam, has no MDC rather than one that could never be exceeded."""
    days = ("2026-03-02T10:00:00+00:00", "2026-03-30T10:00:00+00:00")
    trials = [single_leg(eyes, best, started_at=day) for eyes in ("open", "closed")
              for day, best in zip(days, (10.0, 12.0), strict=True)]  # fmt: skip
    [chart] = patient_progress(trials)
    lines = {line["condition"]: line["change"] for line in chart["lines"]}
    assert lines["left leg, eyes open"]["mdc"] == 24.1
    closed = lines["left leg, eyes closed"]
    assert closed["exceeds_mdc"] is None and "No minimal detectable change" in closed["words"]

    sway = [quiet(day, speed, surface=surface) for surface in ("firm", "foam") for day, speed in
            zip(days, (2.0, 1.0), strict=True)]  # fmt: skip
    [speed, _] = patient_progress(sway)
    lines = {line["condition"]: line["change"] for line in speed["lines"]}
    assert lines["eyes open, firm surface"]["mdc"] == pytest.approx(1.3)  # 65% of 2.0
    assert lines["eyes open, foam pad"]["exceeds_mdc"] is None


def test_the_mctsib_composite_is_followed_against_its_mdc():
    """The four conditions' mean sway speed is charted on the line of all four, judged against
    its published MDC (36.5% of the first value)."""
    trials = []
    for day, composite in (("2026-03-02T10:00:00+00:00", 2.0), ("2026-03-30T10:00:00+00:00", 1.0)):
        trial = mctsib(day)
        trial["id"] = f"m{day}"
        trial["result"]["composite_velocity_cm_s"] = composite
        trials.append(trial)
    charts = {c["metric"]: c for c in patient_progress(trials)}
    [line] = charts["composite_velocity_cm_s"]["lines"]
    assert line["condition"] == "all four conditions"
    assert line["change"]["direction"] == "better"  # lower sway speed
    assert line["change"]["mdc"] == pytest.approx(0.73) and line["change"]["exceeds_mdc"] is True
    assert "Suttanon" in line["change"]["mdc_source"]


def test_progress_with_one_result_has_no_trend_yet():
    [speed, _] = patient_progress([quiet("2026-03-02T10:00:00+00:00", 1.0)])
    assert speed["lines"][0]["change"] == {
        "words": "One good result so far: the trend starts with the next one."
    }


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_become_text(text):
    assert csv_text_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["eyes open, firm surface", "", "1+1", None])
def test_plain_cells_are_unchanged(text):
    assert csv_text_cell(text) == (text or "")


def test_metrics_csv_has_a_row_per_scored_part():
    trials = [
        quiet("2026-03-02T10:00:00+00:00", 1.4, ok=False),
        mctsib("2026-03-09T10:00:00+00:00"),
    ]
    trials[0]["reason"] = "-stopped"
    name, text = metrics_csv({"id": 7, "code": None, "name": "Olive"}, trials, date(2026, 3, 9))
    assert name == "metrics_patient-7_2026-03-09.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["condition"] for r in rows] == [
        "eyes open, firm surface",
        "1: eyes open, firm surface",
        "2: eyes closed, firm surface",
        "3: eyes open, foam pad",
        "4: eyes closed, foam pad",
        "all four conditions",
    ]
    assert rows[0]["quality"] == "not scored as good"
    assert rows[0]["quality_problems"] == "the load cells stalled for 0.3 s"
    assert rows[0]["reason"] == "'-stopped"
    assert rows[1]["velocity_mean_cm_s"] == "1" and rows[4]["passed"] == "false"
    assert rows[4]["velocity_mean_cm_s"] == ""


@pytest.mark.parametrize(
    "code, name",
    [
        ("AB-12", "metrics_AB-12_2026-03-09.csv"),
        ("../../etc/passwd", "metrics_..-..-etc-passwd_2026-03-09.csv"),
        ('x"; rm -rf', "metrics_x---rm--rf_2026-03-09.csv"),
        ("Zoë", "metrics_Zo-_2026-03-09.csv"),
    ],
)
def test_file_names_hold_only_safe_characters(code, name):
    assert metrics_file_name({"id": 3, "code": code}, date(2026, 3, 9)) == name
