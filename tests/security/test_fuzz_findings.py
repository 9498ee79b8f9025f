"""What the API fuzzing found, kept as fixed cases (test_fuzz.py draws at random): an id
beyond SQLite's 64-bit integers made every route with an integer id (pages and API) fail with
a 500, and so did a visit dated 0001-01-01 (its day has no UTC bounds). Both are now 4xx."""

import re

import pytest

pytestmark = pytest.mark.security

TOO_BIG = 2**63  # one past SQLite's largest INTEGER


def test_an_id_beyond_64_bits_is_not_found_on_every_integer_route(app, browser, samples):
    tech = browser("tom")
    checked = 0
    for rule in app.url_map.iter_rules():
        integer_args = re.findall(r"<int:(\w+)>", rule.rule)
        if not integer_args:
            continue
        values = {**{k: samples[k] for k in rule.arguments}, **dict.fromkeys(integer_args, TOO_BIG)}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if url.startswith("/api/"):
                body = {"json": {}, "headers": {"X-CSRFToken": tech.token}}
            else:
                body = {"data": {"csrf_token": tech.token}}
            response = tech.client.open(url, method=method, **body)
            assert response.status_code in (400, 404), (method, url, response.status_code)
            checked += 1
    assert checked > 10


def test_a_visit_dated_in_year_one_is_refused_naming_the_field(browser, samples):
    tech = browser("tom")
    response = tech.client.post(
        f"/api/v1/patients/{samples['patient_id']}/visits",
        json={"visit_date": "0001-01-01"},
        headers={"X-CSRFToken": tech.token},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "visit_date"
