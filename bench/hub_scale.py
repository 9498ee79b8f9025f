"""The clinic hub at scale (issue 19): ``--stations`` stations (default 50) and ``--trials``
trials (default 200,000) through one hub on a real PostgreSQL (a throwaway cluster,
``tests/hub/cluster.py``, fsync off: a benchmark of the sync, not of the disk).

Each station's SQLite holds its share of the clinic's patients and of the trials, copies of one
quiet-stance trial really simulated on the emulated stack (its 4.7 kB of result, events and
cues), each with a 4 kB stand-in for its raw samples (a real 60 s trial's are 357 kB: 71 GB for
200,000, more disk than this machine has; ``--real-samples N`` sends N real blobs to measure
that part). Then, with the real sync agents:

1. the patients go up and every station pulls the clinic's patients;
2. every station pushes its trials (``--workers`` at a time): the hub's intake, trials/s;
3. one station pulls the whole clinic's history: the pull rate, trials/s;
4. lag: one new trial's push from one station and its pull on another, with the hub full,
   beyond the wait for the two agents' next cycles (``[hub] interval_s`` each);
5. that station's patient and progress pages (Flask test client) at the clinic's size.

    python bench/hub_scale.py [--stations 50] [--trials 200000] [--workers 4]
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.hub, bench

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from bench.history_pages import PASSWORD, _csrf_token, page_times_ms
from station.clock import VirtualClock
from station.hub.agent import SyncAgent
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from station.storage.database import Storage
from tests.hub.cluster import Cluster
from tests.hub.fleet import Hub
from webpanel.app import create_app

STAND_IN_SAMPLES = bytes(4096)


def template_trial(folder: Path) -> dict:
    """One quiet-stance trial simulated on the emulated stack, as its row."""
    config = parse_config({"sim": {"seed": 1, "step_on_at_s": 0.5}, "imu": {"enabled": False}})
    station = Station(config, clock=VirtualClock(), db_path=folder / "template.db")
    try:
        patient = station.records.create_patient({"name": "Template", "height_cm": 170})
        trial_id = station.start_drill(patient["id"], "quiet-stance", {"countdown_s": 0})
        station.run_virtual(max_s=200.0)
        station.storage.flush()
        return station.storage.query("SELECT * FROM trials WHERE id = ?", [trial_id["trial_id"]])[0]
    finally:
        station.close()


class FleetStation:
    """One station of the benchmark: its database and its sync agent."""

    def __init__(self, hub: Hub, n: int, folder: Path):
        self.id = f"station-{n:03d}"
        self.storage = Storage(folder / f"{self.id}.db")
        self.agent = SyncAgent(self.storage, hub.add_station(self.id), "bench")

    def add_patients(self, count: int) -> None:
        rows = [
            {
                "name": f"{self.id} patient {k}",
                "code": f"{self.id}-{k}",
                "height_cm": 165.0,
                "weight_kg": 70.0,
                "created_at": "2026-01-01T00:00:00+00:00",
            }
            for k in range(count)
        ]
        self.storage.submit(lambda db: db["patients"].insert_all(rows)).result()

    def add_trials(self, count: int, template: dict, rng: random.Random) -> None:
        patients = [r["id"] for r in self.storage.query("SELECT id FROM patients")]
        keep = ("drill", "params", "state", "result", "events", "cues", "rate_hz", "duration_s")
        rows = []
        for k in range(count):
            row = {key: template[key] for key in keep}
            started = f"2026-{1 + k % 12:02d}-{1 + k % 28:02d}T{k % 24:02d}:00:00+00:00"
            row.update(
                id=uuid.uuid4().hex,
                patient_id=rng.choice(patients),
                started_at=started,
                ended_at=started,
                software_version="bench",
                samples=STAND_IN_SAMPLES,
            )
            rows.append(row)

        def insert(db):  # as the station stores them: running first, then ended
            db["trials"].insert_all([{**r, "state": "running"} for r in rows], batch_size=500)
            db.execute("UPDATE trials SET state = 'completed' WHERE state = 'running'")

        self.storage.submit(insert).result()

    def close(self) -> None:
        self.storage.close()


def timed(what, work) -> float:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    print(f"  {what}: {elapsed:.1f} s", flush=True)
    return elapsed


def in_parallel(stations, job, workers: int) -> None:
    queue = list(stations)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                station = queue.pop()
            job(station)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def page_ms(station: FleetStation, repeats: int = 5) -> dict:
    """Median ms of the patient and progress pages of the patient with the most trials, on
    ``station`` (its database as a panel's)."""
    config = parse_config({"station": {"data_dir": str(Path(station.storage.path).parent)}})
    viewer = Station(config, clock=VirtualClock(), db_path=station.storage.path)
    try:
        pid = viewer.storage.query(
            "SELECT patient_id, count(*) AS n FROM trials GROUP BY patient_id ORDER BY n DESC "
            "LIMIT 1"
        )[0]
        app = create_app(
            viewer, {"TESTING": True, "PASSWORD_HASHER": PasswordHasher.from_parameters(CHEAPEST)}
        )
        app.extensions["accounts"].create("bench", PASSWORD, "therapist")
        client = app.test_client()
        token = _csrf_token(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        out = {"trials of that patient": pid["n"]}
        for name, path in (("patient page", ""), ("progress page", "/progress")):
            times = page_times_ms(client, f"/patients/{pid['patient_id']}{path}", repeats)
            out[name] = round(statistics.median(times), 1)
        return out
    finally:
        viewer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=4, help="stations syncing at once")
    args = parser.parse_args()
    rng = random.Random(7)
    stations = []
    figures = {"stations": args.stations, "trials": args.trials, "patients": args.patients}
    with Cluster() as cluster, tempfile.TemporaryDirectory(prefix="hub-scale-") as where:
        folder = Path(where)
        try:
            hub = Hub(cluster, "balance_hub", folder)
            template = template_trial(folder)
            print(f"{args.stations} stations, {args.patients} patients, {args.trials} trials")
            stations = [FleetStation(hub, n, folder) for n in range(1, args.stations + 1)]
            for station in stations:
                station.add_patients(args.patients // args.stations)

            push = lambda s: s.agent.sync_once()  # noqa: E731
            figures["patients up and down, s"] = round(
                timed(
                    "patients to the hub and to every station",
                    lambda: [in_parallel(stations, push, args.workers) for _ in range(2)],
                ),
                1,
            )
            for station in stations:
                station.add_trials(args.trials // args.stations, template, rng)
            only_push = lambda s: s.agent.sync_once(pull=False)  # noqa: E731
            seconds = timed(
                "every station pushes its trials",
                lambda: in_parallel(stations, only_push, args.workers),
            )
            figures["hub intake, trials/s"] = round(args.trials / seconds)
            reader = stations[0]
            seconds = timed("one station pulls the clinic's history", reader.agent.sync_once)
            figures["pull, trials/s"] = round(args.trials / seconds)

            lags = []
            writer = stations[1]
            for _ in range(5):
                writer.add_trials(1, template, rng)
                start = time.perf_counter()
                writer.agent.sync_once()
                reader.agent.sync_once()
                lags.append(time.perf_counter() - start)
            figures["lag beyond the cycles, s (median of 5)"] = round(statistics.median(lags), 3)
            figures.update(page_ms(reader))
            with hub.admin() as conn:
                size = conn.execute("SELECT pg_database_size('balance_hub')").fetchone()[0]
            figures["hub database, MB"] = round(size / 1e6)
            figures["a station's database with the clinic's history, MB"] = round(
                Path(reader.storage.path).stat().st_size / 1e6
            )
        finally:
            for station in stations:
                station.close()
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
