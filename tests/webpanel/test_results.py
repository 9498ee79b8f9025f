"""Result pages and their API on the emulated station: the trial's charts and published bands,
a patient's progress, visits with CPT 97112 units, the printable report and the CSV exports."""

import csv
import html
import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from station.records.billing import suggested_minutes
from station.records.patients import age_years
from station.results.metrics_export import FIXED_COLUMNS

pytestmark = [pytest.mark.slow, pytest.mark.lean_station]

SAFE_ATTACHMENT = re.compile(r'^attachment; filename="([A-Za-z0-9._-]+)"$')
TODAY = date.today().isoformat()


def run(station, patient_id: int, drill: str, params: dict) -> str:
    """Run ``drill`` to its end on the simulated station; returns the trial id."""
    trial_id = station.start_drill(patient_id, drill, params)["trial_id"]
    station.run_virtual(max_s=900)
    station.storage.flush()
    return trial_id


def quiet_stance(station, patient_id: int) -> str:
    """60 s, as long as the published norms' trials: both measures are comparable."""
    return run(station, patient_id, "quiet-stance", {"duration_s": 60})


@pytest.fixture
def patient(client):
    """An older adult (the published bands of adults aged 60 and over apply)."""
    response = client.post(
        "/api/v1/patients",
        json={"name": "Olive Older", "code": "OO-1", "birth_date": "1950-02-03"},
    )
    assert response.status_code == 201
    return response.get_json()


def polygon_area(x, y) -> float:
    x, y = np.asarray(x), np.asarray(y)
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def test_trial_page_compares_sway_with_the_published_band(client, station, patient):
    trial_id = quiet_stance(station, patient["id"])
    velocity = station.results.get_trial(trial_id)["result"]["metrics"]["velocity_mean_cm_s"]
    norms = client.get(f"/api/v1/trials/{trial_id}/norms").get_json()
    assert norms["reason"] is None
    assert (norms["group"], norms["age_years"]) == ("old", age_years("1950-02-03"))
    rows = {r["metric"]: r for r in norms["rows"]}
    assert set(rows) == {"velocity_mean_cm_s", "area_ellipse95_cm2"}
    speed = rows["velocity_mean_cm_s"]
    assert speed["value"] == velocity
    assert (speed["p10"], speed["median"], speed["p90"]) == (0.71, 1.01, 1.77)
    expected = "below" if velocity < 0.71 else "above" if velocity > 1.77 else "within"
    assert speed["position"] == expected
    assert norms["notes"] == [] and "10 Hz" in norms["processing"]

    page = client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert "Compared with published values" in page
    assert f'<span class="pos pos-{expected}">{expected}</span>' in page
    assert "Santos DA, Duarte M. A public data set of human balance evaluations" in page
    assert "doi:10.7717/peerj.2648, CC BY 4.0" in page
    assert "Mean sway speed" in page and "cm/s" in page
    # charts are drawn by the vendored uPlot, served by the station
    assert "vendor/uplot/uPlot.iife.min.js" in page and "<canvas" not in page
    assert client.get("/static/vendor/uplot/uPlot.iife.min.js").status_code == 200
    assert client.get("/static/vendor/uplot/uPlot.min.css").status_code == 200


def test_norms_need_a_birth_date(client, station):
    unknown_age = client.post("/api/v1/patients", json={"name": "No Date"}).get_json()
    trial_id = quiet_stance(station, unknown_age["id"])
    norms = client.get(f"/api/v1/trials/{trial_id}/norms").get_json()
    assert norms["rows"] == [] and "birth date" in norms["reason"]
    page = client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert "Add the patient&#39;s birth date" in page


def test_chart_data_is_the_recording_with_the_stored_ellipse(client, station, patient):
    trial_id = quiet_stance(station, patient["id"])
    metrics = station.results.get_trial(trial_id)["result"]["metrics"]
    [segment] = client.get(f"/api/v1/trials/{trial_id}/charts").get_json()["segments"]
    assert segment["title"] == "eyes open, firm surface" and segment["centred"] is True
    assert len(segment["t_s"]) == len(segment["ml_cm"]) == metrics["n_samples"]
    assert segment["t_s"][0] == 0.0
    assert segment["t_s"][-1] == pytest.approx(metrics["duration_s"] - 0.01)
    ml, ap = np.array(segment["ml_cm"]), np.array(segment["ap_cm"])
    assert abs(ml.mean()) < 1e-3 and abs(ap.mean()) < 1e-3  # around the mean, as scored
    # the same samples, in cm, as the stored result was scored on
    assert np.sqrt(np.mean(ml**2)) == pytest.approx(metrics["rms_ml_cm"], rel=1e-3)
    assert np.sqrt(np.mean(ap**2)) == pytest.approx(metrics["rms_ap_cm"], rel=1e-3)
    ellipse = segment["ellipse"]
    assert ellipse["area_cm2"] == metrics["area_ellipse95_cm2"]
    assert ellipse["convention"] == "prediction"
    drawn = polygon_area(ellipse["ml_cm"], ellipse["ap_cm"])
    assert drawn == pytest.approx(metrics["area_ellipse95_cm2"], rel=5e-3)
    assert client.get("/api/v1/trials/nope/charts").status_code == 404
    assert client.get("/api/v1/trials/nope/norms").get_json()["error"]["code"] == "not_found"


