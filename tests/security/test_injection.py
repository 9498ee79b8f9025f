"""Path traversal and injection attempts on the exports, the trial routes, the static files and
the patient search: refused, or answered with exactly what was asked and nothing more."""

import re

import pytest

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

HOSTILE_TRIAL_IDS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "....//....//etc/passwd",
    "..\\..\\etc\\passwd",
    "1' OR '1'='1",
    "1; DROP TABLE trials; --",
]
TRIAL_ROUTES = [
    "/api/v1/trials/{}",
    "/api/v1/trials/{}/export.csv",
    "/api/v1/trials/{}/samples",
    "/api/v1/trials/{}/charts",
    "/api/v1/trials/{}/norms",
    "/api/v1/trials/{}/analyses",
    "/trials/{}",
]
STATIC_ESCAPES = [
    "/static/../app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e/app.py",
    "/static/%2e%2e%2f%2e%2e%2fstation%2fconfig.py",
    "/static/....//app.py",
    "/static/..\\app.py",
    "/static//etc/passwd",
]


def leaked(body: str) -> bool:
    """True when a response shows a system file or the station's source code."""
    return "root:x:0:0" in body or "def create_app" in body or "import " in body


@pytest.mark.parametrize("route", TRIAL_ROUTES)
def test_hostile_trial_ids_find_nothing(browser, samples, route):
    thea = browser("thea").client
    for trial_id in HOSTILE_TRIAL_IDS:
        response = thea.get(route.format(trial_id))
        assert response.status_code == 404, (trial_id, response.status_code)
        assert not leaked(response.get_data(as_text=True))
    assert thea.get(route.format(samples["trial_id"])).status_code == 200  # the real one works


def test_static_files_never_leave_their_folder(anonymous):
    for path in STATIC_ESCAPES:
        response = anonymous.client.get(path)
        # not found, or (no longer a static path) the login gate's redirect: never a file
        to_login = response.status_code == 302 and response.location.startswith("/login")
        assert response.status_code == 404 or to_login, (path, response.status_code)
        assert not leaked(response.get_data(as_text=True))
    assert anonymous.client.get("/static/panel.js").status_code == 200  # public, and served


@pytest.fixture
def patients(station):
    names = ["Ada Lovelace", "Bob O'Brien", "Carla 100% Fit", "Dan_Under"]
    return {
        n: station.records.create_patient({"name": n, "code": f"C-{i}"})
        for i, n in enumerate(names)
    }


@pytest.mark.parametrize(
    "search, found",
    [
        ("' OR 1=1 --", []),
        ("'; DROP TABLE patients; --", []),
        ('" OR ""="', []),
        ("O'Brien", ["Bob O'Brien"]),
        ("%", ["Carla 100% Fit"]),  # LIKE's wildcards are plain characters
        ("_", ["Dan_Under"]),
        ("\\", []),
        ("ada", ["Ada Lovelace"]),
        ("c-2", ["Carla 100% Fit"]),  # by code
    ],
)
def test_search_matches_literally_and_injects_nothing(browser, patients, search, found):
    thea = browser("thea").client
    answer = thea.get("/api/v1/patients", query_string={"q": search})
    assert [p["name"] for p in answer.get_json()["patients"]] == found
    page = thea.get("/", query_string={"q": search})
    assert page.status_code == 200
    assert len(thea.get("/api/v1/patients").get_json()["patients"]) == len(patients)  # intact


def test_export_file_names_cannot_carry_headers_or_paths(browser, station, samples):
    thea = browser("thea")
    code = 'x";\r\nSet-Cookie: a=1/../'
    patient = station.records.create_patient({"name": '=HYPERLINK("http://x")', "code": code})
    response = thea.client.get(f"/patients/{patient['id']}/metrics.csv")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    name = re.fullmatch(r'attachment; filename="([^"]*)"', disposition).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.csv", name)  # no quote, line break, slash or space
    assert "Set-Cookie" not in response.headers or "a=1" not in response.headers["Set-Cookie"]
    trial = thea.client.get(f"/api/v1/trials/{samples['trial_id']}/export.csv")
    trial_name = re.fullmatch(
        r'attachment; filename="([^"]*)"', trial.headers["Content-Disposition"]
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.csv", trial_name.group(1))
    assert "Security Check" not in trial.get_data(as_text=True)  # never the patient's name
