"""Every route of the panel, as anonymous, therapist and technician: nothing but the public
endpoints answers without a login, and technician routes refuse therapists.

The rules are read from ``app.url_map``, so a new route is checked without being listed here.
It fails when a route has a path parameter this file cannot fill (add it to ``samples``) or
when the technician-only routes change (update TECHNICIAN_ONLY, deliberately).
"""

from datetime import date

import pytest

from webpanel.app import PUBLIC_ENDPOINTS

PUBLIC = {"api.health", "auth.login", "auth.setup", "static"}
TECHNICIAN_ONLY = {
    "api.sim_fault",
    "api.zero_imu",
    "api.technician_diagnostics",
    "api.technician_logs",
    "api.technician_config",
    "api.calibration_list",
    "api.calibration_state",
    "api.calibration_start",
    "api.calibration_place",
    "api.calibration_measure",
    "api.calibration_save",
    "api.calibration_close",
    "technician.diagnostics",
    "technician.calibration",
    "technician.logs",
    "technician.config",
    "technician.hub",
    "technician.resolve_conflict",
    "technician.audit_log",
    "technician.audit_export",
    "api.audit_entries",
    "auth.accounts_page",
    "auth.set_active",
    "auth.reset_password",
}
# logging out, and setup once an account exists, end on the login page by design
LEADS_TO_LOGIN = {"auth.logout", "auth.setup"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def samples(app, station, log_in):
    """Real ids for every path parameter: a patient with a program, an evaluation and a
    home exercise, a recorded trial and a visit, the therapist's account; fixed values for the
    rest."""
    patient = station.records.create_patient(
        {"name": "Route Check", "height_cm": 170, "weight_kg": 70}
    )
    program = station.records.create_program(
        patient["id"], {"name": "Check", "steps": [{"drill": "quiet-stance", "params": {}}]}
    )
    evaluation = station.records.create_evaluation(patient["id"], date.today().isoformat())
    trial = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
    station.run_virtual(max_s=4, until_trial_ends=False)
    station.stop_drill()
    station.storage.flush()
    visit = log_in(app, "thea").post(
        f"/api/v1/patients/{patient['id']}/visits", json={"visit_date": date.today().isoformat()}
    )
    assert visit.status_code == 201, visit.get_json()
    return {
        "patient_id": patient["id"],
        "program_id": program["id"],
        "evaluation_id": evaluation["id"],
        "step": 0,
        "conflict_id": 1,  # no hub here: the route says so
        "trial_id": trial["trial_id"],
        "goal_id": station.records.goals.create(
            patient["id"],
            {"metric": "pain", "baseline": 6, "target": 3, "due_date": "2999-01-01"},
            latest={},
        )["id"],
        "prescription_id": station.records.home_programs.prescribe(
            patient["id"], {"exercise": "heel-raises"}
        )["id"],
        "visit_id": visit.get_json()["id"],
        "user_id": app.extensions["accounts"].find("thea")["id"],
        "filename": "panel.css",
    }


def requests(app, samples):
    """(endpoint, method, url) of every rule and method, path parameters filled."""
    out = []
    for rule in app.url_map.iter_rules():
        missing = sorted(set(rule.arguments) - set(samples))
        assert not missing, f"{rule.rule}: add a sample value for {missing} to the samples fixture"
        url = rule.build({k: samples[k] for k in rule.arguments})[1]
        out += [(rule.endpoint, m, url) for m in sorted(rule.methods - SKIPPED_METHODS)]
    return out


def send(client, method, url):
    body = {"json": {}} if url.startswith("/api/") else {"data": {}}
    response = client.open(url, method=method, **({} if method == "GET" else body))
    response.close()  # a live stream is not read
    return response


def gate_refused(response) -> bool:
    """The login gate's answers: 401 login_required under /api, else a 302 to the login page
    (the panel's own views redirect with 303)."""
    if response.status_code == 401 and response.is_json:
        return response.get_json()["error"]["code"] == "login_required"
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def sent_to_login(response) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/login")


def test_the_public_and_technician_routes_are_the_expected_ones(app):
    assert PUBLIC_ENDPOINTS == PUBLIC
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "technician_only", False)
    }
    assert marked == TECHNICIAN_ONLY


def test_anonymous_requests_need_a_login_everywhere_but_the_public_routes(app, samples):
    checked = 0
    for endpoint, method, url in requests(app, samples):
        response = send(app.test_client(), method, url)
        where = f"{method} {url} ({endpoint})"
        if endpoint in PUBLIC:  # answered by the view itself, not by the login gate
            assert not gate_refused(response), where
        elif url.startswith("/api/"):
            assert response.status_code == 401 and gate_refused(response), where
        else:
            assert gate_refused(response), where
        checked += 1
    assert checked > 30


def test_therapists_are_refused_exactly_the_technician_routes(app, samples, log_in):
    for endpoint, method, url in requests(app, samples):
        response = send(log_in(app, "thea"), method, url)
        where = f"{method} {url} ({endpoint}): {response.status_code}"
        if endpoint in TECHNICIAN_ONLY:
            assert response.status_code == 403, where
            if url.startswith("/api/"):
                assert response.get_json()["error"]["code"] == "forbidden", where
        else:
            assert response.status_code not in (401, 403), where
            assert not sent_to_login(response) or endpoint in LEADS_TO_LOGIN, where


def test_technicians_may_use_every_route(app, samples, log_in):
    for endpoint, method, url in requests(app, samples):
        response = send(log_in(app, "tom"), method, url)
        where = f"{method} {url} ({endpoint}): {response.status_code}"
        assert response.status_code not in (401, 403), where
        assert not sent_to_login(response) or endpoint in LEADS_TO_LOGIN, where
