"""The progress page of a long history comes a page of trials at a time, each visit on the page
of its trials, so the page stays quick with thousands of trials (bench/history_pages.py)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from station.records.visits import Visits
from webpanel.progress import HISTORY_PAGE_TRIALS


@pytest.fixture
def history(station):
    """A patient with one unscored trial a day for HISTORY_PAGE_TRIALS + 5 days (newest
    yesterday, at noon UTC), a visit on the oldest trial's day and one a week before any trial.
    Returns (patient id, trial ids newest first, each trial's local day, the early visit's day)."""
    patient = station.records.create_patient({"name": "Long History"})
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    starts = [noon - timedelta(days=1 + k) for k in range(HISTORY_PAGE_TRIALS + 5)]
    rows = [
        {
            "id": uuid.uuid4().hex,
            "patient_id": patient["id"],
            "drill": "quiet-stance",
            "params": "{}",
            "state": "aborted",
            "started_at": start.isoformat(timespec="seconds"),
        }
        for start in starts
    ]
    station.storage.submit(lambda db: db["trials"].insert_all(rows)).result()
    days = [start.astimezone().date().isoformat() for start in starts]
    visits = Visits(station.storage)
    visits.create(patient["id"], {"visit_date": days[-1]})
    before_all = (starts[-1] - timedelta(days=7)).astimezone().date().isoformat()
    visits.create(patient["id"], {"visit_date": before_all})
    return patient["id"], [row["id"] for row in rows], days, before_all


def test_the_newest_trials_come_first_and_older_ones_on_the_next_page(client, history):
    patient_id, trial_ids, days, before_all = history
    first = client.get(f"/patients/{patient_id}/progress").get_data(as_text=True)
    assert all(f"/trials/{t}" in first for t in trial_ids[:HISTORY_PAGE_TRIALS])
    assert not any(f"/trials/{t}" in first for t in trial_ids[HISTORY_PAGE_TRIALS:])
    assert "Page 1 of 2" in first and f"/patients/{patient_id}/progress?page=2" in first
    assert f"Visit on {days[-1]}" not in first and f"Visit on {before_all}" not in first

    second = client.get(f"/patients/{patient_id}/progress?page=2").get_data(as_text=True)
    assert all(f"/trials/{t}" in second for t in trial_ids[HISTORY_PAGE_TRIALS:])
    assert not any(f"/trials/{t}" in second for t in trial_ids[:HISTORY_PAGE_TRIALS])
    assert "Page 2 of 2" in second and "Newer trials" in second and "Older trials" not in second
    # the visit of the oldest day holds its trial; the visit without trials is on the last page
    assert f"Visit on {days[-1]}" in second and f"Visit on {before_all}" in second


def test_a_page_number_out_of_range_shows_the_nearest_page(client, history):
    patient_id = history[0]
    assert "Page 2 of 2" in client.get(f"/patients/{patient_id}/progress?page=99").text
    assert "Page 1 of 2" in client.get(f"/patients/{patient_id}/progress?page=0").text


def test_a_short_history_is_one_page_without_page_links(client, station):
    patient = station.records.create_patient({"name": "Short History"})
    page = client.get(f"/patients/{patient['id']}/progress").get_data(as_text=True)
    assert "No visits or trials yet" in page and "Page 1 of" not in page
