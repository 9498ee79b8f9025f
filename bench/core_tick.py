"""The core's own CPU per control-loop tick, without the emulated chips and the simulated person
(the part a Raspberry Pi runs), and an estimate for a Raspberry Pi 4.

Measured here, per tick at the default 100 Hz:

- the tick itself (commands, stop button, frame building, the drill, cues, the live feed, the
  watchdog), replaying the load-cell and IMU samples a simulated station recorded, with no
  simulated person, while a quiet-stance trial records: the loop thread's CPU time per tick;
- the sensor drivers' Python: ``bench/reader_cpu.py``'s CPU per sample with the emulated chips'
  share taken out, times the samples in a tick (four NAU7802s at 320 SPS: 3.2; the BNO08x at
  100 Hz: 1). On a Pi the kernel's I2C transfers come on top, mostly waiting on the bus;
- the live message to the panel: one encoded every ~5 ticks (``live_message``);
- the trial's storage: its raw frames encoded into the stored blob once at the end (the writer
  thread), per tick of a 30 s trial.

The Pi 4 estimate multiplies by a single-core slowdown measured here against a published Pi 4
figure for the same work: an n-body simulation in pure Python (the benchmark game's algorithm)
took 158.26 s for 5 million steps on a Raspberry Pi 4 Model B at 1.5 GHz with the performance
governor (C. Mehta, "Performance Analysis of Languages on Raspberry Pi",
chaitanyamehta.github.io), i.e. 31.65 s per million steps; this machine's time for the same
steps, measured below, gives the factor. That Pi figure most likely ran an older Python (a 2020
Raspberry Pi OS ships 3.7, slower than 3.11 on such code), so the factor overstates the Pi's
slowness: the estimate is an upper one. A cross-check from compiled code: sysbench's CPU test,
single thread, 812 events/s on a Pi 4 at 1.8 GHz (zbotic.in's Pi 5 vs Pi 4 benchmarks), about
677 at 1.5 GHz, against about 4,000 here (sysbench 1.0.20): a factor of 5.9.

Usage: ``python bench/core_tick.py [--ticks 3000]``.
"""

import argparse
import dataclasses
import time

import reader_cpu

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.live_messages import live_message
from station.runtime.station import Station
from station.storage.samples import encode

PI4_S_PER_MILLION_STEPS = 158.26 / 5  # n-body, pure Python, Pi 4 Model B at 1.5 GHz
NAU7802_PER_TICK = 320 / 100
BNO08X_PER_TICK = 100 / 100


class Replay:
    """A reader that hands out, tick by tick, the samples a simulated station's loop drained,
    their times moved on by as much as the clock has since they were recorded."""

    def __init__(self, batches: list, clock):
        self.batches, self.clock, self.k = batches, clock, 0

    def drain(self) -> list:
        recorded_at, batch = self.batches[self.k % len(self.batches)]
        self.k += 1
        shift = self.clock.now() - recorded_at
        return [_shifted(sample, shift) for sample in batch]


def _shifted(sample, shift_s: float):
    """``sample`` with its time (and its corners' conversion times) ``shift_s`` later."""
    moved = {"t_s": sample.t_s + shift_s}
    if hasattr(sample, "times_s"):
        moved["times_s"] = tuple(t + shift_s for t in sample.times_s)
    return dataclasses.replace(sample, **moved)


def recorded(station: Station, ticks: int) -> tuple[list, list]:
    """What the loop drained from each reader in ``ticks`` ticks of the simulated station,
    person on: (tick time, samples) per tick."""
    loadcells, imu = [], []
    readers = station.loop.loadcells, station.loop.imu

    class Recorder:
        def __init__(self, reader, into):
            self.reader, self.into = reader, into

        def __getattr__(self, name):
            return getattr(self.reader, name)

        def drain(self):
            batch = self.reader.drain()
            self.into.append((station.clock.now(), batch))
            return batch

    station.loop.loadcells, station.loop.imu = (
        Recorder(readers[0], loadcells),
        Recorder(readers[1], imu),
    )
    station.run_virtual(ticks / station.loop.rate_hz, until_trial_ends=False)
    station.loop.loadcells, station.loop.imu = readers
    return loadcells, imu


def tick_us(ticks: int) -> tuple[float, Station]:
    """CPU µs of the loop thread per tick, replaying recorded samples, no simulated person."""
    config = parse_config({"sim": {"step_on_at_s": 0.2, "seed": 1}})
    clock = VirtualClock()
    station = Station(config, clock=clock, db_path=":memory:")
    station.run_virtual(3.0, until_trial_ends=False)  # standing, settled
    loadcells, imu = recorded(station, 2000)
    station.loop.loadcells, station.loop.imu = Replay(loadcells, clock), Replay(imu, clock)
    station.loop.on_tick = None  # no simulated person, no virtual patient
    patient = station.records.create_patient({"name": "Tick"})
    params = {"duration_s": 60, "countdown_s": 0}
    station.start_drill(patient["id"], "quiet-stance", params)
    period = 1.0 / station.loop.rate_hz
    t0, spent = clock.now(), 0.0
    for k in range(1, ticks + 1):
        clock.advance_to(t0 + k * period)
        started = time.thread_time()
        station.loop.tick()
        spent += time.thread_time() - started
    return spent / ticks * 1e6, station


