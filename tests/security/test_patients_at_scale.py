"""The patient list of the real daemon at 100,000 patients (issue 15, finding 4: the API
answered all 10,001 records, 5.9 MB, and the list page was 1.46 MB, fetched again as a
therapist typed), and what a patient record may hold (finding 11: duplicate clinic codes and
names with NUL or zero-width characters were accepted, look-alike patients)."""

import sqlite3
import urllib.error

import pytest

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

PASSWORD = "patients at scale password"
PATIENTS = 100_000
PAGE = 50


def fill(db_path, count: int) -> None:
    """``count`` patients straight into the daemon's database (the API would take minutes):
    names that sort in a known order, codes P-000000 ... ."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        rows = (
            (f"Patient {n:06d}", f"P-{n:06d}", "2025-01-01T00:00:00+00:00") for n in range(count)
        )
        db.executemany("INSERT INTO patients (name, code, created_at) VALUES (?, ?, ?)", rows)
        db.commit()
    finally:
        db.close()


@pytest.fixture
def crowded(start_daemon, panel_session, tmp_path):
    """The daemon with 100,000 patients and a logged-in therapist's session (a technician
    made at first start, who is one too)."""
    _, base = start_daemon()
    tech = panel_session(base)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    fill(tmp_path / "data" / "station.db", PATIENTS)
    tech.load("/")
    return tech


def test_the_list_and_its_search_answer_a_page_whatever_the_number_of_patients(crowded):
    first = crowded.call("/api/v1/patients")
    assert [p["name"] for p in first["patients"]] == [f"Patient {n:06d}" for n in range(PAGE)]
    seen = {p["id"] for p in first["patients"]}
    after = first["next"]
    for _ in range(3):  # paging on: every patient once, in order
        page = crowded.call(f"/api/v1/patients?after={after}")
        assert len(page["patients"]) == PAGE and not seen & {p["id"] for p in page["patients"]}
        seen |= {p["id"] for p in page["patients"]}
        after = page["next"]
    assert page["patients"][-1]["name"] == f"Patient {4 * PAGE - 1:06d}"

    # searching as a therapist types: each answer a page at most, the one asked for found
    for typed in ("P", "P-0", "P-09", "P-0999", "P-09999", "P-099999"):
        found = crowded.call(f"/api/v1/patients?q={typed}")["patients"]
        assert 1 <= len(found) <= PAGE
    assert [p["code"] for p in found] == ["P-099999"]
    assert crowded.call("/api/v1/patients?q=nobody-at-all") == {"patients": [], "next": None}

    with crowded.open("/") as response:
        page = response.read().decode()
    assert page.count('<li><a href="/patients/') == PAGE and "More patients" in page
    assert len(page) < 100_000  # the page was 1.46 MB with 10,000 patients
    with crowded.open("/?q=P-012345") as response:
        assert response.read().decode().count('<li><a href="/patients/') == 1


def test_codes_are_unique_and_names_hold_no_invisible_characters(start_daemon, panel_session):
    _, base = start_daemon()
    tech = panel_session(base)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    tech.load("/")
    ada = tech.call("/api/v1/patients", {"name": "Ada Lovelace", "code": "AL-1"})
    status, error = tech.error("/api/v1/patients", {"name": "Ada Lovelace", "code": "al-1"})
    assert (status, error["field"]) == (400, "code")
    assert f"already the code of patient {ada['id']} (Ada Lovelace)" in error["message"]

    look_alikes = ["Ada\x00 Lovelace", "Ada\u200b Lovelace", "Ada Love\u200dlace", "\u202eAda"]
    stored = [
        tech.call("/api/v1/patients", {"name": name, "code": f"AL-{n + 2}"})["name"]
        for n, name in enumerate(look_alikes)
    ]
    assert stored == ["Ada Lovelace", "Ada Lovelace", "Ada Lovelace", "Ada"]
    listed = tech.call("/api/v1/patients?q=Ada%20Lovelace")["patients"]
    assert len(listed) == 4 and all(p["name"] == "Ada Lovelace" for p in listed)
    with pytest.raises(urllib.error.HTTPError) as refused:  # only invisible characters
        tech.call("/api/v1/patients", {"name": "\u200b\x00\u3164"})
    assert refused.value.code == 400
