"""Data-quality gate: is a trial's raw timeline fit to be scored, and if not, why.

``assess_trial`` measures timing (effective rate, jitter, dropped samples), the load cells
(saturated codes, a corner carrying almost nothing, slow drift of the total load) and the start
(was the stance settled). The station's recordings are on the sensors' own clock (frames at
exactly k / rate, ``sensing.grid``), so their ``jitter_p99_ms`` is the spacing error of the
recorded time axis against that clock and their timeline has no gaps;
``with_lost_conversions`` then makes ``dropped_samples`` the conversions the readers lost
during the recording, counted by the station. Each problem becomes a flag with a
plain-language message, the measured value and the limit. A "fail" flag makes ``ok`` False:
the caller must not score the trial as good; a "warn" flag is shown to the therapist but does
not by itself reject the trial.

``assess_recording`` is the gate of any drill, built from the checks the drill declares
(``CHECKS``): the load cells' timing and readings, the patient on the platform throughout (a
loss of balance is counted by the drill; the gate warns), a settled start for standing still,
and the IMU reporting throughout for a drill that needs it.

A flag's message is composed from an English template marked for the gettext catalog
(``MESSAGES``, keyed by code) and the flag's ``params`` (stored with it), so ``flag_message``
can say it again in the reader's language; records stored before flags had ``params`` keep
their English ``message``.
"""

import numpy as np

from sensing.errors import NotEnoughDataError
from sensing.frame import CORNERS
from sensing.metrics import MIN_SAMPLES, validated_rate
from sensing.words import ENGLISH, N_, Plural, ngettext

MIN_RATE_FRACTION = 0.9
"""Fail below 90% of the expected rate of new samples: sway speed and spectra assume the nominal
rate, and a reader that falls this far behind is stalling or misconfigured."""

MAX_DROPPED_PCT = 1.0
"""Fail when more than 1% of the samples are missing: gaps in the timeline, or conversions the
station lost (``with_lost_conversions``); each shortens the path length and bends the
spectrum."""

MAX_STALL_S = 0.1
"""Fail when the load cells sent no new reading for more than 0.1 s in a row: the frames in
between repeat a stale reading (a sensor fault or a cable being pulled), so the path is wrong
there even when the average rate still looks fine."""

MAX_JITTER_FRACTION = 0.25
"""Warn when the 99th percentile of the timing error of the sample intervals exceeds a quarter
of the nominal period (2.5 ms at 100 Hz): sway speed assumes evenly spaced samples."""

MIN_CORNER_SHARE_PCT = 5.0
"""Warn when a corner carries under 5% of the load over the trial (about 25% each when standing
centred): a dead or unplugged cell, a foot off the platform, or a far off-centre stance."""

MAX_LOAD_DRIFT_PCT = 3.0
"""Warn when the total load trends by more than 3% of its mean over the trial (the slope of a
straight-line fit times the duration): a person's weight does not change, so this is cell creep
or drift, or the patient leaning on something."""

MIN_STANDING_LOAD_N = 100.0
"""Below this total load nobody is standing on the platform (the stance detector's step-off)."""

SETTLE_WINDOW_S = 1.0
"""The start of the trial that must already be settled."""

SETTLE_LOAD_PCT = 5.0
"""Settled start: the total load varies by at most 5% of the trial's median load in the first
second (stepping on or shifting the feet moves it by far more)."""

SETTLE_SHARE_POINTS = 8.0
"""Settled start: no corner's share of the load moves by more than 8 percentage points in the
first second, about 2-4 cm of COP on a Wii-sized board (the stance detector allows 3 cm)."""


