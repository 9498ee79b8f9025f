"""The Station as the panel process sees it: the same methods the panel's blueprints call on an
in-process ``Station``, with the records on the panel's own handle to the database and
everything that runs on the core (drills, STOP, status, the calibration wizard, simulation
tools) asked of the core over its socket (``CoreClient``).

It holds no device, no control loop and no core object: the panel process imports nothing of
``hw`` (tests/test_architecture.py).
"""

import os

from station.runtime.commands import STOPPED_BY_THERAPIST
from station.runtime.core_client import CoreClient
from station.runtime.live import LiveFeed
from station.runtime.station_records import StationRecords
from station.runtime.version import software_version
from station.storage.database import Storage, now_iso
from station.technician.diagnostics import recent_log_lines

MEASURE_TIMEOUT_S = 75.0  # a wizard step measures for up to 60 s, plus settling


class RemoteWizard:
    """The core's calibration wizard, driven step by step from the technician's pages (the
    wizard reads the load cells' samples, which only the core has)."""

    def __init__(self, client: CoreClient):
        self._client = client

    def state(self) -> dict:
        return self._client.call("wizard.state")

    def start(self, username: str, **settings) -> dict:
        return self._client.call("wizard.start", {"username": username, **settings})

    def place_simulated(self) -> dict:
        return self._client.call("wizard.place")

    def measure(self) -> dict:
        return self._client.call("wizard.measure", timeout_s=MEASURE_TIMEOUT_S)

    def save(self, username: str, note: str = "") -> dict:
        return self._client.call("wizard.save", {"username": username, "note": note})

    def close(self) -> dict:
        return self._client.call("wizard.close")


class PanelStation(StationRecords):
    """``config``, the panel's ``storage`` (``Storage(path, owner=False)``) and a ``client`` of
    the core; ``start()`` begins relaying the live view, ``close()`` ends everything."""

    def __init__(self, config, storage: Storage, client: CoreClient):
        self.config = config
        self._serve(storage)
        self.client = client
        self.version = software_version()
        self.started_at = now_iso()
        self.feed = LiveFeed()  # the core's live messages, one text per message
        self.calibration_wizard = RemoteWizard(client)

    def start(self) -> None:
        self.client.start_relay(self.feed)

    def close(self) -> None:
        """End the live streams, disconnect from the core, close the database handle."""
        self.end_live_streams()
        self.client.close()
        self.storage.close()

    # --- the core's runtime ------------------------------------------------------------------
    def start_drill(self, patient_id, drill, params=None, program=None) -> dict:
        args = {"patient_id": patient_id, "drill": drill, "params": params, "program": program}
        return self.client.call("start_drill", args)

    def stop_drill(self, reason: str = STOPPED_BY_THERAPIST) -> str | None:
        """End the running drill through the core's stop lane; the id of the trial that was
        running (None if none was)."""
        return self.client.stop(reason).get("trial_id")

    def zero_tilt(self) -> dict:
        return self.client.call("zero_tilt")

    def mark_attempt_failed(self) -> dict:
        """Fail the attempt under way (the live view's "failed attempt"), through the core."""
        return self.client.call("mark_failed")

    def platform_holder(self) -> str | None:
        return self.client.call("platform_holder")

    def loadcell_rate_sps(self) -> int:
        """The core's: the panel reads ``[loadcells]`` without the amplifiers (``hw``), so
        only the core knows the rate an amplifier defaults to."""
        return self.client.call("loadcell_rate_sps")

    def inject_simulated_fault(self, device: str, fault: str) -> None:
        self.client.call("sim_fault", {"device": device, "fault": fault})

    def set_simulated_person(self, on_platform: bool) -> None:
        self.client.call("sim_person", {"on_platform": on_platform})

    @property
    def simulated(self) -> bool:
        """True when the core runs on emulated hardware (as its config says)."""
        return self.config.station.hardware == "sim"

    def status(self) -> dict:
        """The core's status, with the core as this panel sees it (connected since when, a
        restart) under ``core``, this process under ``panel``, and this panel's live views."""
        status = self.client.call("status")
        status["core"] = {**status.get("core", {}), **self.client.state()}
        status["panel"] = {"pid": os.getpid(), "started_at": self.started_at}
        status["live_clients"] = self.feed.subscribers
        return status

    def drill_status(self) -> dict | None:
        return self.status()["drill"]

    def core_state(self) -> dict:
        """The core as last seen, without asking it (``CoreClient.state``)."""
        return self.client.state()

    def log_lines(self, n: int) -> dict:
        """The newest ``n`` lines of both processes: the journal's under systemd (it has both
        units), else the core's and this panel's own, merged by time."""
        own = recent_log_lines(n)
        if own["source"] == "journal":
            return own
        core = self.client.call("log_lines", {"n": n})
        lines = sorted(core["lines"] + own["lines"], key=lambda line: line["t"])
        return {"source": core["source"] or own["source"], "lines": lines[-n:]}

    # --- the live view -----------------------------------------------------------------------
    def live_stream(self):
        """The core's live messages as they arrive (a message a second saying the core is
        unreachable while it is), until the feed closes; close it when done."""
        subscription = self.feed.subscribe()
        try:
            while not subscription.closed:
                yield from subscription.wait(1.0)
        finally:
            subscription.close()

    def end_live_streams(self) -> None:
        """Wake and end every live view (their responses end)."""
        self.feed.close()
