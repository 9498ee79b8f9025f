"""WCAG 2.2 AA, checked with axe-core in the real browser on every page of the panel and on
the patient display: a station with an episode of care in it (a patient, a completed trial, a
visit, an evaluation, goals, a home program) is served to Debian's chromium, and axe-core
(npm, tests/browser/axe, installed by deploy/test.sh) runs on each page a therapist or a
technician opens. Every page is listed from the app's own URL map, so a new page cannot be
left out."""

import logging
import math
import re
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")
NOT_PAGES = {"results.visit_note_text", "results.patient_metrics_csv", "technician.audit_export"}
"""GET routes that are files (plain text, CSV), not pages."""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The panel of a station with one patient's episode in it, served on localhost; (base
    URL, {endpoint: path}, the password), and the setup page of a new station."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from webpanel.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not every request in the log
    config = parse_config({"sim": {"step_on_at_s": 0.5, "seed": 3}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    app = create_app(
        station,
        {"PASSWORD_HASHER": PasswordHasher.from_parameters(CHEAPEST), "WTF_CSRF_ENABLED": False},
    )
    password = "accessible password"
    accounts = app.extensions["accounts"]
    accounts.create("tom", password, "technician")
    accounts.create("thea", password, "therapist", by="tom")
    patient = station.records.create_patient(
        {"name": "Rosa Díaz", "birth_date": "1950-03-02", "height_cm": 160, "weight_kg": 64}
    )
    pid = patient["id"]
    trial_id = station.start_drill(pid, "quiet-stance", {"duration_s": 10})["trial_id"]
    station.run_virtual(max_s=60)
    station.storage.flush()
    client = app.test_client()
    client.post("/login", data={"username": "thea", "password": password})
    today = date.today().isoformat()
    visit = client.post(f"/patients/{pid}/visits", data={"visit_date": today, "therapist": "thea"})
    visit_id = int(visit.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/patients/{pid}/evaluations")
    [evaluation] = station.records.list_programs(pid)
    client.post(f"/patients/{pid}/home-program", data={"exercise": "tandem-stance", "level": "2"})
    paths = {
        "pages.patients": "/",
        "pages.patient": f"/patients/{pid}",
        "pages.display": "/display",
        "pages.trial": f"/trials/{trial_id}",
        "auth.login": "/login",
        "auth.password": "/password",
        "auth.accounts_page": "/accounts",
        "results.progress": f"/patients/{pid}/progress",
        "results.patient_visits": f"/patients/{pid}/visits",
        "results.visit": f"/visits/{visit_id}",
        "results.visit_report": f"/visits/{visit_id}/report",
        "results.evaluation": f"/evaluations/{evaluation['id']}",
        "results.discharge": f"/patients/{pid}/discharge",
        "homeprogram.home_program": f"/patients/{pid}/home-program",
        "homeprogram.handout": f"/patients/{pid}/home-program/handout",
        "technician.diagnostics": "/technician",
        "technician.calibration": "/technician/calibration",
        "technician.logs": "/technician/logs",
        "technician.config": "/technician/config",
        "technician.audit_log": "/technician/audit",
    }
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/static/"))
    }
    new_station = Station(config, clock=VirtualClock(), db_path=":memory:")
    new_app = create_app(new_station, {"WTF_CSRF_ENABLED": False})
    servers = [make_server("127.0.0.1", 0, a, threaded=True) for a in (app, new_app)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    base, new_base = (f"http://127.0.0.1:{s.server_port}" for s in servers)
    yield base, paths, pages, password, new_base
    for server in servers:
        server.shutdown()
    station.close()
    new_station.close()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on ``page`` as it is now (rule, impact, nodes)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))""",
        WCAG_22_AA,
    )


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, a.button, nav a, .who a')]
  .filter(e => e.offsetParent !== null && e.type !== 'checkbox' && e.type !== 'radio')
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44)
  .map(([e, r]) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`
    + `${e.className ? '.' + String(e.className).split(' ')[0] : ''} ${Math.round(r.width)}x`
    + `${Math.round(r.height)} "${(e.textContent || e.name || '').trim().slice(0, 20)}"`)"""
"""Controls a finger must hit smaller than 44 x 44 CSS px (links inside sentences are text, as
WCAG 2.5.8 allows; check boxes and radio buttons are hit through their labels)."""


def log_in(page, base, username, password):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_every_page_has_no_serious_or_critical_wcag_violation(clinic, tablet, capsys):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: the test command (deploy/test.sh) installs axe-core")
    base, paths, pages, password, new_base = clinic
    assert pages - NOT_PAGES - {"auth.setup"} == set(paths), "a page is missing from the check"
    table, blocking = [], {}
    setup = tablet()
    setup.goto(new_base + "/setup")
    found = {"auth.setup": axe_violations(setup)}
    small = {"auth.setup": setup.evaluate(SMALL_TARGETS)}
    anonymous = tablet()
    anonymous.goto(base + "/login")
    found["auth.login"] = axe_violations(anonymous)
    for username, endpoints in (
        ("thea", [e for e in paths if not e.startswith(("technician.", "auth."))]),
        ("tom", [e for e in paths if e.startswith("technician.")] + ["auth.accounts_page"]),
        ("thea", ["auth.password"]),
    ):
        page = tablet()
        log_in(page, base, username, password)
        for endpoint in endpoints:
            page.goto(base + paths[endpoint])
            found[endpoint] = axe_violations(page)
            small[endpoint] = page.evaluate(SMALL_TARGETS)
    for endpoint, violations in sorted(found.items()):
        counts = {
            impact: sum(v["impact"] == impact for v in violations)
            for impact in ("critical", "serious", "moderate", "minor")
        }
        table.append(
            f"{paths.get(endpoint, '/setup')[:34]:<34} "
            + " ".join(f"{n:>2}" for n in counts.values())
            + f"   small targets {len(small.get(endpoint, []))} {small.get(endpoint, [])[:3]}"
        )
        bad = [v for v in violations if v["impact"] in BLOCKING]
        if bad:
            blocking[endpoint] = bad
    with capsys.disabled():
        print("\naxe-core 4.14.1, WCAG 2.2 AA: critical serious moderate minor per page")
        print("\n".join(table))
    assert blocking == {}
    assert {e: s for e, s in small.items() if s} == {}


def test_the_target_check_finds_a_small_button(page):
    page.set_content(
        '<button id="tiny" style="width:30px;height:20px">x</button>'
        '<button style="width:60px;height:48px">ok</button><p>text with <a href="#">a link</a></p>'
    )
    assert page.evaluate(SMALL_TARGETS) == ['button#tiny 30x20 "x"']


FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {id: e.id, name: e.name || '', tag: e.tagName.toLowerCase(),
          text: (e.textContent || '').trim().slice(0, 30),
          visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
                   || s.boxShadow !== 'none'};
}"""


def tab_to(page, wanted, most: int = 120) -> dict:
    """Press Tab until the focused control satisfies ``wanted``; every control passed on the
    way shows where the focus is (an outline of 2 px or more, or a focus ring)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"focus not visible on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"{most} presses of Tab did not reach the control")


