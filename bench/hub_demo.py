"""Issue 19's demo: three stations and a clinic hub on a real PostgreSQL (a throwaway cluster,
``tests/hub/cluster.py``). A patient created in room 1 is trained in rooms 2 and 3 while the
hub is down, each room editing her too; when the hub comes back every room holds her whole
history, the first edit to reach the hub is everyone's and the other is a conflict.

    python bench/hub_demo.py        (from the repository, Debian's postgresql installed)
"""

import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.hub as a package

from station.hub.errors import HubError
from tests.hub.cluster import Cluster
from tests.hub.fleet import Hub, SimStation

MARTA = {"name": "Marta Demo", "code": "MD-1", "height_cm": 162, "weight_kg": 61}


def history(room: SimStation) -> str:
    patient = room.patient_by_code("MD-1")
    trials = room.station.storage.query(
        "SELECT id, coalesce(origin, ?) AS origin FROM trials WHERE patient_id = ? "
        "ORDER BY started_at",
        [room.settings.station_id, patient["id"]],
    )
    where = ", ".join(f"{t['id'][:8]} (recorded in {t['origin']})" for t in trials) or "none"
    return f"{patient['name']}, {patient['weight_kg']:g} kg; trials: {where}"


def main() -> int:
    logging.basicConfig(level=logging.ERROR)  # the story is printed below, not logged
    rooms = []
    with Cluster() as cluster, tempfile.TemporaryDirectory(prefix="hub-demo-") as where:
        folder = Path(where)
        try:
            hub = Hub(cluster, "balance_hub", folder)
            rooms = [SimStation(hub, f"room-{n}", folder / f"room-{n}", seed=n) for n in (1, 2, 3)]
            room1, room2, room3 = rooms
            marta = room1.records.create_patient(MARTA)
            print(f"room-1: new patient {marta['name']} ({marta['code']})")
            for room in rooms:
                room.sync()
            print("all rooms synced: rooms 2 and 3 know her")

            cluster.stop(kill=True)
            print("\nthe hub loses power: the rooms go on without it")
            for room, weight in ((room2, 58), (room3, 64)):
                here = room.patient_by_code("MD-1")["id"]
                trial = room.run_trial(here)
                room.records.update_patient(here, {**MARTA, "weight_kg": weight})
                try:
                    room.sync()
                except HubError as exc:
                    print(
                        f"{room.settings.station_id}: trial {trial[:8]} recorded, weight set to "
                        f"{weight} kg; sync: {exc}"
                    )

            cluster.start()
            print("\nthe hub is back: room 3 reaches it first, then rooms 2 and 1")
            for _ in range(2):
                for room in (room3, room2, room1):
                    done = room.sync()
                    if any(done.values()):
                        print(f"{room.settings.station_id}: {done}")
            print()
            for room in rooms:
                print(f"{room.settings.station_id}: {history(room)}")
            with hub.admin() as conn:
                for station, reason in conn.execute("SELECT station, reason FROM conflicts"):
                    print(f"\nconflict kept at the hub for a technician ({station}): {reason}")
        finally:
            for room in rooms:
                room.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