MESSAGES: dict[str, str | Plural] = {
    "too_short": ngettext(
        "Only %(count)d sample was recorded; at least %(needed)d are needed to score.",
        "Only %(count)d samples were recorded; at least %(needed)d are needed to score.",
    ),
    "time_not_increasing": N_(
        "Sample times do not always increase: the recording is out of order or the clock "
        "jumped, so the trial cannot be timed."
    ),
    "rate_low": N_(
        "The load cells delivered %(rate_hz).0f new readings per second, below the "
        "%(needed_hz).0f needed: check the load-cell wiring and the reader's rate setting."
    ),
    "samples_dropped": ngettext(
        "%(count)d sample (%(pct).1f%%) is missing from the recording: the station was too "
        "busy or a sensor stalled.",
        "%(count)d samples (%(pct).1f%%) are missing from the recording: the station was too "
        "busy or a sensor stalled.",
    ),
    "samples_dropped:lost_conversions": ngettext(
        "%(count)d load-cell conversion (%(pct).1f%%) was lost during the recording: the "
        "station read it too late. Check its CPU load on the health page and repeat.",
        "%(count)d load-cell conversions (%(pct).1f%%) were lost during the recording: the "
        "station read them too late. Check its CPU load on the health page and repeat.",
    ),
    "sensor_stalled": N_(
        "The load cells sent no new reading for %(stall_s).2f s in a row: a sensor stalled or "
        "lost its connection. Check the station's health page and repeat."
    ),
    "jitter_high": N_(
        "Sample timing wobbles by up to %(jitter_ms).1f ms (limit %(limit_ms).1f ms): sway "
        "speeds may be slightly off. Check the station's CPU load."
    ),
    "non_finite": ngettext(
        "%(count)d sample has no force reading: a load cell stopped answering.",
        "%(count)d samples have no force reading: a load cell stopped answering.",
    ),
    "full_scale": ngettext(
        "A load cell reached the end of its range in %(count)d sample, so the force there is "
        "unknown: check for an overload, a loose wire or a wrong amplifier gain.",
        "A load cell reached the end of its range in %(count)d samples, so the force there is "
        "unknown: check for an overload, a loose wire or a wrong amplifier gain.",
    ),
    "off_platform": ngettext(
        "For %(count)d sample nobody stood on the platform (under %(min_load_n).0f N).",
        "For %(count)d samples nobody stood on the platform (under %(min_load_n).0f N).",
    ),
    "corner_underloaded": N_(
        "The %(corner)s corner carried only %(share_pct).1f%% of the load: check that cell's "
        "cable, or the patient's foot position."
    ),
    "load_drift": N_(
        "The total load drifted by %(drift_pct)+.1f%% over the trial: the patient may have "
        "leaned on something, or the cells need re-taring."
    ),
    "not_settled": N_(
        "The patient was still moving in the first second of the trial (load changed "
        "%(load_pct).1f%%, a corner's share %(share_points).1f points): start the trial once "
        "they stand still."
    ),
    "left_platform": N_(
        "The patient was off the platform for %(off_s).1f s of the recording (a loss of "
        "balance or a step): the drill scored only what was done on it."
    ),
    "imu_missing": N_(
        "The IMU gave a tilt for %(coverage_pct).1f%% of the recording (longest gap "
        "%(gap_s).2f s): check its cable and strap, then repeat."
    ),
}
"""Each flag's message template by code (``code:variant`` for a second wording of a code),
with named placeholders filled from the flag's ``params``; a ``Plural`` one by ``count``."""

CORNER_NAMES = {
    "front-left": N_("front-left"),
    "front-right": N_("front-right"),
    "back-left": N_("back-left"),
    "back-right": N_("back-right"),
}
"""A corner of the platform (``CORNERS``) as a placeholder word, translated where it is shown."""

WORD_PARAMS = {"corner": CORNER_NAMES}
"""The params that are words, with their marked translations, by param name."""


def _compose(template: str | Plural, params: dict, translations) -> str:
    """``template`` in the language of ``translations``, its placeholders filled from
    ``params`` (the words among them translated too)."""
    shown = {
        name: translations.gettext(WORD_PARAMS[name][value]) if name in WORD_PARAMS else value
        for name, value in params.items()
    }
    if isinstance(template, Plural):
        return translations.ngettext(*template, params["count"]) % shown
    return translations.gettext(template) % shown


