"""Issue 17, item 8, in the real browser at tablet size: the screens the new standard tests add
to the live view and the results. BESS counts what the platform sees and takes the errors only
the therapist sees from a button on the live view; gait initiation runs to its results, per
leg, with what each measure means."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.lean_station]


def errors_shown(page) -> int:
    """The live view's BESS error count for the condition being taken."""
    return int(re.search(r"(\d+) errors?\b", page.locator("#detail").inner_text()).group(1))


def test_bess_takes_the_therapists_errors_and_gait_initiation_shows_its_results(
    start_daemon, page, shoot, first_account_and_patient
):
    _, base = start_daemon("[sim]\nstep_on_at_s = 1.0\nseed = 3\n")
    patient_url = first_account_and_patient(page, base, "thea", "Sam Standard", "175")

    # BESS: during a condition the therapist adds an error the platform cannot see
    page.select_option("#drill", "bess")
    page.click("#start")
    expect(page.locator("#phase")).to_have_class(re.compile("phase-recording"), timeout=60_000)
    add = page.locator("#fail-attempt")
    expect(add).to_be_visible()
    expect(add).to_contain_text("Add an error (eyes opened, hands off hips")
    box = add.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a touch target
    expect(page.locator("#detail")).to_contain_text(re.compile(r"\d+ errors?\b"))
    before = errors_shown(page)
    add.click()
    expect(page.locator("#detail")).not_to_contain_text(re.compile(rf"\b{before} errors?\b"))
    assert errors_shown(page) >= before + 1
    shoot(page, "31-bess-live-error-added")
    page.click("#stop")
    expect(page.locator("#trials tbody tr").first).to_contain_text("stopped", timeout=15_000)
    expect(page.locator("#trials tbody tr").first).to_contain_text("BESS")

    # gait initiation, one step per leg: the anticipatory shift and the weight transfer
    page.goto(patient_url)
    page.select_option("#drill", "gait-initiation")
    page.locator("fieldset.params[data-drill=gait-initiation] input[name=trials]").fill("1")
    page.click("#start")
    expect(page.locator("#detail")).to_contain_text("foot steps first", timeout=30_000)
    newest = page.locator("#trials tbody tr").first
    expect(newest).to_contain_text("Gait initiation", timeout=120_000)
    expect(newest).to_contain_text("completed")
    newest.locator("a").click()
    results = page.locator("#results")
    expect(results).to_contain_text("APA toward the swing leg")
    expect(results).to_contain_text("APA onset after the cue")
    rows = page.locator("#parts tbody tr")  # each leg, then both together
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Left foot steps first")
    expect(rows.nth(1)).to_contain_text("Right foot steps first")
    expect(rows.nth(2)).to_contain_text("Both legs")
    shoot(page, "32-gait-initiation-results")
    shoot(page, "32-gait-initiation-results-portrait", "portrait")
