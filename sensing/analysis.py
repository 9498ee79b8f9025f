"""One entry point from a stored COP trace to its metrics, with every convention it used.

``analyse_cop`` resamples (optional), low-pass filters (optional), then computes the full sway
metric set. Its result names the software version and each convention, and its ``options`` are
the exact keyword arguments to compute it again, so a stored trial can be re-analysed under other
conventions and every number explained.
"""

from importlib import metadata

import numpy as np

from sensing.ellipse import DESCRIPTIONS as ELLIPSE_DESCRIPTIONS
from sensing.errors import ImplausibleDataError
from sensing.filters import (
    NONE,
    RESAMPLING,
    ZERO_LAG,
    FilterSettingsError,
    describe,
    resample,
    resampling_ratio,
    zero_lag_lowpass,
)
from sensing.metrics import (
    CONVENTIONS,
    MetricSettingsError,
    sway_metrics,
    validated_cop,
    validated_rate,
)

# A COP further from the origin than this is on no balance platform (the station's is about
# half a metre across, large force plates a metre): such numbers are not a COP in centimetres,
# and refusing them keeps the metrics' arithmetic (squares, the convex hull) from overflowing.
MAX_COP_CM = 100.0
DEFAULT_ORDER = 4
"""Design order of the zero-lag Butterworth when the filter dict names none (Quijoux 2021)."""

ELLIPSE_KEYS = {name: f"area_ellipse95_{name}_cm2" for name in ELLIPSE_DESCRIPTIONS}


def _software_version() -> str:
    try:
        return metadata.version("balance-station")
    except metadata.PackageNotFoundError:
        return "unknown (balance-station not installed)"


SOFTWARE_VERSION = _software_version()


def _filter_options(options: dict | None) -> dict | None:
    """The filter dict completed with its defaults, or a FilterSettingsError naming the problem."""
    if options is None:
        return None
    if not isinstance(options, dict):
        raise FilterSettingsError(f"the filter must be a dict or None, got {options!r}")
    unknown = set(options) - {"kind", "order", "cutoff_hz"}
    if unknown:
        raise FilterSettingsError(
            f"unknown filter setting(s) {sorted(unknown)}: use kind, order and cutoff_hz"
        )
    if "cutoff_hz" not in options:
        raise FilterSettingsError("the filter needs a cutoff_hz (for example 10)")
    kind = options.get("kind", ZERO_LAG)
    if kind != ZERO_LAG:
        raise FilterSettingsError(
            f"analysis filters must be zero-lag ({ZERO_LAG!r}) so they shift no event in time, "
            f"got {kind!r}"
        )
    return {
        "kind": kind,
        "order": options.get("order", DEFAULT_ORDER),
        "cutoff_hz": options["cutoff_hz"],
    }


def analyse_cop(
    ap_cm,
    ml_cm,
    fs_hz: float,
    *,
    filter: dict | None = None,
    resample_hz: float | None = None,
    ellipse: str = "prediction",
) -> dict:
    """Metrics, conventions and software version of a COP trace in cm sampled at ``fs_hz``.

    ``filter``: None (raw COP) or ``{"cutoff_hz": 10, "order": 4, "kind": ZERO_LAG}`` (order
    and kind optional). ``resample_hz``: None or a rate to resample to first (Quijoux: 25).
    ``ellipse``: the convention quoted as the headline ``area_ellipse95_cm2``; all three are
    always given under their own names. Defaults reproduce the published values of Santos &
    Duarte (2016). A trace with gaps, infinite values or a COP beyond ``MAX_COP_CM`` is
    refused (a SensingError saying which).
    """
    if ellipse not in ELLIPSE_KEYS:
        raise MetricSettingsError(
            f"unknown ellipse convention {ellipse!r}: choose one of {', '.join(ELLIPSE_KEYS)}"
        )
    fs_hz = validated_rate(fs_hz)
    filter_options = _filter_options(filter)
    traces = np.vstack(validated_cop(ap_cm, ml_cm))
    furthest = float(np.abs(traces).max())
    if furthest > MAX_COP_CM:
        raise ImplausibleDataError(
            f"a COP {furthest:.3g} cm from the origin: no balance platform measures one beyond "
            f"{MAX_COP_CM:g} cm, so these are not COP values in centimetres"
        )
    rate_hz = fs_hz
    resampling = "none"
    if resample_hz is not None:
        up, down = resampling_ratio(fs_hz, resample_hz)
        traces = resample(traces, fs_hz, resample_hz)
        rate_hz = resample_hz = float(resample_hz)
        resampling = f"{RESAMPLING}; up {up}, down {down}"
    description = describe(NONE, None, None, fs_hz, resample_hz)
    if filter_options is not None:
        order, cutoff_hz = filter_options["order"], filter_options["cutoff_hz"]
        traces = zero_lag_lowpass(traces, rate_hz, cutoff_hz, order)
        # Valid now, so plain numbers for JSON (a numpy integer order would not serialise).
        filter_options = {**filter_options, "order": int(order), "cutoff_hz": float(cutoff_hz)}
        description = describe(ZERO_LAG, int(order), float(cutoff_hz), fs_hz, resample_hz)
    metrics = sway_metrics(traces[0], traces[1], rate_hz)
    metrics["area_ellipse95_cm2"] = metrics[ELLIPSE_KEYS[ellipse]]
    conventions = {
        **CONVENTIONS,
        "ellipse": ELLIPSE_DESCRIPTIONS[ellipse],
        "ellipse_headline": ellipse,
        "filter": description,
        "resampling": resampling,
        "order_of_operations": "resample, then filter, then remove each axis's mean, then metrics",
        "options": {"filter": filter_options, "resample_hz": resample_hz, "ellipse": ellipse},
    }
    return {"metrics": metrics, "conventions": conventions, "software_version": SOFTWARE_VERSION}
