"""``balance-station panel``: the panel process (waitress, Flask, password hashing, the live
fan-out, pages and exports), under systemd or started by ``balance-station run``.

It has no device and imports nothing of ``hw``: drills, STOP, status and the calibration wizard
are asked of the core over its socket (``PanelStation``), records come from the panel's own
handle to the database. It runs at normal priority (giving back any raised priority it
inherited) and starts whether or not the core answers: the pages then say the core is
unreachable, and the panel reconnects by itself.
"""

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from station.config import prepare_data_dir
from station.errors import StorageError
from station.hub.settings import hub_settings
from station.runtime.core_client import CoreClient
from station.runtime.notify import SystemdNotifier
from station.runtime.panel_station import PanelStation
from station.runtime.priority import normal_priority
from station.runtime.protocol import socket_path
from station.runtime.runlock import PANEL_LOCK_NAME, RunLock
from station.runtime.server import PanelServer
from station.storage.database import Storage
from webpanel.api import STOP_PATH
from webpanel.app import create_app

log = logging.getLogger("balance-station.panel")

DATABASE_WAIT_S = 60.0  # a first start: the core creates the database
# How long a thread may keep the GIL while another waits (Python's default: 5 ms): dozens of
# live streams, hashing and page rendering share it with STOP's thread, which should not wait.
GIL_SWITCH_S = 0.001


def panel_threads(config) -> int:
    """Waitress's worker threads: ``[panel] threads`` for requests plus one per allowed live
    view, so that the live views the panel admits never take the threads commands need."""
    return config.panel.threads + config.panel.live_streams


def serve_panel(config, station) -> PanelServer:
    """The panel's server over ``station`` as ``[panel]`` configures it, not yet started; the
    station is closed if the server cannot be made (a port in use, a bad address)."""
    try:
        return PanelServer(
            create_app(station),
            host=config.panel.host,
            port=config.panel.port,
            threads=panel_threads(config),
            stop_path=STOP_PATH,
            per_address=config.panel.connections_per_address,
        )
    except Exception:
        station.close()
        raise


def run_panel(config, exit_with: int | None = None) -> int:
    """Serve the panel until SIGTERM/SIGINT, or until process ``exit_with`` (the core that
    started this panel) has ended."""
    notifier = SystemdNotifier()
    priority = normal_priority()
    sys.setswitchinterval(GIL_SWITCH_S)
    data_dir = prepare_data_dir(config)
    lock = RunLock(data_dir, "the station's panel", PANEL_LOCK_NAME)
    lock.acquire()  # a restore must not swap the database under the panel either
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    storage = _open_database(data_dir / "station.db", stop)
    station = PanelStation(config, storage, CoreClient(socket_path(config), config.panel.threads))
    server = serve_panel(config, station)
    station.sync_agent = _sync_agent(config, storage, station.version)
    station.start()
    server.start()
    notifier.ready(f"panel on {server.url}")
    log.info(
        "panel on %s (%s; %d threads for requests, %d for live views, 1 for STOP)",
        server.url,
        priority,
        config.panel.threads,
        config.panel.live_streams,
    )
    shown = None
    while not stop.wait(1.0):
        if exit_with is not None and os.getppid() != exit_with:
            log.warning("the core (pid %d) has ended: stopping the panel", exit_with)
            break
        line = _status_line(station, server.url)
        if line != shown:
            notifier.status(line)
            shown = line
    notifier.stopping("stopping: ending the live views")
    station.end_live_streams()  # or each would hold its worker until the server's timeout
    server.close()
    if station.sync_agent is not None:
        station.sync_agent.close()
    station.close()
    notifier.close()
    lock.release()
    log.info("panel stopped")
    return 0


def _sync_agent(config, storage: Storage, version: str):
    """The clinic hub's sync agent, started, where ``[hub]`` names a hub; else None."""
    settings = hub_settings(config)
    if settings is None:
        return None
    from station.hub.agent import SyncAgent  # psycopg only where a hub is configured

    agent = SyncAgent(storage, settings, version)
    agent.start()
    log.info(
        "syncing with the clinic hub at %s:%d as station %s every %g s",
        settings.host,
        settings.port,
        settings.station_id,
        settings.interval_s,
    )
    return agent


def _open_database(path: Path, stop: threading.Event) -> Storage:
    """The panel's handle on the database, once the core has created and migrated it (waits up
    to ``DATABASE_WAIT_S`` on a first start)."""
    deadline = time.monotonic() + DATABASE_WAIT_S
    while True:
        try:
            if path.exists():
                return Storage(path, owner=False)
            error = StorageError(
                f"no database at {path}: start the station's core (balance-station core, or "
                "systemctl start balance-station), which creates it"
            )
        except StorageError as exc:  # the core is migrating it, or this is the wrong version
            error = exc
        if stop.wait(0.5) or time.monotonic() > deadline:
            raise error


def _status_line(station: PanelStation, url: str) -> str:
    """The line ``systemctl status balance-station-panel`` shows: where, the core, viewers."""
    core = station.core_state()
    views = station.feed.subscribers
    return f"panel on {url}; core {core['state']} since {core['since']}; {views} live views"
