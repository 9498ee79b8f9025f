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
        {
            "PASSWORD_HASHER": PasswordHasher.from_parameters(CHEAPEST),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_ATTEMPTS_PER_ADDRESS": 100,  # the logins of every test here, a minute
        },
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
        "technician.hub": "/technician/hub",
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
    """axe-core's WCAG 2.2 AA violations on ``page`` as it is now (rule, impact, nodes, and
    axe's words for why the first node fails, so that a rare failure explains itself)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                why: v.nodes[0].failureSummary})))""",
        WCAG_22_AA,
    )


SMALL_TARGETS = """() => {
  const inSentence = a => a.tagName === 'A' && !a.matches('nav a, .who a, a.button')
    && (a.parentElement.textContent.trim().length > a.textContent.trim().length);
  return [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .map(e => e.type === 'checkbox' || e.type === 'radio' ? e.closest('label') || e : e)
  .filter(e => e.offsetParent !== null && !inSentence(e))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44)
  .map(([e, r]) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`
    + `${e.className ? '.' + String(e.className).split(' ')[0] : ''} ${Math.round(r.width)}x`
    + `${Math.round(r.height)} "${(e.textContent || e.name || '').trim().slice(0, 20)}"`);
}"""
"""Controls a finger must hit smaller than 44 x 44 CSS px: every link, button, field and
summary, a check box or radio button by its label (the label is what a finger hits). Exempt:
a link inside a sentence or beside other words in its cell or item, which WCAG 2.5.8 allows as
inline text (its line height is the text's)."""


def log_in(page, base, username, password):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


OPEN_EVERYTHING = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const editor = document.getElementById('new-program');  // the program editor, opened empty
  if (editor && !editor.disabled) editor.click();
}"""
"""The parts of a page a tap opens: every <details>, the patient page's program editor."""


def _wrong_password(page):
    page.fill("input[name=username]", "thea")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()


def _patient_too_short(page):
    page.fill("input[name=name]", "Too Short")
    page.fill("input[name=height_cm]", "17")
    page.click("text=Add patient")
    expect(page.get_by_role("alert").first).to_contain_text("between")


SENT_WRONG = {"auth.login": _wrong_password, "pages.patients": _patient_too_short}
"""Pages checked again with their form sent wrong, its error messages shown."""


PRINTED = {"results.visit_report", "results.evaluation", "results.discharge"}
PRINTED |= {"homeprogram.handout", "results.progress", "pages.trial"}
"""Pages a therapist prints (print.css, handout.css): checked in print media too."""


def axe_states(page, endpoint) -> tuple[list[dict], list[str]]:
    """axe-core's violations and the small targets on the page as it opens, with everything a
    tap unfolds opened, with each of its dialogs open, and with its form sent wrong. The page
    has opened once the header's health badge is filled (its first refresh moves the header)."""
    if page.locator("#health").count():
        expect(page.locator("#health")).not_to_have_text("…")
    violations, small = axe_violations(page), page.evaluate(SMALL_TARGETS)
    page.evaluate(OPEN_EVERYTHING)
    violations += axe_violations(page)
    small += page.evaluate(SMALL_TARGETS)
    for dialog in page.locator("dialog").all():
        dialog.evaluate("d => d.showModal()")
        violations += axe_violations(page)
        small += page.evaluate(SMALL_TARGETS)
        dialog.evaluate("d => d.close()")
    if endpoint in PRINTED:  # on paper: the print styles' colours and what they hide
        page.emulate_media(media="print")
        violations += axe_violations(page)
        page.emulate_media(media="screen")
    if endpoint in SENT_WRONG:
        SENT_WRONG[endpoint](page)
        violations += axe_violations(page)
        small += page.evaluate(SMALL_TARGETS)
    unique = {v["id"]: v for v in violations}  # a rule broken in several states counts once
    return list(unique.values()), sorted(set(small))


