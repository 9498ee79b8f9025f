"""The daemon under a clinic's load: control-loop timing, CPU, memory and live-stream latency.

Starts the real daemon on simulated hardware (``bench/daemon.py``), logs two panel sessions in
(two tablets), streams /api/v1/live on both for the whole run and keeps quiet-stance trials
running back to back (20 s each: settling, countdown, recording, scoring, storing), as a busy
clinic would. Over ``--seconds`` of real time it measures:

- tick lateness (how late each tick starts after its deadline): the loop reports p50/p99/max
  over its last 10 s in /api/v1/health. Polled every 2 s and read each time 6 s of ticks have
  passed, those overlapping windows cover the run; p50 is the median of the windows', p99 the
  worst window's (so an upper bound of the whole run's p99), max the largest;
- late ticks (started more than half a period late) and ticks, from the loop's counters;
- CPU as a share of one core: the daemon's utime + stime from /proc/<pid>/stat over wall time,
  both its processes (the core: loop, readers, storage; the panel) and all their threads, and,
  in simulation, the emulated chips and the simulated person, which a Pi would not run;
- peak memory: VmHWM from /proc/<pid>/status, the core's and the panel's added;
- live latency: each frame in a live message carries its tick's time on the station's
  ``time.monotonic()``; CLOCK_MONOTONIC is one clock for every process on a machine, so the
  client's ``time.monotonic()`` when the message's line arrives, minus that time, is the delay
  from the tick that built the frame to the client (frame times are rounded to 1 ms). The
  stream batches ~50 ms of frames per message, so the newest frame of each message is the
  fastest path and the oldest waits up to a batch more.

Usage: ``python bench/loop_under_load.py [--seconds 60] [--rate 100]``.
"""

import argparse
import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from daemon import Daemon, PanelSession

PASSWORD = "bench station password"
WINDOW_S = 10.0  # the loop's lateness statistics cover its last 10 s
POLL_S = 2.0  # /api/v1/health, about as often as the two tablets' health badges ask (5 s each)
TRIAL = {"drill": "quiet-stance", "params": {"duration_s": 20, "countdown_s": 3}}


@dataclass
class LoadFigures:
    """What one run measured; lateness and latency in ms."""

    rate_hz: float
    seconds: float
    ticks: int
    late_ticks: int
    lateness_p50_ms: float
    lateness_p99_ms: float
    lateness_max_ms: float
    cpu_pct_of_core: float
    peak_memory_mib: float
    trials_completed: int
    newest_frame_latency_ms: list[float] = field(repr=False)
    frame_latency_ms: list[float] = field(repr=False)

    def latency(self, newest: bool, q: float) -> float:
        data = self.newest_frame_latency_ms if newest else self.frame_latency_ms
        return float(np.percentile(data, q))


class LiveClient(threading.Thread):
    """A panel streaming /api/v1/live until ``stop``; keeps each frame's latency in ms and
    whether a drill runs (``drill_running``, from the stream, as the live view knows it)."""

    def __init__(self, session: PanelSession, stop: threading.Event):
        super().__init__(daemon=True)
        self.session, self.stop = session, stop
        self.measuring = threading.Event()
        self.drill_running = threading.Event()
        self.newest_ms: list[float] = []
        self.all_ms: list[float] = []
        self.messages = 0
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            for arrived, message in self.session.live_messages():
                self.messages += 1
                if message["drill"] is None:
                    self.drill_running.clear()
                else:
                    self.drill_running.set()
                frames = message["frames"]
                if frames and self.measuring.is_set():
                    self.all_ms += [(arrived - f[0]) * 1e3 for f in frames]
                    self.newest_ms.append((arrived - frames[-1][0]) * 1e3)
                if self.stop.is_set():
                    return
        except Exception as exc:  # handed to the main thread, which reports it
            self.error = exc


