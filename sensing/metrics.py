"""Sway metrics of a center-of-pressure trace, as defined in docs/clinical.md.

Input is COP in centimetres (AP and ML, any origin) sampled at ``fs_hz``; every metric is computed
on the mean-removed trace. The ellipse is the 95% prediction ellipse and the mean frequency the
power-weighted Welch mean power frequency, the conventions of Santos & Duarte (2016), so the
published values of their public data set are reproduced exactly.
"""

import numpy as np
from scipy import signal, stats
from scipy.integrate import trapezoid

from sensing.errors import NotEnoughDataError

MIN_SAMPLES = 8

CONVENTIONS = {
    "ellipse": "95% prediction ellipse (Duarte): pi*sqrt(l1*l2)*F(.95;2,N-2)*2(N-1)(N+1)/(N(N-2))",
    "velocity": "path length / (N / fs)",
    "frequency_mean": (
        "Welch, Hann, nperseg=N/2, noverlap=N/4, nfft=N/2, constant detrend; "
        "per-axis mean power frequency combined power-weighted"
    ),
    "filter": "none (raw COP)",
}


def ellipse95_prediction_area(ap: np.ndarray, ml: np.ndarray) -> float:
    """Area of the 95% prediction ellipse of the COP, in the input unit squared."""
    n = len(ap)
    eigenvalues = np.linalg.eigvalsh(np.cov(np.column_stack([ap, ml]), rowvar=False))
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    f_value = stats.f.ppf(0.95, 2, n - 2)
    return float(
        np.pi
        * np.sqrt(eigenvalues[0] * eigenvalues[1])
        * f_value
        * 2
        * (n - 1)
        * (n + 1)
        / (n * (n - 2))
    )


def _mean_power_frequency(x: np.ndarray, fs_hz: float) -> tuple[float, float]:
    """Welch mean power frequency of one axis and its summed power, Duarte's settings."""
    n = len(x)
    nperseg = n // 2
    f, p = signal.welch(
        x,
        fs_hz,
        window="hann",
        nperseg=nperseg,
        noverlap=n // 4,
        nfft=nperseg,
        detrend="constant",
    )
    area = trapezoid(p, f)
    mean_f = trapezoid(f * p, f) / area if area > 0 else 0.0
    return float(mean_f), float(p.sum())


def frequency_mean(ap: np.ndarray, ml: np.ndarray, fs_hz: float) -> float:
    """Power-weighted mean power frequency of both axes, in Hz."""
    mf_ap, power_ap = _mean_power_frequency(ap, fs_hz)
    mf_ml, power_ml = _mean_power_frequency(ml, fs_hz)
    total = power_ap + power_ml
    return (mf_ap * power_ap + mf_ml * power_ml) / total if total > 0 else 0.0


def sway_metrics(ap_cm: np.ndarray, ml_cm: np.ndarray, fs_hz: float) -> dict[str, float]:
    """Every foundation sway metric of a COP trace in centimetres, keyed with its unit."""
    ap = np.asarray(ap_cm, dtype=float)
    ml = np.asarray(ml_cm, dtype=float)
    if ap.shape != ml.shape or ap.ndim != 1:
        raise NotEnoughDataError("AP and ML traces must be 1-D arrays of the same length")
    n = len(ap)
    if n < MIN_SAMPLES:
        raise NotEnoughDataError(f"need at least {MIN_SAMPLES} COP samples, got {n}")
    if not (np.all(np.isfinite(ap)) and np.all(np.isfinite(ml))):
        raise NotEnoughDataError("COP trace has gaps (the patient was off the platform)")
    ap = ap - ap.mean()
    ml = ml - ml.mean()
    duration_s = n / fs_hz
    distance = np.hypot(ap, ml)
    path_cm = float(np.sum(np.hypot(np.diff(ap), np.diff(ml))))
    return {
        "n_samples": n,
        "duration_s": duration_s,
        "distance_mean_cm": float(distance.mean()),
        "rms_ap_cm": float(np.sqrt(np.mean(ap**2))),
        "rms_ml_cm": float(np.sqrt(np.mean(ml**2))),
        "range_ap_cm": float(ap.max() - ap.min()),
        "range_ml_cm": float(ml.max() - ml.min()),
        "path_length_cm": path_cm,
        "velocity_mean_cm_s": path_cm / duration_s,
        "area_ellipse95_cm2": ellipse95_prediction_area(ap, ml),
        "frequency_mean_hz": frequency_mean(ap, ml, fs_hz),
    }
