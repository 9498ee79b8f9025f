"""Issue 19, "safe by default": a station reaches a hub that requires TLS, verifying the
hub's certificate against the clinic's CA ([hub] ca_file: libpq's verify-full); a hub whose
certificate the clinic's CA did not sign is refused with words that say so, and a connection
without TLS is refused by the hub."""

import dataclasses

import psycopg
import pytest

from station.hub.agent import SyncAgent
from station.hub.errors import HubError
from station.records.service import Records
from station.storage.database import Storage
from tests.hub.cluster import Cluster, make_ca
from tests.hub.fleet import Hub

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def tls_cluster():
    with Cluster(tls=True) as cluster:
        yield cluster


@pytest.fixture
def station_storage(tmp_path):
    storage = Storage(tmp_path / "station.db")
    yield storage
    storage.close()


def test_a_station_syncs_over_tls_verified_against_the_clinics_ca(
    tls_cluster, station_storage, tmp_path
):
    hub = Hub(tls_cluster, "tls_hub", tmp_path)
    settings = dataclasses.replace(hub.add_station("room-1"), ca_file=tls_cluster.ca_file)
    Records(station_storage).create_patient({"name": "Tess Tls", "height_cm": 160})
    agent = SyncAgent(station_storage, settings, "test")
    assert agent.sync_once()["pushed"] == 1
    with psycopg.connect(settings.conninfo()) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.info.get_parameters()["sslmode"] == "verify-full"

    other_ca = tmp_path / "another-ca.crt"
    make_ca(tmp_path, other_ca, "Not The Clinic")
    stranger = SyncAgent(station_storage, dataclasses.replace(settings, ca_file=other_ca), "t")
    with pytest.raises(HubError, match="could not be verified against the clinic's CA") as e:
        stranger.sync_once()
    assert str(other_ca) in str(e.value) and "names 127.0.0.1" in str(e.value)

    plain = settings.conninfo().replace("sslmode=verify-full", "sslmode=disable")
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(plain)