def _template_key(code: str, variant: str | None) -> str:
    """The key in MESSAGES of a flag's wording."""
    return f"{code}:{variant}" if variant else code


def flag_message(flag: dict, translations=ENGLISH) -> str:
    """``flag``'s message in the language of ``translations`` (a gettext catalog), from its
    template and stored ``params``; its stored English ``message`` when it has no params or
    template (a record from before them) or they no longer fit, so no record is left
    unreadable."""
    template = MESSAGES.get(_template_key(flag["code"], flag.get("variant")))
    if template is None or flag.get("params") is None:
        return flag["message"]
    try:
        return _compose(template, flag["params"], translations)
    except (KeyError, TypeError, ValueError):
        return flag["message"]


def _flag(code: str, severity: str, value, limit, params: dict, variant: str = "") -> dict:
    """A flag whose English message is its template filled from ``params`` (plain numbers and
    words, stored with it)."""
    message = _compose(MESSAGES[_template_key(code, variant)], params, ENGLISH)
    flag = {
        "code": code,
        "severity": severity,
        "message": message,
        "value": value,
        "limit": limit,
        "params": params,
    }
    if variant:
        flag["variant"] = variant
    return flag


def _too_short(n: int) -> dict:
    """The flag of a timeline too short to judge."""
    return _flag("too_short", "fail", n, MIN_SAMPLES, {"count": n, "needed": MIN_SAMPLES})


def _longest_stall_s(t: np.ndarray, fresh) -> float:
    """The longest time any corner went without a new reading (0 without fresh flags)."""
    if fresh is None:
        return 0.0
    flags = np.reshape(np.asarray(fresh, dtype=bool), (len(t), -1))
    longest = 0.0
    for corner in flags.T:
        times = t[corner]
        if times.size == 0:
            return float(t[-1] - t[0])
        edges = np.concatenate(([t[0]], times, [t[-1]]))
        longest = max(longest, float(np.diff(edges).max()))
    return longest


def _timing_checks(
    t: np.ndarray, fresh, nominal_rate_hz: float, expected_hz: float
) -> tuple[dict, list[dict]]:
    """Effective rate of new readings; dropped samples: those the time span should hold at the
    nominal rate less those present (timing wobble does not change it); jitter: the 99th
    percentile of |interval - period| over the intervals that are not gaps (> 1.5 periods)."""
    n = len(t)
    period = 1 / nominal_rate_hz
    dt = np.diff(t)
    span_s = float(t[-1] - t[0])
    dropped = max(0, round(span_s / period) + 1 - n)
    regular = dt[dt <= 1.5 * period]
    jitter_ms = float(np.percentile(np.abs(regular - period), 99) * 1000) if regular.size else 0.0
    new_readings = n if fresh is None else int(np.reshape(fresh, (n, -1)).sum(axis=0).min())
    rate_hz = (new_readings - 1) / span_s if span_s > 0 else 0.0
    stall_s = _longest_stall_s(t, fresh)
    measures = {
        "duration_s": span_s,
        "effective_rate_hz": rate_hz,
        "longest_stall_s": stall_s,
        "jitter_p99_ms": jitter_ms,
        "dropped_samples": dropped,
        "dropped_pct": 100 * dropped / (n + dropped),
    }
    flags = []
    if not np.all(dt > 0):
        flags.append(_flag("time_not_increasing", "fail", int(np.sum(dt <= 0)), 0, {}))
    needed_hz = MIN_RATE_FRACTION * expected_hz
    if rate_hz < needed_hz:
        flags.append(
            _flag(
                "rate_low",
                "fail",
                rate_hz,
                needed_hz,
                {"rate_hz": rate_hz, "needed_hz": needed_hz},
            )
        )
    if measures["dropped_pct"] > MAX_DROPPED_PCT:
        flags.append(
            _flag(
                "samples_dropped",
                "fail",
                measures["dropped_pct"],
                MAX_DROPPED_PCT,
                {"count": dropped, "pct": measures["dropped_pct"]},
            )
        )
    if stall_s > max(MAX_STALL_S, 2.0 / expected_hz):
        flags.append(_flag("sensor_stalled", "fail", stall_s, MAX_STALL_S, {"stall_s": stall_s}))
    jitter_limit_ms = MAX_JITTER_FRACTION * 1000 * period
    if jitter_ms > jitter_limit_ms:
        flags.append(
            _flag(
                "jitter_high",
                "warn",
                jitter_ms,
                jitter_limit_ms,
                {"jitter_ms": jitter_ms, "limit_ms": jitter_limit_ms},
            )
        )
    return measures, flags


