"""Issue 18's walk-through in the real browser, on the real daemon of a US clinic: a therapist
switches the panel to Spanish, adds a Spanish-speaking patient in feet, inches and pounds,
runs her quiet stance from the tablet and reads the result in Spanish, while the station
speaks the instructions in Spanish (each phrase rendered by espeak-ng, measured with sox); a
second therapist's panel stays in English, in the same units."""

import re
import signal
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.lean_station]


def test_a_spanish_patients_trial_in_a_us_clinic(start_daemon, tablet, tmp_path, shoot):
    proc, base = start_daemon(panel_toml='units = "us"')
    page = tablet()
    page.goto(base + "/setup")
    page.fill("input[name=username]", "tom")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/")

    # the panel in Spanish for this account
    page.goto(base + "/password")
    page.select_option("#language", "es")
    page.click("form[action$='/account/language'] button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # a Spanish-speaking patient, entered in feet, inches and pounds
    page.goto(base + "/")
    page.fill("input[name=name]", "Rosa Díaz")
    page.fill("input[name=height_ft]", "5")
    page.fill("input[name=height_in]", "4")
    page.fill("input[name=weight_lb]", "150")
    page.select_option("select[name=language]", "es")
    page.click("text=Agregar paciente")
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    patient_url = page.url
    head = page.locator(".patient-head")
    expect(head).to_contain_text("5 ft 4 in")
    expect(head).to_contain_text("150 lb")
    expect(page.locator("h2", has_text="Iniciar un ejercicio")).to_be_visible()

    # her quiet stance, from the tablet, read in Spanish
    page.select_option("#drill", "quiet-stance")
    page.fill("#quiet-stance-duration_s", "5")
    page.click("#start")
    newest = page.locator("#trials tbody tr").first
    expect(newest).to_contain_text("completado", timeout=60_000)
    shoot(page, "18-spanish-patient-us-units")
    newest.locator("a").click()
    expect(page.locator("#results")).to_contain_text("Velocidad media de oscilación")
    expect(page.locator("#results")).to_contain_text("Ojos abiertos, superficie firme")

    # another therapist keeps English, in the same units
    other = tablet()
    page.goto(base + "/accounts")
    new_account = page.locator("form[action$='/accounts']")
    new_account.locator("input[name=username]").fill("thea")
    new_account.locator("input[name=password]").fill(PASSWORD)
    new_account.locator("select[name=role]").select_option("therapist")
    new_account.locator("button[type=submit]").click()
    expect(page.locator("#accounts, table").first).to_contain_text("thea")
    other.goto(base + "/login")
    other.fill("input[name=username]", "thea")
    other.fill("input[name=password]", PASSWORD)
    other.click("button[type=submit]")
    other.goto(patient_url)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.locator("h2", has_text="Start a drill")).to_be_visible()
    expect(other.locator(".patient-head")).to_contain_text("5 ft 4 in")

    # what the station said, in Spanish, each phrase real audio of its length (the tablets
    # closed first: their pages would see the stopped station refuse them)
    page.close()
    other.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    said = re.findall(r"said '([^']+)' \(es, ([\d.]+) s, (\w+\.wav)\)", proc.stderr.read())
    assert [text for text, _, _ in said][-4:] == ["Dos", "Uno", "Comience.", "Muy bien."]
    assert "Mantenga los ojos abiertos, mirando un punto al frente." in [t for t, _, _ in said]
    speech = tmp_path / "data" / "speech"  # beside the database (tests/conftest.py daemon_config)
    for text, seconds, name in said:
        stat = subprocess.run(
            ["sox", str(speech / name), "-n", "stat"], capture_output=True, text=True, check=True
        )
        rms = float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat.stderr)[1])
        length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", stat.stderr)[1])
        assert rms > 0.03 and length == pytest.approx(float(seconds), abs=0.01), text