def test_every_page_has_no_serious_or_critical_wcag_violation(clinic, tablet, capsys):
    """Every page, as a therapist and (the pages a technician's frame differs on, the
    technician's own) as a technician, as it opens and with what a tap unfolds: no serious or
    critical axe-core violation, no control under 44 x 44 px. The table is quoted in the notes
    (docs/architecture.md, Accessibility)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: the test command (deploy/test.sh) installs axe-core")
    base, paths, pages, password, new_base = clinic
    assert pages - NOT_PAGES - {"auth.setup"} == set(paths), "a page is missing from the check"
    paths = {**paths, "auth.setup": "/setup"}
    found, small = {}, {}
    setup = tablet()
    setup.goto(new_base + "/setup")
    found["auth.setup", "-"], small["auth.setup", "-"] = axe_states(setup, "auth.setup")
    anonymous = tablet()
    anonymous.goto(base + "/login")
    found["auth.login", "-"], small["auth.login", "-"] = axe_states(anonymous, "auth.login")
    technician = [e for e in paths if e.startswith("technician.")]
    technician += ["auth.accounts_page", "pages.patients", "pages.patient", "pages.display"]
    for username, role, endpoints in (
        ("thea", "therapist", [e for e in paths if not e.startswith(("technician.", "auth."))]),
        ("thea", "therapist", ["auth.password"]),
        ("tom", "technician", technician),
    ):
        page = tablet()
        log_in(page, base, username, password)
        for endpoint in endpoints:
            page.goto(base + paths[endpoint])
            found[endpoint, role], small[endpoint, role] = axe_states(page, endpoint)
    table, blocking = [], {}
    for (endpoint, role), violations in sorted(found.items(), key=lambda kv: paths[kv[0][0]]):
        counts = [
            sum(v["impact"] == impact for v in violations)
            for impact in ("critical", "serious", "moderate", "minor")
        ]
        table.append(
            f"| {paths[endpoint][:34]:<34} | {role:<10} | "
            + " | ".join(f"{n:>2}" for n in counts)
            + f" | {len(small[endpoint, role]):>2} |"
        )
        bad = [v for v in violations if v["impact"] in BLOCKING]
        if bad:
            blocking[endpoint, role] = bad
    with capsys.disabled():
        print("\naxe-core 4.14.1, WCAG 2.2 AA rules; violations by impact; controls under 44 px")
        print(f"| {'page':<34} | {'as':<10} | cr | se | mo | mi | <44 |")
        print("\n".join(table))
        print(
            "violations:",
            {f"{e} ({r})": [v["id"] for v in vs] for (e, r), vs in found.items() if vs},
        )
        print("small:", {f"{e} ({r})": s for (e, r), s in small.items() if s})
    assert blocking == {}
    assert {k: s for k, s in small.items() if s} == {}


def test_axe_core_finds_what_it_is_asked_to(page):
    """The check above is not vacuous: axe-core, injected the same way, names an image with no
    text, a field with no label and grey on grey."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<img src="data:,"><input id="f">'
        '<p style="color:#aaa;background:#bbb">faint</p></main></body></html>'
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found == {"image-alt": "critical", "label": "critical", "color-contrast": "serious"}


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
    # while it runs: the live view and the patient display pass axe-core, and the display's
    # words are as large and as dark-on-light as the check at rest says
    assert [v for v in axe_violations(page) if v["impact"] in BLOCKING] == []
    assert page.evaluate(SMALL_TARGETS) == []
    display = page.context.new_page()
    display.goto(base + "/display")
    expect(display.locator("#words")).not_to_have_text(re.compile(r"^$|Waiting|Please wait"))
    assert [v for v in axe_violations(display) if v["impact"] in BLOCKING] == []
    assert_reads_at_3_m(display)
    display.close()
    page.bring_to_front()
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


DISPLAY_TEXT = """() => ['words', 'time-left', 'big-count']
  .map(id => document.getElementById(id)).filter(e => !e.hidden)
  .map(e => { const s = getComputedStyle(e);
              return [e.id, parseFloat(s.fontSize), s.color,
                      getComputedStyle(document.body).backgroundColor]; })"""


def _rgb(css: str, over=(0, 0, 0)) -> list[int]:
    """A computed CSS colour (rgb or rgba) as an opaque 0-255 triple, blended over ``over``."""
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    alpha = values[3] if len(values) > 3 else 1.0
    return [round(alpha * c + (1 - alpha) * o) for c, o in zip(values[:3], over, strict=True)]


