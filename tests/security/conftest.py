"""The security suite's panel: as in production (CSRF on), over the emulated in-memory station
(``station``, ``make_app``, ``password`` from tests/conftest.py), with a technician (``tom``)
and a therapist (``thea``), real ids for every path parameter, and browsers that log in
through the login form and keep the CSRF token of the page they loaded.

Every route's authorisation is tested in tests/webpanel/test_authorisation.py and the session
cookie's flags (HttpOnly, SameSite=Strict) in tests/webpanel/test_auth.py; this suite does not
repeat them.
"""

import re
from dataclasses import dataclass
from datetime import date

import pytest

from station.records.visits import Visits

TECHNICIAN, THERAPIST = "tom", "thea"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Browser:
    """A test client and the CSRF token of its session."""

    client: object
    token: str

    @property
    def session_cookie(self) -> str:
        return self.client.get_cookie("session").value

    @property
    def user_agent(self) -> str:
        return self.client.environ_base["HTTP_USER_AGENT"]


def page_token(client, path: str = "/login") -> str:
    """The CSRF token of the page at ``path``, as the page's scripts read it."""
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def app(station, make_app, password):
    """The panel with CSRF protection on, a technician and a therapist account."""
    panel = make_app(station, WTF_CSRF_ENABLED=True)
    accounts = panel.extensions["accounts"]
    accounts.create(TECHNICIAN, password, "technician")
    accounts.create(THERAPIST, password, "therapist", by=TECHNICIAN)
    return panel


@pytest.fixture
def browser(app, password):
    """``browser(username)``: a new browser logged in as ``username`` through the form."""

    def open_browser(username: str) -> Browser:
        client = app.test_client()
        form = {"username": username, "password": password, "csrf_token": page_token(client)}
        assert client.post("/login", data=form).status_code == 303
        return Browser(client, page_token(client, "/"))

    return open_browser


@pytest.fixture
def anonymous(app) -> Browser:
    """A browser on the login page, nobody logged in."""
    client = app.test_client()
    return Browser(client, page_token(client))


@pytest.fixture
def samples(app, station):
    """Real ids for every path parameter of the panel's routes: a patient with a program, an
    evaluation and a home exercise, a trial recorded for 4 s and stopped, a visit, the therapist's
    account; fixed values for the rest."""
    patient = station.records.create_patient({"name": "Security Check", "height_cm": 170})
    program = station.records.create_program(
        patient["id"], {"name": "Check", "steps": [{"drill": "quiet-stance", "params": {}}]}
    )
    evaluation = station.records.create_evaluation(patient["id"], date.today().isoformat())
    trial = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
    station.run_virtual(max_s=4, until_trial_ends=False)
    station.stop_drill()
    station.storage.flush()
    visit = Visits(station.storage).create(patient["id"], {"visit_date": date.today().isoformat()})
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
        "visit_id": visit["id"],
        "user_id": app.extensions["accounts"].find(THERAPIST)["id"],
        "filename": "panel.css",
    }
