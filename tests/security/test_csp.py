"""Content-Security-Policy (issue 15, finding 11: the panel sent none). Every response carries
one that runs only the station's own script files, and every page satisfies it: no inline
script or handler, no inline style, nothing from elsewhere (tests/browser/test_panel.py runs
the pages in chromium under the policy and fails on any violation it reports)."""

import re
import urllib.request

import pytest

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
ELSEWHERE = re.compile(r"""(?:src|href|action)=["'](?:https?:)?//""", re.I)


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_every_page_has_the_policy_and_satisfies_it(app, browser, samples):
    tech = browser("tom")
    pages = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("api.live", "static"):
            continue
        url = rule.build({k: samples[k] for k in rule.arguments})[1]
        response = tech.client.get(url)
        rules = policy(response)
        assert rules["script-src"] == "'self'" and rules["default-src"] == "'none'", url
        assert "unsafe" not in response.headers["Content-Security-Policy"], url
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page))
        assert not HANDLER.search(page), (url, HANDLER.search(page))
        assert not STYLE_ATTRIBUTE.search(page), (url, STYLE_ATTRIBUTE.search(page))
        assert not ELSEWHERE.search(page), (url, ELSEWHERE.search(page))
        pages += 1
    assert pages >= 12
    for public in ("/login", "/static/panel.css"):
        assert (
            "script-src 'self'"
            in browser("thea").client.get(public).headers["Content-Security-Policy"]
        )


def test_the_daemon_sends_the_policy_before_and_after_login(start_daemon, panel_session):
    _, base = start_daemon()
    with urllib.request.urlopen(base + "/setup") as response:
        assert policy(response)["frame-ancestors"] == "'none'"
    with urllib.request.urlopen(base + "/api/v1/health") as response:
        assert policy(response)["script-src"] == "'self'"
