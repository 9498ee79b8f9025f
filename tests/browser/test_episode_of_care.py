"""Issue 17, "done when": one episode of care walked through in the real browser as a therapist
would, on one station over six weeks of clinic days. Each day the real daemon starts on the same
data with its calendar set to that day (``days_ahead/sitecustomize.py``: the wall clock and
dates only, the control loop's monotonic clock untouched) and the virtual patient trained for
the weeks gone by; the therapist logs in on the tablet, runs the day's drills live and records
the visit.

Day 0: a new patient of 81 evaluated (the battery shortened in the program editor), the report
read, the suggested plan accepted, two goals set (one from the evaluation's result), a home
program printed, the visit with pain and PSFS, its daily note printed and taken as text.
Days 7, 21, 35: the plan's drills, pain before and after, home-exercise adherence; a drill
stopped for pain on day 21. Day 42: the re-evaluation beside the first, the goals, the
discharge summary. Screenshots of every screen at tablet size.

The station is one a clinic with the platform alone runs (marker ``lean_station``: no IMU, the
load cells at 80 SPS): no drill of the episode needs the IMU, and over its seven minutes of live
drills the emulated IMU and 320 SPS conversions cost over a third of the daemons' CPU (173
against 108 CPU-s, 6 December 2026). The default station is walked in the browser by
``test_panel.py``."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import submit_form

pytestmark = [pytest.mark.browser, pytest.mark.lean_station]

DAYS_AHEAD = Path(__file__).parent / "days_ahead"
START = date.today()
DUE = (START + timedelta(days=56)).isoformat()
BIRTH_DATE = (START - timedelta(days=round(81.5 * 365.25))).isoformat()  # 81 all episode long
STEP_S = 240_000  # ms: one evaluation test or drill, lead-in and rests included
SHORTER = {  # the battery shortened for a frail patient: the suite's time
    "mctsib": {"trial_s": "10", "rest_s": "3"},
    "single-leg-stance": {"max_s": "15", "trials": "1"},
}
PSFS = (("Walking to the shops", "3"), ("Dressing standing up", "5"), ("Reaching a shelf", "2"))


@pytest.fixture
def clinic_day(start_daemon):
    """``clinic_day(day)``: the station (the real daemon, the same data every day) started at
    9:00 ``day`` days after START with the virtual patient trained for as long; (process,
    base)."""

    def start(day: int):
        path = os.pathsep.join(filter(None, [str(DAYS_AHEAD), os.environ.get("PYTHONPATH")]))
        env = {"PYTHONPATH": path, "CLINIC_DAY": (START + timedelta(days=day)).isoformat()}
        sim = (
            '[sim]\nprofile = "high-fall-risk"\nseed = 17\nstep_on_at_s = 1.0\n'
            f"training_weeks = {day / 7:.2f}\n"
        )
        return start_daemon(sim, timeout_s=60.0, env=env)

    return start


def close_day(page, proc) -> None:
    """The end of the day: the tablet's pages closed, then the station shut down as systemd
    would (SIGTERM)."""
    page.context.close()
    proc.terminate()
    assert proc.wait(timeout=30) == 0, proc.stderr.read()


def log_in(page, base: str, password: str, patient_url_path: str) -> str:
    """The day's first page on the tablet: log in, open the patient; the patient's URL."""
    page.goto(base + patient_url_path)
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=username]", "thea")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + patient_url_path)
    return page.url


def run_next_step(page, program, step: int | None = None) -> str:
    """Start ``program``'s next step (or its ``step``, from 1) and wait for its trial to end
    (the page reloads with it listed first); the outcome cell's text."""
    rows = page.locator("#trials tbody tr")
    before = rows.count()
    if step is None:
        program.locator("button.primary[data-start-program]").click()
    else:
        program.get_by_role("button", name=f"Start step {step}", exact=True).click()
    expect(page.locator("#phase")).not_to_have_text("No drill running", timeout=15_000)
    expect(rows).to_have_count(before + 1, timeout=STEP_S)
    return rows.first.locator("td").nth(2).inner_text()


def record_visit(page, patient_url: str, fields: dict, psfs=None) -> str:
    """Open today's visit from the patient's visits and fill its page (pain, adherence, PSFS,
    the SOAP texts, the billed minutes: the station's suggestion); the visit page's URL."""
    page.goto(patient_url)
    page.click("#visits-link")
    page.click("text=Open visit")
    expect(page).to_have_url(re.compile(r"/visits/\d+$"))
    for n, (activity, score) in enumerate(psfs or (), start=1):
        page.fill(f"#psfs_activity_{n}", activity)
        page.fill(f"#psfs_score_{n}", score)
    suggested = re.search(r"(\d+) min", page.locator("#suggestion").inner_text())
    page.fill("#nmr_minutes", suggested.group(1))
    for field, value in fields.items():
        page.fill(f"#{field}", value)
    submit_form(page, "Save visit")
    expect(page.locator("#units")).to_contain_text("unit")
    return page.url