def _reading_checks(forces: np.ndarray, counts, count_limits) -> tuple[dict, list[dict]]:
    """Samples without a force reading, and raw codes at the ADC's full scale."""
    missing = int(np.sum(~np.all(np.isfinite(forces), axis=1)))
    measures = {"non_finite_samples": missing, "full_scale_samples": None}
    flags = []
    if missing:
        flags.append(_flag("non_finite", "fail", missing, 0, {"count": missing}))
    if counts is not None and count_limits is not None:
        codes = np.asarray(counts)
        saturated = int(np.sum(np.any((codes <= count_limits[0]) | (codes >= count_limits[1]), 1)))
        measures["full_scale_samples"] = saturated
        if saturated:
            flags.append(_flag("full_scale", "fail", saturated, 0, {"count": saturated}))
    return measures, flags


def _load_checks(t: np.ndarray, forces: np.ndarray) -> tuple[dict, list[dict]]:
    """Standing, corner shares, drift of the total load, and a settled start."""
    from scipy import stats  # lazily: sensing.libraries

    finite = np.all(np.isfinite(forces), axis=1)
    total = forces.sum(axis=1)
    standing = finite & (total >= MIN_STANDING_LOAD_N)
    measures = {
        "off_platform_samples": int(np.sum(finite & ~standing)),
        "corner_share_pct": None,
        "corner_share_min_pct": None,
        "load_drift_pct": None,
        "start_load_change_pct": None,
        "start_share_range_pct": None,
        "settled_at_start": None,
    }
    flags = []
    off = measures["off_platform_samples"]
    if off:
        params = {"count": off, "min_load_n": MIN_STANDING_LOAD_N}
        flags.append(_flag("off_platform", "fail", off, 0, params))
    t, forces, total = t[standing], forces[standing], total[standing]
    if len(t) < MIN_SAMPLES or not np.ptp(t) > 0:
        return measures, flags
    shares = 100 * forces.sum(axis=0) / total.sum()
    measures["corner_share_pct"] = [float(share) for share in shares]
    measures["corner_share_min_pct"] = float(shares.min())
    if shares.min() < MIN_CORNER_SHARE_PCT:
        share = float(shares.min())
        params = {"corner": CORNERS[int(np.argmin(shares))], "share_pct": share}
        flags.append(_flag("corner_underloaded", "warn", share, MIN_CORNER_SHARE_PCT, params))
    drift_pct = float(100 * stats.linregress(t, total).slope * np.ptp(t) / total.mean())
    measures["load_drift_pct"] = drift_pct
    if abs(drift_pct) > MAX_LOAD_DRIFT_PCT:
        flags.append(
            _flag("load_drift", "warn", drift_pct, MAX_LOAD_DRIFT_PCT, {"drift_pct": drift_pct})
        )
    start = t < t[0] + SETTLE_WINDOW_S
    load_change = float(100 * np.ptp(total[start]) / np.median(total))
    share_range = float(100 * np.ptp(forces[start] / total[start, None], axis=0).max())
    settled = load_change <= SETTLE_LOAD_PCT and share_range <= SETTLE_SHARE_POINTS
    measures["start_load_change_pct"] = load_change
    measures["start_share_range_pct"] = share_range
    measures["settled_at_start"] = settled
    if not settled:
        value = {"load_pct": load_change, "share_points": share_range}
        limit = {"load_pct": SETTLE_LOAD_PCT, "share_points": SETTLE_SHARE_POINTS}
        flags.append(_flag("not_settled", "fail", value, limit, {**value}))
    return measures, flags


