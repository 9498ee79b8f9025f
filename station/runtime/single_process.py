"""``balance-station run --single-process``: the station as it ran before the core and the
panel were split, in one process with no raised priority, kept so that ``bench/`` can measure
the old path beside the new one in the same run. Not for clinics: here a crashing panel or a
login flood shares the control loop's process.
"""

import logging

from station.config import prepare_data_dir
from station.runtime.core_main import quiet_drivers, shut_down, stop_on_signals
from station.runtime.notify import SystemdNotifier, status_line
from station.runtime.panel_main import serve_panel
from station.runtime.runlock import PANEL_LOCK_NAME, RunLock
from station.runtime.station import Station

log = logging.getLogger("balance-station")


def run_single_process(config) -> int:
    """Run the control loop, storage and panel in this process until SIGTERM/SIGINT."""
    notifier = SystemdNotifier()
    data_dir = prepare_data_dir(config)
    core_lock = RunLock(data_dir, "the one-process station")
    core_lock.acquire()
    panel_lock = RunLock(data_dir, "the one-process station", PANEL_LOCK_NAME)
    panel_lock.acquire()
    notifier.status("starting: checking the database, opening the devices")
    quiet_drivers()
    stop = stop_on_signals()
    station = Station(config, notifier=notifier)
    server = serve_panel(config, station)
    station.start()
    server.start()
    exit_code = 0
    if station.wait_until_sampling():
        notifier.ready(f"{status_line(station.status())}; panel on {server.url}")
        log.info("station running in one process; panel on %s", server.url)
    else:
        log.error("the control loop did not start ticking: stopping")
        stop.set()
        exit_code = 1
    while not stop.wait(1.0):
        pass
    notifier.stopping("stopping: ending any trial, flushing the database")
    shut_down(station, server, notifier)
    panel_lock.release()
    core_lock.release()
    return exit_code
