"""``balance-station selftest``: probe every configured device and measure what it delivers.

For a technician at the station: each sensor must start, deliver its configured rate over a
measurement window and, for the load cells, show its noise with the platform empty. The cues
are walked (each light in turn, then the start tone) so a person can see and hear them, and the
stop button must read as released. Every failure says what to check.
"""

import itertools
import math

import numpy as np

from hw.amplifiers import AMPLIFIERS
from sensing.calibration import CornerCalibration
from station.runtime.hardware import build_hardware

RATE_TOLERANCE = 0.9  # a sensor passes at 90% of its configured rate or more
NOISE_LIMIT_N = 2.0  # an empty platform's corner noise (standard deviation) above this fails
POLL_S = 0.0005
LIGHT_WALK_S = 0.15


def run_selftest(config, clock, calibration: CornerCalibration, duration_s: float = 2.0) -> dict:
    """Build the station's hardware on ``clock`` (real time), measure for ``duration_s``, and
    return ``{"ok": bool, "checks": [{"device", "ok", "summary", ...}, ...]}``."""
    hardware = build_hardware(config, clock)
    try:
        corners, imu_times = _measure(hardware, clock, duration_s)
        checks = [_loadcell_check(config, hardware, corners, calibration)]
        if "imu" in hardware.sensors:
            checks.append(_imu_check(config, hardware, imu_times))
        checks.append(_cue_check(hardware, clock))
        checks.append(_stop_button_check(config, hardware))
    finally:
        hardware.close()
    return {"ok": all(c["ok"] for c in checks), "checks": checks}


def _measure(hardware, clock, duration_s):
    """Poll every sensor as fast as useful for ``duration_s``; each corner's conversions as
    (time, counts, number) on the chip's own clock (so a read the machine held up does not
    move them; the read's time where the clock has no fit yet), and the times of the IMU's
    reports."""
    loadcells = hardware.sensors["loadcells"]
    imu = hardware.sensors.get("imu")
    corners: list[list[tuple[float, int, int]]] = [[], [], [], []]
    imu_times: list[float] = []
    start = clock.now()
    while clock.now() - start < duration_s:
        sample = loadcells.poll()
        if sample is not None:
            for i in range(4):
                if sample.fresh[i]:
                    done = sample.times_s[i]
                    when = sample.t_s if math.isnan(done) else done
                    corners[i].append((when, sample.counts[i], sample.seq[i]))
        if imu is not None:
            reading = imu.poll()  # None unless a report came
            if reading is not None:
                imu_times.append(reading.t_s)
        clock.sleep(POLL_S)
    return corners, imu_times


def _rate(times: list[float], numbers: list[int] | None = None) -> float:
    """Samples per second from the first to the last (a chip's settling after its reset is not
    held against it): the inverse of the least-squares slope of the times against the
    samples' ``numbers`` (their order when None; a chip's conversion numbers count the ones
    the host missed), so one read held up by a busy machine moves it far less than it moves
    the span from first to last; 0 with fewer than two."""
    if len(times) < 2 or times[-1] == times[0]:
        return 0.0
    counted = numbers is not None and all(b > a for a, b in itertools.pairwise(numbers))
    order = np.asarray(numbers, dtype=float) if counted else np.arange(len(times))
    period_s = np.polyfit(order, np.asarray(times) - times[0], 1)[0]
    return float(1.0 / period_s) if period_s > 0 else 0.0


def _failure(sensor) -> str | None:
    status = sensor.status()
    if status["state"] == "ready":
        return None
    error = status["last_error"] or "did not start"
    return error.split(": ", 1)[1] if ": " in error else error