CHECKS = ("timing", "on_platform", "settled_start", "imu")
"""What a drill's gate can check: the load cells' timing and readings, the patient on the platform
throughout, a settled start, and the IMU's tilt throughout."""

MAX_IMU_GAP_S = 0.2
"""Fail when the IMU sent no tilt for longer than 0.2 s in a row: tilt scores (time in band,
excursions) would be guessed over the gap."""

MIN_IMU_COVERAGE_PCT = 99.0
"""Fail when fewer than 99% of the frames carry a tilt."""


def _imu_checks(t: np.ndarray, tilt: np.ndarray) -> tuple[dict, list[dict]]:
    """Coverage of the frames by a tilt reading and the longest run without one."""
    has = np.all(np.isfinite(np.reshape(tilt, (len(t), -1))), axis=1)
    coverage = float(100 * has.mean()) if len(t) else 0.0
    times = t[has]
    if times.size:
        edges = np.concatenate(([t[0]], times, [t[-1]]))
        gap = float(np.diff(edges).max())
    else:
        gap = float(t[-1] - t[0]) if len(t) else 0.0
    measures = {"imu_coverage_pct": coverage, "imu_longest_gap_s": gap}
    flags = []
    if coverage < MIN_IMU_COVERAGE_PCT or gap > MAX_IMU_GAP_S:
        value = {"coverage_pct": coverage, "gap_s": gap}
        limit = {"coverage_pct": MIN_IMU_COVERAGE_PCT, "gap_s": MAX_IMU_GAP_S}
        flags.append(_flag("imu_missing", "fail", value, limit, {**value}))
    return measures, flags


def assess_recording(
    t_s,
    forces_n,
    *,
    checks: tuple[str, ...],
    nominal_rate_hz: float,
    sensor_rate_hz: float | None = None,
    fresh=None,
    tilt_deg=None,
) -> dict:
    """The quality gate of a drill's recording (``{"ok", "flags", "measures", "checks"}``)
    from the checks it declares (a subset of CHECKS): ``timing`` (``assess_trial``'s timing
    and reading checks of the load cells), ``on_platform`` (warn when the patient left the
    platform), ``settled_start`` and ``imu`` (``tilt_deg``: (N, 2) pitch and roll, NaN without
    a reading). Arguments as ``assess_trial``'s."""
    unknown = set(checks) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown quality checks {sorted(unknown)}: choose from {CHECKS}")
    t = np.asarray(t_s, dtype=float)
    n = len(t)
    if n < MIN_SAMPLES:
        return {
            "ok": False,
            "flags": [_too_short(n)],
            "measures": {"n_samples": n},
            "checks": list(checks),
        }
    platform = {"timing", "on_platform", "settled_start"} & set(checks)
    out = {"ok": True, "flags": [], "measures": {"n_samples": n}}
    if platform:
        full = assess_trial(
            t,
            forces_n,
            nominal_rate_hz=nominal_rate_hz,
            sensor_rate_hz=sensor_rate_hz,
            fresh=fresh,
        )
        out["measures"].update(full["measures"])
        wanted = set()
        if "timing" in checks:
            wanted |= TIMING_FLAGS | READING_FLAGS
        if "on_platform" in checks:
            wanted |= {"corner_underloaded", "load_drift"}
        if "settled_start" in checks:
            wanted |= {"not_settled"}
        out["flags"] += [f for f in full["flags"] if f["code"] in wanted]
        if "on_platform" in checks and full["measures"].get("off_platform_samples"):
            off = full["measures"]["off_platform_samples"]
            params = {"off_s": off / nominal_rate_hz}
            out["flags"].append(_flag("left_platform", "warn", off, 0, params))
    if "imu" in checks:
        measures, flags = _imu_checks(t, np.asarray(tilt_deg, dtype=float))
        out["measures"].update(measures)
        out["flags"] += flags
    out["ok"] = not any(f["severity"] == "fail" for f in out["flags"])
    out["checks"] = list(checks)
    return out


