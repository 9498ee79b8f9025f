"""The real browser for the panel's tests: Debian's chromium through Playwright at the size of a
10-inch tablet, a page that fails its test on any script error, console error or missing
resource, and the steps every walk-through starts with. Tablet-size screenshots are saved as
test artifacts (ARTIFACTS_DIR, default test-artifacts/screenshots in the repository)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
VIEWPORTS = {
    "landscape": {"width": 1280, "height": 800},  # a 10-inch tablet
    "portrait": {"width": 800, "height": 1280},
    "a4": {"width": 794, "height": 1123},  # A4 at 96 dpi
}
PASSWORD = "browser test password"
ARTIFACTS = Path(
    os.environ.get("ARTIFACTS_DIR", Path(__file__).parents[2] / "test-artifacts" / "screenshots")
)


def submit_form(page, button: str) -> None:
    """Press a form's ``button`` (its text) and wait for the page the post leads to, for as
    long as a busy station takes (the 5 s of an ``expect`` once ran out with both cores full);
    fails naming what the server refused, if it refused a field."""
    with page.expect_navigation(timeout=30_000):
        page.click(f"text={button}")
    refused = [text for text in page.locator("small.error").all_inner_texts() if text.strip()]
    assert not refused, f"the form was refused: {refused}"


@pytest.fixture(scope="module")
def browser():
    """Chromium, one per test file (a launch is about 0.9 CPU-s with Playwright's driver);
    every test opens its own contexts on it (``tablet``), so none shares cookies or pages."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the test command (deploy/test.sh) installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tablet(browser):
    """``tablet()``: a new page on a touch tablet in landscape (a new context: its own cookies,
    as a tablet picked up on another day); each fails the test at teardown on a script error,
    a console error (Content-Security-Policy violations included) or a resource that did not
    load, but the 4xx answers the tests ask for (a short password, a wrong one)."""
    contexts, errors, missing, console = [], [], [], []
    refused = re.compile(r"^Failed to load resource: the server responded with a status of 4")

    def resource_failed(response):  # every script, style, font and image is the station's own
        kind = response.request.resource_type
        if response.status >= 400 and kind in ("script", "stylesheet", "image", "font"):
            missing.append(f"{response.status} {response.url}")

    def open_page():
        context = browser.new_context(viewport=VIEWPORTS["landscape"], has_touch=True)
        contexts.append(context)
        context.on(
            "console",
            lambda message: (
                message.type == "error"
                and not refused.match(message.text)
                and console.append(message.text)
            ),
        )
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", resource_failed)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the pages: {errors}"
    assert not missing, f"resources the pages could not load: {missing}"
    assert not console, f"errors in the browser's console: {console}"


@pytest.fixture
def page(tablet):
    """One page on the tablet (``tablet``), checked the same way."""
    return tablet()


@pytest.fixture
def password():
    """The password the walk-throughs give their accounts (long enough for the panel)."""
    return PASSWORD


@pytest.fixture
def shoot():
    """``shoot(page, name, viewport="landscape")``: a full-page screenshot saved as
    ARTIFACTS/name.png at one of VIEWPORTS, the page put back in landscape after."""

    def save(page, name: str, viewport: str = "landscape") -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size(VIEWPORTS[viewport])
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        page.set_viewport_size(VIEWPORTS["landscape"])

    return save


@pytest.fixture
def first_account_and_patient():
    """``first_account_and_patient(page, base, username, name, height_cm, birth_date="")``: on
    a new station, the first account through the setup page, then a patient added from the
    patient list; returns the patient page's URL (the page is left there)."""

    def create(page, base: str, username: str, name: str, height_cm: str, birth_date=""):
        page.goto(base + "/setup")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(base + "/")
        page.fill("input[name=name]", name)
        page.fill("input[name=height_cm]", height_cm)
        if birth_date:
            page.fill("input[name=birth_date]", birth_date)
        page.click("text=Add patient")
        expect(page).to_have_url(re.compile(r"/patients/\d+$"))
        return page.url

    return create


@pytest.fixture
def pdf_pages():
    """``pdf_pages(page, size="Letter")``: the page printed to PDF (print styles, backgrounds)
    on paper of ``size``; how many sheets it takes (the page is left in screen media)."""

    def count(page, size: str = "Letter") -> int:
        page.emulate_media(media="print")
        pdf = page.pdf(format=size, print_background=True)
        page.emulate_media(media="screen")
        return len(re.findall(rb"/Type\s*/Page[^s]", pdf))

    return count