def _loadcell_check(config, hardware, corners, calibration) -> dict:
    cells = config.loadcells
    names = ("front-left", "front-right", "back-left", "back-right")
    check = {
        "device": "load cells",
        "amplifier": cells.amplifier,
        "configured_rate_sps": cells.rate_sps,
    }
    failure = _failure(hardware.sensors["loadcells"])
    if failure:
        return {**check, "ok": False, "summary": failure}
    rates = {
        name: _rate([t for t, _, _ in c], [k for _, _, k in c])
        for name, c in zip(names, corners, strict=True)
    }
    gains = calibration.gain_n_per_count
    noise_n = {
        name: float(np.std([n for _, n, _ in c]) * abs(g)) if len(c) > 1 else None
        for name, c, g in zip(names, corners, gains, strict=True)
    }
    problems = []
    for name in names:
        if rates[name] < RATE_TOLERANCE * cells.rate_sps:
            problems.append(
                f"{name} delivers {rates[name]:.1f} SPS of {cells.rate_sps}: check the "
                + AMPLIFIERS[cells.amplifier].slow_hint
            )
        elif noise_n[name] is not None and noise_n[name] > NOISE_LIMIT_N:
            problems.append(
                f"{name} noise {noise_n[name]:.2f} N exceeds {NOISE_LIMIT_N} N: is the platform "
                "empty and still? check the cell's shield and connector"
            )
    rate_text = ", ".join(f"{n} {r:.1f}" for n, r in rates.items())
    noise_text = ", ".join(f"{n} {v:.3f}" for n, v in noise_n.items() if v is not None)
    return {
        **check,
        "ok": not problems,
        "measured_rate_sps": {n: round(r, 1) for n, r in rates.items()},
        "noise_n": {n: None if v is None else round(v, 4) for n, v in noise_n.items()},
        "summary": "; ".join(problems)
        or f"4 x {cells.amplifier.upper()}: SPS {rate_text}; noise N {noise_text}",
    }


def _imu_check(config, hardware, times) -> dict:
    imu = config.imu
    check = {"device": "imu", "address": imu.address, "configured_rate_hz": imu.rate_hz}
    failure = _failure(hardware.sensors["imu"])
    if failure:
        return {**check, "ok": False, "summary": failure}
    rate_hz = _rate(times)
    ok = rate_hz >= RATE_TOLERANCE * imu.rate_hz
    return {
        **check,
        "ok": ok,
        "measured_rate_hz": round(rate_hz, 1),
        "summary": f"BNO08x at {imu.address:#04x}: {rate_hz:.1f} Hz of {imu.rate_hz:g}"
        + ("" if ok else ": check the I2C speed (dtparam=i2c_arm_baudrate=400000)"),
    }


def _cue_check(hardware, clock) -> dict:
    """Light each direction LED in turn, cycle the status colours, play the start tone."""
    cues = hardware.cues
    for name in cues.pins.direction_leds:
        cues.set_light(name, True)
        clock.sleep(LIGHT_WALK_S)
        cues.set_light(name, False)
    for colour in ("red", "amber", "green", "blue"):
        cues.set_status(colour)
        clock.sleep(LIGHT_WALK_S)
    cues.all_off()
    start = clock.now()
    cues.play("start", start)
    while cues.status()["pattern"] is not None:
        clock.sleep(0.01)
        cues.update(clock.now())
    pins = ", ".join(f"{use} GPIO {pin}" for use, pin in cues.pins.all_pins().items())
    return {
        "device": "cues",
        "ok": True,
        "summary": "lights walked front, back, left, right, centre, then status red, amber, "
        f"green, blue; start tone played. Pins: {pins}",
    }


def _stop_button_check(config, hardware) -> dict:
    pin = config.cues.stop_button_pin
    if hardware.stop_button.held:
        return {
            "device": "stop button",
            "ok": False,
            "summary": f"the stop button on GPIO {pin} reads as pressed: check that it connects "
            "the pin to ground only while pressed (normally open)",
        }
    return {"device": "stop button", "ok": True, "summary": f"released (GPIO {pin})"}


def format_report(report: dict) -> str:
    """Human-readable lines, one per device, failures first-word FAIL."""
    lines = [
        f"{'OK  ' if c['ok'] else 'FAIL'} {c['device']:12s} {c['summary']}"
        for c in report["checks"]
    ]
    lines.append("selftest passed" if report["ok"] else "selftest FAILED: see the lines above")
    return "\n".join(lines)
