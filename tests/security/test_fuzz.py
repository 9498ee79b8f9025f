"""API fuzzing from the OpenAPI description: schemathesis builds, for every operation of
/api/v1/openapi.json, Hypothesis strategies of requests that fit the document (positive) and
that break it (negative: wrong types, missing fields, out-of-range values), and they are sent to
the panel in-process (WSGI) as a logged-in technician with the session's CSRF token, so they
reach the views. No request may make the API fail (5xx) or answer outside its error format:
every error is ``{"error": {"code", "message"}}``.

The live stream (an endless response) is left out. Bounded: EXAMPLES per operation and mode,
so the module runs in well under a minute. (schemathesis' own pytest loader does not work with
this pytest yet, so the strategies are driven by Hypothesis' ``given`` directly.)
"""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

pytestmark = pytest.mark.security

EXAMPLES = 25
ENDLESS = {"/live"}  # paths are relative to the document's server, /api/v1


@pytest.fixture
def operations(browser):
    """Every operation of the panel's own OpenAPI document but the endless ones."""
    document = browser("tom").client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.path not in ENDLESS]


@pytest.fixture
def send_as_technician(app, browser):
    """``send(case)``: a generated request sent by a technician's browser; its response."""
    tech = browser("tom")
    # the browser's client, User-Agent (Flask-Login drops a session used from another address
    # or browser) and session cookie (the document names it, so schemathesis would send one it
    # made up, and take the cookie off the client afterwards)
    headers = {"X-CSRFToken": tech.token, "User-Agent": tech.user_agent}
    cookies = {"session": tech.session_cookie}

    def send(case):
        return case.call(app=app, session=tech.client, headers=headers, cookies=cookies)

    return send


def fuzz(operation, mode, send, statuses: Counter) -> None:
    """Send EXAMPLES generated requests of ``operation`` in ``mode``: none may fail with a
    server error, every error is in the API's format. Counts the statuses."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        response = send(case)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)

    check()


def test_the_document_describes_the_api(operations):
    paths = {op.path for op in operations}
    assert {"/patients", "/trials", "/trials/{trial_id}/export.csv"} <= paths
    assert len(operations) > 30


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_no_generated_request_makes_the_api_fail(operations, send_as_technician, mode, subtests):
    statuses = Counter()
    for operation in operations:
        with subtests.test(operation=operation.label):
            try:
                fuzz(operation, mode, send_as_technician, statuses)
            except Unsatisfiable:  # every request the document allows is valid: none to break
                assert mode is schemathesis.GenerationMode.NEGATIVE
                pytest.skip("no request breaks this operation's description")
    # the requests reached the views as the technician: never the login gate or a refusal
    assert statuses[401] == 0 and statuses[403] == 0, statuses
    assert sum(n for status, n in statuses.items() if status < 300) > 0, statuses
