"""Deeply nested JSON (issue 15, finding 9): a body of 20,000 brackets made every JSON route
fail with a 500 (RecursionError), although every error should be the client's 4xx. Every
route that takes a JSON body now answers 400 naming the limit, in the panel and on the real
daemon."""

import json
import urllib.error
import urllib.request

import pytest

from webpanel.limits import MAX_JSON_DEPTH

pytestmark = pytest.mark.security

DEEP = "[" * 20_000 + "]" * 20_000  # 40 KB: well within the body limit
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000


def test_every_json_route_refuses_deep_nesting_with_a_400(app, browser, samples):
    tech = browser("tom")
    refused = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or not rule.methods & {"POST", "PUT"}:
            continue
        url = rule.build({k: samples[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods & {"POST", "PUT"}):
            for body in (DEEP, DEEP_OBJECT):
                response = tech.client.open(
                    url,
                    method=method,
                    data=body,
                    content_type="application/json",
                    headers={"X-CSRFToken": tech.token},
                )
                assert response.status_code < 500, (method, url, response.status_code)
                if response.status_code == 400:  # routes that read no body answer as usual
                    error = response.get_json()["error"]
                    assert f"deeper than {MAX_JSON_DEPTH} levels" in error["message"], url
                    refused += 1
    assert refused > 20


def test_nesting_within_the_limit_is_read_as_usual(browser):
    tech = browser("tom")
    nested = {"name": "Nested", "note": None}
    body = json.dumps(nested)[:-1] + ', "extra": ' + "[" * 20 + "]" * 20 + "}"
    response = tech.client.post(
        "/api/v1/patients",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": tech.token},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "extra"  # parsed, then refused as unknown


@pytest.mark.lean_station  # the in-process tests need the IMU: its routes take JSON too
def test_the_daemon_answers_deep_nesting_with_a_400(start_daemon, panel_session):
    _, base = start_daemon()
    tech = panel_session(base)
    tech.load("/setup")
    password = "json nesting password"
    tech.submit("/setup", {"username": "tech", "password": password, "confirm": password})
    tech.load("/")
    patient = tech.call("/api/v1/patients", {"name": "Nesting"})
    for path in ("/api/v1/patients", "/api/v1/trials", f"/api/v1/patients/{patient['id']}"):
        method = "PUT" if path.endswith(str(patient["id"])) else "POST"
        request = urllib.request.Request(
            base + path,
            data=DEEP.encode(),
            method=method,
            headers={"Content-Type": "application/json", "X-CSRFToken": tech.token},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            tech.opener.open(request, timeout=10)
        assert refused.value.code == 400, path
        error = json.loads(refused.value.read())["error"]
        assert error["code"] == "invalid" and "nests deeper than" in error["message"]
