"""CSRF on every state-changing route: walked from ``app.url_map``, so a new route is checked
without being listed. Without the session's token each POST/PUT/PATCH/DELETE is refused with
400 ``csrf_failed`` before its view runs; with it, the request reaches the view."""

import pytest

pytestmark = pytest.mark.security

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_requests(app, samples) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every state-changing rule, path parameters filled."""
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.build({k: samples[k] for k in rule.arguments})[1]
        out += [(rule.endpoint, m, url) for m in sorted(rule.methods & STATE_CHANGING)]
    return out


def send(client, method: str, url: str, token: str | None = None):
    """An empty body as the panel sends it: JSON with the header under /api, else a form."""
    if url.startswith("/api/"):
        headers = {} if token is None else {"X-CSRFToken": token}
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={} if token is None else {"csrf_token": token})


def csrf_refused(response) -> bool:
    if response.status_code != 400:
        return False
    if response.is_json:
        return response.get_json()["error"]["code"] == "csrf_failed"
    return "This form has expired" in response.get_data(as_text=True)


def test_the_walk_covers_the_panels_state_changing_routes(app, samples):
    endpoints = {endpoint for endpoint, _, _ in state_changing_requests(app, samples)}
    assert {
        "auth.login",
        "auth.logout",
        "auth.set_active",
        "pages.create_patient",
        "api.create_patient",
        "api.update_patient",
        "api.start_trial",
        "api.stop",
        "api.sim_fault",
    } <= endpoints
    assert "api.export_trial" not in endpoints  # a GET: exports change nothing


def test_every_state_changing_route_needs_the_sessions_token(app, samples, browser, subtests):
    for endpoint, method, url in state_changing_requests(app, samples):
        with subtests.test(endpoint=endpoint, method=method):
            tech = browser("tom")  # a fresh session: logging out must not end the next check
            refused = send(tech.client, method, url)
            assert csrf_refused(refused), (refused.status_code, refused.get_data(as_text=True))
            accepted = send(tech.client, method, url, tech.token)
            assert not csrf_refused(accepted)
            assert accepted.status_code < 500


def test_a_token_from_another_session_is_refused(browser):
    tom, thea = browser("tom"), browser("thea")
    forged = tom.client.post(
        "/api/v1/patients", json={"name": "X"}, headers={"X-CSRFToken": thea.token}
    )
    assert csrf_refused(forged)
    made = tom.client.post(
        "/api/v1/patients", json={"name": "X"}, headers={"X-CSRFToken": tom.token}
    )
    assert made.status_code == 201
