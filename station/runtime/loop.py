"""The control loop: fixed-rate, deadline-scheduled ticks that drive sensing, drills and cues.

Each tick checks the stop button, drains the readers' queues (every conversion, timed on its
chip's clock), builds the Frames of the grid points those conversions complete
(``sensing.grid``: one per period at exactly ``k / rate``, so a late tick builds two and the
loop's jitter never reaches a frame's time), and for each steps the active drill, applies its
cues, records the frame and publishes it; then it ends a drill whose sensor went quiet for
longer than that sensor's stale limit, advances the buzzer and pings the watchdog. Deadlines
advance by exactly one period (never ``sleep(period)``), so timing errors do not accumulate; a
tick that starts more than half a period after its deadline is counted late. Nothing slow runs
here: storage is handed to the writer thread, and a finished trial to the scoring worker
(``station.runtime.scoring``), which scores it and calls ``on_end``.
"""

import logging
import math
import queue
import threading
from collections import deque

import numpy as np

from drills.cues import INSTRUCTIONS, AllOff, Instruct, Light, Status
from hw.reader import pump_inline
from sensing.grid import FrameGrid
from station.errors import BusyError
from station.i18n.catalog import DEFAULT_LANGUAGE
from station.runtime.commands import (
    STOP_BUTTON_PRESSED,
    MarkFailed,
    StartTrial,
    StopTrial,
    ZeroTilt,
)
from station.runtime.scoring import ScoringWorker

log = logging.getLogger(__name__)

SENSOR_NAMES = {"loadcells": "load cells", "imu": "the IMU"}
RESYNC_AFTER_S = 1.0


