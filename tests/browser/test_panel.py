"""The panel in a real browser (Debian's chromium through Playwright, tests/browser/conftest.py)
against the real daemon on simulated hardware with a virtual patient: first-run setup, login, a
new patient, mCTSIB watched live, the results, the history and a billed visit, as a therapist on
a 10-inch tablet would use them, with tablet-size screenshots."""

import re

import pytest
from playwright.sync_api import expect

from drills.mctsib import Mctsib
from drills.standing import sway_condition_words
from tests.browser.conftest import VIEWPORTS, submit_form

pytestmark = pytest.mark.browser

MOST_ANIMATIONS_OVER_1_S = """() => new Promise((done) => {
  let most = 0, looks = 0;
  const look = setInterval(() => {
    most = Math.max(most, document.getAnimations().length);
    if (++looks === 20) { clearInterval(look); done(most); }
  }, 50);
})"""
READING_CHANGES_OVER_1_S = """(id) => new Promise((done) => {
  let changes = 0;
  const watch = new MutationObserver((records) => { changes += records.length; });
  const what = { childList: true, characterData: true, subtree: true };
  watch.observe(document.getElementById(id), what);
  setTimeout(() => { watch.disconnect(); done(changes); }, 1000);
})"""


def test_a_therapist_runs_mctsib_and_reads_results_and_history(start_daemon, page, password, shoot):
    _, base = start_daemon("[sim]\nstep_on_at_s = 1.0\nseed = 5\n")

    # first start: the panel asks for the first account, no default password
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/setup"))
    shoot(page, "01-first-run-setup")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "short")
    page.fill("input[name=confirm]", "short")
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("at least 10 characters")
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/")

    # log out, a wrong password is refused, the right one lets the therapist in
    page.get_by_role("button", name=re.compile("Log out", re.I)).click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    shoot(page, "02-login-refused")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/")

    # a new patient, with an inline error first
    page.fill("input[name=name]", "Ada Browser")
    page.fill("input[name=height_cm]", "17")
    page.click("text=Add patient")
    expect(page.get_by_role("alert").first).to_contain_text("between 50 and 250 cm")
    page.fill("input[name=height_cm]", "168")
    page.fill("input[name=weight_kg]", "64")
    page.fill("input[name=birth_date]", "1958-04-02")
    page.click("text=Add patient")
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    expect(page.locator("h1")).to_contain_text("Ada Browser")
    patient_url = page.url
    shoot(page, "03-patient-landscape")
    shoot(page, "03-patient-portrait", "portrait")

    # mCTSIB with 10 s trials: an out-of-range value is explained beside the field
    page.select_option("#drill", "mctsib")
    trial_s = page.locator("fieldset.params[data-drill=mctsib] input[name=trial_s]")
    trial_s.fill("5")
    page.click("#start")
    expect(page.locator("#trial_s-error, [id$=trial_s-error]").first).to_contain_text("10")
    trial_s.fill("10")
    page.click("#start")

    # live: the phase in words, the timer running, the lights and the stop control on screen
    expect(page.locator("#phase")).not_to_have_text("No drill running", timeout=10_000)
    expect(page.locator("#stop")).to_be_visible()
    stop_box = page.locator("#stop").bounding_box()
    assert stop_box["height"] >= 44 and stop_box["width"] >= 44
    expect(page.locator("#phase")).to_contain_text(re.compile("record", re.I), timeout=30_000)
    first = page.locator("#elapsed").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("#elapsed").inner_text() != first, "the live view stopped updating"
    # ...and nothing on it animates: a transition restarted by every message (20 a second)
    # had the tablet laying the page out at its frame rate (bench/live_view.py)
    assert page.evaluate(MOST_ANIMATIONS_OVER_1_S) == 0
    # the time left, a number the therapist reads, changes at most 4 times a second (it changed
    # with every tenth of a second the messages brought: a blur)
    assert page.evaluate(READING_CHANGES_OVER_1_S, "remaining") <= 5
    # the IMU's tilt in words: the side each axis leans to, never a signed number to decode
    tilt = re.compile(r"^(forward|back) \d+\.\d°, (left|right) \d+\.\d°$")
    expect(page.locator("#tilt")).to_have_text(tilt)
    # what to tell the patient is never under the floating stops, even scrolled to the bottom
    # of the screen, on a tablet either way round
    for viewport in ("portrait", "landscape"):
        page.set_viewport_size(VIEWPORTS[viewport])
        page.locator("#instruction").evaluate("e => e.scrollIntoView({block: 'end'})")
        told = page.locator("#instruction").bounding_box()
        for stop in ("#stop", "#stop-pain"):
            assert not _overlap(told, page.locator(stop).bounding_box()), (viewport, stop)
    shoot(page, "04-live-mctsib-landscape")
    shoot(page, "04-live-mctsib-portrait", "portrait")

    # the patient display follows the same drill
    display = page.context.new_page()
    display.goto(base + "/display")
    expect(display.locator("#display-cop")).to_be_visible()
    # ... in the words mCTSIB gives the patient for its phases (its own description)
    patient_words = Mctsib.describe()["words"]["patient"]
    shown = "|".join(re.escape(w) for w in patient_words.values() if "{" not in w)
    expect(display.locator("#words")).to_have_text(re.compile(f"^({shown})"), timeout=10_000)
    shoot(display, "05-patient-display")
    display.close()

    # four conditions of 10 s with their lead-ins: done within three minutes
    # the page lists the result once the drill has ended
    newest = page.locator("#trials tbody tr").first
    expect(newest).to_contain_text("completed", timeout=180_000)
    newest.locator("a").click()
    expect(page).to_have_url(re.compile(r"/trials/\w+"))
    trial_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#results")).to_contain_text("Sway")
    expect(page.locator("#charts canvas").first).to_be_visible(timeout=10_000)
    assert page.locator("#charts canvas").count() >= 2  # stabilogram and statokinesigram
    expect(page.locator("#norms")).to_be_visible()
    shoot(page, "06-trial-results-landscape")
    shoot(page, "06-trial-results-portrait", "portrait")

    # a drill stopped for pain: the stop goes first, then where it hurts, in one tap
    page.goto(patient_url)
    page.select_option("#drill", "quiet-stance")
    page.click("#start")
    expect(page.locator("#stop-pain")).to_be_visible(timeout=10_000)
    pain_box = page.locator("#stop-pain").bounding_box()
    assert pain_box["height"] >= 44 and pain_box["width"] >= 44
    page.click("#stop-pain")
    expect(page.locator("#pain-dialog")).to_be_visible()
    expect(page.locator("#stop-pain")).to_be_hidden()  # the drill has ended
    page.click("[data-pain-site='Left knee']")
    shoot(page, "07-stopped-for-pain")
    page.click("#pain-form button[type=submit]")
    expect(page.locator("#trials tbody tr").first).to_contain_text("stopped for pain: Left knee")

    # history across visits
    page.goto(patient_url)
    page.click("#progress-link")
    expect(page.locator("#trends")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("mCTSIB")
    # the mCTSIB just run is read against its fall-risk cut-off; the tests not done say so
    screens = page.locator("#fall-risk-table")
    expect(screens).to_contain_text("mCTSIB: foam, eyes closed")
    expect(screens.locator("tbody tr").nth(2)).to_contain_text("s held")
    expect(screens).to_contain_text("Not done yet.")
    shoot(page, "08-progress")
    # a goal on an mCTSIB condition's sway speed: from the latest result to a lower one. Only a
    # result that passed the data-quality checks can be a baseline, and with the whole suite on
    # two cores the station may read conversions too late and say so (1% lost in condition 1
    # once, 6 December 2026: the form then rightly asked for a baseline), so the goal is on the
    # first condition the station scored good
    trial = page.request.get(f"{base}/api/v1/trials/{trial_id}").json()
    good = next(c for c in trial["result"]["conditions"] if c["quality"]["ok"])
    page.select_option(
        "#goal-measure",
        label="mCTSIB (sensory interaction on balance): mean sway speed "
        f"({good['condition']}: {sway_condition_words(good['eyes'], good['surface'])})",
    )
    page.fill("#goal-target", "0.2")
    page.fill("#goal-due", "2099-12-31")
    page.click("#goal-form button[type=submit]")
    expect(page.locator("#goal-list")).to_contain_text("to 0.2 cm/s by 2099-12-31")
    expect(page.locator("#goal-list")).to_contain_text("0% of the way")
    shoot(page, "08-progress-goal")

    # an evaluation: the default battery, run from the patient's page, read in one report
    page.goto(patient_url)
    page.click("#new-evaluation")
    evaluation = page.locator("article.program", has_text="Evaluation")
    expect(evaluation.locator(".badge").first).to_have_text("evaluation")
    expect(evaluation).to_contain_text("Start next step: 1. mCTSIB")
    expect(evaluation.locator("ol.steps li")).to_have_count(5)
    evaluation.locator("text=Evaluation report").click()
    expect(page.locator("#evaluation-report")).to_contain_text("0 of 5 tests done")
    expect(page.locator("#evaluation-tests")).to_contain_text("STEADI 4-stage balance test")
    expect(page.locator("#evaluation-sources")).to_contain_text("CDC STEADI")
    shoot(page, "11-evaluation-report")

    # a visit: 23 timed minutes of neuromuscular reeducation bill two units of CPT 97112
    page.goto(patient_url)
    page.click("#visits-link")
    page.click("text=Open visit")
    expect(page).to_have_url(re.compile(r"/visits/\d+$"))
    page.fill("#pain_before", "6")
    page.fill("#pain_after", "4")
    for n, (activity, score) in enumerate(
        (("Climb stairs", "3"), ("Get up from a chair", "5"), ("Walk on grass", "2")), start=1
    ):
        page.fill(f"#psfs_activity_{n}", activity)
        page.fill(f"#psfs_score_{n}", score)
    page.fill("#nmr_minutes", "23")
    # the station's trials of this visit support fewer units: said while typing, and after
    expect(page.locator("#preview-warning")).to_contain_text("more than this visit's record")
    submit_form(page, "Save visit")
    expect(page.locator("#units")).to_contain_text("2 units")
    expect(page.locator("#billing-warning")).to_contain_text("say what in the note")
    expect(page.locator("#pain-change")).to_contain_text("Pain 6/10 to 4/10 during the visit")
    expect(page.locator("#psfs-score")).to_have_text("3.3")
    expect(page.locator("#visit-trials")).to_contain_text("stopped for pain: Left knee")
    shoot(page, "09-visit-billing")
    page.click("#report-link")
    expect(page.locator("body")).to_contain_text("97112")
    expect(page.locator("#report-subjective")).to_contain_text("Quiet stance at")
    expect(page.locator("#report-subjective")).to_contain_text(": Left knee")
    page.emulate_media(media="print")
    shoot(page, "10-visit-report-print")


def test_every_page_runs_under_the_content_security_policy(
    start_daemon, browser, page, first_account_and_patient
):
    """Issue 15, finding 11: the pages the therapist's walk-through above does not open (the
    technician's, accounts, the password form, the patient display) run their scripts under
    the panel's Content-Security-Policy without a violation (the ``page`` fixture fails on any
    console error), and the browser enforces the policy: a script injected inline does not
    run."""
    _, base = start_daemon()
    patient_url = first_account_and_patient(page, base, "tech", "Csp Check", "170")

    pages = ["/technician", "/technician/calibration", "/technician/logs", "/technician/config"]
    pages += ["/technician/audit", "/technician/hub", "/accounts", "/password", "/display"]
    pages += ["/", patient_url]
    for path in pages:
        page.goto(path if path.startswith("http") else base + path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("body")).to_be_visible()

    # apart from ``page``, whose console must stay clean: the refusal is an error there
    context = browser.new_context()
    login = context.new_page()
    login.goto(base + "/login")
    injected = login.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injectedRan = true";
            document.body.append(script);
            return window.injectedRan === true;
        }"""
    )
    context.close()
    assert not injected, "an inline script ran: the policy is not enforced"


def test_a_home_program_is_dosed_and_printed_on_one_large_print_page(
    start_daemon, page, shoot, first_account_and_patient, pdf_pages
):
    """Issue 17, item 4: the therapist picks and doses five exercises on a tablet; the handout
    prints on one page, its text at least 14 pt."""
    _, base = start_daemon()
    first_account_and_patient(page, base, "thea", "Rosa Díaz", "158")
    page.click("#home-program-link")
    expect(page.locator("#hep-none")).to_be_visible()

    chosen = ["tandem-stance", "single-leg-stance", "sit-to-stand", "heel-raises", "marching"]
    for key in chosen:
        card = page.locator(f"#exercise-{key}")
        card.locator("summary").click()
        card.locator("select[name=level]").select_option("2")
        if key == "single-leg-stance":
            card.locator("input[name=amount]").fill("200")  # a typo: refused, named, kept
            card.get_by_role("button", name="Add to the program").click()
            expect(page.locator("#hep-error")).to_contain_text("amount: 200 is outside 5-120")
            card = page.locator(f"#exercise-{key}")
            expect(card.locator("input[name=amount]")).to_have_value("200")
            card.locator("input[name=amount]").fill("15")
        card.get_by_role("button", name="Add to the program").click()
        expect(page.locator(f"#current-{key}")).to_be_visible()
    expect(page.locator("#current-single-leg-stance")).to_contain_text("hold 15 seconds")
    shoot(page, "12-home-program")
    shoot(page, "12-home-program-portrait", "portrait")

    page.click("#handout-link")
    expect(page.locator("#handout .handout-item")).to_have_count(5)
    for key in chosen:  # every drawing loaded
        loaded = page.locator(f"#handout-{key} img").evaluate("img => img.naturalWidth > 0")
        assert loaded, key
    shoot(page, "13-home-handout", "portrait")
    page.emulate_media(media="print")
    smallest_px = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('#handout p, #handout h2')]
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest_px >= 14 * 96 / 72 - 0.01, f"{smallest_px} px is under 14 pt"
    shoot(page, "14-home-handout-printed", "a4")
    for size in ("A4", "Letter"):
        pages = pdf_pages(page, size)
        assert pages == 1, f"the handout takes {pages} pages on {size}"


def _overlap(a: dict, b: dict) -> bool:
    """Whether two of Playwright's bounding boxes (x, y, width, height in CSS px) overlap."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