def test_mctsib_shows_each_condition_its_chart_band_and_trend(client, station, patient):
    trial_id = run(station, patient["id"], "mctsib", {"trial_s": 20, "rest_s": 3})
    result = station.results.get_trial(trial_id)["result"]
    passed = [c for c in result["conditions"] if c["passed"]]
    assert len(passed) == 4
    names = [
        "1: eyes open, firm surface",
        "2: eyes closed, firm surface",
        "3: eyes open, foam pad",
        "4: eyes closed, foam pad",
    ]
    segments = client.get(f"/api/v1/trials/{trial_id}/charts").get_json()["segments"]
    assert [s["title"] for s in segments] == names
    for segment, condition in zip(segments, passed, strict=True):
        assert len(segment["t_s"]) == condition["metrics"]["n_samples"]
        assert segment["ellipse"]["area_cm2"] == condition["area_ellipse95_cm2"]

    norms = client.get(f"/api/v1/trials/{trial_id}/norms").get_json()
    foam_closed = {r["metric"]: r for r in norms["rows"] if r["condition"] == names[3]}
    assert (foam_closed["velocity_mean_cm_s"]["p10"], foam_closed["velocity_mean_cm_s"]["p90"]) == (
        3.20,
        5.79,
    )
    # 20 s conditions: each speed (not the areas, which need 60 s) and the two sensory ratios
    assert len(norms["rows"]) == 6
    ratios = {r["metric"]: r for r in norms["rows"] if r["condition"] == "sensory ratio"}
    assert ratios["romberg_ratio"]["value"] == pytest.approx(
        passed[1]["velocity_mean_cm_s"] / passed[0]["velocity_mean_cm_s"]
    )
    assert (ratios["foam_ratio"]["p10"], ratios["foam_ratio"]["p90"]) == (2.46, 4.67)

    page = client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert 'id="parts"' in page and "No scores" not in page
    for name in names:
        assert name.capitalize() in page

    charts = client.get(f"/api/v1/patients/{patient['id']}/progress").get_json()["charts"]
    speed = next(c for c in charts if (c["drill"], c["metric"]) == ("mctsib", "velocity_mean_cm_s"))
    assert [line["condition"] for line in speed["lines"]] == names
    assert [line["points"][0]["value"] for line in speed["lines"]] == [
        c["velocity_mean_cm_s"] for c in passed
    ]


def test_progress_shows_trends_and_judges_the_change_against_the_published_mdc(
    client, station, patient
):
    first, latest = (quiet_stance(station, patient["id"]) for _ in range(2))
    speeds = [
        station.results.get_trial(t)["result"]["metrics"]["velocity_mean_cm_s"]
        for t in (first, latest)
    ]
    charts = client.get(f"/api/v1/patients/{patient['id']}/progress").get_json()["charts"]
    speed = next(c for c in charts if c["metric"] == "velocity_mean_cm_s")
    assert (speed["drill"], speed["unit"], speed["better"]) == ("quiet-stance", "cm/s", "lower")
    [line] = speed["lines"]
    assert [p["trial_id"] for p in line["points"]] == [first, latest]
    assert [p["value"] for p in line["points"]] == speeds
    change = line["change"]
    assert change["change"] == pytest.approx(speeds[1] - speeds[0])
    # sway speed's MDC: 65% of the first value (Riemann & Piersol 2017); two trials of the
    # same patient minutes apart differ by far less
    assert change["mdc"] == pytest.approx(0.65 * speeds[0]) and change["exceeds_mdc"] is False
    assert "within measurement noise" in change["words"]
    area = next(c for c in charts if c["metric"] == "area_ellipse95_cm2")["lines"][0]["change"]
    assert area["exceeds_mdc"] is None  # no published MDC for the ellipse area

    page = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert "Quiet stance: Mean sway speed (cm/s)" in page
    assert "Minimal detectable change: Riemann BL, Piersol K." in page
    assert "(no MDC known)" in page  # the area
    assert 'id="progress-data"' in page and "progress.js" in page
    assert f"/trials/{first}" in page and f"/trials/{latest}" in page
    assert "Trials outside any visit" in page  # no visit was opened
    assert client.get("/patients/999/progress").status_code == 404
    assert client.get("/api/v1/patients/999/progress").status_code == 404