TIMING_FLAGS = {
    "time_not_increasing",
    "rate_low",
    "samples_dropped",
    "sensor_stalled",
    "jitter_high",
}
READING_FLAGS = {"non_finite", "full_scale"}


def with_lost_conversions(quality: dict, lost: int, conversions: int) -> dict:
    """``quality`` (from ``assess_trial``) judged on the load-cell conversions the station lost
    during the recording: ``dropped_samples`` becomes ``lost`` and ``dropped_pct`` its share of
    the conversions due (``conversions`` read plus ``lost``), replacing the timeline's count (a
    recording on the sensors' clock has no gaps); over ``MAX_DROPPED_PCT`` it fails."""
    due = conversions + lost
    pct = 100 * lost / due if due else 0.0
    measures = {**quality["measures"], "dropped_samples": lost, "dropped_pct": pct}
    flags = [flag for flag in quality["flags"] if flag["code"] != "samples_dropped"]
    if pct > MAX_DROPPED_PCT:
        params = {"count": int(lost), "pct": pct}
        flags.append(
            _flag("samples_dropped", "fail", pct, MAX_DROPPED_PCT, params, "lost_conversions")
        )
    ok = not any(flag["severity"] == "fail" for flag in flags)
    return {**quality, "ok": ok, "flags": flags, "measures": measures}


def assess_trial(
    t_s,
    forces_n,
    *,
    nominal_rate_hz: float,
    sensor_rate_hz: float | None = None,
    fresh=None,
    counts=None,
    count_limits: tuple[int, int] | None = None,
) -> dict:
    """Quality of a trial: ``{"ok", "flags", "measures"}`` (see the module docstring).

    ``t_s``: sample times (s, N); ``forces_n``: corner forces (N, 4) in ``CORNERS`` order;
    ``nominal_rate_hz``: the timeline's tick rate; ``sensor_rate_hz``: the load cells' own data
    rate when slower (e.g. HX711 80 SPS under a 100 Hz loop); ``fresh``: (N,) or (N, 4) True
    where a new reading arrived; ``counts``: raw ADC codes (N, 4) with ``count_limits`` = the
    lowest and highest code the ADC can give (full scale).
    """
    nominal_rate_hz = validated_rate(nominal_rate_hz)
    sensor_rate_hz = nominal_rate_hz if sensor_rate_hz is None else validated_rate(sensor_rate_hz)
    expected_hz = min(nominal_rate_hz, sensor_rate_hz)
    t = np.asarray(t_s, dtype=float)
    forces = np.asarray(forces_n, dtype=float)
    if t.ndim != 1 or forces.shape != (len(t), len(CORNERS)):
        raise NotEnoughDataError(
            f"give N sample times and an (N, {len(CORNERS)}) force array, "
            f"got shapes {t.shape} and {forces.shape}"
        )
    n = len(t)
    if n < MIN_SAMPLES:
        return {"ok": False, "flags": [_too_short(n)], "measures": {"n_samples": n}}
    measures = {"n_samples": n}
    flags = []
    for part, part_flags in (
        _timing_checks(t, fresh, nominal_rate_hz, expected_hz),
        _reading_checks(forces, counts, count_limits),
        _load_checks(t, forces),
    ):
        measures.update(part)
        flags += part_flags
    return {
        "ok": not any(flag["severity"] == "fail" for flag in flags),
        "flags": flags,
        "measures": measures,
    }