class TrialRunner(threading.Thread):
    """Keeps a quiet-stance trial running until ``stop``: the next starts when ``viewer``'s
    live stream shows that the last one ended (no polling of its own)."""

    def __init__(self, session, viewer: LiveClient, patient_id: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.session, self.viewer, self.patient_id, self.stop = session, viewer, patient_id, stop
        self.started: list[str] = []
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.viewer.drill_running.is_set():
                    body = {"patient_id": self.patient_id, **TRIAL}
                    self.started.append(self.session.call("/api/v1/trials", body)["trial_id"])
                    self.viewer.drill_running.wait(5.0)  # the stream shows it within ~50 ms
                self.stop.wait(0.2)
        except Exception as exc:
            self.error = exc

    def completed(self) -> int:
        states = [self.session.call(f"/api/v1/trials/{t}")["state"] for t in self.started]
        return states.count("completed")


def measure(rate_hz: float, seconds: float, clients: int = 2) -> LoadFigures:
    """Run the daemon at ``rate_hz`` for ``seconds`` of real time under the clinic's load."""
    with Daemon(loop_rate_hz=rate_hz) as daemon:
        therapist = PanelSession(daemon.base)
        therapist.set_up_first_account("bench", PASSWORD)
        patient = therapist.call("/api/v1/patients", {"name": "Bench Patient"})
        stop = threading.Event()
        viewers = []
        for _ in range(clients):
            tablet = PanelSession(daemon.base)
            tablet.log_in("bench", PASSWORD)
            viewers.append(LiveClient(tablet, stop))
        runner = TrialRunner(therapist, viewers[0], patient["id"], stop)
        for thread in (*viewers, runner):
            thread.start()
        while any(v.messages == 0 for v in viewers):  # every client streaming
            _raise_from(*viewers, runner)
            time.sleep(0.1)
        try:
            figures = _measured_window(daemon, viewers, runner, rate_hz, seconds)
        finally:
            stop.set()
            for thread in (*viewers, runner):
                thread.join(15)
        _raise_from(*viewers, runner)
        figures.trials_completed = runner.completed()
        figures.peak_memory_mib = daemon.peak_memory_mib()
        return figures


def _measured_window(daemon, viewers, runner, rate_hz, seconds) -> LoadFigures:
    window_ticks = WINDOW_S * rate_hz - 2 * POLL_S * rate_hz  # windows overlap, never gap
    start = daemon.health()["loop"]
    cpu0, wall0 = daemon.cpu_s(), time.monotonic()
    for viewer in viewers:
        viewer.measuring.set()
    windows, taken = [], start["ticks"]
    while time.monotonic() - wall0 < seconds:
        time.sleep(POLL_S)
        _raise_from(*viewers, runner)
        loop = daemon.health()["loop"]
        if loop["ticks"] - taken >= window_ticks:
            windows.append(loop["lateness_ms"])
            taken = loop["ticks"]
    for viewer in viewers:
        viewer.measuring.clear()
    loop = daemon.health()["loop"]
    cpu, wall = daemon.cpu_s() - cpu0, time.monotonic() - wall0
    windows.append(loop["lateness_ms"])
    return LoadFigures(
        rate_hz=rate_hz,
        seconds=wall,
        ticks=loop["ticks"] - start["ticks"],
        late_ticks=loop["late_ticks"] - start["late_ticks"],
        lateness_p50_ms=statistics.median(w["p50"] for w in windows),
        lateness_p99_ms=max(w["p99"] for w in windows),
        lateness_max_ms=max(w["max"] for w in windows),
        cpu_pct_of_core=100 * cpu / wall,
        peak_memory_mib=0.0,
        trials_completed=0,
        newest_frame_latency_ms=[ms for v in viewers for ms in v.newest_ms],
        frame_latency_ms=[ms for v in viewers for ms in v.all_ms],
    )


def _raise_from(*threads) -> None:
    for thread in threads:
        if thread.error is not None:
            raise RuntimeError(f"{type(thread).__name__} failed: {thread.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    f = measure(args.rate, args.seconds)
    print(f"loop {f.rate_hz:g} Hz for {f.seconds:.1f} s with 2 live clients: {f.ticks} ticks")
    print(f"  tick lateness p50/p99/max   {f.lateness_p50_ms:.3f} / {f.lateness_p99_ms:.3f} / "
          f"{f.lateness_max_ms:.3f} ms; late ticks {f.late_ticks}")  # fmt: skip
    print(f"  CPU {f.cpu_pct_of_core:.1f} % of one core, peak memory {f.peak_memory_mib:.0f} MiB")
    print(f"  trials completed meanwhile  {f.trials_completed}")
    print(f"  live latency, newest frame of each message p50/p99  {f.latency(True, 50):.1f} / "
          f"{f.latency(True, 99):.1f} ms; every frame p50/p99  {f.latency(False, 50):.1f} / "
          f"{f.latency(False, 99):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