def live_us_per_tick(station: Station, repeats: int = 2000) -> float:
    """Encoding one live message (5 frames and the live state), spread over its 5 ticks."""
    frames = [station.loop.last_frame] * 5
    started = time.process_time()
    for _ in range(repeats):
        live_message(frames, station.live_state())
    return (time.process_time() - started) / repeats * 1e6 / 5


def storage_us_per_tick(station: Station, seconds: float = 30.0) -> float:
    """Encoding a ``seconds`` recording's blob at the trial's end, per tick of the trial."""
    rows = station.loop.session.outcome(station.clock.now())[1]
    ticks = round(seconds * station.loop.rate_hz)
    rows = rows[:ticks] if len(rows) >= ticks else rows.repeat(-(-ticks // len(rows)), axis=0)
    started = time.process_time()
    encode(rows[:ticks])
    return (time.process_time() - started) * 1e6 / ticks


def nbody_s_per_million_steps(steps: int = 200_000) -> float:
    """This machine's time for the n-body steps the Pi 4 figure was measured on."""
    bodies = _solar_system()
    pairs = [(bodies[i], bodies[j]) for i in range(5) for j in range(i + 1, 5)]
    started = time.process_time()
    for _ in range(steps):
        for ((x1, y1, z1), v1, m1), ((x2, y2, z2), v2, m2) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = 0.01 * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for r, (vx, vy, vz), _ in bodies:
            r[0] += 0.01 * vx
            r[1] += 0.01 * vy
            r[2] += 0.01 * vz
    return (time.process_time() - started) * 1e6 / steps


def _solar_system() -> list:
    """The Sun and the four giant planets (positions AU, velocities AU/year, masses in units
    of the Sun's 4 pi^2), the benchmark game's initial state."""
    pi, days = 3.14159265358979323, 365.24
    sun = 4 * pi * pi
    planets = (
        (4.84143144246472090, -1.16032004402742839, -0.103622044471123109,
         0.00166007664274403694, 0.00769901118419740425, -0.0000690460016972063023,
         0.000954791938424326609),
        (8.34336671824457987, 4.12479856412430479, -0.403523417114321381,
         -0.00276742510726862411, 0.00499852801234917238, 0.0000230417297573763929,
         0.000285885980666130812),
        (12.8943695621391310, -15.1111514016986312, -0.223307578892655734,
         0.00296460137564761618, 0.00237847173959480950, -0.0000296589568540237556,
         0.0000436624404335156298),
        (15.3796971148509165, -25.9193146099879641, 0.179258772950371181,
         0.00268067772490389322, 0.00162824170038242295, -0.0000951592254519715870,
         0.0000515138902046611451),
    )  # fmt: skip
    bodies = [([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], sun)]
    for x, y, z, vx, vy, vz, mass in planets:
        bodies.append(([x, y, z], [vx * days, vy * days, vz * days], mass * sun))
    return bodies


def measure(ticks: int, samples: int) -> dict:
    """Each part in µs per tick, their sum, % of a core at 100 Hz, and the Pi 4 factor."""
    loop_us, station = tick_us(ticks)
    try:
        parts = {
            "control-loop tick (replayed samples, no simulated person)": loop_us,
            "live message to the panel": live_us_per_tick(station),
            "trial's stored blob": storage_us_per_tick(station),
        }
    finally:
        station.close()
    nau_total, nau_emulated = reader_cpu.nau7802(samples)
    imu_total, imu_emulated = reader_cpu.bno08x(samples)
    parts["sensor drivers (NAU7802 x4 at 320 SPS, BNO08x at 100 Hz)"] = (
        nau_total - nau_emulated
    ) * NAU7802_PER_TICK + (imu_total - imu_emulated) * BNO08X_PER_TICK
    here = nbody_s_per_million_steps()
    return {"parts": parts, "pi4_factor": PI4_S_PER_MILLION_STEPS / here, "nbody_here_s": here}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=3000, help="ticks of the loop to time")
    parser.add_argument("--samples", type=int, default=2000, help="samples per sensor driver")
    args = parser.parse_args()
    m = measure(args.ticks, args.samples)
    total = sum(m["parts"].values())
    for name, us in m["parts"].items():
        print(f"{name:62s} {us:8.1f} µs")
    factor = m["pi4_factor"]
    print(f"{'core CPU per tick, here':62s} {total:8.1f} µs = {total / 100:.1f} % of a core")
    print(
        f"{'... on a Raspberry Pi 4 (x ' + format(factor, '.1f') + ')':62s} {total * factor:8.1f} "
        f"µs = {total * factor / 100:.1f} % of a core"
    )


if __name__ == "__main__":
    main()
