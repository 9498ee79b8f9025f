"""Panel fixtures: the app over the emulated in-memory station (``station``, ``make_app``,
``log_in`` and ``password`` from tests/conftest.py), and test clients logged in as a therapist,
as a technician, or not at all.

CSRF is off in these fixtures (the tests here are about what the panel does, not about CSRF);
tests/webpanel/test_auth.py builds its own app with CSRF on.
"""

import pytest

THERAPIST = "thea"
TECHNICIAN = "tom"


@pytest.fixture
def app(station, make_app, password):
    """The panel with a therapist (``thea``) and a technician (``tom``) account."""
    panel = make_app(station)
    accounts = panel.extensions["accounts"]
    accounts.create(TECHNICIAN, password, "technician")
    accounts.create(THERAPIST, password, "therapist", by=TECHNICIAN)
    return panel


@pytest.fixture
def anon_client(app):
    """Nobody logged in."""
    return app.test_client()


@pytest.fixture
def client(app, log_in):
    """Logged in as the therapist ``thea``."""
    return log_in(app, THERAPIST)


@pytest.fixture
def tech_client(app, log_in):
    """Logged in as the technician ``tom``."""
    return log_in(app, TECHNICIAN)


@pytest.fixture
def in_spanish(app, log_in):
    """``in_spanish(username)``: that account logged in with the panel switched to Spanish."""

    def switch(username: str = THERAPIST):
        client = log_in(app, username)
        chosen = client.post("/account/language", data={"language": "es"}, follow_redirects=True)
        assert '<html lang="es">' in chosen.get_data(as_text=True)
        return client

    return switch


@pytest.fixture
def english(app, log_in, password):
    """A second therapist (``tess``) who keeps the panel in English."""
    app.extensions["accounts"].create("tess", password, "therapist", by=TECHNICIAN)
    return log_in(app, "tess")


@pytest.fixture
def read_pages():
    """``read_pages(client, urls)``: the HTML of each of ``urls`` (name -> URL) as ``client``
    reads it, each page answered 200."""

    def read(client, urls: dict[str, str]) -> dict[str, str]:
        shown = {}
        for name, url in urls.items():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            shown[name] = response.get_data(as_text=True)
        return shown

    return read