def test_login_patient_start_and_stop_with_the_keyboard_alone(start_daemon, page, password):
    _, base = start_daemon("[sim]\nstep_on_at_s = 1.0\nseed = 5\n")
    page.goto(base + "/setup")  # the first account, typed
    tab_to(page, lambda f: f["name"] == "username")
    page.keyboard.type("kim")
    tab_to(page, lambda f: f["name"] == "password")
    page.keyboard.type(password)
    tab_to(page, lambda f: f["name"] == "confirm")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    tab_to(page, lambda f: f["text"] == "Log out")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/login")
    # log in: the username field has the focus when the page opens
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    tab_to(page, lambda f: f["name"] == "name")
    page.keyboard.type("Keyboard Patient")
    tab_to(page, lambda f: f["text"] == "Add patient")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/patients/\d+$"))
    # the drill: quiet stance chosen in the select with the arrow keys, then Start
    tab_to(page, lambda f: f["id"] == "drill")
    while page.evaluate("document.activeElement.value") != "quiet-stance":
        page.keyboard.press("ArrowDown")
    tab_to(page, lambda f: f["id"] == "start")
    page.keyboard.press("Enter")
    expect(page.locator("#phase")).not_to_have_text("No drill running", timeout=15000)
    tab_to(page, lambda f: f["id"] == "stop", most=200)
    page.keyboard.press("Space")
    expect(page.locator("#trials tbody tr").first).to_contain_text("aborted", timeout=15000)


# Machado, Oliveira & Fernandes 2009 (IEEE TVCG 15:1291), severity 1.0, on linear RGB
COLOUR_BLINDNESS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip
MONITOR_MM_PER_PX = 0.2767  # a 24-inch 1920 x 1080 monitor
LETTER_20_70_AT_3M_MM = 3000 * math.tan(math.radians(5 / 60)) * 70 / 20  # 15.3 mm


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x = xyz @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(x > 216 / 24389, np.cbrt(x), (24389 / 27 * x + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def colour_difference(a: str, b: str, vision: str | None = None) -> float:
    """CIE76 colour difference of two colours as a person with ``vision`` sees them."""
    la, lb = _linear(a), _linear(b)
    if vision is not None:
        m = np.array(COLOUR_BLINDNESS[vision])
        la, lb = np.clip(m @ la, 0, 1), np.clip(m @ lb, 0, 1)
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def contrast_ratio(rgb_a, rgb_b) -> float:
    """WCAG contrast ratio of two sRGB colours given as 0-255 triples."""
    weights = np.array([0.2126, 0.7152, 0.0722])
    lum = [float(weights @ _linear("#" + bytes(c).hex())) for c in (rgb_a, rgb_b)]
    return (max(lum) + 0.05) / (min(lum) + 0.05)


def test_the_patient_display_reads_at_3_m_in_colours_every_patient_tells_apart(clinic, tablet):
    base, _, _, password, _ = clinic
    page = tablet()
    log_in(page, base, "thea", password)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(base + "/display")
    sizes = page.evaluate(
        """() => ['words', 'time-left'].map(id => {
             const s = getComputedStyle(document.getElementById(id));
             const page = getComputedStyle(document.body).backgroundColor;
             return [parseFloat(s.fontSize), s.color, page];
           })"""
    )
    for font_px, colour, background in sizes:
        capital_mm = 0.7 * font_px * MONITOR_MM_PER_PX
        assert capital_mm >= 1.5 * LETTER_20_70_AT_3M_MM, (font_px, capital_mm)
        rgb = [[int(v) for v in re.findall(r"\d+", c)[:3]] for c in (colour, background)]
        assert contrast_ratio(*rgb) >= 7.0  # WCAG AAA for the words the patient reads
    script = (Path(__file__).parents[2] / "webpanel" / "static" / "display.js").read_text()
    style = dict(re.findall(r'(\w+): "(#[0-9a-fA-F]{6})"', script))
    for target in (style["target"], style["targetOn"]):
        for vision in (None, *COLOUR_BLINDNESS):
            assert colour_difference(style["dot"], target, vision) >= 40, (target, vision)
    # the green target the display had before is what a protanope confuses with the dot
    assert colour_difference("#ffd400", "#00e676", "protanopia") < 40
