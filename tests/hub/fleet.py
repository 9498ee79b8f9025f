"""A clinic in a box for the hub's tests, demo and benchmark: a hub database on a cluster
(``tests/hub/cluster.py``), migrated by the project, and stations on simulated hardware (the
virtual clock, their own SQLite files) with their sync agents."""

from pathlib import Path

import psycopg

from station.clock import VirtualClock
from station.hub import schema
from station.hub.agent import SyncAgent
from station.hub.settings import HubSettings
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from tests.hub.cluster import Cluster


class Hub:
    """A hub database of ``cluster``, migrated; ``add_station`` registers one and gives its
    settings; ``admin()`` a connection as the hub's owner."""

    def __init__(self, cluster: Cluster, name: str, folder: Path):
        self.cluster, self.name, self.folder = cluster, name, folder
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.dsn = cluster.dsn(dbname=name)
        schema.migrate(self.dsn)

    def add_station(self, station_id: str) -> HubSettings:
        password = f"{station_id} password for the hub"
        schema.add_station(self.dsn, station_id, password)
        secret = self.folder / f"{station_id}.hub-password"
        secret.write_text(password + "\n")
        return HubSettings(
            host="127.0.0.1",
            port=self.cluster.port,
            database=self.name,
            station_id=station_id,
            password_file=secret,
            ca_file=None,
            interval_s=1.0,
        )

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)

    def count(self, table: str, kind: str) -> int:
        with self.admin() as conn:
            return conn.execute(f"SELECT count(*) FROM {table} WHERE kind = %s", [kind]).fetchone()[
                0
            ]


class SimStation:
    """A station on simulated hardware (virtual clock) with its database in ``folder`` and
    its sync agent (not started: ``sync()`` runs one cycle)."""

    def __init__(self, hub: Hub, station_id: str, folder: Path, seed: int = 1):
        folder.mkdir()
        config = parse_config(
            {"sim": {"seed": seed, "step_on_at_s": 0.5}, "imu": {"enabled": False}}
        )
        self.station = Station(config, clock=VirtualClock(), db_path=folder / "station.db")
        self.records = self.station.records
        self.settings = hub.add_station(station_id)
        self.agent = SyncAgent(self.station.storage, self.settings, "test")

    def sync(self) -> dict:
        self.station.storage.flush()
        return self.agent.sync_once()

    def run_trial(self, patient_id: int, seconds: float = 5.0) -> str:
        params = {"countdown_s": 0, "duration_s": seconds}
        trial_id = self.station.start_drill(patient_id, "quiet-stance", params)["trial_id"]
        self.station.run_virtual(max_s=60.0)
        self.station.storage.flush()
        return trial_id

    def patient_by_code(self, code: str) -> dict:
        rows = self.station.storage.query("SELECT * FROM patients WHERE code = ?", [code])
        return rows[0] if rows else None

    def close(self) -> None:
        self.station.close()
