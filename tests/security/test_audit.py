"""The audit log records who logged in (and who failed to), who exported patient data, and
would record deletions: the station has no route that deletes anything yet."""

import pytest

pytestmark = pytest.mark.security


def entries(app) -> list[tuple]:
    """(username, action, target) of the audit log, oldest first."""
    rows = app.extensions["accounts"].recent_audit(1000)
    return [(r["username"], r["action"], r["target"]) for r in reversed(rows)]


def test_logins_and_failed_logins_are_audited_with_the_address(app, anonymous, password):
    client = anonymous.client
    form = {"username": "thea", "password": "not her password", "csrf_token": anonymous.token}
    assert client.post("/login", data=form).status_code == 401
    form = {**form, "username": "nobody"}
    assert client.post("/login", data=form).status_code == 401
    form = {**form, "username": "thea", "password": password}
    assert client.post("/login", data=form).status_code == 303
    log = app.extensions["accounts"].recent_audit(3)[::-1]
    assert [(r["username"], r["action"], r["target"]) for r in log] == [
        (None, "login-failed", "thea"),
        (None, "login-failed", "nobody"),
        ("thea", "login", "thea"),
    ]
    assert all("127.0.0.1" in r["detail"] for r in log)  # the device's address


def test_exports_are_audited_with_who_and_what(app, browser, samples):
    thea = browser("thea").client
    trial_id, patient_id = samples["trial_id"], samples["patient_id"]
    assert thea.get(f"/api/v1/trials/{trial_id}/export.csv").status_code == 200
    assert thea.get(f"/patients/{patient_id}/metrics.csv").status_code == 200
    assert thea.get(f"/api/v1/patients/{patient_id}/metrics.csv").status_code == 200
    exports = [e for e in entries(app) if e[1] == "export"]
    assert exports == [
        ("thea", "export", f"trial {trial_id}"),
        ("thea", "export", f"patient {patient_id}"),
        ("thea", "export", f"patient {patient_id}"),
    ]
    # the technicians' account page shows them
    page = browser("tom").client.get("/accounts").get_data(as_text=True)
    assert f"trial {trial_id}" in page and f"patient {patient_id}" in page


def test_every_download_the_panel_offers_is_audited(app, browser, samples):
    """Walks every GET route (from ``app.url_map``): each answer that is a file download
    (``Content-Disposition: attachment``) adds one export entry naming its file."""
    tech = browser("tom").client
    downloads = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "api.live":  # an endless stream
            continue
        url = rule.build({k: samples[k] for k in rule.arguments})[1]
        before = len(entries(app))
        response = tech.get(url)
        response.close()
        disposition = response.headers.get("Content-Disposition", "")
        if disposition.startswith("attachment"):
            downloads.append(rule.endpoint)
            new = app.extensions["accounts"].recent_audit(len(entries(app)) - before)
            assert [r["action"] for r in new] == ["export"], rule.endpoint
            assert new[0]["detail"].endswith(disposition.split("filename=")[1].strip('"'))
    assert len(downloads) >= 3  # the trial CSV and the metrics CSV (page and API)


def test_a_refused_export_is_not_logged_as_one(app, browser):
    thea = browser("thea").client
    assert thea.get("/api/v1/trials/no-such-trial/export.csv").status_code == 404
    assert not [e for e in entries(app) if e[1] == "export"]


# DELETE routes that delete nothing stored: the calibration wizard's DELETE ends its unsaved
# session in memory (the stored calibrations are kept)
DELETES_NOTHING_STORED = {"api.calibration_close"}


def test_no_route_deletes_stored_data_so_there_is_no_deletion_to_audit(app):
    """Patients, trials, visits, programs and calibrations are never deleted through the panel
    (accounts are deactivated, audited as an account change). A route that deletes must call
    ``webpanel.auth.audit``; when one is added this test fails: replace it with one that
    checks the new route's audit entry."""
    deleting = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "DELETE" in rule.methods or any(w in rule.endpoint for w in ("delete", "remove"))
    }
    assert deleting == DELETES_NOTHING_STORED