def assert_reads_at_3_m(page) -> None:
    """The patient display's words, time left and countdown (those shown) at the page's size:
    48 CSS px or more, and, on a 24-inch monitor at 1920 x 1080, capitals 50% above what a
    patient seeing 20/70 reads at 3 m, at 7:1 or more against the black page (WCAG AAA)."""
    for name, font_px, colour, background in page.evaluate(DISPLAY_TEXT):
        assert font_px >= 48, (name, font_px)
        if page.viewport_size["width"] >= 1920:
            capital_mm = 0.7 * font_px * MONITOR_MM_PER_PX
            assert capital_mm >= 1.5 * LETTER_20_70_AT_3M_MM, (name, font_px, capital_mm)
        page_rgb = _rgb(background)
        assert contrast_ratio(_rgb(colour, page_rgb), page_rgb) >= 7.0, (name, colour)


def test_the_patient_display_reads_at_3_m_in_colours_every_patient_tells_apart(clinic, tablet):
    base, _, _, password, _ = clinic
    page = tablet()
    log_in(page, base, "thea", password)
    page.goto(base + "/display")
    assert_reads_at_3_m(page)  # on the tablet
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.evaluate("document.getElementById('big-count').hidden = false")
    assert_reads_at_3_m(page)  # on the monitor facing the patient, the countdown shown too
    script = (Path(__file__).parents[2] / "webpanel" / "static" / "display.js").read_text()
    style = dict(re.findall(r'(\w+): "(#[0-9a-fA-F]{6})"', script))
    for target in (style["target"], style["targetOn"]):
        for vision in (None, *COLOUR_BLINDNESS):
            assert colour_difference(style["dot"], target, vision) >= 40, (target, vision)
    # the green target the display had before is what a protanope confuses with the dot
    assert colour_difference("#ffd400", "#00e676", "protanopia") < 40


STATIC = Path(__file__).parents[2] / "webpanel" / "static"
RED_GREEN = (None, "protanopia", "deuteranopia")
WHITE = (255, 255, 255)


def test_status_lights_and_chart_lines_are_told_apart_without_red_green_vision():
    """The panel's colours that carry meaning, as protanopes and deuteranopes see them: the
    progress charts' lines (Okabe-Ito, 3:1 on white, the four of an mCTSIB chart apart, each
    line with its own dash too), the trial charts' pairs, the status light's colours (named
    beside the light as well). CIE76 20 is a difference seen at a glance on a thin line."""
    progress = (STATIC / "progress.js").read_text(encoding="utf-8")
    palette = re.findall(r"#[0-9a-f]{6}", re.search(r"PALETTE = \[(.*?)\]", progress)[1])
    assert len(palette) >= 4 and "dash: DASHES[" in progress
    for colour in palette:
        assert contrast_ratio(_rgb(_css_rgb(colour)), WHITE) >= 3.0, colour  # WCAG 1.4.11
    for i, a in enumerate(palette[:4]):  # an mCTSIB chart: one line per condition
        for b in palette[i + 1 : 4]:
            for vision in RED_GREEN:
                assert colour_difference(a, b, vision) >= 20, (a, b, vision)
    trial = dict(re.findall(r'(\w+): "(#[0-9a-f]{6})"', (STATIC / "trial.js").read_text()))
    for a, b in (("ml", "ap"), ("path", "ellipse")):  # the lines drawn together
        for vision in RED_GREEN:
            assert colour_difference(trial[a], trial[b], vision) >= 20, (a, b, vision)
    css = (STATIC / "panel.css").read_text(encoding="utf-8")
    lights = dict(re.findall(r"\.led\.status\.(\w+) \{ background: (#[0-9a-f]{6})", css))
    assert set(lights) == {"blue", "amber", "green", "red"}
    for a, b in (("amber", "green"), ("green", "red"), ("amber", "red")):
        for vision in RED_GREEN:
            assert colour_difference(lights[a], lights[b], vision) >= 25, (a, b, vision)
    # the status light's green and amber before: one colour to a protanope
    assert colour_difference("#ffae1a", "#2ecc40", "protanopia") < 10


def _css_rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)))