def goal_now(words: str) -> tuple[float, float]:
    """(target, latest value) from a goal's sentence ("... to 10 s by ...; now 7.2 s ...")."""
    target = float(re.search(r" to ([\d.]+)", words).group(1))
    return target, float(re.search(r"now ([\d.]+)", words).group(1))


def test_an_episode_of_care_from_evaluation_to_discharge(
    clinic_day, tablet, password, shoot, first_account_and_patient, pdf_pages
):
    # ---- day 0: the evaluation ---------------------------------------------------------------
    proc, base = clinic_day(0)
    page = tablet()
    patient_url = first_account_and_patient(
        page, base, "thea", "Marta Episode", "162", birth_date=BIRTH_DATE
    )
    patient_path = patient_url.removeprefix(base)
    expect(page.locator("#facts")).to_contain_text("81 years")
    page.click("#new-evaluation")
    evaluation = page.locator("article.program", has_text="Evaluation")
    # shortened for a frail patient in the program editor: no limits of stability, shorter trials
    evaluation.get_by_role("button", name="Edit").click()
    steps = page.locator("#step-list li.editor-step")
    expect(steps).to_have_count(5)
    steps.nth(1).get_by_role("button", name="Remove this step").click()
    expect(steps).to_have_count(4)
    for index, drill in enumerate(("mctsib", "single-leg-stance", "single-leg-stance")):
        for name, value in SHORTER[drill].items():
            steps.nth(index).locator(f".step-params [name={name}]").fill(value)
    page.click("#program-form button[type=submit]")
    expect(evaluation.locator("ol.steps li")).to_have_count(4)
    expect(evaluation.locator("ol.steps li").first).to_contain_text(re.compile(r"\b10 s\b"))
    shoot(page, "20-episode-evaluation-battery")

    outcomes = [run_next_step(page, evaluation) for _ in range(4)]
    assert all(o.startswith("completed") for o in outcomes), outcomes
    evaluation.locator("text=Evaluation report").click()
    report = page.locator("#evaluation-report")
    expect(report).to_contain_text("81 years")
    expect(report).to_contain_text("4 of 4 tests done")
    # each test against its published values for the age, the deficits, the fall risk, sources
    tests = page.locator("#evaluation-tests")
    expect(tests).to_contain_text("against")
    expect(tests).to_contain_text("left leg, eyes open")
    expect(page.locator("#evaluation-deficits li").first).to_be_visible()
    expect(page.locator("#evaluation-fall-risk")).to_contain_text("At risk")
    expect(page.locator("#evaluation-sources")).to_contain_text("CDC STEADI")
    expect(page.locator("#evaluation-sources")).to_contain_text("Springer")
    # the suggested plan says which finding calls for which drill; nothing is applied yet
    plan = page.locator("#evaluation-plan")
    expect(plan.locator("li").first).to_contain_text("Because:")
    shoot(page, "21-episode-evaluation-report")
    shoot(page, "21-episode-evaluation-report-portrait", "portrait")
    page.click("#accept-plan")
    expect(page).to_have_url(re.compile(r"/patients/\d+#programs$"))
    plan_of_care = page.locator("article.program", has_text="Plan of care from Evaluation")
    expect(plan_of_care).to_be_visible()
    expect(plan_of_care.locator(".badge").first).not_to_have_text("evaluation")
    shoot(page, "22-episode-plan-accepted")

    # goal 1, from the evaluation's left single-leg time: its baseline is that result
    page.goto(patient_url)
    page.locator("article.program", has_text="Evaluation").locator("text=Evaluation report").click()
    page.locator("#evaluation-tests tr", has_text="left leg").locator("a.goal-from-result").click()
    expect(page.locator("#goal-measure option:checked")).to_contain_text("left leg, eyes open")
    page.fill("#goal-target", "10")
    page.fill("#goal-due", DUE)
    page.click("#goal-form button[type=submit]")
    goals = page.locator("#goal-list li")
    expect(goals).to_have_count(1)
    expect(goals.first).to_contain_text(f"({START.isoformat()}) to 10 s by {DUE}")

    # the home program, printed on one large-print page
    page.goto(patient_url)
    page.click("#home-program-link")
    for key, level in (("tandem-stance", "1"), ("sit-to-stand", "2"), ("heel-raises", "1")):
        card = page.locator(f"#exercise-{key}")
        card.locator("summary").click()
        card.locator("select[name=level]").select_option(level)
        card.get_by_role("button", name="Add to the program").click()
        expect(page.locator(f"#current-{key}")).to_be_visible()
    page.click("#handout-link")
    expect(page.locator("#handout .handout-item")).to_have_count(3)
    assert pdf_pages(page) == 1
    shoot(page, "23-episode-home-handout", "portrait")

    # the day's visit: pain, the PSFS, the SOAP texts, the minutes the station suggests
    visit_url = record_visit(
        page,
        patient_url,
        {
            "pain_before": "6",
            "pain_after": "5",
            "subjective": "Two falls at home since the summer; afraid to walk outside.",
            "assessment": "High fall risk: tandem stance not held, sway on foam above the band.",
            "plan": "Twice a week: the accepted plan of care; home program daily.",
        },
        psfs=PSFS,
    )
    expect(page.locator("#pain-change")).to_contain_text("6/10 to 5/10")
    expect(page.locator("#psfs-score")).to_have_text("3.3")
    # goal 2, patient-reported: pain on arrival from today's 6 to 3
    page.goto(patient_url)
    page.click("#progress-link")
    page.select_option("#goal-measure", value="|pain|")
    page.fill("#goal-target", "3")
    page.fill("#goal-due", DUE)
    page.click("#goal-form button[type=submit]")
    expect(page.locator("#goal-list li")).to_have_count(2)
    expect(page.locator("#goal-list")).to_contain_text("Pain on arrival: from 6")
    shoot(page, "24-episode-goals")

    # the daily note, printed and as text
    page.goto(visit_url)
    page.click("#report-link")
    expect(page.locator("#report-subjective")).to_contain_text("6/10 to 5/10")
    expect(page.locator("#report-psfs")).to_contain_text("Walking to the shops 3")
    expect(page.locator("#report-drills")).to_contain_text("STEADI")
    expect(page.locator("#report-goals li")).to_have_count(2)
    expect(page.locator("#report-home-program")).to_contain_text("Heel")
    expect(page.locator("#report-billing")).to_contain_text("97112")
    page.emulate_media(media="print")
    expect(page.locator(".no-print").first).to_be_hidden()
    shoot(page, "25-episode-daily-note-printed", "a4")
    assert pdf_pages(page) >= 1
    note = page.request.get(visit_url + "/note.txt")
    assert note.ok and note.headers["content-type"].startswith("text/plain")
    text = note.text()
    for heading in ("S: SUBJECTIVE", "O: OBJECTIVE", "A: ASSESSMENT", "P: PLAN"):
        assert heading in text
    assert "PSFS (0-10): 3.3" in text and "Two falls at home" in text
    assert "- Goal: Pain on arrival" in text and "Home program:" in text
    close_day(page, proc)

    # ---- days 7, 21, 35: visits with the plan's drills --------------------------------------
    previous = 0
    for day, pain, hep_days in (
        (7, ("5", "4"), "5"),
        (21, ("5", "6"), "10"),
        (35, ("3", "2"), "11"),
    ):
        proc, base = clinic_day(day)
        page = tablet()
        patient_url = log_in(page, base, password, patient_path)
        plan_of_care = page.locator("article.program", has_text="Plan of care from Evaluation")
        if day == 21:  # a quiet stance to check the knee, which hurts: stopped for pain
            drill = "Quiet stance"
            page.select_option("#drill", "quiet-stance")
            page.click("#start")
            expect(page.locator("#stop-pain")).to_be_visible(timeout=15_000)
            expect(page.locator("#phase")).to_have_class(
                re.compile("phase-recording"), timeout=30_000
            )
            page.click("#stop-pain")
            expect(page.locator("#pain-dialog")).to_be_visible()
            page.click("[data-pain-site='Right knee']")
            shoot(page, "26-episode-stopped-for-pain")
            page.click("#pain-form button[type=submit]")
            expect(page.locator("#trials tbody tr").first).to_contain_text(
                "stopped for pain: Right knee"
            )
        else:  # the plan's first step at each of the other visits; a frail patient may
            # step off before its end: the station keeps the trial and says why
            drill = plan_of_care.locator("ol.steps li strong").first.inner_text()
            outcome = run_next_step(page, plan_of_care, step=1)
            assert re.match(r"completed|aborted\W+lost balance", outcome), outcome
        if day == 7:  # a slip: more days than since the last visit, refused and named
            page.click("#visits-link")
            page.fill("#hep_days", "9")
            page.click("text=Open visit")
            expect(page.locator("#hep_days-error")).to_contain_text("was 7 days before")
        visit_url = record_visit(
            page,
            patient_url,
            {"pain_before": pain[0], "pain_after": pain[1], "hep_days": hep_days},
        )
        expect(page.locator("#pain-change")).to_contain_text(f"{pain[0]}/10 to {pain[1]}/10")
        if day == 21:
            expect(page.locator("#visit-trials")).to_contain_text("stopped for pain: Right knee")
            shoot(page, "27-episode-visit-stopped-for-pain")
        page.click("#report-link")
        expect(page.locator("#report-adherence")).to_contain_text(
            f"done on {hep_days} of the {day - previous} days"
        )
        previous = day
        expect(page.locator("#report-drills")).to_contain_text(drill)
        if day == 21:
            expect(page.locator("#report-subjective")).to_contain_text(": Right knee")
        close_day(page, proc)

    # ---- day 42: re-evaluation and discharge -------------------------------------------------
    proc, base = clinic_day(42)
    page = tablet()
    patient_url = log_in(page, base, password, patient_path)
    expect(page.locator("#patient-goals")).to_contain_text("Pain on arrival")
    expect(page.locator("#re-evaluate-help")).to_contain_text(f"Evaluation {START.isoformat()}")
    page.click("#new-evaluation")
    again = page.locator("article.program", has_text=f"Evaluation {START + timedelta(days=42)}")
    expect(again.locator("ol.steps li")).to_have_count(4)  # the same tests, the same settings
    expect(again.locator("ol.steps li").first).to_contain_text(re.compile(r"\b10 s\b"))
    outcomes = [run_next_step(page, again) for _ in range(4)]
    assert all(o.startswith("completed") for o in outcomes), outcomes
    record_visit(
        page,
        patient_url,
        {"pain_before": "2", "pain_after": "2", "hep_days": "6"},
        psfs=[
            (activity, score) for (activity, _), score in zip(PSFS, ("6", "7", "5"), strict=False)
        ],
    )
    expect(page.locator("#psfs-score")).to_have_text("6")

    page.goto(patient_url)
    page.locator("article.program", has_text=f"Evaluation {START + timedelta(days=42)}").locator(
        "text=Evaluation report"
    ).click()
    expect(page.locator("#evaluation-report")).to_contain_text(
        f"compared with Evaluation {START.isoformat()}"
    )
    first_column = page.locator("#evaluation-tests thead th").nth(3)
    expect(first_column).to_have_text(f"Evaluation {START.isoformat()}")
    left = page.locator("#evaluation-tests tbody tr", has_text="left leg")
    expect(left.locator("td").nth(3)).to_contain_text(START.isoformat())  # side by side
    shoot(page, "28-episode-re-evaluation")

    # the progress page: pain, function and adherence over the episode
    page.goto(patient_url)
    page.click("#progress-link")
    expect(page.locator("#pain-table tbody tr")).to_have_count(5)
    expect(page.locator("#pain-trend")).to_contain_text("6")
    expect(page.locator("#psfs-trend")).to_contain_text("3.3")
    expect(page.locator("#adherence-table tbody tr")).to_have_count(4)
    goal_items = page.locator("#goal-list li")
    pain_goal = goal_items.filter(has_text="Pain on arrival")
    expect(pain_goal).to_contain_text("now 2/10")
    expect(pain_goal).to_contain_text("met")
    shoot(page, "29-episode-progress")

    # discharge: goals met and final measures
    page.click("#discharge-link")
    discharge = page.locator("#discharge-goals")
    expect(discharge.locator("li")).to_have_count(2)
    expect(discharge.locator("li", has_text="Pain on arrival")).to_contain_text("✓ Met:")
    leg_goal = discharge.locator("li", has_text="left leg").inner_text()
    target, now = goal_now(leg_goal)
    met = now >= target  # a goal on a time held is met once a result reaches its target
    assert leg_goal.startswith("✓ Met:") == met, leg_goal
    expect(discharge).to_contain_text(f"{1 + met} of 2 goals met")
    expect(page.locator("#discharge-measures")).to_contain_text("mCTSIB")
    expect(page.locator("#discharge-pain")).to_contain_text("6")
    expect(page.locator("#discharge-psfs")).to_contain_text("3.3")
    expect(page.locator("#discharge-evaluations li")).to_have_count(2)
    shoot(page, "30-episode-discharge")
    shoot(page, "30-episode-discharge-printed", "a4")
    assert pdf_pages(page) >= 1
    close_day(page, proc)
