"""Time of a patient's history pages with thousands of stored trials (target: under 100 ms).

Fills a database file with one patient's ``--trials`` trials, about ten a day with a visit each
day: copies of one quiet-stance and one mCTSIB result really simulated on the emulated stack
(so the pages score, chart and list real results), each with a small raw-sample blob (the pages
never read samples). Then times GET of the patient page and of its progress page through the
panel's Flask app (logged in, as a tablet would be; no network), median of ``--repeats``.
Usage: ``python bench/history_pages.py [--trials 10000] [--repeats 7]``.
"""

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from station.storage import samples
from webpanel.app import create_app

TRIALS_PER_DAY = 10
PASSWORD = "history bench password"
SIMULATED = {"quiet-stance": {"duration_s": 30.0}, "mctsib": {"trial_s": 10.0}}


def simulated_trials(station: Station, patient_id: int) -> list[dict]:
    """One completed trial of each drill in SIMULATED, run on the virtual clock."""
    out = []
    for drill, params in SIMULATED.items():
        trial_id = station.start_drill(patient_id, drill, params)["trial_id"]
        station.run_virtual(max_s=600.0)
        station.storage.flush()
        trial = station.results.get_trial(trial_id)
        if trial["state"] != "completed":
            raise RuntimeError(f"the simulated {drill} trial ended {trial['state']}")
        out.append(trial)
    return out


def fill(station: Station, patient_id: int, count: int) -> None:
    """Store ``count`` trials for ``patient_id`` (newest today) and one visit per day."""
    templates = simulated_trials(station, patient_id)
    blob = samples.encode(np.zeros((10, len(samples.COLUMNS))))
    newest = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for k in range(count):
        template = templates[k % len(templates)]
        day, slot = divmod(k, TRIALS_PER_DAY)
        started = newest - timedelta(days=day, minutes=10 * slot)
        rows.append(
            {
                **{key: template[key] for key in ("drill", "state", "reason", "rate_hz")},
                **{key: json.dumps(template[key]) for key in ("params", "result", "events")},
                "id": uuid.uuid4().hex,
                "patient_id": patient_id,
                "cues": "[]",
                "started_at": started.isoformat(),
                "ended_at": (started + timedelta(seconds=template["duration_s"])).isoformat(),
                "duration_s": template["duration_s"],
                "software_version": template["software_version"],
                "samples": blob,
            }
        )
    days = sorted({row["started_at"][:10] for row in rows})
    visits = [
        {"patient_id": patient_id, "visit_date": d, "nmr_minutes": 30, "created_at": d}
        for d in days
    ]

    def insert(db):
        db["trials"].insert_all(rows, batch_size=500)
        db["visits"].insert_all(visits, batch_size=500)

    station.storage.submit(insert).result()


def page_times_ms(client, path: str, repeats: int) -> list[float]:
    """Wall ms of ``repeats`` GETs of ``path`` (after one untimed warm-up), each a 200."""
    out = []
    for k in range(repeats + 1):
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        if k:
            out.append(elapsed)
    return out


def history_page_ms(trials: int, repeats: int) -> dict[str, float]:
    """Median ms of GET /patients/<id> and /patients/<id>/progress with ``trials`` stored."""
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        config = parse_config({"sim": {"step_on_at_s": 0.5, "seed": 1}})
        station = Station(config, clock=VirtualClock(), db_path=Path(tmp) / "station.db")
        try:
            patient = station.records.create_patient({"name": "History", "height_cm": 170})
            fill(station, patient["id"], trials)
            app = create_app(
                station,
                {"TESTING": True, "PASSWORD_HASHER": PasswordHasher.from_parameters(CHEAPEST)},
            )
            app.extensions["accounts"].create("bench", PASSWORD, "therapist")
            client = app.test_client()
            token = _csrf_token(client.get("/login").get_data(as_text=True))
            form = {"username": "bench", "password": PASSWORD, "csrf_token": token}
            if client.post("/login", data=form).status_code != 303:
                raise RuntimeError("could not log in to the panel")
            pid = patient["id"]
            return {
                "patient page": statistics.median(
                    page_times_ms(client, f"/patients/{pid}", repeats)
                ),
                "progress page": statistics.median(
                    page_times_ms(client, f"/patients/{pid}/progress", repeats)
                ),
            }
        finally:
            station.close()


def _csrf_token(page: str) -> str:
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for page, ms in history_page_ms(args.trials, args.repeats).items():
        print(f"{page:14s} median {ms:7.1f} ms with {args.trials} trials")


if __name__ == "__main__":
    main()