class ControlLoop:
    """Ticks at ``rate_hz`` on ``clock``; runs at most one trial at a time.

    ``loadcells`` and ``imu`` are readers (``hw.reader``): ``drain()`` gives their samples,
    ``rate_hz`` is the sensor's conversion rate and ``stale_limit_s`` how long a drill that
    needs the sensor waits for a sample before it ends as aborted."""

    def __init__(
        self,
        *,
        clock,
        rate_hz,
        loadcells,
        cues,
        frames,
        feed,
        on_begin,
        on_end,
        imu=None,
        stop_button=None,
        sensor_errors=None,
        on_instruct=None,
        on_tick=None,
        watchdog=None,
        speaker=None,
    ):
        self.clock = clock
        self.rate_hz = rate_hz
        self.period_s = 1.0 / rate_hz
        self.loadcells = loadcells
        self.imu = imu
        self.stop_button = stop_button
        self.sensor_errors = sensor_errors or (lambda name: None)
        self.on_instruct = on_instruct  # (code, t_s): what the patient was told
        self.on_tick = on_tick  # (t_s): simulation only, the virtual patient looks at the cues
        self.speaker = speaker  # station.runtime.spoken.Speaker: says the cues (queues only)
        # the newest instructions (those given in one tick together), for the panel
        self.instruction: dict | None = None
        self.cues = cues
        self.frames = frames
        self.feed = feed
        self.on_begin = on_begin
        self.scoring = ScoringWorker(on_end, inline=clock.virtual)  # calls on_end(session, t)
        self.watchdog = watchdog
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.session = None
        self.last_frame = None
        self.ticks = 0
        self.late_ticks = 0
        self.resyncs = 0
        self._tick_times = deque(maxlen=max(2, int(rate_hz * 5)))
        self._lateness = deque(maxlen=max(2, int(rate_hz * 10)))
        self._first_tick_t: float | None = None  # sensors get their stale limit from here
        self.sensors = {"loadcells": loadcells} | ({"imu": imu} if imu is not None else {})
        self.grid = FrameGrid(
            rate_hz,
            loadcells.rate_hz,
            imu_max_age_s=0.0 if imu is None else imu.stale_limit_s,
        )

    # --- one tick ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Run one control step at the clock's current time."""
        now = self.clock.now()
        if self._first_tick_t is None:
            self._first_tick_t = now
        self._tick_times.append(now)
        self._handle_commands(now)
        if self.stop_button is not None and self.stop_button.take_press():
            self.abort(STOP_BUTTON_PRESSED, now, tone="stop")
        self.grid.add_loadcells(self.loadcells.drain())
        if self.imu is not None:
            self.grid.add_imu(self.imu.drain())
        for point in self.grid.due(now):
            self._frame(point, now)
        if self.session is not None:
            self._end_if_stale(now)
        if self.on_tick is not None:
            self.on_tick(now)
        self.cues.update(now)
        if self.watchdog is not None:
            self.watchdog(now)
        self.ticks += 1  # counted once done: READY waits for a whole tick, its watchdog ping too

    def _frame(self, point, now: float) -> None:
        """Build the Frame of one grid point, step the drill with it, record and publish it."""
        frame = self.frames.build(
            point.t_s,
            point.counts,
            point.fresh,
            point.imu,
            conversions=point.conversions,
            lost_conversions=point.lost,
            source_seq=point.seq,
        )
        self.last_frame = frame
        session = self.session
        if session is not None:
            session.add_frame(frame)
            self._apply(session.drill.step(frame), now, frame.t_s)
            if session.drill.finished:
                self._end(now)
        self.feed.publish(frame)

    def _end_if_stale(self, now: float) -> None:
        """End the drill when a sensor it needs sent nothing for longer than its stale limit
        (counted from the first tick before any sample)."""
        session = self.session
        for name in session.drill.needs:
            newest = self.grid.newest_t(name)
            if now - (self._first_tick_t if newest is None else newest) > self.stale_limit_s(name):
                what = SENSOR_NAMES[name]
                self._apply(session.drill.stop(now, self._fault_reason(name, what)), now)
                self._end(now)
                return

    def stale_limit_s(self, sensor: str) -> float:
        """How long ``sensor`` may send nothing before a drill that needs it ends."""
        return self.sensors[sensor].stale_limit_s

    def _fault_reason(self, sensor: str, what: str) -> str:
        error = self.sensor_errors(sensor)
        return f"{what} stopped sending samples (sensor fault{': ' + error if error else ''})"

    def _apply(self, cues, now: float, t_s: float | None = None) -> None:
        """Put ``cues`` on the lights and buzzer now; log them (and group instructions) at
        ``t_s``, the time of the frame that caused them (``now`` for commands)."""
        t_s = now if t_s is None else t_s
        stopping = any(isinstance(cue, AllOff) for cue in cues)  # a warning then means: stop
        for cue in cues:
            if isinstance(cue, AllOff):
                self.cues.all_off()
                if self.speaker is not None:
                    self.speaker.hush()
            elif isinstance(cue, Light):
                self.cues.set_light(cue.name, cue.on)
            elif isinstance(cue, Status):
                self.cues.set_status(cue.colour)
            elif isinstance(cue, Instruct):
                self._instruct(cue.code, now, t_s)
            else:
                self.cues.play(cue.pattern, now)
                if self.speaker is not None:
                    self.speaker.tone(cue.pattern, self._countdown_left_s(), stopping)
        if cues and self.session is not None:
            self.session.add_cues(t_s, [cue.label() for cue in cues])

    def _instruct(self, code: str, now: float, t_s: float) -> None:
        """Say instruction ``code`` to the patient in their language and show it on the panel
        (instructions given in one tick are shown together)."""
        if self.speaker is None:
            said, language = INSTRUCTIONS[code], DEFAULT_LANGUAGE
        else:
            said, language = self.speaker.instruction(code), self.speaker.language
        last = self.instruction
        if last is not None and last["t_s"] == t_s:
            self.instruction = {**last, "codes": [*last["codes"], code]}
            self.instruction["text"] = f"{last['text']} {said}"
        else:
            self.instruction = {"codes": [code], "text": said, "language": language, "t_s": t_s}
        if self.on_instruct is not None:
            self.on_instruct(code, now)

    def _countdown_left_s(self) -> int | None:
        """Whole seconds left of the running drill's countdown (None outside one)."""
        return None if self.session is None else self.session.drill.status().get("countdown_s")

    def _end(self, now) -> None:
        session, self.session = self.session, None
        self.scoring.submit(session, now)  # scored and stored off the loop
        drill = session.drill  # its phase and reason, not result(): the worker scores it
        log.info(
            "trial %s %s ended: %s%s",
            session.trial_id,
            drill.name,
            drill.phase.value,
            f" ({drill.reason})" if drill.reason else "",
        )

    def _handle_commands(self, now) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(command, StartTrial):
                if self.session is not None:
                    command.done.set_exception(
                        BusyError(f"{self.session.drill.name} is running: stop it first")
                    )
                    continue
                if self.stop_button is not None and self.stop_button.held:
                    command.done.set_exception(
                        BusyError("the stop button is held down: release it, then start again")
                    )
                    continue
                command.session.t0_s = self.grid.next_t_s(now)  # its first frame's time
                self.session = command.session
                self.on_begin(command.session)
                log.info(
                    "trial %s %s started", command.session.trial_id, command.session.drill.name
                )
                command.done.set_result(command.session.trial_id)
            elif isinstance(command, ZeroTilt):
                command.done.set_result(self.frames.zero_tilt())
            elif isinstance(command, StopTrial):
                self.abort(command.reason, now, tone="stop")
                command.done.set_result(None)
            elif isinstance(command, MarkFailed):
                self._mark_failed(command, now)

    def _mark_failed(self, command: MarkFailed, now: float) -> None:
        session = self.session
        mark = getattr(session.drill, "mark_failed", None) if session is not None else None
        if mark is None:
            what = "no drill is running" if session is None else f"{session.drill.name} has none"
            command.done.set_exception(BusyError(f"no attempt to mark as failed: {what}"))
            return
        cues = mark(now)  # None: nothing under way to mark
        self._apply(cues or [], now)
        if session.drill.finished:
            self._end(now)
        command.done.set_result(cues is not None)

    def abort(self, reason: str, now: float, tone: str | None = None) -> None:
        """End the running trial (if any) as aborted with its data kept: every cue off, then
        ``tone`` (if given) so the patient hears that the stop took effect."""
        if self.session is not None:
            self._apply(self.session.drill.stop(now, reason, tone or "warning"), now)
            self._end(now)
        else:
            self.cues.all_off()
            if tone is not None:
                self.cues.play(tone, now)

    # --- scheduling --------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Tick in real time until ``stop`` is set; deadlines on the monotonic clock."""
        deadline = self.clock.now()
        while not stop.is_set():
            lateness = self.clock.now() - deadline
            if lateness > RESYNC_AFTER_S:  # suspended or starved: restart the schedule
                self.resyncs += 1
                deadline = self.clock.now()
                lateness = 0.0
            self._lateness.append(lateness)
            if lateness > self.period_s / 2:
                self.late_ticks += 1
            self.tick()
            deadline += self.period_s
            stop.wait(max(0.0, deadline - self.clock.now()))

    def run_virtual(self, until, max_s: float) -> None:
        """Tick on a virtual clock as fast as possible until ``until()`` or ``max_s`` elapse
        (then the clock stands at the next tick's time, so a following call goes on without a
        second tick at the same time); between ticks the readers poll at their own times
        (``hw.reader.pump_inline``).

        A tick or poll that itself moved virtual time past later slots (a sensor
        re-initialised inline waits on the virtual clock) makes the next tick late (counted)
        and the missed slots are skipped, as a real loop would, so no two ticks share a time;
        the frames of the skipped slots are built by that late tick."""
        readers = [reader for reader in self.sensors.values() if hasattr(reader, "poll_once")]
        t0 = self.clock.now()
        slots = round(max_s * self.rate_hz)
        pump_inline(readers, t0, self.clock)
        k = 0
        while k < slots:
            self.tick()
            if until():
                return
            k += 1
            while True:  # the readers poll up to the next slot
                slot_s = t0 + k * self.period_s
                pump_inline(readers, slot_s, self.clock)
                overrun_s = self.clock.now() - slot_s
                if overrun_s <= 1e-9:
                    break
                self.late_ticks += 1  # a poll ran past the slot: the tick comes late
                k += math.ceil(overrun_s / self.period_s - 1e-9)
            self.clock.advance_to(t0 + k * self.period_s)

    def close(self) -> None:
        """Let the scoring worker store the trials that ended, then stop it (after ``run``
        has returned); safe to call twice."""
        self.scoring.close()

    def status(self) -> dict:
        """Plain-dict loop state: target and measured rate, late ticks, lateness statistics,
        grid points skipped after a stall, each sensor's stale limit and the scoring worker."""
        times = self._tick_times
        span_s = times[-1] - times[0] if len(times) > 1 else 0.0
        out = {
            "rate_hz": self.rate_hz,
            "measured_rate_hz": round((len(times) - 1) / span_s, 2) if span_s > 0 else 0.0,
            "ticks": self.ticks,
            "late_ticks": self.late_ticks,
            "resyncs": self.resyncs,
            "skipped_frames": self.grid.skipped,
            "stale_limits_s": {name: self.stale_limit_s(name) for name in self.sensors},
            "scoring": self.scoring.status(),
        }
        if self._lateness:
            lateness_ms = np.asarray(self._lateness) * 1e3
            p50, p99 = np.percentile(lateness_ms, [50, 99])
            out["lateness_ms"] = {
                "p50": round(float(p50), 3),
                "p99": round(float(p99), 3),
                "max": round(float(lateness_ms.max()), 3),
            }
        return out
