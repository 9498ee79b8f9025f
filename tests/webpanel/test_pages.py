"""The patient page (drills with their parameters, programs, the live view, STOP) and the
patient display, as the server renders them; the browser side is driven in tests/e2e."""

import re
from pathlib import Path

import webpanel
from webpanel.pages import param_label

PROGRAM = {
    "name": "Week 1",
    "steps": [
        {"drill": "quiet-stance", "params": {"duration_s": 10}},
        {"drill": "weight-shift", "params": {"distance_mm": 50}},
    ],
    "rules": [
        {"step": 1, "metric": "hit_rate_pct", "above": 80, "param": "distance_mm", "add": 10}
    ],
}


def make_patient(client, **fields):
    response = client.post("/api/v1/patients", json={"name": "Pat", **fields})
    assert response.status_code == 201
    return response.get_json()


def test_parameters_carry_their_unit_range_and_explanation_for_inline_checks(client):
    patient = make_patient(client, height_cm=170)
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    field = re.search(r'<label for="weight-shift-distance_mm">.*?</label>', page, re.S).group(0)
    assert "<span>Distance</span>" in field
    assert "How far each target is from neutral." in field
    assert 'min="20.0" max="150.0"' in field and 'data-type="float"' in field
    assert 'data-unit="mm"' in field and "20\u2013150 mm" in field
    assert 'data-error-for="distance_mm"' in field  # the slot for the error beside the field
    assert 'data-type="int"' in page  # whole numbers are checked as such


def test_a_drill_that_needs_a_missing_detail_says_so_on_the_page(client):
    patient = make_patient(client)  # no height, no weight
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    los = re.search(
        r'<fieldset class="params" data-drill="limits-of-stability">.*?</fieldset>', page, re.S
    )
    assert "Needs the patient's height: add it under" in los.group(0)
    response = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "limits-of-stability"}
    )
    assert response.status_code == 400
    assert "needs the patient's height" in response.get_json()["error"]["message"]


def test_the_live_view_and_a_stop_control_are_on_the_patient_page(client):
    patient = make_patient(client)
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    for part in ('id="cop"', 'id="countdown"', 'id="elapsed"', 'id="remaining"', 'id="phase"'):
        assert part in page
    assert 'id="split-left"' in page and 'id="split-right"' in page  # left/right load split
    lights = re.findall(r'data-light="(\w+)"', page)
    assert lights == ["front", "left", "centre", "right", "back"]
    assert '<button id="stop" class="stop"' in page
    css = client.get("/static/panel.css").get_data(as_text=True)
    stop = re.search(r"\.stop \{([^}]*)\}", css).group(1)
    assert "position: fixed" in stop and "background: var(--bad)" in stop
    assert int(re.search(r"min-height: (\d+)px", stop).group(1)) >= 64
    assert "/static/livefeed.js" in page and "/static/live.js" in page


def test_programs_are_listed_with_their_steps_and_the_next_step_to_start(client, station):
    patient = make_patient(client)
    program = client.post(f"/api/v1/patients/{patient['id']}/programs", json=PROGRAM).get_json()
    assert program["next_step"] == 0
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "Week 1" in page
    assert "Start next step: 1. Quiet stance" in page
    assert (
        "Duration 10 s · Eyes open · Surface firm · Countdown 3 s" in page
    )  # each step's settings with their units
    assert "Distance 50 mm" in page
    rule = re.search(r"<li>After step 2:.*?</li>", page, re.S).group(0)
    assert " ".join(rule.split()) == (
        "<li>After step 2: when hit_rate_pct is above 80, add 10 mm to distance (up to 150 mm)</li>"
    )
    assert 'id="program-form"' in page  # the editor

    started = client.post(f"/api/v1/programs/{program['id']}/steps/0/start")
    assert started.status_code == 201
    station.run_virtual(max_s=60)
    station.storage.flush()
    assert client.get(f"/api/v1/programs/{program['id']}").get_json()["next_step"] == 1
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "Start next step: 2. Weight shift to targets" in page


def test_an_aborted_step_is_offered_again(client, station):
    patient = make_patient(client)
    program = client.post(f"/api/v1/patients/{patient['id']}/programs", json=PROGRAM).get_json()
    client.post(f"/api/v1/programs/{program['id']}/steps/0/start")
    station.run_virtual(max_s=3, until_trial_ends=False)
    client.post("/api/v1/stop")
    station.storage.flush()
    assert client.get(f"/api/v1/programs/{program['id']}").get_json()["next_step"] == 0


def test_the_patient_display_is_a_full_screen_view_without_controls(client):
    page = client.get("/display").get_data(as_text=True)
    assert '<body class="display">' in page
    assert 'id="display-cop"' in page and 'id="big-count"' in page
    assert "<button" not in page and "<form" not in page and "<input" not in page
    assert re.findall(r"<a [^>]*>", page) == [
        '<a class="display-back" href="/"\n     title="Back to the panel (tap the picture to fill'
        ' the screen)">'
    ]
    assert "/static/livefeed.js" in page and "/static/display.js" in page
    patient = make_patient(client)
    assert 'href="/display"' in client.get(f"/patients/{patient['id']}").get_data(as_text=True)


def test_parameter_names_read_as_plain_words():
    assert param_label("target_radius_mm") == "Target radius"
    assert param_label("countdown_s") == "Countdown"
    assert param_label("trials") == "Trials"
    assert param_label("height_cm") == "Height"


def test_templates_import_their_form_macros_from_one_file():
    """Issue 16, item 8: errors beside fields and form fields are macros of macros.html only,
    and no template writes an account limit of its own (they come as ``account_limits``)."""
    templates = Path(webpanel.__file__).parent / "templates"
    own = {}
    for path in templates.glob("*.html"):
        text = path.read_text()
        if path.name != "macros.html":
            own[path.name] = re.findall(r"{%-?\s*macro\s+(\w*error|input\w*)\b", text)
        if path.name in ("setup.html", "accounts.html", "password.html", "macros.html"):
            assert not re.search(r'(minlength|maxlength)="\d', text), path.name
    assert not any(own.values()), own
