"""The wall clock jumps a year forward and back mid-trial (a Pi has no real-time clock: NTP or
a technician can step it at any time). Durations and rates come from the monotonic clock, so
they are unaffected; wall time only labels records.

The jump is injected at the Station level in real time: ``time.time`` and the ``datetime`` that
labels records (``station.storage.database``, where every ``started_at``/``ended_at`` comes from)
are replaced by a wall clock that the test moves; the loop, the readers and the drills run on the
real ``time.monotonic()``. (libfaketime would move the whole process but is not relied on.)

The panel's sessions see the same jumps through ``time.time``: a jump never breaks the panel, a
new login always works, and a session survives the wall clock stepping back (its idle logout is
on the monotonic clock).
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest

import station.storage.database
from station.runtime.core_config import parse_config
from station.runtime.station import Station

pytestmark = pytest.mark.faults

YEAR = timedelta(days=365)


class WallClock:
    """A wall clock ``offset`` away from the real one; ``datetime`` is its datetime class."""

    def __init__(self):
        self.offset = timedelta(0)
        clock = self

        class JumpingDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + clock.offset

        self.datetime = JumpingDatetime

    def time(self, _real=time.time) -> float:
        return _real() + self.offset.total_seconds()


@pytest.fixture
def wall(monkeypatch) -> WallClock:
    clock = WallClock()
    monkeypatch.setattr(station.storage.database, "datetime", clock.datetime)
    monkeypatch.setattr(time, "time", clock.time)
    return clock


@pytest.fixture
def real_time_station():
    """A station on emulated hardware in real time (monotonic clock), database in memory."""
    st = Station(parse_config({"sim": {"step_on_at_s": 0.2, "seed": 5}}), db_path=":memory:")
    st.start()
    yield st
    st.close()


def wait_for(predicate, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_year_forward_and_back_mid_trial_leaves_durations_and_rates_alone(
    wall, real_time_station
):
    st = real_time_station
    patient = st.records.create_patient({"name": "Clock Jump"})
    began = time.monotonic()
    started = st.start_drill(patient["id"], "quiet-stance", {"duration_s": 5, "countdown_s": 0})
    trial_id = started["trial_id"]
    wait_for(lambda: (st.drill_status() or {}).get("phase") == "recording", 20)
    wall.offset = YEAR  # forward a year while recording
    time.sleep(1.0)
    wall.offset = -YEAR  # and back, past where it started
    wait_for(lambda: st.results.get_trial(trial_id)["state"] != "running", 20)
    elapsed_s = time.monotonic() - began
    trial = st.results.get_trial(trial_id)

    assert trial["state"] == "completed"
    assert trial["result"]["recorded_s"] == 5.0
    assert trial["result"]["metrics"]["n_samples"] == 500  # 5 s at 100 Hz: no tick lost or added
    assert 5.0 < trial["duration_s"] <= elapsed_s  # monotonic, not a year
    t = st.results.trial_samples(trial_id)[:, 0]
    steps = t[1:] - t[:-1]
    assert (steps > 0).all()  # the frames' times only go forward
    assert statistics.median(steps) == pytest.approx(0.01, abs=5e-4)  # 100 Hz throughout
    assert st.loop.status()["resyncs"] == 0  # the loop never saw a stall
    # the labels show the jump: the trial "ended" about a year before it started
    started = datetime.fromisoformat(trial["started_at"])
    ended = datetime.fromisoformat(trial["ended_at"])
    assert started == pytest.approx(datetime.now(UTC), abs=timedelta(minutes=5))
    assert started - ended == pytest.approx(YEAR, abs=timedelta(minutes=5))


# --- the panel's sessions -------------------------------------------------------------------
@pytest.fixture
def panel(station, make_app, password):
    """The panel (on the virtual-clock station) with a therapist account."""
    app = make_app(station)
    app.extensions["accounts"].create("thea", password, "therapist")
    return app


@pytest.mark.parametrize("jump", [YEAR, -YEAR], ids=["forward", "back"])
def test_a_wall_clock_jump_never_breaks_the_panel_and_a_new_login_works(wall, panel, log_in, jump):
    client = log_in(panel, "thea")
    assert client.get("/api/v1/patients").status_code == 200
    wall.offset = jump
    answer = client.get("/api/v1/patients")
    assert answer.status_code in (200, 401), answer.get_data(as_text=True)  # never a 5xx
    if answer.status_code == 401:
        assert answer.get_json()["error"]["code"] == "login_required"
    assert log_in(panel, "thea").get("/api/v1/patients").status_code == 200


def test_a_session_survives_the_wall_clock_stepping_back(wall, panel, log_in):
    client = log_in(panel, "thea")
    for back in (timedelta(seconds=-1), timedelta(days=-365)):
        wall.offset = back
        assert client.get("/api/v1/patients").status_code == 200