def test_visit_pages_log_minutes_and_show_the_units(client, station, patient):
    trial_id = quiet_stance(station, patient["id"])
    opened = client.post(
        f"/patients/{patient['id']}/visits",
        data={"visit_date": TODAY, "therapist": "thea", "nmr_minutes": "", "note": ""},
    )
    assert opened.status_code == 303
    visit_url = opened.headers["Location"]
    page = client.get(visit_url).get_data(as_text=True)
    assert f"/trials/{trial_id}" in page and "Quiet stance" in page
    assert "minutes not logged yet" in page
    expected = suggested_minutes([station.results.get_trial(trial_id)["duration_s"]])["minutes"]
    assert f"Suggested from this visit's trials: <strong>{expected} min</strong>" in page

    saved = client.post(
        visit_url, data={"visit_date": TODAY, "therapist": "thea", "nmr_minutes": "23", "note": ""}
    )
    assert saved.status_code == 303
    page = client.get(visit_url).get_data(as_text=True)
    assert re.search(r'id="units">2 units\s*<small>for 23 min</small>', page)
    assert "23 min gives 2 units (23-37 min under the 8-minute rule)" in page
    # one minute of quiet stance supports no unit: the 2 billed are questioned on the page
    assert re.search(r'id="billing-warning"[^>]*>23 min bill 2 units, more than this visit', page)
    client.post(visit_url, data={"visit_date": TODAY, "therapist": "thea", "nmr_minutes": "7"})
    assert 'id="billing-warning"' not in client.get(visit_url).get_data(as_text=True)
    client.post(visit_url, data={"visit_date": TODAY, "therapist": "thea", "nmr_minutes": "23"})

    refused = client.post(visit_url, data={"visit_date": TODAY, "nmr_minutes": "twenty"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert re.search(r'id="nmr_minutes-error"[^>]*>nmr_minutes: expected whole minutes', page)
    assert re.search(r'id="nmr_minutes"[^>]*aria-invalid="true"', page)

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = client.post(f"/patients/{patient['id']}/visits", data={"visit_date": tomorrow})
    assert future.status_code == 400
    assert f"visit_date: {tomorrow} is in the future" in future.get_data(as_text=True)
    again = client.post(f"/patients/{patient['id']}/visits", data={"visit_date": TODAY})
    assert again.status_code == 400
    assert f"already has a visit on {TODAY}" in again.get_data(as_text=True)

    listing = client.get(f"/patients/{patient['id']}/visits").get_data(as_text=True)
    assert re.search(rf">{TODAY}</a></td>\s*<td>thea</td>\s*<td>23 min</td>\s*<td>2</td>", listing)
    assert client.get("/visits/999").status_code == 404
    assert client.get("/patients/999/visits").status_code == 404


def test_pain_is_rated_on_the_visit_and_followed_on_the_report_and_progress(client, patient):
    """Issue 17: pain (0-10) at the start and end of each visit, the change judged against
    the 2-point minimal clinically important difference, on every page that shows a visit."""
    base = f"/patients/{patient['id']}/visits"
    fields = {"therapist": "thea", "nmr_minutes": "", "note": ""}
    page = client.get(base).get_data(as_text=True)
    assert 'id="pain_before"' in page and 'id="pain_after"' in page
    refused = client.post(base, data={**fields, "visit_date": "2026-01-05", "pain_before": "12"})
    assert refused.status_code == 400
    assert re.search(r'id="pain_before-error"[^>]*>pain_before: rate pain from 0', refused.text)
    first = client.post(
        base, data={**fields, "visit_date": "2026-01-05", "pain_before": "7", "pain_after": "4"}
    ).headers["Location"]
    page = client.get(first).get_data(as_text=True)
    assert "Pain 7/10 to 4/10 during the visit: 3 points less, 43%, a clinically important" in page
    later = client.post(base, data={**fields, "visit_date": "2026-01-12", "pain_before": "6"})
    assert "Not rated yet" not in client.get(later.headers["Location"]).text
    assert "rate both to see the change" in client.get(later.headers["Location"]).text
    report = client.get(first + "/report").get_data(as_text=True)
    assert re.search(r'id="report-pain">Pain 7/10 to 4/10 during the visit', report)

    progress = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert "Pain 7/10 to 6/10 on arrival from 2026-01-05 to 2026-01-12: 1 point less, 14%" in (
        progress
    )
    assert re.search(r">2026-01-05</a></td>\s*<td>7</td><td>4</td>\s*<td>-3 <span", progress)
    api = client.get(f"/api/v1/visits/{first.rsplit('/', 1)[1]}").get_json()
    assert (api["pain_before"], api["pain_after"], api["pain"]["change"]) == (7, 4, -3)


def test_the_psfs_is_asked_on_the_visit_page_and_rated_again_at_re_evaluation(client, patient):
    """Issue 17: the Patient-Specific Functional Scale (3-5 activities the patient names,
    each 0-10) at evaluation and re-evaluation, the change of its mean judged on progress."""
    base = f"/patients/{patient['id']}/visits"
    first = client.post(base, data={"visit_date": "2026-01-05"}).headers["Location"]
    page = client.get(first).get_data(as_text=True)
    assert 'id="psfs_activity_5"' in page and "Not asked yet" not in page
    form = {"visit_date": "2026-01-05", "psfs_activity_1": "Climb stairs", "psfs_score_1": "3"}
    refused = client.post(first, data=form)
    assert refused.status_code == 400
    assert re.search(r'id="psfs-error"[^>]*>psfs: name 3 to 5 activities', refused.text)
    assert 'value="Climb stairs"' in refused.text  # what was typed is kept
    form |= {"psfs_activity_2": "Get up from a chair", "psfs_score_2": "5"}
    form |= {"psfs_activity_3": "Walk on grass", "psfs_score_3": "2"}
    assert client.post(first, data=form).status_code == 303
    page = client.get(first).get_data(as_text=True)
    assert re.search(r'id="psfs-score">3.3</span>/10', page)
    assert "<li>Walk on grass: 2/10</li>" in page

    later = client.post(base, data={"visit_date": "2026-02-02"}).headers["Location"]
    page = client.get(later).get_data(as_text=True)  # the activities offered again, unrated
    assert re.search(r'id="psfs_activity_3" name="psfs_activity_3" value="Walk on grass"', page)
    assert re.search(r'id="psfs_score_3" name="psfs_score_3" value=""', page)
    scores = {"psfs_score_1": "6", "psfs_score_2": "8", "psfs_score_3": "5"}
    activities = {k: v for k, v in form.items() if k.startswith("psfs_activity")}
    # a visit where the scale is not asked: the offered activities left unrated are saved
    # as not asked, the visit's other fields kept
    unasked = client.post(
        later, data={"visit_date": "2026-02-02", "pain_before": "4", **activities}
    )
    assert unasked.status_code == 303
    api = client.get(f"/api/v1/visits/{later.rsplit('/', 1)[1]}").get_json()
    assert api["psfs"] is None and api["pain_before"] == 4
    # one rating but not the others is a slip, named
    partial = client.post(
        later, data={"visit_date": "2026-02-02", **activities, "psfs_score_1": "6"}
    )
    assert partial.status_code == 400 and "psfs[2].score: rate it" in partial.text
    saved = client.post(later, data={"visit_date": "2026-02-02", **activities, **scores})
    assert saved.status_code == 303
    report = client.get(later + "/report").get_data(as_text=True)
    assert re.search(r'id="report-psfs">6.3: Climb stairs 6; Get up from a chair 8', report)
    progress = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert (
        "PSFS 3.3 to 6.3 from 2026-01-05 to 2026-02-02: 3 points better, "
        "a clinically important change (large)" in progress
    )
    assert "<li>Climb stairs: 3 to 6</li>" in progress
    api = client.get(f"/api/v1/visits/{later.rsplit('/', 1)[1]}").get_json()
    assert api["psfs_score"] == 6.3 and api["psfs"][1] == {
        "activity": "Get up from a chair",
        "score": 8,
    }


def test_the_daily_note_has_the_soap_parts_the_therapist_writes_and_the_stations_record(
    client, station, patient
):
    """Issue 17, item 6: per visit a note in the SOAP form: subjective (pain, what the
    patient reports), objective (the drills, minutes, units), assessment (the changes, the
    therapist's judgement) and plan; printable."""
    quiet_stance(station, patient["id"])
    visit_url = client.post(
        f"/patients/{patient['id']}/visits", data={"visit_date": TODAY}
    ).headers["Location"]
    page = client.get(visit_url).get_data(as_text=True)
    assert 'id="subjective"' in page and "Daily note, A: assessment" in page
    form = {
        "visit_date": TODAY,
        "nmr_minutes": "8",
        "pain_before": "5",
        "pain_after": "3",
        "subjective": "No falls since last week.\nDid the home exercises 5 of 7 days.",
        "assessment": "Sway on foam improving; still needs support on turns.",
        "plan": "Quiet stance on foam, eyes closed, 3 x 30 s.",
    }
    refused = client.post(visit_url, data={**form, "plan": "x" * 1001})
    assert refused.status_code == 400 and "plan: at most 1000 characters" in refused.text
    assert client.post(visit_url, data=form).status_code == 303
    report = client.get(visit_url + "/report").get_data(as_text=True)
    parts = [report.index(h) for h in ("S: subjective", "O: objective", "A: assessment", "P: plan")]
    assert parts == sorted(parts)  # in the SOAP order
    assert "No falls since last week.\nDid the home exercises 5 of 7 days.</p>" in report
    assert "Pain 5/10 to 3/10 during the visit: 2 points less" in report
    assert "Quiet stance" in report  # the drill run, in the objective part
    assert re.search(r'id="report-units">1</span> unit of CPT 97112', report)
    assert re.search(r'id="report-plan-text">Quiet stance on foam, eyes closed, 3 x 30 s.<', report)


def test_the_daily_note_exports_as_text_with_adherence_and_the_home_program(
    client, station, patient
):
    """Issue 17, item 6: the daily note is exportable; it carries the home program and the
    days the patient did it, as the printable one does."""
    quiet_stance(station, patient["id"])
    week_ago = (date.fromisoformat(TODAY) - timedelta(days=7)).isoformat()
    station.records.home_programs.prescribe(
        patient["id"], {"exercise": "tandem-stance", "level": 2}, today=date.fromisoformat(week_ago)
    )
    client.post(f"/patients/{patient['id']}/visits", data={"visit_date": week_ago})
    form = {"visit_date": TODAY, "nmr_minutes": "8", "pain_before": "4", "hep_days": "5"}
    form["assessment"] = "Steadier on foam <b>today</b>."
    visit_url = client.post(f"/patients/{patient['id']}/visits", data=form).headers["Location"]
    assert 'id="note-text-link"' in client.get(visit_url).text
    report = client.get(visit_url + "/report").text
    assert "done on 5 of the 7 days since the last visit (71%)" in report
    assert "Heel-to-toe stand, level 2 (hold on with one hand)" in report

    answer = client.get(visit_url + "/note.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    code = patient.get("code") or f"patient-{patient['id']}"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="daily-note_{code}_{TODAY}.txt"'
    )
    text = answer.get_data(as_text=True)
    parts = [text.index(h) for h in ("S: SUBJECTIVE", "O: OBJECTIVE", "A: ASSESSMENT", "P: PLAN")]
    assert parts == sorted(parts)
    assert "Home exercises: done on 5 of the 7 days since the last visit (71%)" in text
    assert "Timed minutes: 8 min of neuromuscular reeducation = 1 unit of CPT 97112" in text
    assert "UTC Quiet stance: completed" in text
    assert "Steadier on foam <b>today</b>." in text  # plain text: nothing escaped
    assert "- Heel-to-toe stand, level 2 (hold on with one hand): hold 10 seconds" in text
    assert "&" not in text and "<td" not in text
    entry = station.storage.query("SELECT action, target FROM audit_log ORDER BY id DESC LIMIT 1")[
        0
    ]
    assert entry == {"action": "export", "target": f"visit {visit_url.rsplit('/', 1)[1]}"}


def test_goals_are_set_on_the_progress_page_and_followed_on_every_page(client, station, patient):
    """Issue 17, item 2: a measurable goal (a headline measure, its baseline from the latest
    result, a target and a date), progress toward it on the patient's page, the progress
    page and the report; a goal set by mistake is withdrawn, never deleted."""
    quiet_stance(station, patient["id"])
    progress_url = f"/patients/{patient['id']}/progress"
    page = client.get(progress_url).get_data(as_text=True)
    option = "quiet-stance|velocity_mean_cm_s|eyes open, firm surface"
    assert f'<option value="{option}">Quiet stance: mean sway speed (eyes open' in page
    assert '<option value="|pain|">Pain on arrival</option>' in page
    speed = station.results.list_trials(patient["id"])[0]["result"]["metrics"]
    now = round(speed["velocity_mean_cm_s"], 3)
    form = {"measure": option, "target": f"{now * 2:.3f}", "due_date": "2999-01-01"}
    refused = client.post(f"/patients/{patient['id']}/goals", data=form)
    assert refused.status_code == 400
    assert re.search(
        r'id="goal-error"[^>]*>target: [0-9.]+ is not better than the baseline', refused.text
    )
    form["target"] = f"{now / 2:.3f}"
    assert client.post(f"/patients/{patient['id']}/goals", data=form).status_code == 303
    page = client.get(progress_url).get_data(as_text=True)
    # the baseline is the latest result, named with its day
    expected = f"from {now:.3g} ({TODAY}) to {now / 2:.3g} cm/s by 2999-01-01; now {now:.3g} cm/s"
    assert expected in page
    assert "0% of the way" in page
    patient_page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert 'id="patient-goals"' in patient_page and "0% of the way" in patient_page
    visit_url = client.post(
        f"/patients/{patient['id']}/visits", data={"visit_date": TODAY}
    ).headers["Location"]
    report = client.get(visit_url + "/report").get_data(as_text=True)
    assert re.search(r'id="report-goals"><li>Quiet stance: mean sway speed', report)

    [goal] = station.records.goals.for_patient(patient["id"])
    assert client.post(f"/goals/{goal['id']}/withdraw").status_code == 303
    assert 'id="no-goals"' in client.get(progress_url).get_data(as_text=True)
    assert station.records.goals.get(goal["id"])["withdrawn_at"]  # kept in the record


def test_visits_api_crud_and_billing_units(client, patient):
    base = f"/api/v1/patients/{patient['id']}/visits"
    created = client.post(base, json={"visit_date": TODAY, "therapist": "thea"})
    assert created.status_code == 201
    visit = created.get_json()
    assert visit["billing"] is None and visit["patient_id"] == patient["id"]
    updated = client.put(
        f"/api/v1/visits/{visit['id']}", json={"visit_date": TODAY, "nmr_minutes": 38}
    )
    assert updated.status_code == 200
    assert updated.get_json()["billing"]["units"] == 3
    assert [v["id"] for v in client.get(base).get_json()["visits"]] == [visit["id"]]
    shown = client.get(f"/api/v1/visits/{visit['id']}").get_json()
    assert shown["trials"] == [] and shown["suggestion"]["minutes"] == 0
    assert shown["billing"]["explanation"].startswith("38 min gives 3 units")

    bad = client.put(
        f"/api/v1/visits/{visit['id']}", json={"visit_date": TODAY, "nmr_minutes": "x"}
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["field"] == "nmr_minutes"
    unknown = client.post(base, json={"visit_date": TODAY, "units": 2})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["field"] == "units"
    assert client.post(base, data="not json").status_code == 400
    assert client.get("/api/v1/visits/999").get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/patients/999/visits", json={"visit_date": TODAY}).status_code == 404

    for minutes, units in ((7, 0), (8, 1), (22, 1), (23, 2), (53, 4)):
        body = client.get(f"/api/v1/billing/97112?minutes={minutes}").get_json()
        assert (body["minutes"], body["units"]) == (minutes, units)
    for raw in ("abc", "-1", "7.5", ""):
        refused = client.get(f"/api/v1/billing/97112?minutes={raw}")
        assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "minutes"
    # a visit without trials: any billed unit is questioned, as the page shows while typing
    asked = client.get(f"/api/v1/billing/97112?minutes=8&visit_id={visit['id']}").get_json()
    assert asked["units"] == 1 and "no trial on the station" in asked["warning"]
    assert "no trial on the station" in shown["suggestion"]["warning"]  # the 38 min logged
    bad_visit = client.get("/api/v1/billing/97112?minutes=8&visit_id=x")
    assert bad_visit.status_code == 400 and bad_visit.get_json()["error"]["field"] == "visit_id"
    assert client.get("/api/v1/billing/97112?minutes=8&visit_id=999").status_code == 404

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "201" in paths["/patients/{patient_id}/visits"]["post"]["responses"]
    assert "requestBody" in paths["/visits/{visit_id}"]["put"]
    assert paths["/billing/97112"]["get"]["summary"].startswith("CPT 97112 units")


def test_visit_report_renders_with_units_drills_and_trends(client, station, patient):
    first = quiet_stance(station, patient["id"])
    visit = client.post(
        f"/api/v1/patients/{patient['id']}/visits",
        json={"visit_date": TODAY, "therapist": "thea", "nmr_minutes": 38, "note": "Foam next"},
    ).get_json()
    latest = quiet_stance(station, patient["id"])
    response = client.get(f"/visits/{visit['id']}/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Olive Older (OO-1)" in page and "1950-02-03" in page
    assert f"<dt>Date of visit</dt><dd>{TODAY}</dd>" in page
    assert "<dt>Therapist</dt><dd>thea</dd>" in page and "Foam next" in page
    assert '<span id="report-units">3</span> units of CPT 97112' in page
    assert '<span id="report-minutes">38</span> min' in page
    assert page.count("Quiet stance</td>") == 2  # both trials of the day, the later one too
    assert "Mean sway speed" in page
    assert "Trends up to this visit" in page and 'id="report-changes"' in page
    assert "no MDC known" in page
    assert "Santos DA, Duarte M" in page  # the band comparison names its source
    assert "print.css" in page
    assert "@media print" in client.get("/static/print.css").get_data(as_text=True)
    for trial_id in (first, latest):
        assert station.results.get_trial(trial_id)["state"] == "completed"

    unlogged = client.put(
        f"/api/v1/visits/{visit['id']}", json={"visit_date": TODAY, "therapist": "thea"}
    )
    assert unlogged.status_code == 200
    page = client.get(f"/visits/{visit['id']}/report").get_data(as_text=True)
    assert "No timed minutes have been logged" in page
    assert client.get("/visits/999/report").status_code == 404


def test_metrics_csv_is_safe_to_open_and_name(app, client, station):
    patient = client.post(
        "/api/v1/patients", json={"name": "Eve Evil", "code": "=A1/../x"}
    ).get_json()
    trial_id = quiet_stance(station, patient["id"])
    station.storage.submit(
        lambda db: db.execute(
            "UPDATE trials SET reason = ? WHERE id = ?", ['=HYPERLINK("http://x")', trial_id]
        )
    ).result()
    metrics = station.results.get_trial(trial_id)["result"]["metrics"]

    response = client.get(f"/patients/{patient['id']}/metrics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    name = SAFE_ATTACHMENT.match(response.headers["Content-Disposition"])[1]
    assert name == f"metrics_-A1-..-x_{TODAY}.csv"
    assert "Eve" not in name
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, [row] = rows[0], rows[1:]
    assert tuple(header[: len(FIXED_COLUMNS)]) == FIXED_COLUMNS
    assert {"velocity_mean_cm_s", "area_ellipse95_cm2", "rms_ml_cm"} <= set(header)
    cell = dict(zip(header, row, strict=True))
    assert cell["trial_id"] == trial_id and cell["drill"] == "quiet-stance"
    assert cell["condition"] == "eyes open, firm surface" and cell["state"] == "completed"
    assert cell["quality"] in ("good", "not scored as good")
    assert cell["reason"] == '\'=HYPERLINK("http://x")'  # a formula made plain text
    assert float(cell["velocity_mean_cm_s"]) == pytest.approx(metrics["velocity_mean_cm_s"])
    assert "Eve Evil" not in response.get_data(as_text=True)

    via_api = client.get(f"/api/v1/patients/{patient['id']}/metrics.csv")
    assert via_api.get_data() == response.get_data()
    audit = app.extensions["accounts"].recent_audit()
    exports = [a for a in audit if a["action"] == "export"]
    assert len(exports) == 2 and exports[0]["username"] == "thea"
    assert exports[0]["target"] == f"patient {patient['id']}" and name in exports[0]["detail"]

    raw = client.get(f"/api/v1/trials/{trial_id}/export.csv")
    assert SAFE_ATTACHMENT.match(raw.headers["Content-Disposition"])
    assert client.get("/patients/999/metrics.csv").status_code == 404
    missing = client.get("/api/v1/patients/999/metrics.csv")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/patients/1/progress",
        "/patients/1/visits",
        "/visits/1",
        "/visits/1/report",
        "/patients/1/metrics.csv",
    ],
)
def test_result_pages_need_a_login(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/patients/1/visits"),
        ("post", "/api/v1/patients/1/visits"),
        ("get", "/api/v1/visits/1"),
        ("put", "/api/v1/visits/1"),
        ("get", "/api/v1/billing/97112?minutes=8"),
        ("get", "/api/v1/patients/1/progress"),
        ("get", "/api/v1/patients/1/metrics.csv"),
        ("get", "/api/v1/trials/x/charts"),
        ("get", "/api/v1/trials/x/norms"),
    ],
)
def test_result_api_needs_a_login(anon_client, method, path):
    response = getattr(anon_client, method)(path)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"


def test_progress_reads_the_latest_standard_tests_against_fall_risk_cut_offs(
    client, station, patient
):
    page = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert 'id="fall-risk-table"' in page and page.count("Not done yet.") == 3
    trial_id = run(station, patient["id"], "steadi-4-stage", {})
    result = station.results.get_trial(trial_id)["result"]
    page = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert "STEADI 4-stage: tandem stance" in page and f"/trials/{trial_id}" in page
    assert page.count("Not done yet.") == 2  # single-leg stance and mCTSIB still to do
    at_risk = result["tandem_time_s"] < 10
    assert ("<strong>At risk:</strong> Increased risk of falling" in page) == at_risk
    assert ("Not at risk: Held 10 s." in page) == (not at_risk)
    assert "CDC STEADI 4-Stage Balance Test (assessment form)" in page


def test_an_evaluation_is_started_run_step_by_step_and_read_in_one_report(client, station, patient):
    assert ">New evaluation</button>" in client.get(f"/patients/{patient['id']}").text
    created = client.post(f"/patients/{patient['id']}/evaluations")
    assert created.status_code == 303 and created.headers["Location"].endswith("#programs")
    [evaluation] = station.records.list_programs(patient["id"])
    assert evaluation["kind"] == "evaluation" and evaluation["name"].startswith("Evaluation ")
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert '<span class="badge">evaluation</span>' in page
    assert f"/evaluations/{evaluation['id']}" in page
    url = f"/evaluations/{evaluation['id']}"
    page = client.get(url).get_data(as_text=True)
    assert "0 of 5 tests done" in page and "No test done yet" in page

    def step(index: int) -> str:
        trial_id = station.start_program_step(evaluation["id"], index)["trial_id"]
        station.run_virtual(max_s=900)
        station.storage.flush()
        return trial_id

    steadi_id, left_id = step(4), step(2)
    result = station.results.get_trial(steadi_id)["result"]
    page = client.get(url).get_data(as_text=True)
    assert "2 of 5 tests done" in page
    assert f"/trials/{steadi_id}" in page and f"/trials/{left_id}" in page
    assert "STEADI 4-stage balance test" in page and "left leg, eyes open" in page
    assert "Tandem stance time" in page and "against 10 s (CDC STEADI)" in page
    at_risk = result["tandem_time_s"] < 10
    assert ("<strong>At risk:</strong> Increased risk of falling" in page) == at_risk
    assert "Springer BA et al." in page  # the sources, once each
    assert page.count("Springer BA et al.") == 1
    # item 2: a goal's baseline from the evaluation: "Set a goal" picks the measure, the
    # baseline is the evaluation's result and keeps its day
    measure = "single-leg-stance|best_stance_time_s|left leg, eyes open"
    links = [
        html.unescape(href) for href in re.findall(r'href="([^"]*progress\?measure=[^"]*)"', page)
    ]
    [link] = [u for u in links if parse_qs(urlsplit(u).query)["measure"] == [measure]]
    assert link.startswith(f"/patients/{patient['id']}/progress?") and link.endswith("#goals")
    progress = client.get(link.split("#")[0]).text
    assert f'<option value="{measure}" selected>' in progress
    form = {"measure": measure, "target": "60", "due_date": "2999-01-01"}
    assert client.post(f"/patients/{patient['id']}/goals", data=form).status_code == 303
    goal = station.records.goals.for_patient(patient["id"])[-1]
    best = station.results.get_trial(left_id)["result"]["best_stance_time_s"]
    assert goal["baseline"] == pytest.approx(best, abs=1e-3)
    assert goal["baseline_date"] == date.today().isoformat()
    # the suggested plan follows from the findings and waits for the therapist; the simulated
    # patient's left leg holds past the mean of 70-79 (21.5 s), so only tandem can call for it
    assert station.results.get_trial(left_id)["result"]["best_stance_time_s"] >= 21.5
    assert "Suggested plan of care" in page
    assert ('id="accept-plan"' in page) == at_risk
    before = len(station.records.list_programs(patient["id"]))
    accepted = client.post(f"{url}/plan")
    assert accepted.status_code == 303
    programs = station.records.list_programs(patient["id"])
    if at_risk:  # tandem under 10 s: a weight shift that progresses
        plan = programs[-1]
        assert plan["name"] == f"Plan of care from {evaluation['name']}"
        assert plan["kind"] == "program" and plan["steps"][0]["drill"] == "weight-shift"
        assert plan["rules"][0]["metric"] == "hit_rate_pct"
    else:
        assert len(programs) == before

    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert ">Re-evaluate</button>" in page
    assert f"repeats the tests and settings of {evaluation['name']}" in page
    client.post(f"/patients/{patient['id']}/evaluations")  # the re-evaluation
    second = station.records.list_programs(patient["id"])[-1]
    station.start_program_step(second["id"], 4)
    station.run_virtual(max_s=900)
    station.storage.flush()
    page = client.get(f"/evaluations/{second['id']}").get_data(as_text=True)
    assert f"compared with {evaluation['name']}" in page and "1 of 5 tests done" in page
    assert page.count("not done") >= 4  # in this one's column, and the right leg in both

    program = client.post(
        f"/api/v1/patients/{patient['id']}/programs",
        json={"name": "Training", "steps": [{"drill": "quiet-stance"}]},
    ).get_json()
    assert program["kind"] == "program"
    assert client.get(f"/evaluations/{program['id']}").status_code == 404


def test_the_discharge_summary_lists_goals_met_final_measures_pain_and_fall_risk(
    client, station, patient
):
    """Issue 17, item 7: at discharge, the goals met and not, the final measures against the
    first with their MDC, pain from the first visit to the last, the screens, printable."""
    base = f"/patients/{patient['id']}/visits"
    fields = {"therapist": "thea", "nmr_minutes": "", "note": ""}
    activities = {f"psfs_activity_{n}": a for n, a in enumerate(("Stairs", "Bus", "Shop"), 1)}
    for day, pain, scores in (("2026-01-05", "7", "352"), ("2026-02-02", "3", "676")):
        psfs = {f"psfs_score_{n}": score for n, score in enumerate(scores, 1)}
        visit = {**fields, **activities, **psfs, "visit_date": day, "pain_before": pain}
        assert client.post(base, data=visit).status_code == 303
    goals = f"/patients/{patient['id']}/goals"
    met = {"measure": "|pain|", "baseline": "7", "target": "4", "due_date": "2999-01-01"}
    not_met = {"measure": "|pain|", "baseline": "7", "target": "1", "due_date": "2999-01-01"}
    assert client.post(goals, data=met).status_code == 303
    assert client.post(goals, data=not_met).status_code == 303
    first, latest = (quiet_stance(station, patient["id"]) for _ in range(2))
    progress = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert f"/patients/{patient['id']}/discharge" in progress
    page = client.get(f"/patients/{patient['id']}/discharge").get_data(as_text=True)
    assert "Discharge summary: balance training" in page and "2 visits" in page
    assert "from 2026-01-05 to " in page
    assert "<strong>✓ Met:</strong>" in page and "<strong>Not met:</strong>" in page
    assert "1 of 2 goals met." in page
    speeds = [
        station.results.get_trial(t)["result"]["metrics"]["velocity_mean_cm_s"]
        for t in (first, latest)
    ]
    assert 'id="report-changes"' in page and f"{speeds[0]:.3g} cm/s" in page
    assert "Pain 7/10 to 3/10 on arrival from 2026-01-05 to 2026-02-02" in page
    assert re.search(r'id="discharge-psfs">PSFS 3.3 to 6.3 from 2026-01-05', page)  # not "Psfs"
    assert "mCTSIB: foam, eyes closed (held under 10 s)" in page and "Not done yet." in page
    assert 'id="print"' in page
    assert client.get("/patients/999/discharge").status_code == 404
